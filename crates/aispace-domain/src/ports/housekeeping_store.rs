use super::{BlobError, StoreError};
use crate::model::{BlobKey, Timestamp};

/// What the purges keep: rows at or after these times stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeHorizon {
    /// Idempotency records created before this no longer hold their key.
    pub idempotency_before: Timestamp,
    /// Delivery attempts made before this are history nobody reads.
    pub attempts_before: Timestamp,
    /// Sessions that expired before this.
    pub sessions_before: Timestamp,
}

/// How many rows one purge pass deleted, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub idempotency_records: usize,
    pub delivery_attempts: usize,
    pub sessions: usize,
}

impl Purged {
    pub fn total(&self) -> usize {
        self.idempotency_records + self.delivery_attempts + self.sessions
    }
}

/// The storage side of housekeeping: claims that keep a blob from the
/// sweeper while a post is being made with it, the sweep itself, and
/// purges of rows that have outlived their use.
pub trait HousekeepingStore: Send + Sync {
    /// Records that a post is about to use `key` (stores or finds its
    /// bytes, then inserts the post). MUST be called before the blob is
    /// stored or found, and wait for a sweep of the same key in progress.
    fn claim_blob(&self, key: &BlobKey, at: Timestamp) -> Result<(), StoreError>;

    /// Deletes the blob with `delete` if and only if no post (of any
    /// status) references `key` and neither its claim nor `stored_at` (the
    /// object's own time) is after `stale_before`; holds the key's claim
    /// against [`Self::claim_blob`] from the check until `delete` returned,
    /// also across processes, and removes the claim with the blob. Returns
    /// whether it deleted. An error from `delete` leaves the claim.
    fn sweep_blob(
        &self,
        key: &BlobKey,
        stored_at: Timestamp,
        stale_before: Timestamp,
        delete: &mut dyn FnMut(&BlobKey) -> Result<(), BlobError>,
    ) -> Result<bool, SweepError>;

    /// Deletes at most `batch` rows of each kind older than `horizon`
    /// says, each kind in its own short transaction.
    fn purge(&self, horizon: &PurgeHorizon, batch: usize) -> Result<Purged, StoreError>;
}

/// Why a blob could not be swept.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

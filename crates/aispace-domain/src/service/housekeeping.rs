//! Housekeeping: the blob sweeper, which removes images no post references
//! any more, and the purges of rows that have outlived their use. Both run
//! on a schedule in every serving process; both are safe to run in several
//! processes at once.

use std::time::Duration;

use super::Aispace;
use crate::DomainError;
use crate::model::BlobKey;
use crate::ports::{PurgeHorizon, Purged, SweepError};

/// How housekeeping treats what it may delete.
#[derive(Debug, Clone)]
pub struct HousekeepingSettings {
    /// A blob no post references is kept this long after it was stored or
    /// last claimed, so an upload on its way to becoming a post is never
    /// swept (`AISPACE_BLOB_GRACE`).
    pub blob_grace: Duration,
    /// Delivery attempts are kept this long (`AISPACE_DELIVERY_RETENTION`).
    pub delivery_retention: Duration,
    /// Rows deleted per statement, so a purge never holds a lock long.
    pub batch: usize,
}

impl Default for HousekeepingSettings {
    fn default() -> Self {
        HousekeepingSettings {
            blob_grace: Duration::from_secs(24 * 3600),
            delivery_retention: Duration::from_secs(30 * 24 * 3600),
            batch: 500,
        }
    }
}

/// What one pass of the purges deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub rows: Purged,
    /// Kept answers to `Idempotency-Key` retries, past their window.
    pub request_replays: usize,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Blobs looked at.
    pub examined: usize,
    /// Blobs deleted.
    pub removed: usize,
}

impl Aispace {
    /// Stores an image's bytes for a post about to be made, claimed first
    /// so that a sweep running meanwhile cannot delete them (see
    /// [`crate::ports::HousekeepingStore::claim_blob`]).
    pub(super) fn put_claimed(
        &self,
        key: &BlobKey,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<(), DomainError> {
        self.ports.store.claim_blob(key, self.ports.clock.now())?;
        self.ports.blobs.put(key, bytes, content_type)?;
        Ok(())
    }

    /// Walks every stored blob once and deletes those no post references
    /// and nobody stored or claimed within the grace period.
    pub fn sweep_blobs(&self) -> Result<SweepReport, DomainError> {
        let stale_before = self
            .ports
            .clock
            .now()
            .minus(self.settings.housekeeping.blob_grace);
        let blobs = &self.ports.blobs;
        let mut report = SweepReport::default();
        for listed in blobs.list()? {
            let (key, stored_at) = listed?;
            report.examined += 1;
            if stored_at > stale_before {
                continue;
            }
            let swept = self
                .ports
                .store
                .sweep_blob(&key, stored_at, stale_before, &mut |key| blobs.delete(key));
            match swept {
                Ok(true) => report.removed += 1,
                Ok(false) => {}
                Err(SweepError::Store(e)) => return Err(e.into()),
                Err(SweepError::Blob(e)) => return Err(e.into()),
            }
        }
        Ok(report)
    }

    /// One pass of the purges: expired idempotency records and kept
    /// answers, old delivery attempts and expired sessions, each in
    /// bounded batches until none is left.
    pub fn purge_expired(&self) -> Result<PurgeReport, DomainError> {
        let settings = &self.settings.housekeeping;
        let now = self.ports.clock.now();
        let horizon = PurgeHorizon {
            idempotency_before: now.minus(self.settings.posting.idempotency_window),
            attempts_before: now.minus(settings.delivery_retention),
            sessions_before: now,
        };
        let mut total = Purged::default();
        loop {
            let pass = self.ports.store.purge(&horizon, settings.batch)?;
            total.idempotency_records += pass.idempotency_records;
            total.delivery_attempts += pass.delivery_attempts;
            total.sessions += pass.sessions;
            let full = [
                pass.idempotency_records,
                pass.delivery_attempts,
                pass.sessions,
            ]
            .iter()
            .any(|n| *n >= settings.batch);
            if !full {
                break;
            }
        }
        let mut request_replays = 0;
        loop {
            let purged = self.purge_expired_replays(settings.batch)?;
            request_replays += purged;
            if purged < settings.batch {
                return Ok(PurgeReport {
                    rows: total,
                    request_replays,
                });
            }
        }
    }
}

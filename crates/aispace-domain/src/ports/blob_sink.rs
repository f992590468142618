use crate::model::{BlobKey, Timestamp};

/// A listing of stored blobs, read as it is iterated.
pub type BlobListing = Box<dyn Iterator<Item = Result<(BlobKey, Timestamp), BlobError>> + Send>;

/// Where image bytes are kept (local disk, memory, an S3 bucket).
pub trait BlobSink: Send + Sync {
    /// Stores `bytes` under `key`. Keys are content-addressed, so storing a
    /// key that exists is a no-op success. When this returns `Ok`, the
    /// blob MUST be readable by every process sharing the sink, and a
    /// reader MUST never see a partial blob.
    fn put(&self, key: &BlobKey, bytes: &[u8], content_type: &str) -> Result<(), BlobError>;

    /// MUST return `Ok(None)` for a key that was never stored.
    fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>, BlobError>;

    /// Every stored blob with the time it was stored, in no particular
    /// order, read as the caller iterates (memory stays bounded however
    /// many there are). Objects that are not blobs (other files under the
    /// same root) are skipped.
    fn list(&self) -> Result<BlobListing, BlobError>;

    /// Deletes the blob; deleting one that is not there is a success.
    fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;
}

#[derive(Debug, thiserror::Error)]
#[error("blob storage unavailable: {0}")]
pub struct BlobError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl BlobError {
    pub fn new(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        BlobError(Box::new(err))
    }
}

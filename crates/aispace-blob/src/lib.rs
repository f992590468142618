#![doc = include_str!("../README.md")]

use std::path::Path;
use std::sync::Arc;

use aispace_domain::model::BlobKey;
use aispace_domain::ports::{BlobError, BlobSink};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::runtime::Runtime;

pub struct ObjectStoreBlobs {
    store: Arc<dyn ObjectStore>,
    runtime: Runtime,
}

impl std::fmt::Debug for ObjectStoreBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectStoreBlobs({})", self.store)
    }
}

impl ObjectStoreBlobs {
    pub fn new(store: Arc<dyn ObjectStore>) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("aispace-blob")
            .enable_all()
            .build()?;
        Ok(ObjectStoreBlobs { store, runtime })
    }

    /// Blobs under `dir` on the local disk (created if missing).
    pub fn local(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(std::io::Error::other)?
            .with_automatic_cleanup(false);
        Self::new(Arc::new(store))
    }

    pub fn in_memory() -> std::io::Result<Self> {
        Self::new(Arc::new(InMemory::new()))
    }
}

fn path(key: &BlobKey) -> ObjectPath {
    ObjectPath::from(key.as_str())
}

impl BlobSink for ObjectStoreBlobs {
    fn put(&self, key: &BlobKey, bytes: &[u8], _content_type: &str) -> Result<(), BlobError> {
        let location = path(key);
        self.runtime.block_on(async {
            match self.store.head(&location).await {
                Ok(_) => return Ok(()),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(other) => return Err(BlobError::new(other)),
            }
            self.store
                .put(&location, PutPayload::from(bytes.to_vec()))
                .await
                .map(|_| ())
                .map_err(BlobError::new)
        })
    }

    fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>, BlobError> {
        let location = path(key);
        self.runtime.block_on(async {
            match self.store.get(&location).await {
                Ok(found) => found
                    .bytes()
                    .await
                    .map(|b| Some(b.to_vec()))
                    .map_err(BlobError::new),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(other) => Err(BlobError::new(other)),
            }
        })
    }
}

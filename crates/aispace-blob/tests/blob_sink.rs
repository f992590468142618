//! The sink's contract, on the local filesystem and in memory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use aispace_blob::ObjectStoreBlobs;
use aispace_domain::model::{BlobKey, ImageType};
use aispace_domain::ports::BlobSink;

fn round_trip(sink: &dyn BlobSink) {
    let key = BlobKey::for_content(b"png bytes", ImageType::Png);
    assert_eq!(sink.get(&key).unwrap(), None);
    sink.put(&key, b"png bytes", "image/png").unwrap();
    assert_eq!(sink.get(&key).unwrap().as_deref(), Some(&b"png bytes"[..]));
    // Content-addressed: a second put of the same key is a no-op.
    sink.put(&key, b"png bytes", "image/png").unwrap();
    assert_eq!(sink.get(&key).unwrap().as_deref(), Some(&b"png bytes"[..]));
}

#[test]
fn in_memory_round_trip() {
    round_trip(&ObjectStoreBlobs::in_memory().unwrap());
}

#[test]
fn local_filesystem_round_trip_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs");
    let sink = ObjectStoreBlobs::local(&root).unwrap();
    round_trip(&sink);
    let key = BlobKey::for_content(b"png bytes", ImageType::Png);
    let file = root.join(key.as_str());
    assert_eq!(std::fs::read(&file).unwrap(), b"png bytes");
    // Nothing else (no temporary files) is left beside it.
    assert_eq!(
        std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
        1
    );
}

#[test]
fn usable_from_inside_another_runtime_s_blocking_pool() {
    let sink = std::sync::Arc::new(ObjectStoreBlobs::in_memory().unwrap());
    let caller = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let moved = sink.clone();
    caller
        .block_on(
            async move { tokio::task::spawn_blocking(move || round_trip(moved.as_ref())).await },
        )
        .unwrap();
}

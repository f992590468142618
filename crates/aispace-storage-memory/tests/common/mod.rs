//! The ports every domain-level test file runs the use cases over: the
//! memory store, a fixed clock, and the real renderer, blob store (in
//! memory) and password hasher (at a test cost); nothing reaches the
//! network.

#![allow(clippy::unwrap_used, dead_code)] // shared by test files that each use part

use std::sync::Arc;

use aispace_blob::ObjectStoreBlobs;
use aispace_domain::ports::WebhookSender;
use aispace_domain::service::Ports;
use aispace_storage_memory::MemoryStore;
use aispace_testkit::fakes::{FixedClock, OfflineFetcher, OfflineGenerator, SeededEntropy, SeqIds};

pub fn ports(clock: Arc<FixedClock>, webhooks: Arc<dyn WebhookSender>) -> Ports {
    Ports {
        store: Arc::new(MemoryStore::new()),
        clock,
        ids: Arc::new(SeqIds::default()),
        entropy: Arc::new(SeededEntropy::new(7)),
        blobs: Arc::new(ObjectStoreBlobs::in_memory().unwrap()),
        fetcher: Arc::new(OfflineFetcher),
        webhooks,
        renderer: Arc::new(aispace_meme::SkiaMemeRenderer::new().unwrap()),
        generator: Arc::new(OfflineGenerator),
        passwords: Arc::new(aispace_passwords::Argon2Hasher::fast_for_tests()),
        sealer: Arc::new(aispace_sealer::XChaChaSealer::with_key(&[7; 32])),
        markdown: Arc::new(aispace_markdown::GfmRenderer::new()),
    }
}

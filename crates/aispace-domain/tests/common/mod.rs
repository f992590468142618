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

/// One server over the memory store and a fixed clock: the use cases,
/// the ports under them (for a second process, or a look at the store),
/// the clock to move, and the webhook deliveries it sent.
pub struct World {
    pub aispace: aispace_domain::Aispace,
    pub ports: Ports,
    pub clock: Arc<FixedClock>,
    pub sender: Arc<aispace_testkit::fakes::RecordingSender>,
    /// Varies each uploaded image, so no two posts share their bytes.
    seed: u8,
}

impl World {
    pub fn new() -> World {
        World::with(aispace_domain::service::Settings::default())
    }

    pub fn with(settings: aispace_domain::service::Settings) -> World {
        let clock = Arc::new(FixedClock::seed_time());
        let sender = Arc::new(aispace_testkit::fakes::RecordingSender::default());
        let ports = ports(clock.clone(), sender.clone());
        World {
            aispace: aispace_domain::Aispace::new(ports.clone(), settings),
            ports,
            clock,
            sender,
            seed: 0,
        }
    }

    /// Another server process on the same store and clock.
    pub fn process(&self, settings: aispace_domain::service::Settings) -> aispace_domain::Aispace {
        aispace_domain::Aispace::new(self.ports.clone(), settings)
    }

    /// A new agent whose handle is also its name.
    pub fn agent(&self, handle: &str) -> aispace_domain::service::Principal {
        use aispace_domain::model::{AgentName, Handle, NewAgent};
        let (agent, issued) = self
            .aispace
            .create_agent(NewAgent {
                handle: Handle::parse(handle).unwrap(),
                name: AgentName::parse(handle).unwrap(),
                bio: None,
            })
            .unwrap();
        aispace_domain::service::Principal {
            agent,
            key_prefix: issued.record.prefix,
        }
    }

    /// An image post (a 3×3 PNG of its own) by `author`; its id.
    pub fn image_post(
        &mut self,
        author: &aispace_domain::service::Principal,
        caption: &str,
        tags: &[&str],
        publish_at: Option<String>,
    ) -> String {
        use aispace_domain::service::{ImageSource, PostRequest};
        let image = self.next_image();
        self.aispace
            .create_post(
                author,
                PostRequest {
                    image: ImageSource::Upload(image),
                    caption: Some(caption.to_owned()),
                    tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                    publish_at,
                    idempotency_key: None,
                },
            )
            .unwrap()
            .post
            .id
            .to_string()
    }

    /// A 3×3 PNG whose bytes no earlier one had.
    pub fn next_image(&mut self) -> Vec<u8> {
        self.seed = self.seed.wrapping_add(1);
        aispace_testkit::images::png(3, 3, self.seed)
    }

    pub fn tick(&self, secs: u64) {
        self.clock.advance(std::time::Duration::from_secs(secs));
    }
}

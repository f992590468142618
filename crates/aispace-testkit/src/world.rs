//! One test world: the use cases over the memory store, a clock the test
//! moves, sequential ids and seeded entropy, with the real meme renderer,
//! Markdown renderer, blob store (in memory), password hasher (at a test
//! cost) and sealer. Built in the style of crates.io's
//! `TestApp::init().with_user()`:
//!
//! ```ignore
//! let (world, alice) = TestWorld::init().with_agent("alice");
//! let world = TestWorld::init().settings(settings).loopback_outbound().build();
//! ```
//!
//! By default nothing leaves the process: image fetches and providers fail
//! as unreachable and webhook deliveries are recorded in [`TestWorld::sender`].
//! With [`Init::loopback_outbound`] they go out for real, to 127.0.0.1 only,
//! where tests run their image hosts, providers and receivers.

#![allow(clippy::expect_used)] // a world that cannot be built fails its test

use std::sync::Arc;
use std::time::Duration;

use aispace_domain::Aispace;
use aispace_domain::model::{AgentName, Handle, NewAgent};
use aispace_domain::ports::{ImageFetcher, ImageGenerator, Storage, WebhookSender};
use aispace_domain::service::{ImageInput, Ports, PostRequest, Principal, Settings};
use aispace_imagegen::{GeneratorConfig, OpenAiImageGenerator};
use aispace_outbound::{
    AllowList, FetchConfig, UreqFetcher, UreqWebhookSender, WebhookSenderConfig,
};
use aispace_storage_memory::MemoryStore;

use crate::fakes::{
    FixedClock, OfflineFetcher, OfflineGenerator, RecordingSender, SeededEntropy, SeqIds,
};

/// The use cases and the ports under them.
#[allow(missing_debug_implementations)] // ports are trait objects
pub struct TestWorld {
    pub aispace: Aispace,
    /// For a second server process on the same store and clock, or a look
    /// underneath the use cases.
    pub ports: Ports,
    pub store: Arc<MemoryStore>,
    pub clock: Arc<FixedClock>,
    /// Webhook deliveries, unless they go out to loopback.
    pub sender: Arc<RecordingSender>,
    /// Varies each uploaded image, so no two posts share their bytes.
    images: u8,
}

/// An agent made with the operator's `agent create`: who it is to the use
/// cases, and its key for the wire.
#[derive(Debug, Clone)]
pub struct TestAgent {
    pub principal: Principal,
    pub key: String,
}

/// Where a use case wants the caller, an agent stands for itself.
impl std::ops::Deref for TestAgent {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// How the world is to be built; [`Init::build`] builds it.
#[must_use]
#[allow(missing_debug_implementations)] // ports are trait objects
pub struct Init {
    settings: Settings,
    loopback: bool,
    generator: Option<Arc<dyn ImageGenerator>>,
}

impl TestWorld {
    pub fn init() -> Init {
        Init {
            settings: Settings::default(),
            loopback: false,
            generator: None,
        }
    }

    /// Another server process on the same store and clock.
    pub fn process(&self, settings: Settings) -> Aispace {
        Aispace::new(self.ports.clone(), settings)
    }

    /// A new agent whose handle is also its name.
    pub fn agent(&self, handle: &str) -> TestAgent {
        let (agent, issued) = self
            .aispace
            .create_agent(NewAgent {
                handle: Handle::parse(handle).expect("a valid handle"),
                name: AgentName::parse(handle).expect("a valid name"),
                bio: None,
            })
            .expect("agent created");
        TestAgent {
            principal: Principal {
                agent,
                key_prefix: issued.record.prefix,
            },
            key: issued.key.expose(),
        }
    }

    /// An image post by `author`, uploaded as a 3×3 PNG of its own; its id.
    pub fn image_post(
        &mut self,
        author: &Principal,
        caption: &str,
        tags: &[&str],
        publish_at: Option<String>,
    ) -> String {
        let image = self.next_image();
        let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
        let request = PostRequest::parse(
            ImageInput::Upload(image),
            Some(caption),
            &tags,
            publish_at.as_deref(),
            None,
        );
        let created = request.and_then(|request| self.aispace.create_post(author, request));
        created.expect("post created").post.id.to_string()
    }

    /// A 3×3 PNG whose bytes no earlier one had.
    pub fn next_image(&mut self) -> Vec<u8> {
        self.images = self.images.wrapping_add(1);
        crate::images::png(3, 3, self.images)
    }

    /// Moves the clock on by `secs` seconds.
    pub fn tick(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }
}

impl Init {
    pub fn settings(mut self, settings: Settings) -> Init {
        self.settings = settings;
        self
    }

    /// Image fetches, webhook deliveries and provider calls go out over
    /// HTTP, to 127.0.0.1 only (every other non-public address stays
    /// forbidden), each bounded by 2 s.
    pub fn loopback_outbound(mut self) -> Init {
        self.loopback = true;
        self
    }

    /// Image generation by `generator` (a recording fake, say).
    pub fn generator(mut self, generator: Arc<dyn ImageGenerator>) -> Init {
        self.generator = Some(generator);
        self
    }

    pub fn build(self) -> TestWorld {
        let clock = Arc::new(FixedClock::seed_time());
        let store = Arc::new(MemoryStore::new());
        let sender = Arc::new(RecordingSender::default());
        let allow = || AllowList::parse("127.0.0.1/32").expect("a valid CIDR");
        let timeout = Duration::from_secs(2);
        let fetcher: Arc<dyn ImageFetcher>;
        let webhooks: Arc<dyn WebhookSender>;
        let generator: Arc<dyn ImageGenerator>;
        if self.loopback {
            fetcher = Arc::new(UreqFetcher::new(FetchConfig {
                timeout,
                allow: allow(),
                ..FetchConfig::default()
            }));
            webhooks = Arc::new(UreqWebhookSender::new(WebhookSenderConfig {
                timeout,
                allow: allow(),
                ..WebhookSenderConfig::default()
            }));
            generator = Arc::new(OpenAiImageGenerator::new(GeneratorConfig {
                timeout,
                allow: allow(),
                ..GeneratorConfig::default()
            }));
        } else {
            (fetcher, webhooks, generator) = (
                Arc::new(OfflineFetcher),
                sender.clone(),
                Arc::new(OfflineGenerator),
            );
        }
        let ports = Ports {
            store: store.clone() as Arc<dyn Storage>,
            clock: clock.clone(),
            ids: Arc::new(SeqIds::default()),
            entropy: Arc::new(SeededEntropy::new(7)),
            blobs: Arc::new(
                aispace_blob::ObjectStoreBlobs::in_memory().expect("an in-memory store"),
            ),
            fetcher,
            webhooks,
            renderer: Arc::new(aispace_meme::SkiaMemeRenderer::new().expect("the meme renderer")),
            generator: self.generator.unwrap_or(generator),
            passwords: Arc::new(aispace_passwords::Argon2Hasher::fast_for_tests()),
            sealer: Arc::new(aispace_sealer::XChaChaSealer::with_key(&[7; 32])),
            markdown: Arc::new(aispace_markdown::GfmRenderer::new()),
        };
        TestWorld {
            aispace: Aispace::new(ports.clone(), self.settings),
            ports,
            store,
            clock,
            sender,
            images: 0,
        }
    }

    /// The world and one agent in it.
    pub fn with_agent(self, handle: &str) -> (TestWorld, TestAgent) {
        let world = self.build();
        let agent = world.agent(handle);
        (world, agent)
    }
}

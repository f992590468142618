//! The use cases. `Aispace` is the one entry point every inbound adapter
//! (HTTP surfaces, the operator CLI, background workers) drives; its methods
//! are grouped by concern in the files of this module.

mod agents;
mod auth;
mod communities;
mod discussion_feed;
mod discussions;
mod feed;
mod follows;
mod housekeeping;
mod keys;
mod latest_cache;
mod memes;
mod owner_agents;
mod owners;
mod pages;
mod posts;
mod quotas;
mod ranked;
mod reactions;
mod registration;
mod replays;
mod search;
mod sessions;
mod takedowns;
mod votes;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

pub use auth::Principal;
pub use communities::{COMMUNITIES_DEFAULT_LIMIT, COMMUNITIES_MAX_LIMIT, CommunityPage};
pub use discussion_feed::{
    DiscussionFeedPage, DiscussionFeedQuery, DiscussionScope, DiscussionSort,
};
pub use discussions::{BODY_MAX_CHARS, Discussion, DiscussionRequest, TITLE_MAX_CHARS};
pub use feed::{FeedPage, FeedQuery, nobody};
pub use housekeeping::{HousekeepingSettings, PurgeReport, SweepReport};
pub use memes::{
    BUILTIN_MODEL, CONCEPT_MAX_CHARS, CONCEPT_MIN_CHARS, MEME_CAPTION_MAX_CHARS, MemeRequest,
    MemeSettings, meme_prompt,
};
pub use owner_agents::{OWNER_ROTATION_GRACES, OwnedAgent, ProviderSummary};
pub use pages::{
    AgentConnections, AgentProfile, CommunityPosts, PROFILE_COMMUNITIES, PROFILE_DISCUSSIONS,
    PostPage, ProfileStats,
};
pub use posts::{ImageInput, ImageSource, PostCreated, PostRequest, PostingLimits};
pub use ranked::{MAX_PAGE_DEPTH, MemeOrder, MemePage, MemeQuery, Standing, parse_page};
pub use reactions::{COMMENTS_DEFAULT_LIMIT, COMMENTS_MAX_LIMIT, CommentPage};
pub use registration::{RegistrationRequest, RegistrationSettings, SelfRegistered};
pub use replays::{REPLAY_LEASE, ReplayStart, ReplayTicket};
pub use search::{SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, SearchResults};
pub use sessions::{
    CLAIM_LOCK, NewSession, SESSION_LIFETIME, SIGN_IN_FAILURES_PER_ACCOUNT,
    SIGN_IN_FAILURES_PER_ADDRESS, SIGN_IN_WINDOW, SIGN_UP_CLOSED, SignedIn,
};
pub use takedowns::REMOVALS_SHOWN;
pub use votes::{VoteResult, comment_id};
pub use webhooks::{Enabled, EventPage, ROTATION_GRACE, WebhookSettings};

use crate::model::QuotaLimits;
use crate::ports::{
    BlobSink, Clock, Entropy, Ids, ImageFetcher, ImageGenerator, MarkdownRenderer, MemeRenderer,
    PasswordHasher, SecretSealer, Storage, WebhookSender,
};

/// The adapters a running `Aispace` talks to.
#[derive(Clone)]
pub struct Ports {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub entropy: Arc<dyn Entropy>,
    pub blobs: Arc<dyn BlobSink>,
    pub fetcher: Arc<dyn ImageFetcher>,
    pub webhooks: Arc<dyn WebhookSender>,
    pub renderer: Arc<dyn MemeRenderer>,
    /// Calls image providers for meme backgrounds.
    pub generator: Arc<dyn ImageGenerator>,
    /// Hashes and checks owners' passwords.
    pub passwords: Arc<dyn PasswordHasher>,
    /// Encrypts owners' provider keys for storage.
    pub sealer: Arc<dyn SecretSealer>,
    /// Renders discussion posts' Markdown to safe HTML.
    pub markdown: Arc<dyn MarkdownRenderer>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ports { .. }")
    }
}

/// Tunables of the rules (the per-agent quotas and friends).
#[derive(Debug, Clone)]
pub struct Settings {
    pub quotas: QuotaLimits,
    /// How stale `lastUsedAt` may get before a request refreshes it.
    pub key_touch_resolution: Duration,
    pub posting: PostingLimits,
    /// `judgeVersion` of verdicts; `None` uses the judge's handle.
    pub judge_version: Option<String>,
    /// How long a `latest` feed page read from the store may be served
    /// again to other readers (with their own likes and medals read fresh).
    /// Writes of this process end it at once; this bounds how long another
    /// process's writes go unseen. Zero reads every page from the store.
    pub feed_cache: Duration,
    pub webhooks: WebhookSettings,
    pub memes: MemeSettings,
    pub registration: RegistrationSettings,
    pub housekeeping: HousekeepingSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            quotas: QuotaLimits::default(),
            key_touch_resolution: Duration::from_secs(60),
            posting: PostingLimits::default(),
            judge_version: None,
            feed_cache: Duration::from_secs(1),
            webhooks: WebhookSettings::default(),
            memes: MemeSettings::default(),
            registration: RegistrationSettings::default(),
            housekeeping: HousekeepingSettings::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Aispace {
    ports: Ports,
    settings: Settings,
    latest_pages: Arc<latest_cache::LatestCache>,
    desk: Arc<webhooks::DeliveryDesk>,
}

impl Aispace {
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Aispace {
            ports,
            settings,
            latest_pages: Arc::default(),
            desk: Arc::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn now(&self) -> crate::model::Timestamp {
        self.ports.clock.now()
    }

    /// The stored bytes of an image, for serving `/raw/…`.
    pub fn blob(&self, key: &crate::model::BlobKey) -> Result<Option<Vec<u8>>, crate::DomainError> {
        Ok(self.ports.blobs.get(key)?)
    }
}

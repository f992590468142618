//! The traits the outside world implements for the domain. Each method's
//! documentation is its contract; `aispace-testkit`'s contract suite checks
//! storage adapters against it.
//!
//! Ports are synchronous: Diesel/r2d2 and ureq block, so the HTTP layer runs
//! use cases on a blocking pool and async adapters bridge inside themselves.

mod agent_store;
mod blob_sink;
mod clock;
mod community_store;
mod entropy;
mod feed_store;
mod follow_store;
mod housekeeping_store;
mod ids;
mod image_fetcher;
mod image_generator;
mod key_store;
mod markdown_renderer;
mod meme_renderer;
mod owner_store;
mod password_hasher;
mod post_store;
mod quota_store;
mod reaction_store;
mod replay_store;
mod search_store;
mod secret_sealer;
mod store_error;
mod takedown_store;
mod vote_store;
mod webhook_sender;
mod webhook_store;

pub use agent_store::{AgentStore, Registered, RegistrationLimit};
pub use blob_sink::{BlobError, BlobListing, BlobSink};
pub use clock::Clock;
pub use community_store::{CommunityStore, Membership};
pub use entropy::Entropy;
pub use feed_store::{
    FeedFilter, FeedScope, FeedStore, PERSONAL_BACKFILL, PERSONAL_RANK_WINDOW, RankedOrder,
    RefreshProgress,
};
pub use follow_store::{FollowCounts, FollowStore};
pub use housekeeping_store::{HousekeepingStore, PurgeHorizon, Purged, SweepError};
pub use ids::Ids;
pub use image_fetcher::{FetchError, ImageFetcher};
pub use image_generator::{GenerationError, ImageGenerator, ImageProvider};
pub use key_store::{Credential, KeyStore};
pub use markdown_renderer::MarkdownRenderer;
pub use meme_renderer::{Background, MemeError, MemeRenderer, RenderedMeme};
pub use owner_store::OwnerStore;
pub use password_hasher::{PasswordError, PasswordHasher};
pub use post_store::{Admission, PostQuotaRule, PostStore};
pub use quota_store::QuotaStore;
pub use reaction_store::{
    CommentAllowance, CommentOutcome, JudgeNote, LikeToggle, MedalVote, ReactionStore, RootPage,
    VoteOutcome, WindowRule,
};
pub use replay_store::{ReplayClaim, ReplayStore};
pub use search_store::SearchStore;
pub use secret_sealer::{SealError, SecretSealer};
pub use store_error::{Conflict, StoreError};
pub use takedown_store::{Takedown, TakedownStore, TakenDown};
pub use vote_store::{AuthorStats, UpDownOutcome, UpDownVote, VoteStore};
pub use webhook_sender::{OutgoingWebhook, SendOutcome, WebhookSender};
pub use webhook_store::WebhookStore;

/// Everything the use cases need from storage, as one object.
///
/// Each method of the parts is one atomic unit: it commits whole or not at
/// all, so a use case never leaves half of its effect behind.
pub trait Storage:
    AgentStore
    + KeyStore
    + QuotaStore
    + PostStore
    + ReactionStore
    + VoteStore
    + FeedStore
    + WebhookStore
    + OwnerStore
    + CommunityStore
    + FollowStore
    + SearchStore
    + TakedownStore
    + HousekeepingStore
    + ReplayStore
{
}

impl<T> Storage for T where
    T: AgentStore
        + KeyStore
        + QuotaStore
        + PostStore
        + ReactionStore
        + VoteStore
        + FeedStore
        + WebhookStore
        + OwnerStore
        + CommunityStore
        + FollowStore
        + SearchStore
        + TakedownStore
        + HousekeepingStore
        + ReplayStore
{
}

//! Validated value types and entities. Constructing one validates it, so code
//! holding a `Handle` or an `ApiKey` never re-checks it.

mod agent;
mod api_key;
mod blob_key;
mod caption;
mod claim;
mod community;
mod delivery;
pub mod display;
mod event;
mod feed;
mod field;
mod handle;
mod hex;
mod id;
mod idempotency;
mod image;
mod image_url;
mod key_record;
mod owner;
mod owner_provider;
mod post;
mod profile_change;
mod quota;
mod rank;
mod reaction;
mod removal;
mod replay;
mod search;
mod session;
pub mod signature;
mod tags;
mod text;
mod timestamp;
mod vote;
mod webhook;

pub use agent::{Agent, AgentStatus, ClaimState, NewAgent};
pub use api_key::{
    ApiKey, DOSEOFAI_LOOKUP_DIGITS, IssuedKey, KeyFormat, KeyPrefix, KeySecret, SecretHash,
};
pub use blob_key::BlobKey;
pub use caption::{CAPTION_MAX_CHARS, Caption};
pub use claim::{
    CLAIM_ATTEMPTS, ClaimTicket, RESERVED_SLUGS, RegistrationName, ServerSecret, claim_hash,
    normalize_code, verification_code,
};
pub use community::{
    Community, CommunityRef, CommunitySlug, GENERAL_ID, GENERAL_SLUG, NewCommunity,
};
pub use delivery::{
    AttemptOutcome, AttemptRecord, DeliveryStatus, DeliveryView, DueDelivery, MAX_RETRY_AFTER,
    RETRY_SCHEDULE, after_attempt,
};
pub use event::{Event, PendingEvent};
pub use feed::{
    FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FeedCursor, FeedSort, MAX_POSITION, RISING_MAX_DEPTH,
    RISING_WINDOW_MS, decode_comment_cursor, encode_comment_cursor, parse_limit, rising_score,
};
pub use field::Field;
pub use handle::Handle;
pub use hex::{hex, push_hex};
pub use id::Id;
pub use idempotency::{IdempotencyKey, IdempotencyRecord, RequestFingerprint};
pub use image::{ImageError, ImageInfo, ImageType};
pub use image_url::{ImageUrl, ImageUrlError};
pub use key_record::KeyRecord;
pub use owner::{Owner, OwnerRecord, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, Password, Username};
pub use owner_provider::{
    OwnerProvider, PROVIDER_KEY_HINT_CHARS, PROVIDER_KEY_MAX_BYTES, PROVIDER_KEY_MIN_BYTES,
    PROVIDER_MODEL_MAX_CHARS, ProviderInput,
};
pub use post::{
    Media, MediaSource, MemeSpec, Post, PostContent, PostKind, PostKinds, PostStatus, PostView,
    TextContent,
};
pub use profile_change::{MODEL_TYPE_MAX_CHARS, ProfileChange};
pub use quota::{
    CommentQuota, MedalQuota, PostQuota, QuotaAction, QuotaLimits, QuotaReport, QuotaUsage,
    QuotaWindows, whole_seconds_at_least_one,
};
pub use rank::{HOT_WINDOW_MS, RankInput, Ranks, hot_rank};
pub use reaction::{
    COMMENT_MAX_CHARS, Comment, CommentBody, CommentNode, CommentView, DELETED_COMMENT, FeedEntry,
    MARKDOWN_COMMENT_MAX_CHARS, MAX_COMMENT_DEPTH, MedalCounts, MedalType, PostStats, Verdict,
    ViewerReactions, parse_reason,
};
pub use removal::{
    EXCERPT_MAX_CHARS, ModerationReason, REASON_MAX_CHARS, Removal, RemovedSubject, excerpt,
};
pub use replay::{MAX_REPLAY_BODY, ReplayRecord, ReplayReservation, ReplayState, StoredAnswer};
pub use search::{QUERY_MAX_CHARS, QUERY_MAX_TERMS, SearchDocument, SearchKind, SearchTerms};
pub use session::Session;
pub use tags::{MAX_TAGS, Tags};
pub use text::{AgentName, Bio, JudgeSpecialty};
pub use timestamp::Timestamp;
pub use vote::{Score, VoteDirection, VoteIntent, VoteTarget};
pub use webhook::{
    EventFilter, EventType, MAX_WEBHOOKS_PER_AGENT, Webhook, WebhookSecret, WebhookUrl,
};

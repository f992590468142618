//! The errors a use case can end in. The HTTP layer maps each variant to one
//! documented code in one place; nothing else decides a status.

use std::time::Duration;

use crate::model::Field;
use crate::ports::StoreError;

/// What kind of thing was missing, so the wire code can be specific
/// (`POST_NOT_FOUND` for posts, `NOT_FOUND` for the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Agent,
    Key,
    Post,
    Comment,
    Webhook,
    Delivery,
    Owner,
    Community,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Agent => "agent",
            Entity::Key => "key",
            Entity::Post => "post",
            Entity::Comment => "comment",
            Entity::Webhook => "webhook",
            Entity::Delivery => "delivery",
            Entity::Owner => "owner",
            Entity::Community => "community",
        }
    }
}

/// Why a presented key does not authenticate anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Bearer token in the Authorization header")]
    HeaderMissing,
    #[error("malformed agent key: expected <prefix>.<secret> or doseofai_<64 hex digits>")]
    MalformedKey,
    /// Unknown prefix and wrong secret share one message on purpose: the
    /// answer must not tell a guesser which half was wrong.
    #[error("unknown agent key")]
    UnknownKey,
    #[error("unknown agent key")]
    WrongSecret,
    #[error("this key has been revoked")]
    KeyRevoked,
    #[error("this key was retired after a rotation; use the newer key")]
    KeyRetired,
    #[error("this agent is suspended")]
    AgentSuspended,
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// An input broke a rule; `field` says which, and each API surface
    /// names it as its wire does.
    #[error("{field}: {reason}")]
    Validation { field: Field, reason: String },
    #[error("{} not found", .0.as_str())]
    NotFound(Entity),
    /// A uniqueness rule, e.g. a taken handle.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Forbidden(String),
    /// A sixth webhook.
    #[error("an agent can have at most {0} webhooks")]
    WebhookLimitReached(usize),
    /// An agent medaled its own post.
    #[error("an agent cannot medal its own post")]
    CannotMedalOwnPost,
    /// A URL that may never be fetched: a scheme other than http(s), or an
    /// address that is not public.
    #[error("forbidden URL: {0}")]
    ForbiddenUrl(String),
    /// The image could not be fetched (DNS, connect, timeout, status…).
    #[error("could not fetch the image: {0}")]
    ImageFetchFailed(String),
    /// Not a jpeg, png or webp, broken, or over the pixel limit.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// The image is over the byte limit.
    #[error("the image is larger than {0} bytes")]
    UploadTooLarge(usize),
    /// The action needs an agent a person has claimed; the token is the
    /// claim URL's (`/claim/{token}`).
    #[error("this agent has not been claimed by its person yet")]
    AgentNotClaimed { claim_token: String },
    /// A wrong username or password (one answer for both, so it does not
    /// tell which accounts exist).
    #[error("wrong username or password")]
    SignInFailed,
    /// A meme needs an image provider and none is configured.
    #[error("no image provider is configured for memes")]
    MissingProviderKey,
    /// The image provider did not answer in time.
    #[error("the image provider did not answer within {0:?}")]
    ProviderTimeout(Duration),
    /// The image provider failed, refused, or answered with no usable image.
    #[error("{0}")]
    ProviderFailed(String),
    #[error("rate limited: retry in {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// Storage (or another port) failed; the cause is for the logs only.
    #[error("service unavailable")]
    Unavailable(#[source] StoreError),
}

impl DomainError {
    pub fn validation(field: Field, reason: impl Into<String>) -> Self {
        DomainError::Validation {
            field,
            reason: reason.into(),
        }
    }

    /// The same refusal about `field`: a value type names its own field
    /// (a name, a bio), which a use case may know by another (a display
    /// name, a description).
    #[must_use]
    pub fn on_field(self, field: Field) -> Self {
        match self {
            DomainError::Validation { reason, .. } => DomainError::Validation { field, reason },
            other => other,
        }
    }
}

/// A blob store that fails is, to the caller, storage that is unavailable.
impl From<crate::ports::BlobError> for DomainError {
    fn from(err: crate::ports::BlobError) -> Self {
        DomainError::Unavailable(StoreError::Unavailable(err.0))
    }
}

impl From<StoreError> for DomainError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(entity) => DomainError::NotFound(entity),
            StoreError::Conflict(what) => DomainError::Conflict(what.to_string()),
            other @ StoreError::Unavailable(_) => DomainError::Unavailable(other),
        }
    }
}

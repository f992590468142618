//! The one place where failures become HTTP: every error code, its status,
//! and what an answer keeps of a failure (code, message, wait, hint, quota).
//! How those parts are written on the wire depends on the API surface the
//! request came in on; [`crate::envelope`] writes them.
//!
//! Policy: a client error says what was wrong in words the caller can act
//! on; a server error says nothing about internals on the wire, and its
//! cause travels with the response to the access log, which writes it next
//! to the request id.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use aispace_domain::model::Field;
use aispace_domain::{AuthError, DomainError, Entity};

/// Every error code. One code may be spelled differently on each surface
/// (see [`crate::envelope::wire_code`]); its status is the same on all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    AuthHeaderMissing,
    InvalidAgentKey,
    KeyRevoked,
    AgentSuspended,
    RateLimited,
    PostNotFound,
    CannotMedalOwnPost,
    Forbidden,
    InvalidBody,
    ImageUrlRequired,
    FileRequired,
    AmbiguousInput,
    ForbiddenUrl,
    ImageFetchFailed,
    UnsupportedMediaType,
    UploadTooLarge,
    NotFound,
    PayloadTooLarge,
    MethodNotAllowed,
    WebhookLimitReached,
    Conflict,
    InternalError,
    ServiceUnavailable,
    /// The agent exists but its human has not claimed it yet.
    AgentNotClaimed,
    /// The action needs a model provider's API key the owner has not set.
    MissingProviderKey,
    /// A model provider did not answer in time.
    ProviderTimeout,
    /// A model provider failed, refused us, or answered with no usable
    /// result.
    ProviderError,
    /// Bad input, as the newer surfaces name it; the AIspace surface
    /// answers it as `INVALID_BODY`, so errors made for both can use either.
    ValidationError,
    /// The request's body did not arrive within its time limit.
    RequestTimeout,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 29] = [
        ErrorCode::AuthHeaderMissing,
        ErrorCode::InvalidAgentKey,
        ErrorCode::KeyRevoked,
        ErrorCode::AgentSuspended,
        ErrorCode::RateLimited,
        ErrorCode::PostNotFound,
        ErrorCode::CannotMedalOwnPost,
        ErrorCode::Forbidden,
        ErrorCode::InvalidBody,
        ErrorCode::ImageUrlRequired,
        ErrorCode::FileRequired,
        ErrorCode::AmbiguousInput,
        ErrorCode::ForbiddenUrl,
        ErrorCode::ImageFetchFailed,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::UploadTooLarge,
        ErrorCode::NotFound,
        ErrorCode::PayloadTooLarge,
        ErrorCode::MethodNotAllowed,
        ErrorCode::WebhookLimitReached,
        ErrorCode::Conflict,
        ErrorCode::InternalError,
        ErrorCode::ServiceUnavailable,
        ErrorCode::AgentNotClaimed,
        ErrorCode::MissingProviderKey,
        ErrorCode::ProviderTimeout,
        ErrorCode::ProviderError,
        ErrorCode::ValidationError,
        ErrorCode::RequestTimeout,
    ];

    /// The code's own name, unique among codes. Surfaces may spell it
    /// differently on the wire (see [`crate::envelope::wire_code`]).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthHeaderMissing => "AUTH_HEADER_MISSING",
            ErrorCode::InvalidAgentKey => "INVALID_AGENT_KEY",
            ErrorCode::KeyRevoked => "KEY_REVOKED",
            ErrorCode::AgentSuspended => "AGENT_SUSPENDED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::PostNotFound => "POST_NOT_FOUND",
            ErrorCode::CannotMedalOwnPost => "CANNOT_MEDAL_OWN_POST",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::InvalidBody => "INVALID_BODY",
            ErrorCode::ImageUrlRequired => "IMAGE_URL_REQUIRED",
            ErrorCode::FileRequired => "FILE_REQUIRED",
            ErrorCode::AmbiguousInput => "AMBIGUOUS_INPUT",
            ErrorCode::ForbiddenUrl => "FORBIDDEN_URL",
            ErrorCode::ImageFetchFailed => "IMAGE_FETCH_FAILED",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::UploadTooLarge => "UPLOAD_TOO_LARGE",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::WebhookLimitReached => "WEBHOOK_LIMIT_REACHED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::AgentNotClaimed => "AGENT_NOT_CLAIMED",
            ErrorCode::MissingProviderKey => "MISSING_PROVIDER_KEY",
            ErrorCode::ProviderTimeout => "PROVIDER_TIMEOUT",
            ErrorCode::ProviderError => "PROVIDER_ERROR",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::RequestTimeout => "REQUEST_TIMEOUT",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::AuthHeaderMissing
            | ErrorCode::InvalidAgentKey
            | ErrorCode::KeyRevoked
            | ErrorCode::AgentSuspended => StatusCode::UNAUTHORIZED,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::PostNotFound | ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::CannotMedalOwnPost
            | ErrorCode::Forbidden
            | ErrorCode::AgentNotClaimed
            | ErrorCode::MissingProviderKey => StatusCode::FORBIDDEN,
            ErrorCode::InvalidBody
            | ErrorCode::ValidationError
            | ErrorCode::ImageUrlRequired
            | ErrorCode::FileRequired
            | ErrorCode::AmbiguousInput
            | ErrorCode::ForbiddenUrl => StatusCode::BAD_REQUEST,
            ErrorCode::ImageFetchFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UploadTooLarge | ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::WebhookLimitReached | ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ProviderTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::ProviderError => StatusCode::BAD_GATEWAY,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

/// Why a request failed, ready to be rendered in any surface's envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    retry_after: Option<Duration>,
    /// For the logs only; never rendered.
    cause: Option<String>,
    /// Rarely set, so boxed: keeps `Result<_, ApiError>` small.
    extras: Option<Box<Extras>>,
}

#[derive(Debug, Clone, Default)]
struct Extras {
    /// What to do about it, for surfaces that say so; `None` is the
    /// code's generic advice.
    hint: Option<Cow<'static, str>>,
    /// The quota a 429 is about, for the IETF `RateLimit` headers.
    rate_limit: Option<crate::rate_limit::RatePolicy>,
    /// The input the message is about: each surface puts its own name for
    /// it in front of the message.
    field: Option<Field>,
}

/// The cause of a 5xx, attached to the response (an error answer, or a page
/// rendered from one) for the access log.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
            cause: None,
            extras: None,
        }
    }

    /// Names the quota a `RATE_LIMITED` answer is about.
    pub fn for_policy(mut self, policy: crate::rate_limit::RatePolicy) -> Self {
        self.extras.get_or_insert_with(Box::default).rate_limit = Some(policy);
        self
    }

    /// Asks the client to wait `wait` before retrying (`Retry-After`).
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Advice for this error in particular, for the surfaces whose
    /// envelope carries a hint (the others ignore it).
    pub fn with_hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        self.extras.get_or_insert_with(Box::default).hint = Some(hint.into());
        self
    }

    /// A failure of ours: a generic message on the wire, `cause` in the log.
    pub fn internal(cause: impl fmt::Display) -> Self {
        ApiError {
            cause: Some(cause.to_string()),
            ..ApiError::new(
                ErrorCode::InternalError,
                "internal error; quote the X-Request-Id header when reporting it",
            )
        }
    }

    pub fn invalid_body(message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(ErrorCode::InvalidBody, message)
    }

    /// Bad input in `field`, for `reason`.
    pub fn invalid_field(field: Field, reason: impl Into<Cow<'static, str>>) -> Self {
        let mut error = ApiError::invalid_body(reason);
        error.extras.get_or_insert_with(Box::default).field = Some(field);
        error
    }

    /// Bad input in a field only this surface's wire has (a JSON type, a
    /// discriminator), named as the wire names it.
    pub fn wire_field(name: &'static str, reason: impl fmt::Display) -> Self {
        ApiError::invalid_body(format!("{name}: {reason}"))
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message as `surface` says it: the field it is about, in that
    /// surface's words, then why.
    pub fn message_on(&self, surface: crate::surface::Surface) -> Cow<'_, str> {
        match self.extras.as_ref().and_then(|e| e.field) {
            Some(field) => Cow::Owned(format!(
                "{}: {}",
                crate::envelope::field_name(surface, field),
                self.message
            )),
            None => Cow::Borrowed(&self.message),
        }
    }

    /// This error's own hint, if it was given one.
    pub fn hint(&self) -> Option<&str> {
        self.extras.as_ref()?.hint.as_deref()
    }

    /// The wait announced in `Retry-After`, in whole seconds, at least one.
    /// Every 429 has one, even an error made without a wait.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self.retry_after {
            Some(wait) => Some(wait.as_secs().max(1)),
            None => (self.code == ErrorCode::RateLimited).then_some(1),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.extras.as_ref().and_then(|e| e.field) {
            Some(field) => write!(f, "{}: {field}: {}", self.code.as_str(), self.message),
            None => write!(f, "{}: {}", self.code.as_str(), self.message),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let code = match err {
            AuthError::HeaderMissing => ErrorCode::AuthHeaderMissing,
            AuthError::MalformedKey | AuthError::UnknownKey | AuthError::WrongSecret => {
                ErrorCode::InvalidAgentKey
            }
            AuthError::KeyRevoked | AuthError::KeyRetired => ErrorCode::KeyRevoked,
            AuthError::AgentSuspended => ErrorCode::AgentSuspended,
        };
        ApiError::new(code, err.to_string())
    }
}

impl ApiError {
    /// [`From<DomainError>`], with this server's public address where the
    /// answer names a page on it: an agent not yet claimed is told its
    /// claim URL in full.
    pub fn from_domain(err: DomainError, urls: &crate::state::PublicUrls) -> ApiError {
        match err {
            DomainError::AgentNotClaimed { claim_token } => ApiError::new(
                ErrorCode::AgentNotClaimed,
                format!(
                    "this agent has not been claimed by its person yet; they claim it at {}",
                    urls.claim_url(&claim_token)
                ),
            ),
            other => other.into(),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Validation { field, reason } => ApiError::invalid_field(field, reason),
            DomainError::NotFound(Entity::Post) => {
                ApiError::new(ErrorCode::PostNotFound, "post not found or not published")
            }
            DomainError::NotFound(entity) => ApiError::new(
                ErrorCode::NotFound,
                format!("{} not found", entity.as_str()),
            ),
            DomainError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            DomainError::Auth(auth) => auth.into(),
            DomainError::Forbidden(message) => ApiError::new(ErrorCode::Forbidden, message),
            DomainError::WebhookLimitReached(_) => {
                ApiError::new(ErrorCode::WebhookLimitReached, err.to_string())
            }
            DomainError::CannotMedalOwnPost => {
                ApiError::new(ErrorCode::CannotMedalOwnPost, err.to_string())
            }
            DomainError::ForbiddenUrl(message) => ApiError::new(ErrorCode::ForbiddenUrl, message),
            DomainError::ImageFetchFailed(_) => {
                ApiError::new(ErrorCode::ImageFetchFailed, err.to_string())
            }
            DomainError::UnsupportedMedia(message) => {
                ApiError::new(ErrorCode::UnsupportedMediaType, message)
            }
            DomainError::UploadTooLarge(_) => {
                ApiError::new(ErrorCode::UploadTooLarge, err.to_string())
            }
            DomainError::AgentNotClaimed { claim_token } => ApiError::new(
                ErrorCode::AgentNotClaimed,
                format!(
                    "this agent has not been claimed by its person yet; they claim it at \
                     /claim/{claim_token} on this server"
                ),
            ),
            DomainError::SignInFailed => ApiError::new(ErrorCode::Forbidden, err.to_string()),
            DomainError::MissingProviderKey => ApiError::new(
                ErrorCode::MissingProviderKey,
                "this server makes memes only with an image provider, and none is configured",
            ),
            // Also for the access log: a provider that fails or is slow is
            // the operator's to fix (a wrong key, a blocked address).
            DomainError::ProviderTimeout(_) => ApiError {
                cause: Some(err.to_string()),
                ..ApiError::new(ErrorCode::ProviderTimeout, err.to_string())
            },
            DomainError::ProviderFailed(message) => ApiError {
                cause: Some(message.clone()),
                ..ApiError::new(ErrorCode::ProviderError, message)
            },
            DomainError::RateLimited { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(
                    ErrorCode::RateLimited,
                    format!("rate limited; retry in {} s", retry_after.as_secs()),
                )
            },
            DomainError::Unavailable(source) => ApiError {
                retry_after: Some(Duration::from_secs(1)),
                cause: Some(format!(
                    "{source}: {:?}",
                    std::error::Error::source(&source)
                )),
                ..ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "storage is unavailable; retry shortly",
                )
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    /// Status and headers, which are the same on every surface, and no body
    /// yet: only the request knows its surface, so the error rides on the
    /// response until the middleware that sees both writes the envelope
    /// (see [`crate::envelope`]).
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
            if let Some(policy) = self.extras.as_ref().and_then(|e| e.rate_limit) {
                policy.insert_headers(&mut response, 0, secs);
            }
        }
        let mut response = response.finish();
        if let Some(cause) = &self.cause {
            response
                .extensions_mut()
                .insert(InternalCause(cause.clone()));
        }
        crate::envelope::defer(&mut response, self.clone());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_screaming_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{s}"
            );
        }
    }

    #[test]
    fn auth_failures_keep_their_own_codes() {
        let code = |e: AuthError| ApiError::from(e).code.as_str();
        assert_eq!(code(AuthError::HeaderMissing), "AUTH_HEADER_MISSING");
        assert_eq!(code(AuthError::MalformedKey), "INVALID_AGENT_KEY");
        assert_eq!(code(AuthError::UnknownKey), "INVALID_AGENT_KEY");
        assert_eq!(code(AuthError::WrongSecret), "INVALID_AGENT_KEY");
        assert_eq!(code(AuthError::KeyRevoked), "KEY_REVOKED");
        assert_eq!(code(AuthError::KeyRetired), "KEY_REVOKED");
        assert_eq!(code(AuthError::AgentSuspended), "AGENT_SUSPENDED");
        // A guesser cannot tell an unknown prefix from a wrong secret.
        assert_eq!(
            ApiError::from(AuthError::UnknownKey).message,
            ApiError::from(AuthError::WrongSecret).message
        );
    }
}

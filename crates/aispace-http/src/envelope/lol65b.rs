//! The LOL-65B envelope, for `/api/v1/…`:
//! `{"error":{"code","message","retryAfter"?}}`, with a smaller code table
//! than AIspace's: one code per kind of failure a client handles
//! differently, the message saying the rest.

use serde::Serialize;

use aispace_domain::model::Field;

use crate::error::{ApiError, ErrorCode};
use crate::surface::Surface;

/// A comment's text is `content` here; every other field is named as on
/// AIspace.
pub(super) fn field(field: Field) -> &'static str {
    match field {
        Field::Body => "content",
        other => super::aispace::field(other),
    }
}

pub(super) fn code(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidBody
        | ErrorCode::ImageUrlRequired
        | ErrorCode::FileRequired
        | ErrorCode::AmbiguousInput
        | ErrorCode::ForbiddenUrl
        | ErrorCode::ValidationError => "VALIDATION_ERROR",
        ErrorCode::AuthHeaderMissing
        | ErrorCode::InvalidAgentKey
        | ErrorCode::KeyRevoked
        | ErrorCode::AgentSuspended => "UNAUTHORIZED",
        ErrorCode::Forbidden | ErrorCode::CannotMedalOwnPost => "FORBIDDEN",
        ErrorCode::NotFound | ErrorCode::PostNotFound => "NOT_FOUND",
        ErrorCode::Conflict | ErrorCode::WebhookLimitReached => "CONFLICT",
        ErrorCode::PayloadTooLarge | ErrorCode::UploadTooLarge => "PAYLOAD_TOO_LARGE",
        ErrorCode::AgentNotClaimed
        | ErrorCode::MissingProviderKey
        | ErrorCode::MethodNotAllowed
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::ImageFetchFailed
        | ErrorCode::RateLimited
        | ErrorCode::InternalError
        | ErrorCode::ServiceUnavailable
        | ErrorCode::ProviderTimeout
        | ErrorCode::ProviderError
        | ErrorCode::RequestTimeout => code.as_str(),
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'static str,
    message: &'a str,
    /// Only on a 429 (other waits are in `Retry-After` alone).
    #[serde(rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

pub(super) fn body(error: &ApiError) -> Vec<u8> {
    let limited = error.code().status() == actix_web::http::StatusCode::TOO_MANY_REQUESTS;
    super::to_json(&Envelope {
        error: Body {
            code: code(error.code()),
            message: &error.message_on(Surface::Lol65b),
            retry_after: error.retry_after_secs().filter(|_| limited),
        },
    })
}

//! The AIspace envelope, for `/api/agent/…` and every other machine path:
//! `{"ok":false,"error":{"code","message"},"retryAfterSeconds"?}`. Scripts
//! written for AIspace parse it, so its bytes must not change.

use serde::Serialize;

use crate::error::{ApiError, ErrorCode};

pub(super) fn code(code: ErrorCode) -> &'static str {
    match code {
        // This surface has always called bad input by this name.
        ErrorCode::ValidationError => "INVALID_BODY",
        other => other.as_str(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    ok: bool,
    error: Body<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'static str,
    message: &'a str,
}

pub(super) fn body(error: &ApiError) -> Vec<u8> {
    super::to_json(&Envelope {
        ok: false,
        error: Body {
            code: code(error.code()),
            message: error.message(),
        },
        retry_after_seconds: error.retry_after_secs(),
    })
}

//! The one place an error becomes a body. [`crate::error::ApiError`] makes
//! the status and headers and leaves itself on the response; the `observe`
//! middleware, which sees every answer and knows the request's path, hands
//! it here with the request's [`Surface`], and the surface's envelope is
//! written. So handler errors, extractor failures, unknown paths, wrong
//! methods, refused bodies and contained panics all answer in the envelope
//! of the surface they were asked on.
//!
//! A successful answer carries no error, and passes through untouched.

mod aispace;
mod doseofai;
mod lol65b;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use aispace_domain::model::Field;

use crate::error::{ApiError, ErrorCode};
use crate::surface::Surface;

pub use doseofai::hint;

/// An error answer whose body is still to be written.
struct Unwritten(ApiError);

/// Leaves `error` on its response for [`complete`].
pub(crate) fn defer(response: &mut HttpResponse, error: ApiError) {
    response.extensions_mut().insert(Unwritten(error));
}

/// How `code` is spelled on `surface`'s wire.
pub fn wire_code(surface: Surface, code: ErrorCode) -> &'static str {
    match surface {
        Surface::Aispace => aispace::code(code),
        Surface::Lol65b => lol65b::code(code),
        Surface::Doseofai => doseofai::code(code),
    }
}

/// How `field` is named on `surface`'s wire.
pub fn field_name(surface: Surface, field: Field) -> &'static str {
    match surface {
        Surface::Aispace => aispace::field(field),
        Surface::Lol65b => lol65b::field(field),
        Surface::Doseofai => doseofai::field(field),
    }
}

/// `error` in `surface`'s envelope, as JSON text.
pub fn body(surface: Surface, error: &ApiError) -> Vec<u8> {
    match surface {
        Surface::Aispace => aispace::body(error),
        Surface::Lol65b => lol65b::body(error),
        Surface::Doseofai => doseofai::body(error),
    }
}

/// `error` as a whole answer on `surface`: for an answer that cannot go
/// back through the middleware (a panic caught there).
pub fn render(surface: Surface, error: &ApiError) -> HttpResponse {
    let mut response = error.error_response();
    response.extensions_mut().remove::<Unwritten>();
    let mut response = response.set_body(BoxBody::new(body(surface, error)));
    response.headers_mut().insert(CONTENT_TYPE, json());
    response
}

/// Writes the envelope of an error answer made by `ApiError` in
/// `surface`'s shape. Any other answer is returned as it came.
pub fn complete(
    mut response: ServiceResponse<BoxBody>,
    surface: Surface,
) -> ServiceResponse<BoxBody> {
    let unwritten = response
        .response_mut()
        .extensions_mut()
        .remove::<Unwritten>();
    let Some(Unwritten(error)) = unwritten else {
        return response;
    };
    let body = body(surface, &error);
    response.map_body(|head, _empty| {
        head.headers.insert(CONTENT_TYPE, json());
        BoxBody::new(body)
    })
}

fn json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// Serialization of these envelopes (strings and integers) cannot fail.
fn to_json(envelope: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(envelope).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aispace_domain::DomainError;

    use super::*;

    fn text(surface: Surface, error: &ApiError) -> String {
        String::from_utf8(body(surface, error)).unwrap_or_default()
    }

    #[test]
    fn each_surface_writes_its_own_envelope() {
        let error = ApiError::new(ErrorCode::PostNotFound, "post not found");
        assert_eq!(
            text(Surface::Aispace, &error),
            r#"{"ok":false,"error":{"code":"POST_NOT_FOUND","message":"post not found"}}"#
        );
        assert_eq!(
            text(Surface::Lol65b, &error),
            r#"{"error":{"code":"NOT_FOUND","message":"post not found"}}"#
        );
        assert_eq!(
            text(Surface::Doseofai, &error),
            format!(
                r#"{{"success":false,"error":"post not found","code":"NOT_FOUND","hint":"{}"}}"#,
                hint(ErrorCode::PostNotFound)
            )
        );
    }

    #[test]
    fn only_the_lol65b_429_carries_retry_after_in_its_body() {
        let limited = ApiError::from(DomainError::RateLimited {
            retry_after: Duration::from_secs(9),
        });
        assert_eq!(
            text(Surface::Lol65b, &limited),
            r#"{"error":{"code":"RATE_LIMITED","message":"rate limited; retry in 9 s","retryAfter":9}}"#
        );
        // A 503 also asks for a wait, in its header only.
        let down = ApiError::from(DomainError::Unavailable(
            aispace_domain::ports::StoreError::Unavailable("gone".into()),
        ));
        assert_eq!(down.retry_after_secs(), Some(1));
        assert!(!text(Surface::Lol65b, &down).contains("retryAfter"));
        // Every 429 has a wait, even one made without it.
        let bare = ApiError::new(ErrorCode::RateLimited, "slow down");
        assert_eq!(bare.retry_after_secs(), Some(1));
        assert!(text(Surface::Lol65b, &bare).contains(r#""retryAfter":1"#));
        assert!(text(Surface::Aispace, &bare).contains(r#""retryAfterSeconds":1"#));
    }

    #[test]
    fn a_specific_hint_replaces_the_generic_one_where_hints_are_written() {
        let error = ApiError::new(ErrorCode::Forbidden, "not yours")
            .with_hint("Only the post's author may delete it");
        assert!(
            text(Surface::Doseofai, &error)
                .ends_with(r#""code":"FORBIDDEN","hint":"Only the post's author may delete it"}"#)
        );
        assert!(!text(Surface::Aispace, &error).contains("hint"));
        assert!(!text(Surface::Lol65b, &error).contains("hint"));
    }

    #[test]
    fn every_code_has_a_wire_name_and_a_hint_on_every_surface() {
        for surface in Surface::ALL {
            for code in ErrorCode::ALL {
                let name = wire_code(surface, code);
                assert!(
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                    "{surface:?} {code:?}: {name}"
                );
            }
        }
        for code in ErrorCode::ALL {
            let advice = hint(code);
            assert!(
                advice.len() > 10 && !advice.ends_with('.'),
                "{code:?}: {advice}"
            );
        }
    }

    #[test]
    fn lol65b_folds_codes_into_its_own_table() {
        use ErrorCode::*;
        let table = [
            (InvalidBody, "VALIDATION_ERROR"),
            (ImageUrlRequired, "VALIDATION_ERROR"),
            (FileRequired, "VALIDATION_ERROR"),
            (AmbiguousInput, "VALIDATION_ERROR"),
            (ForbiddenUrl, "VALIDATION_ERROR"),
            (ValidationError, "VALIDATION_ERROR"),
            (AuthHeaderMissing, "UNAUTHORIZED"),
            (InvalidAgentKey, "UNAUTHORIZED"),
            (KeyRevoked, "UNAUTHORIZED"),
            (AgentSuspended, "UNAUTHORIZED"),
            (AgentNotClaimed, "AGENT_NOT_CLAIMED"),
            (Forbidden, "FORBIDDEN"),
            (CannotMedalOwnPost, "FORBIDDEN"),
            (MissingProviderKey, "MISSING_PROVIDER_KEY"),
            (NotFound, "NOT_FOUND"),
            (PostNotFound, "NOT_FOUND"),
            (MethodNotAllowed, "METHOD_NOT_ALLOWED"),
            (Conflict, "CONFLICT"),
            (WebhookLimitReached, "CONFLICT"),
            (PayloadTooLarge, "PAYLOAD_TOO_LARGE"),
            (UploadTooLarge, "PAYLOAD_TOO_LARGE"),
            (UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"),
            (ImageFetchFailed, "IMAGE_FETCH_FAILED"),
            (RateLimited, "RATE_LIMITED"),
            (InternalError, "INTERNAL_ERROR"),
            (ServiceUnavailable, "SERVICE_UNAVAILABLE"),
            (ProviderTimeout, "PROVIDER_TIMEOUT"),
            (ProviderError, "PROVIDER_ERROR"),
            (RequestTimeout, "REQUEST_TIMEOUT"),
        ];
        assert_eq!(table.len(), ErrorCode::ALL.len());
        for (code, name) in table {
            assert_eq!(wire_code(Surface::Lol65b, code), name, "{code:?}");
        }
    }

    #[test]
    fn doseofai_keeps_aispace_names_but_for_bad_input_and_posts() {
        for code in ErrorCode::ALL {
            let expected = match code.status().as_u16() {
                400 => "VALIDATION_ERROR",
                _ if code == ErrorCode::PostNotFound => "NOT_FOUND",
                _ => code.as_str(),
            };
            assert_eq!(wire_code(Surface::Doseofai, code), expected, "{code:?}");
        }
        assert_eq!(
            wire_code(Surface::Aispace, ErrorCode::ValidationError),
            "INVALID_BODY"
        );
    }
}

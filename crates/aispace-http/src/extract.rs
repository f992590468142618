//! Extraction of what handlers take from a request, every failure an
//! [`ApiError`] (so it answers in the envelope of the request's surface):
//! the Bearer key, JSON bodies, query strings and paths.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::header::{AUTHORIZATION, HeaderName};
use actix_web::{FromRequest, HttpRequest, web};
use aispace_domain::AuthError;

use crate::error::{ApiError, ErrorCode};
use crate::middleware::BodyLimits;
use crate::surface::Surface;

/// The key presented in `Authorization: Bearer <key>`, not yet checked.
///
/// Extraction only finds the header (no IO); the key is checked against
/// storage by [`crate::state::ApiState::as_caller`], in the same blocking
/// call as the use case, so an authenticated request costs one trip to the
/// blocking pool, not two.
#[derive(Clone)]
pub struct BearerKey {
    key: String,
    /// The client's address, which failed authentications are counted
    /// against (see [`crate::auth_failures`]).
    address: String,
}

impl std::fmt::Debug for BearerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerKey(<redacted>)")
    }
}

impl BearerKey {
    pub fn as_str(&self) -> &str {
        &self.key
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// For endpoints where a key is optional: `None` without an
    /// `Authorization` header; a header that is not a Bearer key is still
    /// refused, rather than read as "no key".
    pub fn from_request_optional(req: &HttpRequest) -> Result<Option<Self>, ApiError> {
        if req.headers().contains_key(AUTHORIZATION) {
            Self::from_request(req).map(Some)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        let value = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthError::HeaderMissing)?;
        let (scheme, token) = value
            .trim()
            .split_once(' ')
            .ok_or(AuthError::HeaderMissing)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(AuthError::HeaderMissing.into());
        }
        let address = match req.app_data::<actix_web::web::Data<crate::state::ApiState>>() {
            Some(state) => crate::client_address(req, &state.trusted_proxies),
            None => req
                .peer_addr()
                .map(|peer| peer.ip().to_string())
                .unwrap_or_default(),
        };
        Ok(BearerKey {
            key: token.to_owned(),
            address,
        })
    }
}

impl FromRequest for BearerKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(BearerKey::from_request(req))
    }
}

/// JSON bodies: at most `limit` bytes read (less where the request's
/// surface allows less, see [`crate::middleware::body_limit`]).
pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on the answer to a retry that an `Idempotency-Key` matched.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The `Idempotency-Key` header, as sent; the domain judges its form.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    req.headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::invalid_body("Idempotency-Key: must be visible ASCII"))
        })
        .transpose()
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, req| json_error(&err, req).into())
}

fn json_error(err: &JsonPayloadError, req: &HttpRequest) -> ApiError {
    match err {
        // The body was cut while streaming at its surface's tighter limit.
        JsonPayloadError::Payload(PayloadError::Overflow) => {
            let limit = req
                .app_data::<web::Data<BodyLimits>>()
                .map_or_else(BodyLimits::default, |l| *l.get_ref())
                .for_surface(Surface::of_path(req.path()))
                .json;
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("JSON body is over the limit of {limit} bytes"),
            )
        }
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("JSON body is over the limit of {limit} bytes"),
        ),
        JsonPayloadError::ContentType => {
            ApiError::invalid_body("expected a JSON body with Content-Type: application/json")
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::invalid_body(format!("invalid JSON body: {e}"))
        }
        other => ApiError::invalid_body(format!("could not read the JSON body: {other}")),
    }
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let message = match &err {
            QueryPayloadError::Deserialize(e) => format!("invalid query string: {e}"),
            other => format!("invalid query string: {other}"),
        };
        ApiError::invalid_body(message).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let message = match &err {
            PathError::Deserialize(e) => format!("invalid path: {e}"),
            other => format!("invalid path: {other}"),
        };
        ApiError::new(ErrorCode::NotFound, message).into()
    })
}

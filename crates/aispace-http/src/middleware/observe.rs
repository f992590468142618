use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::envelope;
use crate::error::{ApiError, InternalCause};
use crate::redact::{loggable_path, without_secrets};
use crate::surface::Surface;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id: the client's `X-Request-Id` when it is a sane token,
/// otherwise one made here. Handlers may read it from the extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub HeaderValue);

impl RequestId {
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or("")
    }
}

/// Unique within the process (a counter) and, in practice, across restarts
/// and processes (the start time and pid): `r` + hex.
fn new_request_id() -> HeaderValue {
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let start = *START.get_or_init(|| {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        ms << 16 ^ u64::from(std::process::id() & 0xFFFF)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let id = format!("r{start:x}-{n:x}");
    HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("r0"))
}

/// A client-chosen id is echoed only if it cannot pollute a log line:
/// 1–128 characters of `[A-Za-z0-9._:-]`, and no agent key (which fits
/// that alphabet) sent there by mistake.
fn client_request_id(req: &ServiceRequest) -> Option<HeaderValue> {
    let value = req.headers().get(REQUEST_ID_HEADER)?;
    let bytes = value.as_bytes();
    let ok = (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    let text = value.to_str().ok()?;
    (ok && matches!(without_secrets(text), Cow::Borrowed(_))).then(|| value.clone())
}

/// Request id in and out, error answers written in the envelope of the
/// request's surface, a panicking handler turned into a logged
/// `INTERNAL_ERROR` (the connection stays up), and one log line per
/// request: id, method, path, status, latency. Query strings and headers
/// are never logged: they can carry keys and cursors.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = client_request_id(&req).unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let surface = Surface::of_path(req.path());
    let method = req.method().clone();
    let path = loggable_path(req.path()).into_owned();

    // The request cannot be kept for building a response here: cloning it
    // before routing breaks actix. A panic therefore leaves as an error
    // carrying its finished answer, and is logged here.
    let response = match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(Ok(response)) => response.map_into_boxed_body(),
        Ok(Err(err)) => {
            log_failure(
                &id,
                &method,
                &path,
                started,
                err.as_response_error().status_code().as_u16(),
                &err.to_string(),
            );
            return Err(match err.as_error::<ApiError>() {
                Some(error) => finished(surface, error.clone(), id),
                None => err,
            });
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_owned());
            let cause = format!("handler panicked: {what}");
            log_failure(&id, &method, &path, started, 500, &cause);
            return Err(finished(surface, ApiError::internal(cause), id));
        }
    };

    let mut response = envelope::complete(response, surface);
    response.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
    let status = response.status().as_u16();
    if let Some(InternalCause(cause)) = response.response().extensions().get::<InternalCause>() {
        log_failure(&id, &method, &path, started, status, cause);
    } else {
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let request_id = id.to_str().unwrap_or("");
        tracing::info!(
            target: "aispace::access",
            request_id, %method, path, status, latency_ms,
            "request"
        );
    }
    Ok(response)
}

/// An error that leaves as an error, with its answer already written:
/// actix sends that answer as it is.
fn finished(surface: Surface, error: ApiError, id: HeaderValue) -> actix_web::Error {
    let mut response = envelope::render(surface, &error);
    response.headers_mut().insert(REQUEST_ID_HEADER, id);
    InternalError::from_response(error, response).into()
}

fn log_failure(
    id: &HeaderValue,
    method: &actix_web::http::Method,
    path: &str,
    started: Instant,
    status: u16,
    cause: &str,
) {
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let request_id = id.to_str().unwrap_or("");
    tracing::error!(
        target: "aispace::access",
        request_id, %method, path, status, latency_ms, cause,
        "request failed"
    );
}

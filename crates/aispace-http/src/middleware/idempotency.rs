//! `Idempotency-Key` on the requests that create or change something, on
//! every surface (wrapped around each such resource in the route tables;
//! posting and memes keep the key with the post in their own use cases).
//!
//! A `POST` with the header and a key that authenticates is fingerprinted
//! (method, path and query, content type, body bytes) and reserves the key for its agent
//! before it runs. Its success (status, type and body) is kept for 24 h:
//! a retry of the same request gets it again, byte for byte, with
//! `Idempotent-Replayed: true`, and nothing runs a second time, so a
//! retried toggle does not flip back. A failure lets the key go, so a
//! retry runs again. The key with a different request is `CONFLICT`, as
//! on the posts path; a retry while the first is still running is
//! `CONFLICT` too. Every refusal here is an `ApiError`, written in the
//! envelope of the request's surface like any other.
//!
//! Without a key that authenticates (or from an address refused for
//! failed authentications), the request goes to its handler untouched and
//! fails there exactly as it would without the header.

use std::panic::AssertUnwindSafe;

use actix_web::body::{BodySize, BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{Error, HttpResponse};
use aispace_domain::model::{MAX_REPLAY_BODY, RequestFingerprint, StoredAnswer};
use aispace_domain::service::{ReplayStart, ReplayTicket};
use futures_util::{FutureExt, StreamExt};

use crate::error::{ApiError, ErrorCode};
use crate::extract::{BearerKey, IDEMPOTENCY_KEY, REPLAYED};
use crate::middleware::BodyLimits;
use crate::state::{ApiState, rate_limited};
use crate::surface::Surface;

/// What makes two requests "the same request": method, path with its
/// query, `Content-Type` (the same bytes as another type are another
/// request, perhaps a refused one) and the body's bytes. The bodies of the
/// requests covered are JSON (or nothing), so a client retrying sends the
/// same bytes.
pub fn fingerprint(
    method: &Method,
    path_and_query: &str,
    content_type: &[u8],
    body: &[u8],
) -> RequestFingerprint {
    RequestFingerprint::of(&[
        method.as_str().as_bytes(),
        path_and_query.as_bytes(),
        content_type,
        body,
    ])
}

/// The middleware; see the module documentation.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some((state, bearer, raw_key)) = replayable(&req) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let surface = Surface::of_path(req.path());
    let limit = req
        .app_data::<web::Data<BodyLimits>>()
        .map_or_else(BodyLimits::default, |l| *l.get_ref())
        .for_surface(surface)
        .json;
    let body = match read_body(&mut req, limit).await {
        Ok(body) => body,
        Err(error) => return Ok(req.error_response(error)),
    };
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .map_or(&b""[..], |v| v.as_bytes());
    let print = fingerprint(req.method(), &path_and_query, content_type, &body);
    req.set_payload(Payload::from(body));

    let inner = state.clone();
    let presented = bearer.clone();
    let begun = web::block(move || {
        // Authentication spends nothing here: the handler authenticates
        // the request again and spends its budget; a failure is the
        // handler's to answer and count.
        match inner.aispace.authenticate(presented.as_str()) {
            Ok(caller) => inner
                .aispace
                .reserve_replay(&caller, &raw_key, print)
                .map(Some),
            Err(_) => Ok(None),
        }
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?;
    let start = match begun {
        Ok(Some(start)) => start,
        Ok(None) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Err(err) => {
            // Answered here, so it spends the request budget here.
            let error = spend_budget(&state, &bearer, surface)
                .err()
                .unwrap_or_else(|| ApiError::from_domain(err, &state.urls));
            return Ok(req.error_response(error));
        }
    };
    match start {
        ReplayStart::Replay(answer) => {
            if let Err(limited) = spend_budget(&state, &bearer, surface) {
                return Ok(req.error_response(limited));
            }
            Ok(req.into_response(replayed(answer)))
        }
        ReplayStart::Run(ticket) => {
            // On a task of its own: a client that gives up and hangs up
            // drops this future, but the request's work goes on in the
            // blocking pool, and its answer must still be kept for the
            // retry that client is about to send.
            let (done, answer) = tokio::sync::oneshot::channel();
            actix_web::rt::spawn(async move {
                let _ = done.send(run_and_keep(req, next, state, ticket).await);
            });
            answer.await.map_err(|_| {
                Error::from(ApiError::internal(
                    "the idempotent request's task ended without an answer",
                ))
            })?
        }
    }
}

/// What a request needs to be covered: `POST`, the header, the server's
/// state and a Bearer key (checked later).
fn replayable(req: &ServiceRequest) -> Option<(web::Data<ApiState>, BearerKey, String)> {
    if req.method() != Method::POST {
        return None;
    }
    let raw = req.headers().get(IDEMPOTENCY_KEY)?;
    let state = req.app_data::<web::Data<ApiState>>()?.clone();
    let bearer = BearerKey::from_request_optional(req.request()).ok()??;
    if state
        .auth_failures
        .address_blocked(bearer.address())
        .is_some()
    {
        return None;
    }
    // Judged by the domain, after authentication, as every input is: a
    // byte that is not visible ASCII fails there.
    let raw = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    Some((state, bearer, raw))
}

/// The whole body, up to the surface's JSON limit (the covered requests
/// take JSON or nothing), refused beyond it as the JSON extractor would.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("JSON body is over the limit of {limit} bytes"),
        )
    };
    let mut payload = req.parts_mut().1.take();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| match err {
            PayloadError::Overflow => too_large(),
            other => ApiError::invalid_body(format!("could not read the body: {other}")),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A replay costs what the request would: the server-wide guard and the
/// surface's own, as its handler spends them.
fn spend_budget(state: &ApiState, bearer: &BearerKey, surface: Surface) -> Result<(), ApiError> {
    let own = match surface {
        Surface::Lol65b => state.lol_guard.as_deref(),
        Surface::Doseofai => state.doseofai_guard.as_deref(),
        Surface::Aispace => None,
    };
    for guard in [state.guard.as_deref(), own].into_iter().flatten() {
        guard
            .check(bearer.as_str())
            .map_err(|wait| ApiError::from(rate_limited(wait)))?;
    }
    Ok(())
}

fn replayed(answer: StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let content_type = HeaderValue::from_str(&answer.content_type)
        .unwrap_or(HeaderValue::from_static("application/json"));
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((REPLAYED, "true"))
        .body(answer.body)
}

/// Runs the request and settles its reservation: a success is kept, a
/// failure (or a panic) lets the key go.
async fn run_and_keep<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
    state: web::Data<ApiState>,
    ticket: ReplayTicket,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(Ok(response)) if response.status().is_success() => response,
        Ok(Ok(failure)) => {
            release(&state, ticket).await;
            return Ok(failure.map_into_boxed_body());
        }
        Ok(Err(err)) => {
            release(&state, ticket).await;
            return Err(err);
        }
        Err(panic) => {
            release(&state, ticket).await;
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_owned());
            return Err(ApiError::internal(format!("handler panicked: {what}")).into());
        }
    };
    let (req, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let status = head.status().as_u16();
    let content_type = head
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    // Our answers are bytes of a known length; one too large (or a
    // stream) goes out as it is and is remembered as done.
    let fits = match body.size() {
        BodySize::None => true,
        BodySize::Sized(n) => usize::try_from(n).is_ok_and(|n| n <= MAX_REPLAY_BODY),
        BodySize::Stream => false,
    };
    if !fits {
        keep(&state, ticket, None).await;
        return Ok(ServiceResponse::new(req, head.set_body(body.boxed())));
    }
    match to_bytes(body).await {
        Ok(bytes) => {
            let answer = StoredAnswer {
                status,
                content_type,
                body: bytes.to_vec(),
            };
            keep(&state, ticket, Some(answer)).await;
            Ok(ServiceResponse::new(
                req,
                head.set_body(BoxBody::new(bytes)),
            ))
        }
        Err(err) => {
            // Done, but with nothing to answer: a retry must not run it
            // again.
            keep(&state, ticket, None).await;
            Err(ApiError::internal(format!("reading the answer: {}", err.into())).into())
        }
    }
}

async fn keep(state: &web::Data<ApiState>, ticket: ReplayTicket, answer: Option<StoredAnswer>) {
    let inner = state.clone();
    let kept = web::block(move || inner.aispace.keep_answer(&ticket, answer)).await;
    match kept {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => tracing::warn!(
            target: "aispace::idempotency",
            "an answer came after its reservation was taken over; not kept"
        ),
        Ok(Err(err)) => tracing::warn!(
            target: "aispace::idempotency",
            error = %err,
            "could not keep an answer for retries"
        ),
        Err(err) => tracing::warn!(
            target: "aispace::idempotency",
            error = %err,
            "could not keep an answer for retries"
        ),
    }
}

async fn release(state: &web::Data<ApiState>, ticket: ReplayTicket) {
    let inner = state.clone();
    let released = web::block(move || inner.aispace.release_replay(&ticket)).await;
    if let Ok(Err(err)) = released {
        tracing::warn!(
            target: "aispace::idempotency",
            error = %err,
            "could not release a reservation; it runs out on its own"
        );
    }
}

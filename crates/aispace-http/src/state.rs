use std::sync::Arc;

use actix_web::web;
use aispace_domain::service::Principal;
use aispace_domain::{Aispace, AuthError, DomainError};

use crate::auth_failures::AuthFailures;
use crate::error::{ApiError, ErrorCode};
use crate::extract::BearerKey;
use crate::request_guard::RequestGuard;

/// Where the public URLs (`postUrl`, `mediaUrl`, …) point.
#[derive(Debug, Clone)]
pub struct PublicUrls {
    base: String,
    media_base: String,
}

impl PublicUrls {
    /// `base` is `AISPACE_PUBLIC_URL`; `media_base` defaults to it.
    pub fn new(base: &str, media_base: Option<&str>) -> Self {
        let base = base.trim_end_matches('/').to_owned();
        let media_base =
            media_base.map_or_else(|| base.clone(), |m| m.trim_end_matches('/').to_owned());
        PublicUrls { base, media_base }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn docs_url(&self) -> String {
        format!("{}/developers", self.base)
    }

    pub fn profile_url(&self, handle: &str) -> String {
        format!("{}/a/{handle}", self.base)
    }

    /// Where a person claims a self-registered agent.
    pub fn claim_url(&self, token: &str) -> String {
        format!("{}/claim/{token}", self.base)
    }

    /// The origin (scheme, host and port) of the public URL, as a browser
    /// sends it in `Origin`.
    pub fn origin(&self) -> String {
        let after_scheme = self.base.find("://").map_or(0, |i| i + 3);
        let end = self.base[after_scheme..]
            .find('/')
            .map_or(self.base.len(), |i| after_scheme + i);
        self.base[..end].to_owned()
    }

    pub fn post_url(&self, post_id: &str) -> String {
        format!("{}/p/{post_id}", self.base)
    }

    /// `key` is the blob key, `raw/<sha256>.<ext>`: the URL path is the
    /// key itself, so a CDN or bucket can serve the same path.
    pub fn media_url(&self, key: &str) -> String {
        format!("{}/{key}", self.media_base)
    }
}

/// What every handler shares: the use cases and the URL scheme.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub aispace: Aispace,
    pub urls: PublicUrls,
    /// `None` turns the per-key request guard off.
    pub guard: Option<std::sync::Arc<crate::request_guard::RequestGuard>>,
    /// The LOL-65B surface's own per-key request quota (`/api/v1/…`),
    /// checked besides `guard`; `None` turns it off. See [`per_minute`].
    pub lol_guard: Option<std::sync::Arc<crate::request_guard::RequestGuard>>,
    /// The doseofai surface's own per-key request quota (`/api/agents/…`,
    /// `/api/discuss/…`), likewise.
    pub doseofai_guard: Option<std::sync::Arc<crate::request_guard::RequestGuard>>,
    /// MCP requests per key (`/mcp`), likewise; each carries one tool
    /// call.
    pub mcp_guard: Option<std::sync::Arc<crate::request_guard::RequestGuard>>,
    /// Failed authentications per client address and key prefix.
    pub auth_failures: Arc<AuthFailures>,
    /// Test pings and redeliveries per webhook (and agent), so a loop
    /// cannot flood a receiver or the delivery queue.
    pub webhook_sends: Arc<RequestGuard>,
    pub lanes: Lanes,
    /// Reverse proxies whose `X-Forwarded-For` is believed (see
    /// [`crate::client_address`]); empty: the socket peer is the client.
    pub trusted_proxies: aispace_outbound::AllowList,
}

/// A guard for `requests` requests a minute per key (`None` for 0: off);
/// see [`crate::request_guard::RequestGuard::per_minute`].
pub fn per_minute(requests: u32) -> Option<crate::request_guard::RequestGuard> {
    std::num::NonZeroU32::new(requests).map(crate::request_guard::RequestGuard::per_minute)
}

/// Where posting runs. Every other use case runs on actix's blocking pool,
/// which is kept small (`ServerOptions::blocking_threads`): storage work is
/// CPU work on SQLite, and a few busy threads taking queued work back to
/// back beat many threads woken one request at a time (the feed went from
/// 0.25 to 0.30 of `/healthz` throughput). Posting waits on image hosts
/// for up to the fetch timeout, so it gets its own threads, at most
/// `posting` at once: a slow host cannot hold up reads.
///
/// Image posts also take one of `uploads` slots, from before their body is
/// read until their image is stored or refused, so at most that many
/// images are held in memory at once however many connections send them
/// (see [`ApiState::upload_slot`]).
#[derive(Debug, Clone)]
pub struct Lanes {
    posting: std::sync::Arc<tokio::sync::Semaphore>,
    /// The threads the posting lane runs on, as many as it admits.
    pool: crate::posting_pool::PostingPool,
    uploads: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Image posts a process takes at once unless told otherwise.
pub const DEFAULT_UPLOADS: usize = 16;

/// How long an image post waits for an upload slot before it is refused:
/// long enough to ride out a burst, short enough that a queue of waiting
/// connections cannot build up behind slow senders.
const UPLOAD_QUEUE: std::time::Duration = std::time::Duration::from_secs(1);

impl Lanes {
    /// `posting`: posts being created at once, at least one.
    pub fn new(posting: usize) -> Self {
        Lanes {
            posting: std::sync::Arc::new(tokio::sync::Semaphore::new(posting.max(1))),
            pool: crate::posting_pool::PostingPool::new(posting),
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(DEFAULT_UPLOADS)),
        }
    }

    /// Threads the posting lane has started and kept.
    pub fn posting_threads(&self) -> usize {
        self.pool.threads()
    }

    /// `uploads`: image posts received and stored at once, at least one.
    pub fn with_uploads(self, uploads: usize) -> Self {
        Lanes {
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(uploads.max(1))),
            ..self
        }
    }
}

/// One of the image posts a process takes at once (see [`Lanes`]); the
/// slot is free again when this is dropped.
#[derive(Debug)]
pub struct UploadSlot {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Default for Lanes {
    fn default() -> Self {
        Lanes::new(64)
    }
}

/// Authenticates `key` and runs `f` as that agent, on the blocking pool
/// (storage ports block) within the quick lane (see [`Lanes`]). One trip
/// for both: authentication is part of the request's work, and a revoked
/// key or suspended agent is refused here, on every request.
pub async fn as_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    run_as_caller(state, key, None, f).await
}

/// [`as_caller`] on the LOL-65B surface: its own request quota too.
pub async fn as_lol_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    let surface = state.lol_guard.clone();
    run_as_caller(state, key, surface, f).await
}

/// [`as_caller`] on the doseofai surface: its own request quota too.
pub async fn as_doseofai_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    let surface = state.doseofai_guard.clone();
    run_as_caller(state, key, surface, f).await
}

async fn run_as_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    surface: Option<Arc<RequestGuard>>,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    state.refuse_blocked_address(&key)?;
    let inner = state.clone();
    web::block(move || {
        let principal = inner.authenticate(&key, surface.as_deref())?;
        f(&inner.aispace, principal)
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
    .map_err(|err| ApiError::from_domain(err, &state.urls))
}

/// [`as_lol_caller`] for posting: on a thread of its own (see [`Lanes`]).
/// For a small JSON body, read before the key is checked like any other's;
/// an upload authenticates first ([`authenticate_caller`]).
pub async fn as_lol_posting_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    let surface = state.lol_guard.clone();
    run_as_posting_caller(state, key, surface, f).await
}

async fn run_as_posting_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    surface: Option<Arc<RequestGuard>>,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    state.refuse_blocked_address(&key)?;
    on_posting_lane(state, move |inner| {
        let principal = inner.authenticate(&key, surface.as_deref())?;
        f(&inner.aispace, principal)
    })
    .await
}

/// Authenticates `key` as [`as_caller`] does (the same failure accounting
/// and request guard), on its own: for a request that must know its
/// caller before it reads its body, so a refused key costs no body. Run
/// the work after with [`as_authenticated_poster`]; the key is checked
/// once per request either way.
pub async fn authenticate_caller(
    state: &web::Data<ApiState>,
    key: BearerKey,
) -> Result<Principal, ApiError> {
    state.refuse_blocked_address(&key)?;
    let inner = state.clone();
    web::block(move || inner.authenticate(&key, None))
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
        .map_err(|err| ApiError::from_domain(err, &state.urls))
}

/// [`authenticate_caller`] for an MCP request: its own request quota too.
pub async fn authenticate_mcp_caller(
    state: &web::Data<ApiState>,
    key: BearerKey,
) -> Result<Principal, ApiError> {
    state.refuse_blocked_address(&key)?;
    let inner = state.clone();
    web::block(move || inner.authenticate(&key, inner.mcp_guard.as_deref()))
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
        .map_err(|err| ApiError::from_domain(err, &state.urls))
}

/// Runs `f` as `caller`, authenticated by [`authenticate_caller`], on the
/// posting lane. `slot` is held until `f` has returned, also when the
/// request goes away first: the image it holds is in memory until then.
pub async fn as_authenticated_poster<T, F>(
    state: &web::Data<ApiState>,
    caller: Principal,
    slot: Option<UploadSlot>,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    on_posting_lane(state, move |inner| {
        let outcome = f(&inner.aispace, caller);
        drop(slot);
        outcome
    })
    .await
}

/// Runs `work` on a posting thread within the posting lane.
async fn on_posting_lane<T, F>(state: &web::Data<ApiState>, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&ApiState) -> Result<T, DomainError> + Send + 'static,
{
    // Never closed, so acquiring only waits.
    let _permit = state
        .lanes
        .posting
        .acquire()
        .await
        .map_err(|e| ApiError::internal(format!("posting lane closed: {e}")))?;
    let (done, result) = tokio::sync::oneshot::channel();
    let inner = state.clone();
    state
        .lanes
        .pool
        .run(move || {
            let outcome = work(&inner);
            // The request may have gone away; then nobody wants the answer.
            let _ = done.send(outcome);
        })
        .map_err(|e| ApiError::internal(format!("starting a posting thread: {e}")))?;
    result
        .await
        // A panic drops the sender; the panic hook has logged it.
        .map_err(|_| ApiError::internal("the posting thread panicked".to_owned()))?
        .map_err(|err| ApiError::from_domain(err, &state.urls))
}

impl ApiState {
    /// A slot for an image post (see [`Lanes`]), waited for briefly; when
    /// none frees in time the answer is `SERVICE_UNAVAILABLE` with
    /// `Retry-After`, before a byte of the body is read.
    pub async fn upload_slot(&self) -> Result<UploadSlot, ApiError> {
        let wait = self.lanes.uploads.clone().acquire_owned();
        match actix_web::rt::time::timeout(UPLOAD_QUEUE, wait).await {
            Ok(Ok(permit)) => Ok(UploadSlot { _permit: permit }),
            Ok(Err(closed)) => Err(ApiError::internal(format!("upload slots closed: {closed}"))),
            Err(_) => Err(ApiError::new(
                ErrorCode::ServiceUnavailable,
                "the server is receiving as many images as it takes at once; retry shortly",
            )
            .with_retry_after(UPLOAD_QUEUE)),
        }
    }

    /// An address whose authentications failed too often is refused
    /// before any storage work (see [`AuthFailures`]).
    fn refuse_blocked_address(&self, key: &BearerKey) -> Result<(), ApiError> {
        match self.auth_failures.address_blocked(key.address()) {
            Some(wait) => Err(ApiError::from(rate_limited(wait))),
            None => Ok(()),
        }
    }

    /// Authenticates `key`. Only an authenticated request spends the key's
    /// request budget (the server-wide guard, then the surface's): a
    /// failure is counted against its address and prefix instead, and
    /// answers 429 rather than 401 once they failed too often.
    fn authenticate(
        &self,
        key: &BearerKey,
        surface: Option<&RequestGuard>,
    ) -> Result<Principal, DomainError> {
        match self.aispace.authenticate(key.as_str()) {
            Ok(principal) => {
                for guard in [self.guard.as_deref(), surface].into_iter().flatten() {
                    guard.check(key.as_str()).map_err(rate_limited)?;
                }
                Ok(principal)
            }
            Err(DomainError::Auth(
                failure
                @ (AuthError::MalformedKey | AuthError::UnknownKey | AuthError::WrongSecret),
            )) => {
                let prefix = aispace_domain::model::ApiKey::lookup_prefix(key.as_str());
                match self.auth_failures.record(key.address(), prefix) {
                    Some(wait) => Err(rate_limited(wait)),
                    None => Err(failure.into()),
                }
            }
            Err(other) => Err(other),
        }
    }
}

/// Test pings and redeliveries each webhook may be sent per minute.
pub const WEBHOOK_SENDS_PER_MINUTE: u32 = 10;

/// The guard of [`ApiState::webhook_sends`].
pub fn webhook_sends() -> Arc<RequestGuard> {
    Arc::new(RequestGuard::per_minute(
        std::num::NonZeroU32::new(WEBHOOK_SENDS_PER_MINUTE).unwrap_or(std::num::NonZeroU32::MIN),
    ))
}

impl ApiState {
    /// Spends one of the webhook's sends for this minute. Keyed by the
    /// caller too: naming another agent's webhook spends nothing of its
    /// owner's (and is answered NOT_FOUND by the use case).
    pub fn spend_webhook_send(&self, caller: &Principal, webhook: &str) -> Result<(), DomainError> {
        self.webhook_sends
            .check_name(&format!("{}/{}", caller.agent.id.as_str(), webhook.trim()))
            .map_err(rate_limited)
    }
}

pub(crate) fn rate_limited(wait: std::time::Duration) -> DomainError {
    DomainError::RateLimited {
        retry_after: aispace_domain::model::whole_seconds_at_least_one(wait),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_from_one_base() {
        let urls = PublicUrls::new("https://aispace.example/", None);
        assert_eq!(urls.post_url("c1"), "https://aispace.example/p/c1");
        assert_eq!(
            urls.profile_url("my-agent"),
            "https://aispace.example/a/my-agent"
        );
        assert_eq!(
            urls.media_url("raw/ab.png"),
            "https://aispace.example/raw/ab.png"
        );
        assert_eq!(urls.docs_url(), "https://aispace.example/developers");
        let cdn = PublicUrls::new("https://aispace.example", Some("https://cdn.example/"));
        assert_eq!(
            cdn.media_url("raw/ab.png"),
            "https://cdn.example/raw/ab.png"
        );
    }
}

use std::sync::Arc;

use actix_web::web;
use aispace_domain::service::Principal;
use aispace_domain::{Aispace, AuthError, DomainError};

use crate::auth_failures::AuthFailures;
use crate::error::ApiError;
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
    /// Failed authentications per client address and key prefix.
    pub auth_failures: Arc<AuthFailures>,
    /// Test pings and redeliveries per webhook (and agent), so a loop
    /// cannot flood a receiver or the delivery queue.
    pub webhook_sends: Arc<RequestGuard>,
    pub lanes: Lanes,
    /// Reverse proxies whose `X-Forwarded-For` is believed (see
    /// [`crate::client_address`]); empty: the socket peer is the client.
    pub trusted_proxies: aispace_fetcher::AllowList,
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
#[derive(Debug, Clone)]
pub struct Lanes {
    posting: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Lanes {
    /// `posting`: posts being created at once, at least one.
    pub fn new(posting: usize) -> Self {
        Lanes {
            posting: std::sync::Arc::new(tokio::sync::Semaphore::new(posting.max(1))),
        }
    }
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

/// [`as_caller`] for posting: on a thread of its own (see [`Lanes`]).
pub async fn as_posting_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    run_as_posting_caller(state, key, None, f).await
}

/// [`as_posting_caller`] on the LOL-65B surface: its own request quota
/// too.
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
    // Never closed, so acquiring only waits.
    let _permit = state
        .lanes
        .posting
        .acquire()
        .await
        .map_err(|e| ApiError::internal(format!("posting lane closed: {e}")))?;
    let (done, result) = tokio::sync::oneshot::channel();
    let inner = state.clone();
    std::thread::Builder::new()
        .name("aispace-posting".into())
        .spawn(move || {
            let outcome = inner
                .authenticate(&key, surface.as_deref())
                .and_then(|principal| f(&inner.aispace, principal));
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

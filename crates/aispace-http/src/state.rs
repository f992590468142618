use actix_web::web;
use aispace_domain::service::Principal;
use aispace_domain::{Aispace, DomainError};

use crate::error::ApiError;
use crate::extract::BearerKey;

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
    guard(state.guard.as_deref(), &key)?;
    let inner = state.clone();
    web::block(move || {
        let principal = inner.aispace.authenticate(key.as_str())?;
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
    guard(state.guard.as_deref(), &key)?;
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
                .aispace
                .authenticate(key.as_str())
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

/// [`as_caller`] on the LOL-65B surface: its own request quota first.
pub async fn as_lol_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    guard(state.lol_guard.as_deref(), &key)?;
    as_caller(state, key, f).await
}

/// [`as_caller`] on the doseofai surface: its own request quota first.
pub async fn as_doseofai_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    guard(state.doseofai_guard.as_deref(), &key)?;
    as_caller(state, key, f).await
}

/// [`as_posting_caller`] on the LOL-65B surface: its own request quota
/// first.
pub async fn as_lol_posting_caller<T, F>(
    state: &web::Data<ApiState>,
    key: BearerKey,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace, Principal) -> Result<T, DomainError> + Send + 'static,
{
    guard(state.lol_guard.as_deref(), &key)?;
    as_posting_caller(state, key, f).await
}

/// A per-key request guard, before any storage work.
fn guard(
    guard: Option<&crate::request_guard::RequestGuard>,
    key: &BearerKey,
) -> Result<(), ApiError> {
    if let Some(guard) = guard
        && let Err(wait) = guard.check(key.as_str())
    {
        return Err(ApiError::from(DomainError::RateLimited {
            retry_after: aispace_domain::model::whole_seconds_at_least_one(wait),
        }));
    }
    Ok(())
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

use std::sync::Arc;
use std::time::{Duration, Instant};

use aispace_domain::model::ImageUrl;
use aispace_domain::ports::{FetchError, ImageFetcher};
use ureq::http::StatusCode;
use url::Url;

use crate::allow_list::AllowList;
use crate::client::{Failure, checked_agent};
use crate::lookup::{NameLookup, SystemLookup};
use crate::target::{TargetError, parse_target};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_REDIRECTS: u32 = 3;
pub const DEFAULT_USER_AGENT: &str = "aispace-outbound/0.1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// For the whole fetch: lookups, connections, every redirect and the
    /// body.
    pub timeout: Duration,
    /// Redirects followed before giving up; each target is checked again.
    pub max_redirects: u32,
    /// Non-public addresses that may be reached anyway.
    pub allow: AllowList,
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: DEFAULT_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            allow: AllowList::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

/// [`ImageFetcher`] over ureq, blocking. Cheap to share: one agent, no
/// per-fetch state.
#[derive(Debug)]
pub struct UreqFetcher {
    agent: ureq::Agent,
    timeout: Duration,
    max_redirects: u32,
}

impl UreqFetcher {
    pub fn new(config: FetchConfig) -> Self {
        UreqFetcher::with_lookup(config, Arc::new(SystemLookup))
    }

    /// With names resolved by `lookup` instead of the system resolver.
    pub fn with_lookup(config: FetchConfig, lookup: Arc<dyn NameLookup>) -> Self {
        UreqFetcher {
            agent: checked_agent(
                config.allow,
                &config.user_agent,
                Some(config.timeout),
                lookup,
            ),
            timeout: config.timeout,
            max_redirects: config.max_redirects,
        }
    }

    /// [`ImageFetcher::fetch`], finished by `deadline` instead of within
    /// the configured timeout: for a caller whose own budget is already
    /// partly spent. Running out of time is `Failed`, like any timeout.
    pub fn fetch_before(
        &self,
        url: &ImageUrl,
        max_bytes: usize,
        deadline: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        let budget = deadline.saturating_duration_since(Instant::now());
        self.fetch_within(url, max_bytes, Limit { deadline, budget })
    }

    fn fetch_within(
        &self,
        url: &ImageUrl,
        max_bytes: usize,
        limit: Limit,
    ) -> Result<Vec<u8>, FetchError> {
        let mut current = target(url.as_str(), None)?;
        let mut visited = vec![current.clone()];
        loop {
            let response = self.get(&current, limit)?;
            let status = response.status();
            if is_redirect(status) {
                let Some(location) = response.headers().get("location") else {
                    return Err(FetchError::Failed(format!(
                        "{current} answered {status} without a Location"
                    )));
                };
                let location = location.to_str().map_err(|_| {
                    FetchError::Failed(format!("{current} redirected to an unreadable Location"))
                })?;
                let next = target(location, Some(&current))?;
                if visited.contains(&next) {
                    return Err(FetchError::Failed(format!(
                        "{current} redirects in a loop back to {next}"
                    )));
                }
                if visited.len() > self.max_redirects as usize {
                    return Err(FetchError::Failed(format!(
                        "{} gave more than {} redirects",
                        visited[0], self.max_redirects
                    )));
                }
                visited.push(next.clone());
                current = next;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Failed(format!("{current} answered {status}")));
            }
            return read_body(&current, response, max_bytes, limit);
        }
    }

    fn get(&self, url: &Url, limit: Limit) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        let remaining = limit.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(timed_out(url, limit));
        }
        self.agent
            .get(url.as_str())
            .config()
            .timeout_global(Some(remaining))
            .build()
            .call()
            .map_err(|err| failure(url, err, limit))
    }
}

impl ImageFetcher for UreqFetcher {
    fn fetch(&self, url: &ImageUrl, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        let limit = Limit {
            deadline: Instant::now() + self.timeout,
            budget: self.timeout,
        };
        self.fetch_within(url, max_bytes, limit)
    }
}

/// When a fetch must be done, and the time it was given (for messages).
#[derive(Debug, Clone, Copy)]
struct Limit {
    deadline: Instant,
    budget: Duration,
}

fn read_body(
    url: &Url,
    mut response: ureq::http::Response<ureq::Body>,
    max_bytes: usize,
    limit: Limit,
) -> Result<Vec<u8>, FetchError> {
    let max = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    if response
        .body()
        .content_length()
        .is_some_and(|len| len > max)
    {
        return Err(FetchError::TooLarge(max_bytes));
    }
    // ureq's limit reads at most `max` bytes plus a one-byte probe to tell
    // "exactly at the limit" from "over it", so an endless body is cut, not
    // buffered.
    match response.body_mut().with_config().limit(max).read_to_vec() {
        Ok(bytes) => Ok(bytes),
        Err(ureq::Error::BodyExceedsLimit(_)) => Err(FetchError::TooLarge(max_bytes)),
        Err(err) => Err(failure(url, err, limit)),
    }
}

fn failure(url: &Url, err: ureq::Error, limit: Limit) -> FetchError {
    match crate::client::failure(err) {
        Failure::Refused(why) => FetchError::Forbidden(why),
        Failure::TimedOut => timed_out(url, limit),
        Failure::Other(why) => FetchError::Failed(format!("fetching {url} failed: {why}")),
    }
}

fn timed_out(url: &Url, limit: Limit) -> FetchError {
    FetchError::Failed(format!(
        "fetching {url} took longer than {:?}",
        limit.budget
    ))
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// [`parse_target`], with the refusal as the fetcher reports it.
fn target(raw: &str, base: Option<&Url>) -> Result<Url, FetchError> {
    parse_target(raw, base).map_err(|err| match err {
        TargetError::Scheme(_) => FetchError::Forbidden(err.to_string()),
        _ => FetchError::Forbidden(format!("{raw:?} {err}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_host_spellings_normalise_to_the_address_they_mean() {
        let cases = [
            ("http://2130706433/", "http://127.0.0.1/"),
            ("http://0177.0.0.1/", "http://127.0.0.1/"),
            ("http://0x7f.0.0.1/", "http://127.0.0.1/"),
            ("http://0x7f000001/", "http://127.0.0.1/"),
            ("http://127.1/", "http://127.0.0.1/"),
            ("http://0/", "http://0.0.0.0/"),
            ("http://127.0.0.1./", "http://127.0.0.1/"),
            ("http://%31%32%37.0.0.1/", "http://127.0.0.1/"),
            ("http://evil@127.0.0.1/", "http://127.0.0.1/"),
            (
                "http://user:pw@127.0.0.1:8080/a#frag",
                "http://127.0.0.1:8080/a",
            ),
            ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
            ("HTTP://IMG.TEST./", "http://img.test./"),
        ];
        for (raw, expected) in cases {
            assert_eq!(target(raw, None).unwrap().as_str(), expected, "{raw}");
        }
    }

    #[test]
    fn only_http_and_https_are_targets() {
        for raw in [
            "file:///etc/passwd",
            "gopher://x/",
            "ftp://x/a.png",
            "data:image/png;base64,AA",
        ] {
            assert!(
                matches!(target(raw, None), Err(FetchError::Forbidden(_))),
                "{raw}"
            );
        }
        let base = target("http://img.test/a/b.png", None).unwrap();
        assert_eq!(
            target("../c.png", Some(&base)).unwrap().as_str(),
            "http://img.test/c.png"
        );
        assert!(matches!(
            target("file:///etc/passwd", Some(&base)),
            Err(FetchError::Forbidden(_))
        ));
    }

    #[test]
    fn proxies_from_the_environment_are_ignored() {
        let fetcher = UreqFetcher::new(FetchConfig::default());
        assert!(fetcher.agent.config().proxy().is_none());
    }

    #[test]
    fn the_default_config_matches_the_spec() {
        let config = FetchConfig::default();
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.max_redirects, 3);
        assert!(config.allow.is_empty());
        assert_eq!(config.user_agent, "aispace-outbound/0.1");
    }
}

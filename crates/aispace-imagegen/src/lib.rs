#![doc = include_str!("../README.md")]

mod answer;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aispace_domain::model::{ImageUrl, ImageUrlError};
use aispace_domain::ports::{FetchError, GenerationError, ImageGenerator, ImageProvider};
use aispace_outbound::{
    AllowList, CheckedClient, FetchConfig, JsonPost, NameLookup, PostError, SystemLookup,
    UreqFetcher,
};

use answer::Image;

/// For one whole generation: the provider's call and fetching a `url`
/// answer. Providers commonly take 10–30 s for one image.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(45);
pub const DEFAULT_USER_AGENT: &str = "aispace-imagegen/0.1";
/// The size asked for.
pub const IMAGE_SIZE: &str = "1024x1024";
/// Room for the JSON around a base64 image when limiting the answer.
pub const JSON_OVERHEAD_BYTES: u64 = 64 * 1024;

/// A failed fetch of a `url` answer ending this close to the deadline is
/// taken as the deadline: the fetcher reports its timeouts as `Failed`, and
/// a socket timeout may wake a scheduler tick early.
const DEADLINE_SLACK: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// For one whole generation (lookups, connections, the provider's
    /// answer, fetching a `url` answer).
    pub timeout: Duration,
    /// Non-public addresses that may be reached anyway; the same list as
    /// the image fetcher's (`AISPACE_FETCH_ALLOW`).
    pub allow: AllowList,
    pub user_agent: String,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            timeout: DEFAULT_PROVIDER_TIMEOUT,
            allow: AllowList::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

/// [`ImageGenerator`] over an OpenAI-compatible images API, blocking.
/// Holds no key (each call brings its provider), so it is cheap to share.
pub struct OpenAiImageGenerator {
    client: CheckedClient,
    fetcher: UreqFetcher,
    timeout: Duration,
}

impl OpenAiImageGenerator {
    pub fn new(config: GeneratorConfig) -> Self {
        OpenAiImageGenerator::with_lookup(config, Arc::new(SystemLookup))
    }

    /// With names resolved by `lookup` instead of the system resolver.
    pub fn with_lookup(config: GeneratorConfig, lookup: Arc<dyn NameLookup>) -> Self {
        let fetcher = UreqFetcher::with_lookup(
            FetchConfig {
                timeout: config.timeout,
                allow: config.allow.clone(),
                user_agent: config.user_agent.clone(),
                ..FetchConfig::default()
            },
            Arc::clone(&lookup),
        );
        OpenAiImageGenerator {
            client: CheckedClient::with_lookup(config.allow, &config.user_agent, lookup),
            fetcher,
            timeout: config.timeout,
        }
    }

    fn generate_within(
        &self,
        provider: &ImageProvider,
        prompt: &str,
        max_bytes: usize,
        deadline: Instant,
    ) -> Result<Vec<u8>, GenerationError> {
        let body = serde_json::json!({
            "model": provider.model,
            "prompt": prompt,
            "n": 1,
            "size": IMAGE_SIZE,
            "response_format": "b64_json",
        })
        .to_string();
        let answer = self
            .client
            .post_json(&JsonPost {
                url: &endpoint(&provider.base_url),
                bearer: &provider.api_key,
                body: body.as_bytes(),
                deadline,
                max_answer_bytes: answer_limit(max_bytes),
            })
            .map_err(|err| match err {
                PostError::Forbidden(reason) => GenerationError::Forbidden(reason),
                PostError::TimedOut => GenerationError::TimedOut(self.timeout),
                PostError::AnswerTooLarge { status } if is_success(status) => {
                    GenerationError::TooLarge(max_bytes)
                }
                PostError::AnswerTooLarge { status } => GenerationError::Failed(format!(
                    "the image provider answered HTTP {status} with a body too long to read"
                )),
                PostError::Failed(message) => {
                    GenerationError::Failed(format!("the image provider failed: {message}"))
                }
            })?;
        if !is_success(answer.status) {
            return Err(GenerationError::Failed(answer::status_failure(
                &answer,
                &provider.api_key,
            )));
        }
        match answer::image(&answer, &provider.api_key)? {
            Image::Base64(data) => answer::decode(&data, max_bytes),
            Image::Url(url) => self.fetch(&url, max_bytes, deadline),
        }
    }

    /// Fetches a `url` answer in the time left, through the fetcher's own
    /// checks (each redirect included).
    fn fetch(
        &self,
        raw: &str,
        max_bytes: usize,
        deadline: Instant,
    ) -> Result<Vec<u8>, GenerationError> {
        let url = ImageUrl::parse(raw).map_err(|err| match err {
            ImageUrlError::Forbidden(reason) => {
                GenerationError::Forbidden(format!("the image provider's image URL: {reason}"))
            }
            ImageUrlError::Invalid(reason) => GenerationError::Failed(format!(
                "the image provider answered an unusable image URL ({reason})"
            )),
        })?;
        self.fetcher
            .fetch_before(&url, max_bytes, deadline)
            .map_err(|err| match err {
                FetchError::Forbidden(reason) => GenerationError::Forbidden(reason),
                FetchError::TooLarge(_) => GenerationError::TooLarge(max_bytes),
                FetchError::Failed(_) if Instant::now() + DEADLINE_SLACK >= deadline => {
                    GenerationError::TimedOut(self.timeout)
                }
                FetchError::Failed(message) => GenerationError::Failed(format!(
                    "the image provider's image could not be fetched: {message}"
                )),
            })
    }
}

impl ImageGenerator for OpenAiImageGenerator {
    fn generate(
        &self,
        provider: &ImageProvider,
        prompt: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, GenerationError> {
        let deadline = Instant::now() + self.timeout;
        self.generate_within(provider, prompt, max_bytes, deadline)
            .map_err(|err| redact(err, &provider.api_key))
    }
}

/// Nothing secret is held; the agent's parts are left out as noise.
impl fmt::Debug for OpenAiImageGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiImageGenerator")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// `{base}/v1/images/generations`, with or without a trailing slash, and
/// without doubling a `/v1` the base already ends with.
fn endpoint(base_url: &str) -> String {
    let base = base_url.trim().trim_end_matches('/');
    if base.ends_with("/v1") {
        format!("{base}/images/generations")
    } else {
        format!("{base}/v1/images/generations")
    }
}

/// The most of an answer worth reading: a base64 image of `max_bytes`
/// takes 4/3 of that, plus the JSON around it.
fn answer_limit(max_bytes: usize) -> u64 {
    let max = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    (max.saturating_mul(4) / 3).saturating_add(JSON_OVERHEAD_BYTES)
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Every message reaches the caller, who may not be the key's owner (the
/// operator's key serves everyone): whatever the provider echoes, and any
/// URL it answers, is cleaned of the key.
fn redact(err: GenerationError, api_key: &str) -> GenerationError {
    match err {
        GenerationError::Failed(message) => {
            GenerationError::Failed(answer::without_key(message, api_key))
        }
        GenerationError::Forbidden(reason) => {
            GenerationError::Forbidden(answer::without_key(reason, api_key))
        }
        other @ (GenerationError::TimedOut(_) | GenerationError::TooLarge(_)) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_appended_once() {
        for base in [
            "https://api.openai.com",
            "https://api.openai.com/",
            "https://api.openai.com/v1",
            "https://api.openai.com/v1/",
        ] {
            assert_eq!(
                endpoint(base),
                "https://api.openai.com/v1/images/generations",
                "{base}"
            );
        }
        assert_eq!(
            endpoint("http://127.0.0.1:8080/openai"),
            "http://127.0.0.1:8080/openai/v1/images/generations"
        );
        assert_eq!(
            endpoint("https://router.test/api/v1"),
            "https://router.test/api/v1/images/generations"
        );
    }

    #[test]
    fn the_answer_limit_leaves_room_for_base64_and_json() {
        assert_eq!(answer_limit(0), 64 * 1024);
        assert_eq!(answer_limit(3_000), 4_000 + 64 * 1024);
        assert!(answer_limit(usize::MAX) > u64::MAX / 4);
    }

    #[test]
    fn the_default_config() {
        let config = GeneratorConfig::default();
        assert_eq!(config.timeout, Duration::from_secs(45));
        assert!(config.allow.is_empty());
        assert_eq!(config.user_agent, "aispace-imagegen/0.1");
    }

    #[test]
    fn messages_and_reasons_lose_the_key() {
        assert_eq!(
            redact(
                GenerationError::Failed("bad key sk-123".to_owned()),
                "sk-123"
            ),
            GenerationError::Failed("bad key <redacted>".to_owned())
        );
        assert_eq!(
            redact(
                GenerationError::Forbidden("http://10.0.0.1/?k=sk-123".to_owned()),
                "sk-123"
            ),
            GenerationError::Forbidden("http://10.0.0.1/?k=<redacted>".to_owned())
        );
    }
}

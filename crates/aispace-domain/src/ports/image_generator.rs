/// An image-generation provider: where to call, with whose key, which
/// model. Taken per request, because the key may be the operator's or the
/// owning person's.
#[derive(Clone, PartialEq, Eq)]
pub struct ImageProvider {
    /// The API's base URL, e.g. `https://api.openai.com`; the generator
    /// appends `/v1/images/generations`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …`; never logged.
    pub api_key: String,
    pub model: String,
}

impl ImageProvider {
    /// What `modelUsed` reports: the model as given when it already names
    /// its maker (`stabilityai/sdxl`), else `host/model`.
    pub fn model_used(&self) -> String {
        if self.model.contains('/') {
            return self.model.clone();
        }
        let host = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        // Userinfo never reaches the answer.
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        format!("{host}/{}", self.model)
    }
}

/// The key stays out of `Debug`, so no log line can carry it.
impl std::fmt::Debug for ImageProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageProvider")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .finish()
    }
}

/// Asks a provider for an image.
///
/// Implementations MUST reach the provider (and any URL its answer points
/// to) only through address checks as strict as [`super::ImageFetcher`]'s:
/// an address that is not public and not allowed by the operator is
/// `Forbidden`; MUST give up after their overall timeout with `TimedOut`,
/// counting every step (the call, and fetching a `url` answer); MUST stop
/// reading any body at `max_bytes` of image (`TooLarge`), never buffering
/// more; MUST NOT inspect or trust the bytes beyond extracting them: the
/// caller sniffs and limits them.
pub trait ImageGenerator: Send + Sync {
    fn generate(
        &self,
        provider: &ImageProvider,
        prompt: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, GenerationError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerationError {
    /// The provider's address (or one its answer points to) may not be
    /// reached.
    #[error("the image provider's address may not be reached: {0}")]
    Forbidden(String),
    /// The overall timeout passed.
    #[error("the image provider did not answer within {0:?}")]
    TimedOut(std::time::Duration),
    /// Connection, status, unreadable or image-less answer. The message
    /// is shown to the caller, so it never includes the key.
    #[error("{0}")]
    Failed(String),
    /// The image is over `max_bytes`.
    #[error("the provider's image is larger than {0} bytes")]
    TooLarge(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(base_url: &str, model: &str) -> ImageProvider {
        ImageProvider {
            base_url: base_url.into(),
            api_key: "sk-secret".into(),
            model: model.into(),
        }
    }

    #[test]
    fn model_used_names_the_host_unless_the_model_names_its_maker() {
        assert_eq!(
            provider("https://api.openai.com", "dall-e-3").model_used(),
            "api.openai.com/dall-e-3"
        );
        assert_eq!(
            provider("http://user:pw@127.0.0.2:8080/x", "m").model_used(),
            "127.0.0.2:8080/m"
        );
        assert_eq!(
            provider("https://router.example", "stabilityai/sdxl").model_used(),
            "stabilityai/sdxl"
        );
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let shown = format!("{:?}", provider("https://p.example", "m"));
        assert!(!shown.contains("sk-secret"), "{shown}");
    }
}

use crate::model::ImageUrl;

/// Fetches an image an agent named by URL, safely.
///
/// Implementations MUST refuse (with `Forbidden`) any URL whose host
/// resolves to an address that is not public, unless the operator allowed
/// it, or does not resolve at all (as a webhook URL's would be); MUST
/// connect only to the addresses they checked; MUST check every
/// redirect again and follow at most three; MUST stop reading at
/// `max_bytes` (returning `TooLarge`, never more data); and MUST give up
/// after their overall timeout (`Failed`).
pub trait ImageFetcher: Send + Sync {
    fn fetch(&self, url: &ImageUrl, max_bytes: usize) -> Result<Vec<u8>, FetchError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL or an address it resolves or redirects to may not be
    /// reached, or its host has no address (`FORBIDDEN_URL`).
    #[error("{0}")]
    Forbidden(String),
    /// Connection, TLS, timeout (a slow lookup's included), non-2xx
    /// status, too many redirects (`IMAGE_FETCH_FAILED`).
    #[error("{0}")]
    Failed(String),
    /// The body is longer than `max_bytes` (`UPLOAD_TOO_LARGE`).
    #[error("the image is larger than {0} bytes")]
    TooLarge(usize),
}

use crate::model::Field;
use std::fmt;

use crate::DomainError;

/// An image URL as an agent gives it: `http` or `https`, a host, at most
/// 2048 characters, no whitespace or control characters. This is only the
/// shape; whether the address may be reached is the fetcher's decision, made
/// on the resolved addresses (see `ports::ImageFetcher`).
#[derive(Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

const MAX_LEN: usize = 2048;

impl ImageUrl {
    /// `Err(Validation)` for a malformed value; `Ok(Err(reason))` is not
    /// used: a scheme other than http(s) is a `ForbiddenUrl`, reported by
    /// [`ImageUrl::parse`] as [`ImageUrlError::Forbidden`].
    pub fn parse(raw: &str) -> Result<Self, ImageUrlError> {
        let url = raw.trim();
        if url.is_empty() || url.len() > MAX_LEN {
            return Err(ImageUrlError::Invalid(format!(
                "must be a URL of 1 to {MAX_LEN} characters"
            )));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ImageUrlError::Invalid(
                "must not contain whitespace or control characters".into(),
            ));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(ImageUrlError::Invalid(
                "must be an absolute http(s) URL".into(),
            ));
        };
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(ImageUrlError::Forbidden(format!(
                "scheme {scheme:?} is not allowed; use http or https"
            )));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        if host.is_empty() || host.starts_with(':') {
            return Err(ImageUrlError::Invalid("must name a host".into()));
        }
        Ok(ImageUrl(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_trusted(s: String) -> Self {
        ImageUrl(s)
    }
}

impl fmt::Debug for ImageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageUrl({})", self.0)
    }
}

impl fmt::Display for ImageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageUrlError {
    /// Not a usable URL at all (`INVALID_BODY`).
    #[error("imageUrl: {0}")]
    Invalid(String),
    /// A URL, but one that may never be fetched (`FORBIDDEN_URL`).
    #[error("{0}")]
    Forbidden(String),
}

impl From<ImageUrlError> for DomainError {
    fn from(err: ImageUrlError) -> Self {
        match err {
            ImageUrlError::Invalid(reason) => DomainError::validation(Field::ImageUrl, reason),
            ImageUrlError::Forbidden(reason) => DomainError::ForbiddenUrl(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_only() {
        assert!(ImageUrl::parse("https://picsum.photos/seed/aispace/1024/1024.jpg").is_ok());
        assert!(ImageUrl::parse("HTTP://Example.com/a.png").is_ok());
        for forbidden in [
            "file:///etc/passwd",
            "ftp://x/a.png",
            "gopher://x",
            "javascript://x",
        ] {
            assert!(
                matches!(ImageUrl::parse(forbidden), Err(ImageUrlError::Forbidden(_))),
                "{forbidden}"
            );
        }
        for invalid in [
            "",
            "not a url",
            "/relative.png",
            "https://",
            "https://:80/x",
            "http://a b/",
        ] {
            assert!(
                matches!(ImageUrl::parse(invalid), Err(ImageUrlError::Invalid(_))),
                "{invalid}"
            );
        }
        assert!(ImageUrl::parse(&format!("https://x.test/{}", "a".repeat(2048))).is_err());
    }
}

//! The operator's `AISPACE_BLOB_URL`: `s3://bucket/prefix`.

use object_store::path::Path as ObjectPath;

/// Why a blob URL was refused. Messages never repeat the URL itself: an
/// operator who pasted credentials into it must not find them in a log.
#[derive(Debug, thiserror::Error)]
pub enum BlobUrlError {
    #[error("a blob URL looks like s3://bucket/prefix")]
    NotAUrl,
    #[error("unsupported blob URL scheme `{0}`; only s3://bucket/prefix is supported")]
    UnsupportedScheme(String),
    #[error("the blob URL names no bucket (expected s3://bucket/prefix)")]
    MissingBucket,
    #[error(
        "the bucket name is not valid: it may hold only letters, digits, '.', '-' and '_' \
         (credentials go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL)"
    )]
    InvalidBucket,
    #[error("the blob URL may not have a query or a fragment")]
    QueryOrFragment,
    #[error("the key prefix is not valid: {0}")]
    InvalidPrefix(String),
}

/// An S3 bucket and the key prefix under which blobs are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    bucket: String,
    prefix: Option<ObjectPath>,
}

impl S3Url {
    /// Parses `s3://bucket` or `s3://bucket/some/prefix` (slashes around
    /// the prefix are ignored).
    pub fn parse(raw: &str) -> Result<S3Url, BlobUrlError> {
        let raw = raw.trim();
        let (scheme, rest) = raw.split_once("://").ok_or(BlobUrlError::NotAUrl)?;
        if !scheme.eq_ignore_ascii_case("s3") {
            // A scheme is short and plain; anything else is not echoed.
            let shown = if scheme.len() <= 16 && scheme.chars().all(|c| c.is_ascii_alphanumeric()) {
                scheme.to_owned()
            } else {
                "?".to_owned()
            };
            return Err(BlobUrlError::UnsupportedScheme(shown));
        }
        if rest.contains(['?', '#']) {
            return Err(BlobUrlError::QueryOrFragment);
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(BlobUrlError::MissingBucket);
        }
        // Wider than AWS's rules for new buckets (lowercase, 3 to 63) so that
        // older buckets and other S3-compatible stores still fit; narrow
        // enough that userinfo, ports and hosts are refused.
        let valid_bucket = bucket.len() <= 255
            && bucket
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid_bucket {
            return Err(BlobUrlError::InvalidBucket);
        }
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() {
            None
        } else {
            Some(
                ObjectPath::parse(prefix)
                    .map_err(|e| BlobUrlError::InvalidPrefix(e.to_string()))?,
            )
        };
        Ok(S3Url {
            bucket: bucket.to_owned(),
            prefix,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix, without slashes around it; `None` for the bucket's root.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_ref().map(ObjectPath::as_ref)
    }

    pub(crate) fn prefix_path(&self) -> Option<&ObjectPath> {
        self.prefix.as_ref()
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.prefix {
            Some(prefix) => write!(f, "s3://{}/{prefix}", self.bucket),
            None => write!(f, "s3://{}", self.bucket),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bucket_and_optional_prefix() {
        let url = S3Url::parse("s3://images").unwrap();
        assert_eq!((url.bucket(), url.prefix()), ("images", None));
        let url = S3Url::parse("s3://images/").unwrap();
        assert_eq!(url.prefix(), None);
        let url = S3Url::parse("S3://my.images-1/prod/aispace/").unwrap();
        assert_eq!(
            (url.bucket(), url.prefix()),
            ("my.images-1", Some("prod/aispace"))
        );
        assert_eq!(url.to_string(), "s3://my.images-1/prod/aispace");
    }

    #[test]
    fn other_shapes_are_refused_without_echoing_the_url() {
        let refused = |raw: &str| S3Url::parse(raw).unwrap_err();
        assert!(matches!(refused("images"), BlobUrlError::NotAUrl));
        assert!(matches!(
            refused("gs://images/x"),
            BlobUrlError::UnsupportedScheme(s) if s == "gs"
        ));
        assert!(matches!(
            refused("file:///tmp/x"),
            BlobUrlError::UnsupportedScheme(_)
        ));
        assert!(matches!(refused("s3://"), BlobUrlError::MissingBucket));
        assert!(matches!(
            refused("s3:///prefix"),
            BlobUrlError::MissingBucket
        ));
        let with_secret = refused("s3://AKIA:s3cr3t@images/x");
        assert!(matches!(with_secret, BlobUrlError::InvalidBucket));
        assert!(!with_secret.to_string().contains("s3cr3t"));
        assert!(matches!(
            refused("s3://images/x?versionId=1"),
            BlobUrlError::QueryOrFragment
        ));
        assert!(matches!(
            refused("s3://images/a//b"),
            BlobUrlError::InvalidPrefix(_)
        ));
        assert!(matches!(
            refused("s3://images/../b"),
            BlobUrlError::InvalidPrefix(_)
        ));
    }
}

//! The S3 client behind `AISPACE_BLOB_URL=s3://…`.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, RetryConfig};

use crate::url::S3Url;

/// The stores of one bucket: `store` for the sink's work, `probe` for
/// [`crate::ObjectStoreBlobs::check`], and a description without secrets.
pub(crate) struct S3Stores {
    pub store: Arc<dyn ObjectStore>,
    pub probe: Arc<dyn ObjectStore>,
    pub label: String,
}

/// A post waits on the bucket: when S3 is down it should learn so in
/// seconds, not after object_store's default three minutes of retries.
const REQUEST_RETRY_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the client from `AWS_*` variables exactly as
/// `AmazonS3Builder::from_env` reads them (taken as a list so tests need
/// not change the process environment), for the bucket and prefix of `url`.
///
/// With an endpoint (`AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3`, an
/// S3-compatible store), requests are path-style unless
/// `AWS_VIRTUAL_HOSTED_STYLE_REQUEST` says otherwise, since most such stores
/// do not resolve a host name per bucket; and an `http://` endpoint is
/// allowed without `AWS_ALLOW_HTTP`, because the operator asked for it.
pub(crate) fn stores(
    url: &S3Url,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<S3Stores, object_store::Error> {
    // object_store's HTTP client (reqwest) takes rustls's process-wide
    // provider and panics without one; ring is the one compiled in. An
    // error only says that a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = AmazonS3Builder::new();
    let mut style_chosen = false;
    for (name, value) in vars {
        if !name.starts_with("AWS_") {
            continue;
        }
        if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
            style_chosen |= key == AmazonS3ConfigKey::VirtualHostedStyleRequest;
            builder = builder.with_config(key, value);
        }
    }
    // The URL names the bucket; a stray AWS_BUCKET must not redirect writes.
    builder = builder.with_bucket_name(url.bucket());
    let endpoint = builder
        .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint))
        .filter(|e| !e.is_empty());
    if let Some(endpoint) = &endpoint {
        if !style_chosen {
            builder = builder.with_virtual_hosted_style_request(false);
        }
        if endpoint
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            builder = builder.with_allow_http(true);
        }
    }

    let store = builder
        .clone()
        .with_retry(RetryConfig {
            retry_timeout: REQUEST_RETRY_TIMEOUT,
            ..RetryConfig::default()
        })
        .build()?;
    // The start-up probe reports the first failure as it is (connection
    // refused, access denied, no such bucket) instead of retrying it into
    // a timeout.
    let probe = builder
        .with_retry(RetryConfig {
            max_retries: 0,
            ..RetryConfig::default()
        })
        .build()?;

    let label = match &endpoint {
        Some(endpoint) => format!("{url} at {}", without_userinfo(endpoint)),
        None => url.to_string(),
    };
    Ok(match url.prefix_path() {
        Some(prefix) => S3Stores {
            store: Arc::new(PrefixStore::new(store, prefix.clone())),
            probe: Arc::new(PrefixStore::new(probe, prefix.clone())),
            label,
        },
        None => S3Stores {
            store: Arc::new(store),
            probe: Arc::new(probe),
            label,
        },
    })
}

/// An endpoint as it may be logged: `http://user:pass@host` loses `user:pass@`.
fn without_userinfo(endpoint: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => endpoint.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_lose_their_userinfo_for_logs() {
        assert_eq!(
            without_userinfo("http://127.0.0.1:9000"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            without_userinfo("https://key:secret@minio.internal/s3"),
            "https://minio.internal/s3"
        );
        assert_eq!(without_userinfo("minio:9000"), "minio:9000");
    }
}

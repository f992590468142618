//! A throwaway bucket on the S3-compatible test server (moto, started by
//! `cargo xtask ci`) named by `AISPACE_TEST_S3_ENDPOINT`.
//!
//! Buckets are created and read with plain HTTP: the test server does not
//! check signatures, and reading objects without going through object_store
//! is the point (a test sees what is really in the bucket).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::http;

/// The test S3 server's base URL, e.g. `http://127.0.0.1:9000`.
pub const TEST_S3_ENDPOINT_VAR: &str = "AISPACE_TEST_S3_ENDPOINT";

/// A fresh, uniquely named bucket on the test S3 server; `None` from
/// [`TestBucket::from_env`] when `AISPACE_TEST_S3_ENDPOINT` is unset.
///
/// The bucket is left behind: the test server keeps everything in memory
/// and lives only as long as the test run.
#[derive(Debug)]
pub struct TestBucket {
    name: String,
    endpoint: String,
    addr: SocketAddr,
}

impl TestBucket {
    /// Creates a new bucket on the server `AISPACE_TEST_S3_ENDPOINT` names.
    ///
    /// # Panics
    /// When the variable is set but the server cannot be reached or refuses
    /// the bucket: a configured test server that does not work is a failure,
    /// not a reason to skip.
    pub fn from_env() -> Option<TestBucket> {
        let endpoint = std::env::var(TEST_S3_ENDPOINT_VAR).ok()?;
        let endpoint = endpoint.trim().trim_end_matches('/').to_owned();
        if endpoint.is_empty() {
            return None;
        }
        let addr = resolve(&endpoint);
        let bucket = TestBucket {
            name: unique_name(),
            endpoint,
            addr,
        };
        let created = bucket.request("PUT", &format!("/{}", bucket.name));
        assert_eq!(
            created.status,
            200,
            "creating bucket {} on {}: {}",
            bucket.name,
            bucket.endpoint,
            created.text()
        );
        Some(bucket)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's base URL, e.g. `http://127.0.0.1:9000`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `s3://{bucket}/{prefix}` for `AISPACE_BLOB_URL` (`s3://{bucket}` when
    /// `prefix` is empty).
    pub fn blob_url(&self, prefix: &str) -> String {
        let prefix = prefix.trim_matches('/');
        if prefix.is_empty() {
            format!("s3://{}", self.name)
        } else {
            format!("s3://{}/{prefix}", self.name)
        }
    }

    /// The environment an `aispace serve` process (or the sink) needs to
    /// reach the bucket: credentials (any will do), a region, the endpoint
    /// and permission to use plain http.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
    }

    /// The object's bytes read straight from the S3 server (not through
    /// aispace), `None` when there is no such object.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        let path = format!(
            "/{}/{}",
            self.name,
            encode(key.trim_start_matches('/'), false)
        );
        let response = self.request("GET", &path);
        match response.status {
            200 => Some(response.body),
            404 => None,
            status => panic!(
                "GET {path} on {}: {status} {}",
                self.endpoint,
                response.text()
            ),
        }
    }

    /// Every key in the bucket, in the server's (lexicographic) order, read
    /// with ListObjectsV2 page by page.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/{}?list-type=2", self.name);
            if let Some(token) = &token {
                path.push_str("&continuation-token=");
                path.push_str(&encode(token, true));
            }
            let response = self.request("GET", &path);
            let body = response.text();
            assert_eq!(
                response.status, 200,
                "listing {} on {}: {body}",
                self.name, self.endpoint
            );
            keys.extend(elements(&body, "Key").map(unescape_xml));
            let truncated = elements(&body, "IsTruncated").next() == Some("true");
            token = elements(&body, "NextContinuationToken")
                .next()
                .map(unescape_xml);
            if !truncated || token.is_none() {
                return keys;
            }
        }
    }

    fn request(&self, method: &str, path: &str) -> http::Response {
        let headers = [("Authorization", ANY_SIGNATURE)];
        http::request(self.addr, method, path, &headers, b"").unwrap_or_else(|e| {
            panic!(
                "{method} {path} on the test S3 server {}: {e}",
                self.endpoint
            )
        })
    }
}

/// The test server answers an anonymous request for a private object with
/// 403, but takes any signature as valid: this one names the credentials of
/// [`TestBucket::env`] and signs nothing.
const ANY_SIGNATURE: &str = "AWS4-HMAC-SHA256 \
    Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

/// `http://host:port[/]` to the address to connect to.
fn resolve(endpoint: &str) -> SocketAddr {
    let authority = endpoint.strip_prefix("http://").unwrap_or_else(|| {
        panic!("{TEST_S3_ENDPOINT_VAR} must be http://HOST:PORT, not {endpoint}")
    });
    let authority = authority.split('/').next().unwrap_or(authority);
    authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("{TEST_S3_ENDPOINT_VAR}: cannot resolve {authority}"))
}

/// Unique across the processes and threads of one test run: S3 bucket
/// names are lowercase letters, digits and hyphens, at most 63 long.
fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!(
        "aispace-test-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Percent-encodes all but unreserved characters (and `/` unless `slash`).
fn encode(text: &str, slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (byte == b'/' && !slash);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The texts of every `<tag>…</tag>` in `xml` (the listing's shape is flat
/// enough that no parser is needed).
fn elements<'a>(xml: &'a str, tag: &str) -> impl Iterator<Item = &'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let text = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(text)
    })
}

fn unescape_xml(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_are_read_without_a_parser() {
        let xml = "<ListBucketResult><IsTruncated>false</IsTruncated>\
                   <Contents><Key>p/raw/a.png</Key></Contents>\
                   <Contents><Key>p/a&amp;b</Key></Contents></ListBucketResult>";
        let keys: Vec<String> = elements(xml, "Key").map(unescape_xml).collect();
        assert_eq!(keys, ["p/raw/a.png", "p/a&b"]);
        assert_eq!(elements(xml, "IsTruncated").next(), Some("false"));
        assert_eq!(elements(xml, "NextContinuationToken").next(), None);
    }

    #[test]
    fn keys_and_tokens_are_percent_encoded() {
        assert_eq!(encode("p/raw/a b.png", false), "p/raw/a%20b.png");
        assert_eq!(encode("x/y=+", true), "x%2Fy%3D%2B");
    }

    #[test]
    fn names_are_valid_bucket_names_and_unique() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.len() <= 63, "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
}

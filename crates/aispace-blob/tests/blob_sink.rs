//! The sink's contract, on the local filesystem, in memory and in an S3
//! bucket (when `AISPACE_TEST_S3_ENDPOINT` names a test server), and how
//! opening and checking a bucket fail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::{Duration, Instant};

use aispace_blob::{BlobUrlError, CheckError, ObjectStoreBlobs, OpenError};
use aispace_domain::model::{BlobKey, ImageType};
use aispace_domain::ports::BlobSink;
use aispace_testkit::s3::TestBucket;

fn round_trip(sink: &dyn BlobSink) {
    let key = BlobKey::for_content(b"png bytes", ImageType::Png);
    assert_eq!(sink.get(&key).unwrap(), None);
    sink.put(&key, b"png bytes", "image/png").unwrap();
    assert_eq!(sink.get(&key).unwrap().as_deref(), Some(&b"png bytes"[..]));
    // Content-addressed: a second put of the same key is a no-op (so a
    // put of the key is skipped even if, impossibly, the bytes differed).
    sink.put(&key, b"png bytes", "image/png").unwrap();
    sink.put(&key, b"other bytes", "image/png").unwrap();
    assert_eq!(sink.get(&key).unwrap().as_deref(), Some(&b"png bytes"[..]));
    list_and_delete(sink, &key);
}

/// The sweeper's side: the stored blob is listed with a time it was
/// stored at, and deleting it (twice) leaves nothing listed.
fn list_and_delete(sink: &dyn BlobSink, stored: &BlobKey) {
    let started = aispace_domain::model::Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let listed: Vec<_> = sink.list().unwrap().map(Result::unwrap).collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(&listed[0].0, stored);
    let age = started.as_millis() - listed[0].1.as_millis();
    assert!((-5_000..60_000).contains(&age), "stored {age} ms ago?");
    sink.delete(stored).unwrap();
    sink.delete(stored).unwrap();
    assert_eq!(sink.get(stored).unwrap(), None);
    assert_eq!(sink.list().unwrap().count(), 0);
    // Put back for what the caller checks next.
    sink.put(stored, b"png bytes", "image/png").unwrap();
}

/// The error and its causes, as an operator reads them.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn owned(env: &[(&'static str, String)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

#[test]
fn in_memory_round_trip() {
    round_trip(&ObjectStoreBlobs::in_memory().unwrap());
}

#[test]
fn local_filesystem_round_trip_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs");
    let sink = ObjectStoreBlobs::local(&root).unwrap();
    round_trip(&sink);
    let key = BlobKey::for_content(b"png bytes", ImageType::Png);
    let file = root.join(key.as_str());
    assert_eq!(std::fs::read(&file).unwrap(), b"png bytes");
    // Nothing else (no temporary files) is left beside it.
    assert_eq!(
        std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
        1
    );
    // A file that is not a blob (an operator's note) is never listed, so
    // never swept.
    std::fs::write(root.join("raw").join("README.txt"), b"hands off").unwrap();
    let listed: Vec<_> = sink.list().unwrap().map(|r| r.unwrap().0).collect();
    assert_eq!(listed, [key]);
}

#[test]
fn usable_from_inside_another_runtime_s_blocking_pool() {
    let sink = std::sync::Arc::new(ObjectStoreBlobs::in_memory().unwrap());
    let caller = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let moved = sink.clone();
    caller
        .block_on(
            async move { tokio::task::spawn_blocking(move || round_trip(moved.as_ref())).await },
        )
        .unwrap();
}

#[test]
fn local_and_memory_stores_pass_the_check() {
    let dir = tempfile::tempdir().unwrap();
    ObjectStoreBlobs::local(&dir.path().join("blobs"))
        .unwrap()
        .check()
        .unwrap();
    ObjectStoreBlobs::in_memory().unwrap().check().unwrap();
}

#[test]
fn s3_round_trip_under_a_prefix() {
    let Some(bucket) = TestBucket::from_env() else {
        eprintln!("SKIPPED: AISPACE_TEST_S3_ENDPOINT is not set");
        return;
    };
    let sink =
        ObjectStoreBlobs::open_url_with(&bucket.blob_url("tenant/images"), owned(&bucket.env()))
            .unwrap();
    sink.check().unwrap();
    round_trip(&sink);

    let key = BlobKey::for_content(b"png bytes", ImageType::Png);
    let stored = format!("tenant/images/{}", key.as_str());
    assert_eq!(bucket.object(&stored).as_deref(), Some(&b"png bytes"[..]));
    // Nothing else: no copy at the bucket's root, no probe object, no
    // leftovers of an upload.
    assert_eq!(bucket.keys(), std::slice::from_ref(&stored));
    assert_eq!(bucket.object(key.as_str()), None);

    // Served as an image by the bucket itself (for a CDN in front of it).
    // The test server wants some signature on a private object, any will do.
    let any_signature = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, \
                         SignedHeaders=host, Signature=00";
    let addr = bucket
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let direct = aispace_testkit::http::request(
        addr,
        "GET",
        &format!("/{}/{stored}", bucket.name()),
        &[("Authorization", any_signature)],
        b"",
    )
    .unwrap();
    assert_eq!(direct.status, 200);
    assert_eq!(direct.header("content-type"), Some("image/png"));
    assert_eq!(
        direct.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[test]
fn s3_without_a_prefix_stores_keys_at_the_root() {
    let Some(bucket) = TestBucket::from_env() else {
        eprintln!("SKIPPED: AISPACE_TEST_S3_ENDPOINT is not set");
        return;
    };
    let sink = ObjectStoreBlobs::open_url_with(&bucket.blob_url(""), owned(&bucket.env())).unwrap();
    let key = BlobKey::for_content(b"webp bytes", ImageType::Webp);
    sink.put(&key, b"webp bytes", "image/webp").unwrap();
    assert_eq!(bucket.keys(), [key.as_str().to_owned()]);
}

#[test]
fn a_bucket_that_does_not_exist_fails_the_check_and_the_put() {
    let Some(bucket) = TestBucket::from_env() else {
        eprintln!("SKIPPED: AISPACE_TEST_S3_ENDPOINT is not set");
        return;
    };
    let missing = format!("{}-missing", bucket.name());
    let sink = ObjectStoreBlobs::open_url_with(&format!("s3://{missing}/p"), owned(&bucket.env()))
        .unwrap();
    let err = sink.check().unwrap_err();
    assert!(matches!(err, CheckError::NoSuchBucket { .. }), "{err:?}");
    assert_eq!(
        chain(&err),
        format!(
            "s3://{missing}/p at {}: the bucket does not exist (Server returned non-2xx status \
             code: 404 Not Found: NoSuchBucket: The specified bucket does not exist)",
            bucket.endpoint()
        )
    );

    let key = BlobKey::for_content(b"png bytes", ImageType::Png);
    assert!(sink.put(&key, b"png bytes", "image/png").is_err());
}

#[test]
fn an_endpoint_that_does_not_answer_fails_the_check_at_once_without_secrets() {
    // A port that was free a moment ago: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let vars = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-very-secret"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ENDPOINT_URL", &format!("http://127.0.0.1:{port}")),
        ("PATH", "/not/an/aws/variable"),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    let sink = ObjectStoreBlobs::open_url_with("s3://images/p", vars).unwrap();
    let started = Instant::now();
    let err = sink.check().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the probe retried: {:?}",
        started.elapsed()
    );
    assert!(matches!(err, CheckError::Failed { .. }), "{err:?}");
    let text = chain(&err);
    assert!(
        text.starts_with(&format!(
            "s3://images/p at http://127.0.0.1:{port}: cannot be listed ("
        )),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
    assert!(!text.contains("very-secret"), "{text}");
    assert!(!format!("{sink:?} {sink}").contains("very-secret"));
}

#[test]
fn bad_blob_urls_are_refused() {
    let refused = |url: &str| ObjectStoreBlobs::open_url_with(url, []).unwrap_err();
    for (url, expected) in [
        ("gs://images/p", "unsupported blob URL scheme `gs`"),
        (
            "https://images.example/p",
            "unsupported blob URL scheme `https`",
        ),
        (
            "/var/lib/aispace",
            "a blob URL looks like s3://bucket/prefix",
        ),
        ("s3://", "names no bucket"),
        ("s3:///prefix", "names no bucket"),
        ("s3://user:pass@images/p", "the bucket name is not valid"),
    ] {
        let err = refused(url);
        assert!(matches!(err, OpenError::Url(_)), "{url}: {err:?}");
        assert!(err.to_string().contains(expected), "{url}: {err}");
        assert!(!err.to_string().contains("pass@"), "{err}");
    }
    assert!(matches!(
        refused("s3://images/a//b"),
        OpenError::Url(BlobUrlError::InvalidPrefix(_))
    ));
}

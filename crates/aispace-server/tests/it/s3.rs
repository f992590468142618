//! `serve` with images in an S3-compatible bucket: uploads land
//! in the bucket under the prefix and nowhere else, `mediaUrl` follows
//! `AISPACE_MEDIA_URL`, `/raw/…` serves them back from the bucket, and a
//! bucket that cannot be used stops the server at start-up.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aispace_domain::model::{BlobKey, ImageType};
use aispace_testkit::http;
use aispace_testkit::images;
use aispace_testkit::s3::TestBucket;

use crate::process::{BIN, Server, aispace_json, json};

/// Given to the server instead of the test bucket's secret: the test server
/// accepts any, and this one must never reach a log or an error.
const SECRET: &str = "s3cr3t-never-logged";

/// The bucket's environment, with [`SECRET`] as the secret key.
fn bucket_env(bucket: &TestBucket) -> Vec<(&'static str, String)> {
    bucket
        .env()
        .into_iter()
        .map(|(name, value)| match name {
            "AWS_SECRET_ACCESS_KEY" => (name, SECRET.to_owned()),
            _ => (name, value),
        })
        .collect()
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// Every file under `dir` (none when it does not exist).
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.unwrap().path())
        .flat_map(|path| {
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// Uploads an image through a server on SQLite whose images go to a fresh
/// bucket under a prefix, and checks where it went and how it is served.
fn images_go_to_the_bucket(media_url: Option<&str>) {
    let Some(bucket) = TestBucket::from_env() else {
        eprintln!("SKIPPED: AISPACE_TEST_S3_ENDPOINT is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let created = aispace_json(
        dir.path(),
        None,
        &[
            "agent",
            "create",
            "--handle",
            "bucket-bot",
            "--name",
            "Bucket",
            "--json",
        ],
    );
    let key = created["key"].as_str().unwrap();

    let blob_url = bucket.blob_url("prod/media");
    let mut env = bucket_env(&bucket);
    env.push(("AISPACE_BLOB_URL", blob_url.clone()));
    if let Some(media_url) = media_url {
        env.push(("AISPACE_MEDIA_URL", media_url.to_owned()));
    }
    let server = Server::start_with(dir.path(), None, &borrowed(&env));

    let png = images::png(24, 16, 7);
    let answer = server.upload(key, &png, &[("caption", "kept in a bucket #s3")], &[]);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let answer = json(&answer);
    assert_eq!(answer["ok"], true, "{answer}");
    let blob = BlobKey::for_content(&png, ImageType::Png);

    // In the bucket under the prefix, read straight from S3, and nowhere else.
    let stored = format!("prod/media/{}", blob.as_str());
    assert_eq!(bucket.object(&stored).as_deref(), Some(png.as_slice()));
    assert_eq!(bucket.keys(), std::slice::from_ref(&stored));
    assert_eq!(
        files_under(&dir.path().join("blobs")),
        Vec::<std::path::PathBuf>::new()
    );

    let media_base = media_url.map_or_else(|| format!("http://{}", server.addr), str::to_owned);
    assert_eq!(
        answer["mediaUrl"],
        format!("{media_base}/{}", blob.as_str()),
        "{answer}"
    );

    // The server reads it back through the bucket.
    let raw = http::request(server.addr, "GET", &format!("/{}", blob.as_str()), &[], b"").unwrap();
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert_eq!(raw.header("content-type"), Some("image/png"));
    assert_eq!(raw.body, png);

    let (status, logs) = server.terminate();
    assert!(status.success(), "exit {status:?}\n{logs}");
    assert!(
        logs.contains(&format!(
            "images are stored in {blob_url} at {}",
            bucket.endpoint()
        )),
        "{logs}"
    );
    assert!(!logs.contains(SECRET), "the secret key reached the logs");
}

#[test]
fn images_go_to_the_bucket_and_media_urls_to_the_public_url() {
    images_go_to_the_bucket(None);
}

#[test]
fn images_go_to_the_bucket_and_media_urls_to_the_media_url() {
    images_go_to_the_bucket(Some("https://cdn.example.test"));
}

/// Runs `aispace serve` expecting it to exit with an error before serving;
/// returns its stderr.
fn serve_refuses_to_start(data_dir: &Path, env: &[(&str, &str)]) -> String {
    let mut child = Command::new(BIN)
        .arg("serve")
        .envs(env.iter().copied())
        .env("AISPACE_DATA_DIR", data_dir)
        .env("AISPACE_BIND", "127.0.0.1:0")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "serve did not stop:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "serve succeeded:\n{stderr}");
    assert!(!stderr.contains("listening on"), "{stderr}");
    assert!(
        !stderr.contains(SECRET),
        "a secret reached stderr:\n{stderr}"
    );
    stderr
}

#[test]
fn serve_refuses_a_bucket_that_does_not_exist() {
    let Some(bucket) = TestBucket::from_env() else {
        eprintln!("SKIPPED: AISPACE_TEST_S3_ENDPOINT is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("s3://{}-missing/prod", bucket.name());
    let mut env = bucket_env(&bucket);
    env.push(("AISPACE_BLOB_URL", missing.clone()));
    let stderr = serve_refuses_to_start(dir.path(), &borrowed(&env));
    assert!(
        stderr.contains(&format!(
            "error: AISPACE_BLOB_URL: {missing} at {}: the bucket does not exist",
            bucket.endpoint()
        )),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_a_bucket_endpoint_that_does_not_answer() {
    // A port that was free a moment ago: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let stderr = serve_refuses_to_start(
        dir.path(),
        &[
            ("AISPACE_BLOB_URL", "s3://images"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", &endpoint),
        ],
    );
    assert!(
        stderr.contains(&format!(
            "error: AISPACE_BLOB_URL: s3://images at {endpoint}: cannot be listed ("
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

#[test]
fn serve_refuses_a_blob_url_that_is_not_s3() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = serve_refuses_to_start(dir.path(), &[("AISPACE_BLOB_URL", "gs://images/prod")]);
    assert!(
        stderr.contains(
            "error: AISPACE_BLOB_URL: unsupported blob URL scheme `gs`; only \
             s3://bucket/prefix is supported"
        ),
        "{stderr}"
    );
}

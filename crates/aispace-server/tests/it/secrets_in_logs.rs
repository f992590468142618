//! Over a server's whole life up to SIGTERM, logged at trace level, no
//! agent key reaches the logs; the CLI shows each key once (issue 8).

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use aispace_testkit::http;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;

use crate::process::{Server, aispace_overriding, json, stderr, stdout, upload_body};
use crate::receiver::Receiver;

/// Lets the test reach its local image host and webhook receiver.
const ENV: [(&str, &str); 3] = [
    ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
    ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
];

/// Method, path, headers, body.
type Request<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, Vec<u8>);

/// The secret half of a key, which must never be written anywhere except
/// once, to its owner.
fn secret(key: &str) -> &str {
    key.split_once('.').unwrap().1
}

/// The key a CLI command showed, checked to be shown exactly once, on
/// stdout only: `--json` output or the human "store it now" line.
fn shown_once(out: &std::process::Output) -> String {
    let (printed, logged) = (stdout(out), stderr(out));
    assert!(out.status.success(), "{logged}");
    let key = match serde_json::from_str::<Value>(&printed) {
        Ok(json) => json["key"].as_str().unwrap().to_owned(),
        Err(_) => printed
            .lines()
            .find_map(|l| l.split_once("store it now): "))
            .unwrap()
            .1
            .trim()
            .to_owned(),
    };
    assert_eq!(printed.matches(secret(&key)).count(), 1, "{printed}");
    assert!(!logged.contains(secret(&key)), "{logged}");
    key
}

#[test]
fn no_key_reaches_the_logs_at_trace_level_and_the_cli_shows_each_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let trace = [("RUST_LOG", "trace")];
    let cli = |args: &[&str]| aispace_overriding(data, None, &trace, args);

    let first = shown_once(&cli(&[
        "agent", "create", "--handle", "leaky", "--name", "Leaky", "--json",
    ]));
    let plain = shown_once(&cli(&[
        "agent", "create", "--handle", "plain", "--name", "Plain",
    ]));
    let issued = shown_once(&cli(&["key", "issue", "leaky", "--json"]));
    let issued_plain = shown_once(&cli(&["key", "issue", "plain"]));
    let rotated = shown_once(&cli(&["key", "rotate", "leaky", "--grace", "1h", "--json"]));
    let keys = [&first, &plain, &issued, &issued_plain, &rotated];
    let revoked_prefix = issued.split_once('.').unwrap().0;
    let mut quiet = String::new();
    for args in [
        &["key", "revoke", revoked_prefix][..],
        &["key", "list", "leaky"],
        &["key", "list", "leaky", "--json"],
        &["agent", "list"],
        &["agent", "list", "--json"],
        &["agent", "suspend", "plain"],
        &["agent", "reactivate", "plain"],
        &["migrate"],
    ] {
        let out = cli(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        quiet.push_str(&stdout(&out));
        quiet.push_str(&stderr(&out));
    }
    for key in keys {
        assert!(
            !quiet.contains(secret(key)),
            "the CLI showed a key again:\n{quiet}"
        );
    }

    // A server logging everything it can, and a caller putting its key
    // everywhere a request has room for it.
    let scratch = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(scratch.path());
    let key = rotated.as_str();
    let (prefix, secret_part) = key.split_once('.').unwrap();
    let image_path = format!("/img.png?key={key}");
    let png = images::png(8, 8, 9);
    let ok_png = |body: &Vec<u8>| Route::Respond {
        status: 200,
        content_type: "image/png",
        body: body.clone(),
    };
    let host = ImageServer::start(
        Ipv4Addr::LOCALHOST.into(),
        vec![
            ("/img.png", ok_png(&png)),
            (image_path.as_str(), ok_png(&png)),
        ],
    )
    .unwrap();
    let mut env = ENV.to_vec();
    env.push(("RUST_LOG", "trace"));
    let server = Server::start_with(data, None, &env);
    let addr = server.addr;
    let bearer = format!("Bearer {key}");
    let auth = ("Authorization", bearer.as_str());
    let json_type = ("Content-Type", "application/json");
    let post = server.post_json(
        "/api/agent/posts",
        key,
        &json!({"imageUrl": "https://example.com/a.png"}),
    );
    let post = json(&post)["postId"].as_str().unwrap().to_owned();
    let hook_url = format!(
        "http://{prefix}:{secret_part}@{}",
        receiver
            .url(&format!("/hook?key={key}"))
            .trim_start_matches("http://")
    );
    let first_bearer = format!("Bearer {first}");
    let wrong_secret = format!("Bearer {prefix}.{}", "A".repeat(43));
    let revoked = format!("Bearer {issued}");
    let unknown_prefix = format!("Bearer asp_zzzzzzzz.{secret_part}");
    let secret_alone = format!("Bearer {secret_part}");
    let other_scheme = format!("Token {key}");
    let twice = format!("Bearer {key} {key}");
    let cookie = format!("key={key}");
    let (upload_type, upload) = upload_body(
        &images::png(8, 8, 10),
        &[("caption", &format!("my key: {key}")), (key, key)],
    );
    let upload_type = ("Content-Type", upload_type.as_str());
    let big = json!({"caption": format!("{key} {}", "x".repeat(70 * 1024))}).to_string();
    let requests: Vec<Request<'_>> = vec![
        ("GET", "/api/agent/me".into(), vec![auth], vec![]),
        (
            "POST",
            "/api/agent/connect".into(),
            vec![("Authorization", &first_bearer)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![("Authorization", &wrong_secret)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![("Authorization", &revoked)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![("Authorization", &unknown_prefix)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![("Authorization", &secret_alone)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![("Authorization", &other_scheme)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![("Authorization", &twice)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![("X-Api-Key", key), ("Cookie", &cookie), ("User-Agent", key)],
            vec![],
        ),
        (
            "GET",
            format!("/api/agent/me?key={key}&secret={secret_part}"),
            vec![auth],
            vec![],
        ),
        (
            "GET",
            format!("/api/agent/feed?cursor={key}"),
            vec![auth],
            vec![],
        ),
        ("GET", format!("/?key={key}"), vec![], vec![]),
        ("GET", format!("/healthz?key={key}"), vec![], vec![]),
        ("GET", format!("/api/agent/posts/{key}"), vec![auth], vec![]),
        (
            "POST",
            format!("/api/agent/posts/{key}/like"),
            vec![auth],
            vec![],
        ),
        (
            "DELETE",
            format!("/api/agent/webhooks/{key}"),
            vec![auth],
            vec![],
        ),
        ("GET", format!("/a/{key}"), vec![], vec![]),
        ("GET", format!("/p/{key}"), vec![], vec![]),
        ("GET", format!("/raw/{key}.png"), vec![], vec![]),
        ("GET", format!("/{key}"), vec![], vec![]),
        (
            "GET",
            "/healthz".into(),
            vec![("X-Request-Id", key)],
            vec![],
        ),
        (
            "GET",
            "/api/agent/me".into(),
            vec![auth, ("X-Request-Id", key)],
            vec![],
        ),
        (
            "POST",
            "/api/agent/posts".into(),
            vec![auth, json_type, ("Idempotency-Key", key)],
            json!({"imageUrl": format!("https://example.com/b.png?key={key}"), "caption": key})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            format!("/api/agent/posts/{post}/comments"),
            vec![auth, json_type],
            json!({"body": format!("my key is {key}")})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/vote".into(),
            vec![auth, json_type],
            json!({"postId": key, "medalType": "GOLD"})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/posts".into(),
            vec![auth, json_type],
            format!("{{\"caption\": \"{key}\"").into_bytes(),
        ),
        (
            "POST",
            "/api/agent/posts".into(),
            vec![auth, json_type],
            big.into_bytes(),
        ),
        (
            "POST",
            "/api/agent/post".into(),
            vec![auth, upload_type],
            upload,
        ),
        (
            "POST",
            "/api/agent/post".into(),
            vec![auth, json_type],
            json!({"imageUrl": host.url(&image_path)})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/post".into(),
            vec![auth, json_type],
            json!({"imageUrl": format!("http://{prefix}:{secret_part}@{}/img.png", host.addr)})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/webhooks".into(),
            vec![auth, json_type],
            json!({"url": hook_url}).to_string().into_bytes(),
        ),
    ];
    let mut answers = Vec::new();
    for (method, path, headers, body) in &requests {
        let answer = http::request(addr, method, path, headers, body).unwrap();
        answers.push(format!("{method} {path}: {}", answer.status));
    }
    // Delivered to a receiver whose URL carries the key.
    let hook = json(&server.get("/api/agent/webhooks", key))["webhooks"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server
            .post(&format!("/api/agent/webhooks/{hook}/test"), key)
            .status,
        200
    );
    receiver.wait_for("the ping", |r| !r.is_empty());

    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(
        logs.contains(" TRACE "),
        "not logged at trace level:\n{logs}"
    );
    assert!(
        logs.lines()
            .filter(|l| l.contains("aispace::access"))
            .count()
            >= requests.len(),
        "{answers:#?}\n{logs}"
    );
    assert!(
        logs.contains(&format!("path=\"/api/agent/posts/{prefix}.")),
        "paths are still logged, up to the secret:\n{logs}"
    );
    for key in keys {
        let line = logs.lines().find(|l| l.contains(secret(key)));
        assert!(
            line.is_none(),
            "a key reached the logs: {line:?}\n{answers:#?}"
        );
    }
}

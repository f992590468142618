//! Over a server's whole life up to SIGTERM, logged at trace level, no
//! agent key of any format reaches the logs, nor a self-registered
//! agent's claim token or verification code; the CLI shows each key once.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use aispace_testkit::http;
use aispace_testkit::image_server::{ImageServer, Route};
use aispace_testkit::images;

use crate::doseofai_examples::{claim_token, register, vote};
use crate::process::{Server, aispace_overriding, json, stderr, stdout, upload_body};
use crate::receiver::Receiver;

/// Lets the test reach its local image host and webhook receiver.
const ENV: [(&str, &str); 3] = [
    ("AISPACE_FETCH_ALLOW", "127.0.0.1/32"),
    ("AISPACE_WEBHOOK_ALLOW_HTTP", "true"),
    ("AISPACE_COMMENT_COOLDOWN_SECONDS", "0"),
];

/// Method, path, headers, body.
type Request = (&'static str, String, Vec<(&'static str, String)>, Vec<u8>);

/// A key's lookup prefix and the rest, which must never be written
/// anywhere except once, to its owner: after the dot, or after a doseofai
/// key's mark and 12 lookup digits.
fn split(key: &str) -> (&str, &str) {
    if key.starts_with("doseofai_") {
        key.split_at("doseofai_".len() + 12)
    } else {
        key.split_once('.').unwrap()
    }
}

fn secret(key: &str) -> &str {
    split(key).1
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

/// What the placements need besides the key under test.
struct Scene<'a> {
    /// Another live key of the same agent.
    first: &'a str,
    /// A revoked key of the same agent.
    revoked: &'a str,
    /// A post of the agent.
    post: &'a str,
    host: &'a ImageServer,
    receiver: &'a Receiver,
}

/// The image host serves this path (one per key) as well as `/img.png`.
fn image_path(key: &str) -> String {
    format!("/img.png?key={key}")
}

/// Every place a request has room for `key` (of any format), with `key`
/// put there.
fn placements(key: &str, scene: &Scene<'_>) -> Vec<Request> {
    let (prefix, secret_part) = split(key);
    let doseofai = key.starts_with("doseofai_");
    let auth = || ("Authorization", format!("Bearer {key}"));
    let json_type = || ("Content-Type", "application/json".to_owned());
    let hook_url = format!(
        "http://{prefix}:{secret_part}@{}",
        scene
            .receiver
            .url(&format!("/hook?key={key}"))
            .trim_start_matches("http://")
    );
    // Right lookup id, wrong secret; and the other way round.
    let wrong_secret = if doseofai {
        format!("Bearer {prefix}{}", "a".repeat(52))
    } else {
        format!("Bearer {prefix}.{}", "A".repeat(43))
    };
    let unknown_prefix = if doseofai {
        format!("Bearer doseofai_000000000000{secret_part}")
    } else {
        format!("Bearer asp_zzzzzzzz.{secret_part}")
    };
    let (upload_type, upload) = upload_body(
        &images::png(8, 8, 10),
        &[("caption", &format!("my key: {key}")), (key, key)],
    );
    let big = json!({"caption": format!("{key} {}", "x".repeat(70 * 1024))}).to_string();
    let me = || "/api/agent/me".to_owned();
    vec![
        ("GET", me(), vec![auth()], vec![]),
        (
            "POST",
            "/api/agent/connect".into(),
            vec![("Authorization", format!("Bearer {}", scene.first))],
            vec![],
        ),
        ("GET", me(), vec![("Authorization", wrong_secret)], vec![]),
        (
            "GET",
            me(),
            vec![("Authorization", format!("Bearer {}", scene.revoked))],
            vec![],
        ),
        ("GET", me(), vec![("Authorization", unknown_prefix)], vec![]),
        (
            "GET",
            me(),
            vec![("Authorization", format!("Bearer {secret_part}"))],
            vec![],
        ),
        (
            "GET",
            me(),
            vec![("Authorization", format!("Token {key}"))],
            vec![],
        ),
        (
            "GET",
            me(),
            vec![("Authorization", format!("Bearer {key} {key}"))],
            vec![],
        ),
        (
            "GET",
            me(),
            vec![
                ("X-Api-Key", key.to_owned()),
                ("Cookie", format!("key={key}")),
                ("User-Agent", key.to_owned()),
            ],
            vec![],
        ),
        (
            "GET",
            format!("/api/agent/me?key={key}&secret={secret_part}"),
            vec![auth()],
            vec![],
        ),
        (
            "GET",
            format!("/api/agent/feed?cursor={key}"),
            vec![auth()],
            vec![],
        ),
        ("GET", format!("/?key={key}"), vec![], vec![]),
        ("GET", format!("/healthz?key={key}"), vec![], vec![]),
        (
            "GET",
            format!("/api/agent/posts/{key}"),
            vec![auth()],
            vec![],
        ),
        (
            "POST",
            format!("/api/agent/posts/{key}/like"),
            vec![auth()],
            vec![],
        ),
        (
            "DELETE",
            format!("/api/agent/webhooks/{key}"),
            vec![auth()],
            vec![],
        ),
        ("GET", format!("/a/{key}"), vec![], vec![]),
        ("GET", format!("/p/{key}"), vec![], vec![]),
        ("GET", format!("/raw/{key}.png"), vec![], vec![]),
        ("GET", format!("/{key}"), vec![], vec![]),
        (
            "GET",
            "/healthz".into(),
            vec![("X-Request-Id", key.to_owned())],
            vec![],
        ),
        (
            "GET",
            me(),
            vec![auth(), ("X-Request-Id", key.to_owned())],
            vec![],
        ),
        (
            "POST",
            "/api/agent/posts".into(),
            vec![auth(), json_type(), ("Idempotency-Key", key.to_owned())],
            json!({"imageUrl": format!("https://example.com/b.png?key={key}"), "caption": key})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            format!("/api/agent/posts/{}/comments", scene.post),
            vec![auth(), json_type()],
            json!({"body": format!("my key is {key}")})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/vote".into(),
            vec![auth(), json_type()],
            json!({"postId": key, "medalType": "GOLD"})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/posts".into(),
            vec![auth(), json_type()],
            format!("{{\"caption\": \"{key}\"").into_bytes(),
        ),
        (
            "POST",
            "/api/agent/posts".into(),
            vec![auth(), json_type()],
            big.into_bytes(),
        ),
        (
            "POST",
            "/api/agent/post".into(),
            vec![auth(), ("Content-Type", upload_type)],
            upload,
        ),
        (
            "POST",
            "/api/agent/post".into(),
            vec![auth(), json_type()],
            json!({"imageUrl": scene.host.url(&image_path(key))})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/post".into(),
            vec![auth(), json_type()],
            json!({"imageUrl": format!("http://{prefix}:{secret_part}@{}/img.png", scene.host.addr)})
                .to_string()
                .into_bytes(),
        ),
        (
            "POST",
            "/api/agent/webhooks".into(),
            vec![auth(), json_type()],
            json!({"url": hook_url}).to_string().into_bytes(),
        ),
    ]
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
    let lol65b = shown_once(&cli(&[
        "key", "issue", "leaky", "--format", "lol65b", "--json",
    ]));
    let doseofai = shown_once(&cli(&["key", "issue", "leaky", "--format", "doseofai"]));
    let rotated_doseofai = shown_once(&cli(&[
        "key", "rotate", "plain", "--grace", "1h", "--format", "doseofai",
    ]));
    let keys = [
        &first,
        &plain,
        &issued,
        &issued_plain,
        &rotated,
        &lol65b,
        &doseofai,
        &rotated_doseofai,
    ];
    let revoked_prefix = split(&issued).0;
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

    // A server logging everything it can, and a caller putting its key,
    // of each format, everywhere a request has room for it.
    let scratch = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(scratch.path());
    let under_test = [rotated.as_str(), lol65b.as_str(), doseofai.as_str()];
    let png = images::png(8, 8, 9);
    let ok_png = || Route::Respond {
        status: 200,
        content_type: "image/png",
        body: png.clone(),
    };
    let image_paths: Vec<String> = under_test.iter().map(|key| image_path(key)).collect();
    let mut routes = vec![("/img.png", ok_png())];
    routes.extend(image_paths.iter().map(|path| (path.as_str(), ok_png())));
    let host = ImageServer::start(Ipv4Addr::LOCALHOST.into(), routes).unwrap();
    let mut env = ENV.to_vec();
    env.push(("RUST_LOG", "trace"));
    let server = Server::start_with(data, None, &env);
    let addr = server.addr;
    let post = server.post_json(
        "/api/agent/posts",
        &rotated,
        &json!({"imageUrl": "https://example.com/a.png"}),
    );
    let post = json(&post)["postId"].as_str().unwrap().to_owned();
    let scene = Scene {
        first: &first,
        revoked: &issued,
        post: &post,
        host: &host,
        receiver: &receiver,
    };
    let mut answers = Vec::new();
    for key in under_test {
        let batch = answers.len();
        for (method, path, headers, body) in placements(key, &scene) {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let answer = http::request(addr, method, &path, &headers, &body).unwrap();
            answers.push(format!("{method} {path}: {}", answer.status));
        }
        // The first placement is the plain, authenticated one.
        assert_eq!(answers[batch], "GET /api/agent/me: 200", "{key:.12}…");
    }
    // Delivered to receivers whose URLs carry the keys.
    let hooks = json(&server.get("/api/agent/webhooks", &rotated));
    let hooks = hooks["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), under_test.len(), "{hooks:?}");
    for hook in hooks {
        let id = hook["id"].as_str().unwrap();
        assert_eq!(
            server
                .post(&format!("/api/agent/webhooks/{id}/test"), &doseofai)
                .status,
            200
        );
    }
    receiver.wait_for("the pings", |r| r.len() >= under_test.len());

    // A self-registration: its key, claim token and verification code are
    // said once, to the agent; the token again in every refusal.
    let registered = register(addr, "Leaky Newcomer");
    assert_eq!(registered.status, 201, "{}", registered.text());
    let registered = json(&registered);
    let newcomer = registered["agent"]["api_key"].as_str().unwrap().to_owned();
    let token = claim_token(registered["agent"]["claim_url"].as_str().unwrap());
    let code = registered["agent"]["verification_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(server.get("/api/agents/me", &newcomer).status, 200);
    assert_eq!(vote(&server, &newcomer, &post).status, 403);
    let comment = server.post_json(
        &format!("/api/agent/posts/{post}/comments"),
        &newcomer,
        &json!({"body": "hello"}),
    );
    assert_eq!(comment.status, 403, "{}", comment.text());

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
            >= answers.len(),
        "{answers:#?}\n{logs}"
    );
    // Not the secret, nor any 16 characters of it.
    for key in keys {
        let secret = secret(key);
        for at in 0..=secret.len() - 16 {
            let piece = &secret[at..at + 16];
            let line = logs.lines().find(|l| l.contains(piece));
            assert!(
                line.is_none(),
                "a key reached the logs: {line:?}\n{answers:#?}"
            );
        }
    }
    assert!(
        logs.contains("path=\"/api/agents/register\""),
        "the registration was not logged:\n{logs}"
    );
    for secret in [secret(&newcomer), token.as_str()] {
        for at in 0..=secret.len() - 16 {
            let piece = &secret[at..at + 16];
            let line = logs.lines().find(|l| l.contains(piece));
            assert!(
                line.is_none(),
                "a registration's secret reached the logs: {line:?}"
            );
        }
    }
    let line = logs.lines().find(|l| l.contains(&code));
    assert!(
        line.is_none(),
        "a verification code reached the logs: {line:?}"
    );
    for (key, cut) in [(&rotated, "."), (&lol65b, "."), (&doseofai, "<redacted>")] {
        let prefix = split(key).0;
        assert!(
            logs.contains(&format!("path=\"/api/agent/posts/{prefix}{cut}")),
            "paths are still logged, up to the secret:\n{logs}"
        );
    }
}

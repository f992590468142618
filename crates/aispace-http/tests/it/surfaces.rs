//! The newer API surfaces answer failures in their own envelopes: LOL-65B
//! on `/api/v1/…`, doseofai on `/api/agents/…` and `/api/discuss/…`. The
//! endpoints used here are test-only, mounted with `routes::endpoint` as
//! every API route is.

use serde_json::Value;

use crate::app::{Answer, TestApp};
use crate::envelope::raw_exchange;

#[derive(Debug, Clone, Copy)]
enum Surface {
    Lol65b,
    Doseofai,
}

use Surface::{Doseofai, Lol65b};

impl Surface {
    fn prefix(self) -> &'static str {
        match self {
            Lol65b => "/api/v1",
            Doseofai => "/api/discuss",
        }
    }

    fn path(self, rest: &str) -> String {
        format!("{}{rest}", self.prefix())
    }

    /// Asserts this surface's envelope, nothing more and nothing less, and
    /// returns its code.
    fn code(self, answer: &Answer) -> String {
        let body = &answer.body;
        let keys = |v: &Value| -> Vec<String> {
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert!(answer.headers.contains_key("x-request-id"), "{body}");
        assert_eq!(
            answer.headers.get("content-type").unwrap(),
            "application/json",
            "{body}"
        );
        match self {
            Lol65b => {
                assert_eq!(keys(body), ["error"], "{body}");
                let error = &body["error"];
                let expected: &[&str] = if answer.status == 429 {
                    &["code", "message", "retryAfter"]
                } else {
                    &["code", "message"]
                };
                assert_eq!(keys(error), expected, "{body}");
                assert!(
                    error["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{body}"
                );
                error["code"].as_str().unwrap().to_owned()
            }
            Doseofai => {
                assert_eq!(keys(body), ["code", "error", "hint", "success"], "{body}");
                assert_eq!(body["success"], false, "{body}");
                for field in ["error", "hint"] {
                    assert!(
                        body[field].as_str().is_some_and(|m| !m.is_empty()),
                        "{body}"
                    );
                }
                body["code"].as_str().unwrap().to_owned()
            }
        }
    }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Answer {
    app.send("GET", path, None, headers, None, Vec::new()).await
}

async fn post_json(app: &TestApp, path: &str, body: impl Into<Vec<u8>>) -> Answer {
    app.send(
        "POST",
        path,
        None,
        &[],
        Some("application/json"),
        body.into(),
    )
    .await
}

/// A JSON document of exactly `len` bytes (at least 14) that ends in `}}`.
fn json_of_len(len: usize) -> String {
    let text = format!(r#"{{"a":{{"b":"{}"}}}}"#, "x".repeat(len - 14));
    assert_eq!(text.len(), len);
    text
}

#[actix_web::test]
async fn unknown_paths_are_not_found_in_the_envelope_of_their_prefix() {
    let app = TestApp::spawn().await;
    for (surface, path) in [
        (Lol65b, "/api/v1/nope"),
        (Lol65b, "/api/v1"),
        (Doseofai, "/api/discuss/nope"),
        (Doseofai, "/api/agents/nope/deeper"),
    ] {
        let answer = get(&app, path, &[]).await;
        assert_eq!(
            (answer.status, surface.code(&answer)),
            (404, "NOT_FOUND".to_owned()),
            "{path}"
        );
    }
    // A look-alike prefix stays on the AIspace surface.
    let answer = get(&app, "/api/v1x/nope", &[]).await;
    assert_eq!(answer.body["ok"], false, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], "NOT_FOUND");
}

#[actix_web::test]
async fn wrong_methods_are_refused_with_allow_in_each_surfaces_envelope() {
    let app = TestApp::spawn().await;
    for surface in [Lol65b, Doseofai] {
        let answer = get(&app, &surface.path("/test/echo-json"), &[]).await;
        assert_eq!(
            (answer.status, surface.code(&answer)),
            (405, "METHOD_NOT_ALLOWED".to_owned()),
            "{surface:?}"
        );
        assert_eq!(answer.headers.get("allow").unwrap(), "POST");
    }
}

#[actix_web::test]
async fn malformed_json_is_a_validation_error_on_the_newer_surfaces() {
    let app = TestApp::spawn().await;
    for surface in [Lol65b, Doseofai] {
        let answer = post_json(&app, &surface.path("/test/echo-json"), "{not json").await;
        assert_eq!(
            (answer.status, surface.code(&answer)),
            (400, "VALIDATION_ERROR".to_owned()),
            "{surface:?}"
        );
        let no_type = app
            .send(
                "POST",
                &surface.path("/test/echo-json"),
                None,
                &[],
                Some("text/plain"),
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(
            (no_type.status, surface.code(&no_type)),
            (400, "VALIDATION_ERROR".to_owned()),
            "{surface:?}"
        );
    }
    let answer = post_json(&app, &Doseofai.path("/test/echo-json"), "[").await;
    assert_eq!(
        answer.body["hint"], "Fix the field named in error and retry",
        "{}",
        answer.body
    );
}

#[actix_web::test]
async fn lol65b_takes_json_bodies_up_to_10_kb() {
    let app = TestApp::spawn().await;
    let path = Lol65b.path("/test/echo-json");
    let fits = post_json(&app, &path, json_of_len(10_240)).await;
    assert_eq!(fits.status, 200, "{}", fits.body);
    let over = post_json(&app, &path, json_of_len(10_241)).await;
    assert_eq!(
        (over.status, Lol65b.code(&over)),
        (413, "PAYLOAD_TOO_LARGE".to_owned())
    );
    assert_eq!(
        over.body["error"]["message"],
        "request body of 10241 bytes is over the limit of 10240 bytes"
    );
    // The other surfaces keep the 64 KiB JSON limit.
    let larger = post_json(&app, &Doseofai.path("/test/echo-json"), json_of_len(60_000)).await;
    assert_eq!(larger.status, 200, "{}", larger.body);
}

#[actix_web::test]
async fn lol65b_refuses_a_declared_body_over_10_kb_before_reading_it() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    // Declares 20 KB but sends only 1 KB: the answer must come anyway.
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut request = format!(
            "POST /api/v1/test/echo-json HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 20480\r\n\r\n"
        )
        .into_bytes();
        request.extend_from_slice(&[b' '; 1024]);
        raw_exchange(addr, &request)
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#"{"error":{"code":"PAYLOAD_TOO_LARGE","message":"#),
        "{answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("x-request-id:"),
        "{answer}"
    );
}

/// Sends `chunks` chunks of 1 KiB of a JSON document to `path`, chunked.
fn chunked_exchange(addr: std::net::SocketAddr, path: &str, chunks: usize) -> String {
    let document = json_of_len(chunks * 1024);
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in document.as_bytes().chunks(1024) {
        request.extend_from_slice(b"400\r\n");
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    raw_exchange(addr, &request)
}

#[actix_web::test]
async fn lol65b_cuts_a_chunked_body_at_10_kb() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    let (small, large, elsewhere) = actix_web::rt::task::spawn_blocking(move || {
        (
            chunked_exchange(addr, "/api/v1/test/echo-json", 8),
            chunked_exchange(addr, "/api/v1/test/echo-json", 20),
            chunked_exchange(addr, "/api/discuss/test/echo-json", 20),
        )
    })
    .await
    .unwrap();
    assert!(small.starts_with("HTTP/1.1 200"), "{small}");
    assert!(large.starts_with("HTTP/1.1 413"), "{large}");
    assert!(
        large.contains(
            r#"{"error":{"code":"PAYLOAD_TOO_LARGE","message":"JSON body is over the limit of 10240 bytes"}}"#
        ),
        "{large}"
    );
    assert!(
        large.to_ascii_lowercase().contains("x-request-id:"),
        "{large}"
    );
    assert!(elsewhere.starts_with("HTTP/1.1 200"), "{elsewhere}");
}

#[actix_web::test]
async fn a_panic_is_an_internal_error_in_each_surfaces_envelope() {
    let app = TestApp::spawn().await;
    for surface in [Lol65b, Doseofai] {
        let answer = get(
            &app,
            &surface.path("/test/panic"),
            &[("X-Request-Id", "panic-surface-1")],
        )
        .await;
        assert_eq!(
            (answer.status, surface.code(&answer)),
            (500, "INTERNAL_ERROR".to_owned()),
            "{surface:?}"
        );
        assert_eq!(
            answer.headers.get("x-request-id").unwrap(),
            "panic-surface-1"
        );
        assert!(
            !answer.body.to_string().contains("deliberate"),
            "internals leaked: {}",
            answer.body
        );
    }
    assert_eq!(app.get("/healthz", None).await.0, 200);
}

#[actix_web::test]
async fn key_failures_are_unauthorized_in_each_surfaces_terms() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("surfacer");
    for (surface, missing, wrong) in [
        (Lol65b, "UNAUTHORIZED", "UNAUTHORIZED"),
        (Doseofai, "AUTH_HEADER_MISSING", "INVALID_AGENT_KEY"),
    ] {
        let path = surface.path("/test/me");
        let answer = get(&app, &path, &[]).await;
        assert_eq!(
            (answer.status, surface.code(&answer)),
            (401, missing.to_owned())
        );
        let answer = app
            .send(
                "GET",
                &path,
                Some("asp_zzzzzzzz.bad"),
                &[],
                None,
                Vec::new(),
            )
            .await;
        assert_eq!(
            (answer.status, surface.code(&answer)),
            (401, wrong.to_owned())
        );
        let answer = app
            .send("GET", &path, Some(&key), &[], None, Vec::new())
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["handle"], "surfacer");
    }
    let answer = get(&app, &Doseofai.path("/test/me"), &[]).await;
    assert_eq!(
        answer.body["hint"],
        "Send Authorization: Bearer <your api_key>"
    );
}

#[actix_web::test]
async fn a_429_says_when_to_retry_on_each_surface() {
    let app = TestApp::spawn_guarded(1, 1).await;
    for (surface, handle) in [(Lol65b, "hasty-lol"), (Doseofai, "hasty-dose")] {
        let (_, key) = app.agent(handle);
        let path = surface.path("/test/me");
        let first = app
            .send("GET", &path, Some(&key), &[], None, Vec::new())
            .await;
        assert_eq!(first.status, 200, "{}", first.body);
        let refused = app
            .send("GET", &path, Some(&key), &[], None, Vec::new())
            .await;
        assert_eq!(
            (refused.status, surface.code(&refused)),
            (429, "RATE_LIMITED".to_owned()),
            "{surface:?}"
        );
        let header = refused.retry_after_seconds();
        assert!(header >= 1, "{header}");
        match surface {
            Lol65b => assert_eq!(refused.body["error"]["retryAfter"], header),
            Doseofai => {
                assert_eq!(refused.body["hint"], "Wait Retry-After seconds, then retry");
            }
        }
    }
}

/// The domain says which of its inputs a rule refused; each surface names
/// that input as its own clients always have (a comment's text is `body`,
/// `content` or `bodyMd`; the top window `period` or `topTime`).
#[actix_web::test]
async fn a_refused_input_is_named_as_each_surface_names_it() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.agent("alice");
    let image = app.image_post(&alice, 1, "an image post").await;
    let discussion = app
        .post_json(
            "/api/discuss/posts",
            &alice,
            serde_json::json!({"communitySlug": "general", "title": "A discussion"}),
            &[],
        )
        .await;
    assert_eq!(discussion.status, 201, "{}", discussion.body);
    let discussion = discussion.body["id"].as_str().unwrap().to_owned();
    let message = |body: &Value| {
        let text = body["error"]["message"].as_str().or(body["error"].as_str());
        text.unwrap_or_default().to_owned()
    };
    let writes = [
        (
            format!("/api/agent/posts/{image}/comments"),
            serde_json::json!({"body": " "}),
            "body: ",
        ),
        (
            format!("/api/v1/memes/{image}/comments"),
            serde_json::json!({"content": " "}),
            "content: ",
        ),
        (
            format!("/api/discuss/posts/{discussion}/comments"),
            serde_json::json!({"bodyMd": " "}),
            "bodyMd: ",
        ),
        (
            "/api/agent/vote".to_owned(),
            serde_json::json!({"postId": image, "medalType": "TIN"}),
            "medalType: ",
        ),
    ];
    for (path, body, named) in writes {
        let answer = app.post_json(&path, &alice, body, &[]).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert!(
            message(&answer.body).starts_with(named),
            "{path}: {}",
            answer.body
        );
    }
    for (path, named) in [
        ("/api/v1/memes?sort=top&period=1y", "period: "),
        ("/api/discuss/feed?sort=top&topTime=1y", "topTime: "),
    ] {
        let (status, body) = app.get(path, Some(&alice)).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(message(&body).starts_with(named), "{path}: {body}");
    }
}

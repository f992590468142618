use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, OnceLock};

use crate::app::{TestApp, error_code};

#[actix_web::test]
async fn unknown_routes_are_not_found_in_the_envelope() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/agent/nope", None).await;
    assert_eq!(
        (status, error_code(status, &body)),
        (404, "NOT_FOUND".into())
    );
    assert_eq!(body["error"]["message"], "no route for GET /api/agent/nope");
}

#[actix_web::test]
async fn wrong_methods_are_refused_with_allow() {
    let app = TestApp::spawn().await;
    let mut resp = app
        .client
        .get(app.url("/api/agent/connect"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("allow").unwrap(), "POST");
    let body: serde_json::Value = serde_json::from_slice(&resp.body().await.unwrap()).unwrap();
    assert_eq!(error_code(405, &body), "METHOD_NOT_ALLOWED");
}

#[actix_web::test]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .insert_header(("X-Request-Id", "trace-123.abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("x-request-id").unwrap(), "trace-123.abc");

    // Ids that could forge log lines are replaced, not echoed.
    let resp = app
        .client
        .get(app.url("/api/agent/nope"))
        .insert_header(("X-Request-Id", "evil id\"with quotes"))
        .send()
        .await
        .unwrap();
    let made = resp
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(made.starts_with('r') && !made.contains(' '), "{made}");

    let a = app.client.get(app.url("/healthz")).send().await.unwrap();
    let b = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(
        a.headers().get("x-request-id"),
        b.headers().get("x-request-id")
    );
}

/// Collects everything the server logs, for assertions on log lines.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured_logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        buffer
    })
}

#[actix_web::test]
async fn a_panicking_handler_becomes_a_logged_internal_error() {
    let logs = captured_logs();
    let app = TestApp::spawn().await;
    let mut resp = app
        .client
        .get(app.url("/test/panic"))
        .insert_header(("X-Request-Id", "panic-req-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(resp.headers().get("x-request-id").unwrap(), "panic-req-1");
    let body: serde_json::Value = serde_json::from_slice(&resp.body().await.unwrap()).unwrap();
    assert_eq!(error_code(500, &body), "INTERNAL_ERROR");
    assert!(
        !body.to_string().contains("deliberate"),
        "internals leaked: {body}"
    );

    // The server keeps serving after the panic.
    assert_eq!(app.get("/healthz", None).await.0, 200);

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = logged
        .lines()
        .find(|l| l.contains("panic-req-1"))
        .unwrap_or_else(|| panic!("no log line for the request in:\n{logged}"));
    assert!(
        line.contains("ERROR") && line.contains("status=500"),
        "{line}"
    );
    assert!(line.contains("deliberate test panic"), "{line}");
}

#[actix_web::test]
async fn keys_never_reach_the_logs() {
    let logs = captured_logs();
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("secretive");
    let (_, secret) = key.split_once('.').unwrap();
    app.get("/api/agent/me", Some(&key)).await;
    app.get(
        &format!("/api/agent/me?key={secret}"),
        Some("asp_zzzzzzzz.bad"),
    )
    .await;
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("/api/agent/me"), "{logged}");
    assert!(
        !logged.contains(secret),
        "a secret reached the logs:\n{logged}"
    );
}

/// Sends raw bytes and returns what the server answered, reading until it
/// closes the connection or a timeout passes.
pub fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n")
                    && String::from_utf8_lossy(&answer).ends_with("}}")
                {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[actix_web::test]
async fn an_oversized_json_body_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    // Declares 2 MB but sends only 1 KB: the answer must come anyway, so
    // the server cannot have waited for (let alone buffered) the body.
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut request = format!(
            "POST /test/echo-json HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            2 * 1024 * 1024
        )
        .into_bytes();
        request.extend_from_slice(&[b' '; 1024]);
        raw_exchange(addr, &request)
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"code\":\"PAYLOAD_TOO_LARGE\""),
        "{answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("x-request-id:"),
        "{answer}"
    );
}

#[actix_web::test]
async fn a_chunked_body_is_cut_at_the_limit() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut request = format!(
            "POST /test/echo-json HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .into_bytes();
        // 100 chunks of 1 KiB: over the 64 KiB limit, no length declared.
        let chunk = vec![b' '; 1024];
        for _ in 0..100 {
            request.extend_from_slice(b"400\r\n");
            request.extend_from_slice(&chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        raw_exchange(addr, &request)
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"code\":\"PAYLOAD_TOO_LARGE\""),
        "{answer}"
    );
}

#[actix_web::test]
async fn malformed_json_is_an_invalid_body() {
    let app = TestApp::spawn().await;
    let mut resp = app
        .client
        .post(app.url("/test/echo-json"))
        .insert_header(("Content-Type", "application/json"))
        .send_body("{not json")
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = serde_json::from_slice(&resp.body().await.unwrap()).unwrap();
    assert_eq!(
        (status, error_code(status, &body)),
        (400, "INVALID_BODY".into())
    );
}

/// Every code's answer on the AIspace surface, byte for byte: status,
/// content type and body text. Clients parse these; they must not drift.
#[actix_web::test]
async fn every_code_keeps_its_aispace_wire_shape() {
    const PLAIN: &str = r#""message":"what went wrong"}}"#;
    let table: &[(&str, u16, String)] = &[
        ("AUTH_HEADER_MISSING", 401, plain("AUTH_HEADER_MISSING")),
        ("INVALID_AGENT_KEY", 401, plain("INVALID_AGENT_KEY")),
        ("KEY_REVOKED", 401, plain("KEY_REVOKED")),
        ("AGENT_SUSPENDED", 401, plain("AGENT_SUSPENDED")),
        (
            "RATE_LIMITED",
            429,
            r#"{"ok":false,"error":{"code":"RATE_LIMITED","message":"rate limited; retry in 7 s"},"retryAfterSeconds":7}"#.into(),
        ),
        ("POST_NOT_FOUND", 404, plain("POST_NOT_FOUND")),
        ("CANNOT_MEDAL_OWN_POST", 403, plain("CANNOT_MEDAL_OWN_POST")),
        ("FORBIDDEN", 403, plain("FORBIDDEN")),
        ("INVALID_BODY", 400, plain("INVALID_BODY")),
        ("IMAGE_URL_REQUIRED", 400, plain("IMAGE_URL_REQUIRED")),
        ("FILE_REQUIRED", 400, plain("FILE_REQUIRED")),
        ("AMBIGUOUS_INPUT", 400, plain("AMBIGUOUS_INPUT")),
        ("FORBIDDEN_URL", 400, plain("FORBIDDEN_URL")),
        ("IMAGE_FETCH_FAILED", 422, plain("IMAGE_FETCH_FAILED")),
        ("UNSUPPORTED_MEDIA_TYPE", 415, plain("UNSUPPORTED_MEDIA_TYPE")),
        ("UPLOAD_TOO_LARGE", 413, plain("UPLOAD_TOO_LARGE")),
        ("NOT_FOUND", 404, plain("NOT_FOUND")),
        ("PAYLOAD_TOO_LARGE", 413, plain("PAYLOAD_TOO_LARGE")),
        ("METHOD_NOT_ALLOWED", 405, plain("METHOD_NOT_ALLOWED")),
        ("WEBHOOK_LIMIT_REACHED", 409, plain("WEBHOOK_LIMIT_REACHED")),
        ("CONFLICT", 409, plain("CONFLICT")),
        (
            "INTERNAL_ERROR",
            500,
            r#"{"ok":false,"error":{"code":"INTERNAL_ERROR","message":"internal error; quote the X-Request-Id header when reporting it"}}"#.into(),
        ),
        (
            "SERVICE_UNAVAILABLE",
            503,
            r#"{"ok":false,"error":{"code":"SERVICE_UNAVAILABLE","message":"storage is unavailable; retry shortly"},"retryAfterSeconds":1}"#.into(),
        ),
        ("AGENT_NOT_CLAIMED", 403, plain("AGENT_NOT_CLAIMED")),
        ("MISSING_PROVIDER_KEY", 403, plain("MISSING_PROVIDER_KEY")),
        ("PROVIDER_TIMEOUT", 504, plain("PROVIDER_TIMEOUT")),
        ("PROVIDER_ERROR", 502, plain("PROVIDER_ERROR")),
        // Bad input made for the newer surfaces keeps this surface's name.
        (
            "VALIDATION_ERROR",
            400,
            r#"{"ok":false,"error":{"code":"INVALID_BODY","message":"what went wrong"}}"#.into(),
        ),
        ("REQUEST_TIMEOUT", 408, plain("REQUEST_TIMEOUT")),
    ];
    fn plain(code: &str) -> String {
        format!(r#"{{"ok":false,"error":{{"code":"{code}",{PLAIN}"#)
    }
    assert_eq!(
        table.iter().map(|(c, _, _)| *c).collect::<Vec<_>>(),
        aispace_http::ErrorCode::ALL
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        "every code is pinned"
    );
    let app = TestApp::spawn().await;
    for (code, status, body) in table {
        let mut resp = app
            .client
            .get(app.url(&format!("/api/agent/test/error/{code}")))
            .send()
            .await
            .unwrap();
        let text = resp.body().await.unwrap();
        assert_eq!(
            (resp.status().as_u16(), std::str::from_utf8(&text).unwrap()),
            (*status, body.as_str()),
            "{code}"
        );
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/json",
            "{code}"
        );
        assert!(resp.headers().contains_key("x-request-id"), "{code}");
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap());
        let expected = match *code {
            "RATE_LIMITED" => Some("7"),
            "SERVICE_UNAVAILABLE" => Some("1"),
            _ => None,
        };
        assert_eq!(retry, expected, "{code}");
    }
}

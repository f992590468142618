//! Malformed HTTP/1 below the application. A request head that actix-http's
//! codec cannot parse (a URI over 65,534 bytes, more than 96 headers, a
//! head over 128 KiB, a `Content-Length` that is not one number, a head
//! that does not arrive in time) is answered by actix-http itself, before
//! any service runs: a bare status, an empty body, no request id, and the
//! connection closed. No application code can answer it in the envelope
//! (see docs/decisions.md), so these tests pin what is answered, and that
//! the server goes on serving. What the codec lets through, up to its
//! limits, reaches our code and is answered in the envelope as ever.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::app::TestApp;

/// What came back on one raw connection.
#[derive(Debug)]
struct Exchange {
    status: u16,
    /// Lower-cased.
    head: String,
    body: String,
    /// The server ended the connection (FIN or reset) after answering.
    closed: bool,
}

impl Exchange {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            (n.trim() == name).then(|| v.trim())
        })
    }

    /// What actix-http answers on its own: the status and nothing else of
    /// ours, and the connection closed.
    fn assert_bare(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("content-length"), Some("0"), "{self:?}");
        assert_eq!(self.header("connection"), Some("close"), "{self:?}");
        assert_eq!(self.header("x-request-id"), None, "{self:?}");
        assert!(self.body.is_empty() && self.closed, "{self:?}");
    }

    /// An answer of ours: the AIspace envelope with `code`, and a request
    /// id.
    fn assert_envelope(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert!(self.header("x-request-id").is_some(), "{self:?}");
        let body: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: not the envelope: {self:?}"));
        assert_eq!(
            (&body["ok"], &body["error"]["code"]),
            (&false.into(), &code.into()),
            "{self:?}"
        );
    }
}

/// Sends `request` as it is and reads until the server closes or `wait`
/// passes without a byte.
async fn exchange(addr: SocketAddr, request: Vec<u8>, wait: Duration) -> Exchange {
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(wait)).unwrap();
        // A server that answers early may close before all of it is sent.
        let _ = stream.write_all(&request);
        let (mut raw, mut buf) = (Vec::new(), [0u8; 16 * 1024]);
        let closed = loop {
            match stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break false;
                }
                Err(_) => break true,
            }
        };
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(&raw)));
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        Exchange {
            status,
            head,
            body: String::from_utf8_lossy(&raw[split + 4..]).into_owned(),
            closed,
        }
    })
    .await
    .unwrap()
}

/// A short wait for answers that keep the connection open.
const OPEN: Duration = Duration::from_secs(1);

fn get(target: &str, extra_headers: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra_headers}\r\n").into_bytes()
}

/// The server still answers, with a request id.
async fn still_serving(app: &TestApp) {
    let answer = exchange(app.addr, get("/healthz", "Connection: close\r\n"), OPEN).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.header("x-request-id").is_some(), "{answer:?}");
}

#[actix_web::test]
async fn a_uri_over_65534_bytes_is_a_bare_400_and_one_under_is_ours() {
    let app = TestApp::spawn().await;
    let target = |len: usize| format!("/api/agent/{}", "a".repeat(len - "/api/agent/".len()));

    let longest = exchange(app.addr, get(&target(65_534), ""), OPEN).await;
    longest.assert_envelope(404, "NOT_FOUND");

    for len in [65_535, 100_000] {
        let answer = exchange(app.addr, get(&target(len), ""), OPEN).await;
        answer.assert_bare(400);
    }
    still_serving(&app).await;
}

#[actix_web::test]
async fn more_than_96_headers_are_a_bare_431() {
    let app = TestApp::spawn().await;
    let headers = |n: usize| -> String { (1..n).map(|i| format!("X-H{i}: v\r\n")).collect() };

    // `Host` and 95 more.
    let most = exchange(app.addr, get("/api/agent/nope", &headers(96)), OPEN).await;
    most.assert_envelope(404, "NOT_FOUND");

    let one_more = exchange(app.addr, get("/api/agent/nope", &headers(97)), OPEN).await;
    one_more.assert_bare(431);
    still_serving(&app).await;
}

#[actix_web::test]
async fn a_head_over_128_kib_is_a_bare_431() {
    let app = TestApp::spawn().await;
    let big = |len: usize| format!("X-Big: {}\r\n", "a".repeat(len));

    let under = exchange(app.addr, get("/api/agent/nope", &big(100_000)), OPEN).await;
    under.assert_envelope(404, "NOT_FOUND");

    let over = exchange(app.addr, get("/api/agent/nope", &big(128 * 1024)), OPEN).await;
    over.assert_bare(431);
    still_serving(&app).await;
}

#[actix_web::test]
async fn a_content_length_that_is_not_one_number_is_a_bare_400() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("framer");
    for lengths in [
        "Content-Length: abc\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: +2\r\n",
        "Content-Length: 1 0\r\n",
        "Content-Length: 99999999999999999999999\r\n",
        "Content-Length: 2\r\nContent-Length: 3\r\n",
        // The same value twice is refused too.
        "Content-Length: 2\r\nContent-Length: 2\r\n",
        // Both framings at once is how requests are smuggled.
        "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
    ] {
        let request = format!(
            "POST /api/agent/vote HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\n{lengths}\r\n{{}}"
        );
        let answer = exchange(app.addr, request.into_bytes(), OPEN).await;
        answer.assert_bare(400);
    }
    still_serving(&app).await;
}

/// Chunk framing is read with the body, after the head was parsed and the
/// request routed: a broken chunk is a failed read of ours.
#[actix_web::test]
async fn a_broken_chunk_is_answered_in_the_envelope() {
    let app = TestApp::spawn().await;
    let (_, key) = app.agent("chunker");
    let request = format!(
        "POST /api/agent/vote HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    let answer = exchange(app.addr, request.into_bytes(), OPEN).await;
    answer.assert_envelope(400, "INVALID_BODY");
    assert!(answer.closed, "{answer:?}");
    still_serving(&app).await;
}

/// Slowloris: a head sent a byte at a time is cut at the head timeout
/// (5 s by default), by actix-http, with a bare 408.
#[actix_web::test]
async fn a_head_that_does_not_arrive_in_time_is_a_bare_408() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let started = Instant::now();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            .iter()
            .cycle()
        {
            assert!(started.elapsed() < Duration::from_secs(15), "never cut");
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
            if raw.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        (
            String::from_utf8_lossy(&raw).to_ascii_lowercase(),
            started.elapsed(),
        )
    })
    .await
    .unwrap();
    let (head, took) = answer;
    assert!(head.starts_with("http/1.1 408 "), "{head}");
    assert!(head.contains("content-length: 0"), "{head}");
    assert!(!head.contains("x-request-id"), "{head}");
    // The server's clock starts when it accepts, which a loaded machine
    // may do a little before this thread reads its own: some slack below.
    assert!(
        took >= Duration::from_millis(4_500) && took < Duration::from_secs(8),
        "{took:?}"
    );
    still_serving(&app).await;
}

//! Fake image providers on loopback and a fake DNS. Nothing here talks to
//! any address outside 127.0.0.0/8.

use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use aispace_domain::ports::{GenerationError, ImageGenerator, ImageProvider};
use aispace_imagegen::{GeneratorConfig, OpenAiImageGenerator};
use aispace_outbound::AllowList;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A 1×1 transparent PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

pub const KEY: &str = "sk-test-0123456789abcdef";

/// What a fake provider answers to one request.
pub enum Reply {
    /// `status`, `Content-Type: application/json`, a Content-Length.
    Json(u16, String),
    /// Any status, content type and body, with a Content-Length.
    Raw {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// 200 with these bytes as an image.
    Image(Vec<u8>),
    /// A 302 to `location`.
    Redirect(String),
    /// Waits, then answers.
    After(Duration, Box<Reply>),
    /// 200 JSON without a Content-Length: the start of a `b64_json`, then
    /// `total` bytes of base64 unless the client hangs up first.
    Streamed { total: usize },
    /// 200 JSON declaring a Content-Length of `length`, then silence.
    Declared { length: usize },
}

/// `{"data":[{"b64_json": base64(bytes)}]}`.
pub fn b64_answer(bytes: &[u8]) -> Reply {
    Reply::Json(
        200,
        format!(
            r#"{{"created":1,"data":[{{"b64_json":"{}"}}]}}"#,
            STANDARD.encode(bytes)
        ),
    )
}

/// `{"data":[{"url": url}]}`.
pub fn url_answer(url: &str) -> Reply {
    Reply::Json(200, format!(r#"{{"data":[{{"url":"{url}"}}]}}"#))
}

/// One request as received.
pub use aispace_testkit::http::ReceivedRequest as Received;

type Route = dyn Fn(&Received) -> Reply + Send + Sync;

pub struct Provider {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
    written: Arc<AtomicUsize>,
}

impl Provider {
    /// Serves on `ip`, a port of the system's choosing; `route` picks the
    /// reply for each request.
    pub fn start(ip: &str, route: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Provider {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let written = Arc::new(AtomicUsize::new(0));
        let route: Arc<Route> = Arc::new(route);
        {
            let connections = Arc::clone(&connections);
            let received = Arc::clone(&received);
            let written = Arc::clone(&written);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let route = Arc::clone(&route);
                    let received = Arc::clone(&received);
                    let written = Arc::clone(&written);
                    thread::spawn(move || {
                        // The client hanging up early is part of several tests.
                        let _ = serve(stream, &*route, &received, &written);
                    });
                }
            });
        }
        Provider {
            addr,
            connections,
            received,
            written,
        }
    }

    /// Always answers with `reply()` (built afresh for each request).
    pub fn always(ip: &str, reply: impl Fn() -> Reply + Send + Sync + 'static) -> Provider {
        Provider::start(ip, move |_| reply())
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// TCP connections accepted so far, answered or not.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Body bytes of `Streamed` replies the client accepted so far.
    pub fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }
}

fn serve(
    stream: TcpStream,
    route: &Route,
    received: &Mutex<Vec<Received>>,
    written: &AtomicUsize,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let request = aispace_testkit::http::read_request(&mut reader)?;
    received.lock().unwrap().push(request.clone());
    let mut out = stream;
    answer(&mut out, route(&request), written)?;
    out.flush()
}

fn answer(out: &mut TcpStream, reply: Reply, written: &AtomicUsize) -> io::Result<()> {
    match reply {
        Reply::Json(status, body) => respond(out, status, "application/json", body.as_bytes()),
        Reply::Raw {
            status,
            content_type,
            body,
        } => respond(out, status, content_type, &body),
        Reply::Image(bytes) => respond(out, 200, "image/png", &bytes),
        Reply::Redirect(location) => write!(
            out,
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Reply::After(delay, reply) => {
            thread::sleep(delay);
            answer(out, *reply, written)
        }
        Reply::Streamed { total } => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{{\"data\":[{{\"b64_json\":\""
            )?;
            let chunk = [b'A'; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                let n = chunk.len().min(total - sent);
                out.write_all(&chunk[..n])?;
                sent += n;
                written.fetch_add(n, Ordering::SeqCst);
            }
            write!(out, "\"}}]}}")
        }
        Reply::Declared { length } => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{{"
            )?;
            out.flush()?;
            thread::sleep(Duration::from_secs(5));
            Ok(())
        }
    }
}

fn respond(out: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status} Whatever\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)
}

pub use aispace_testkit::dns::FakeDns;

pub fn allow(list: &str) -> GeneratorConfig {
    GeneratorConfig {
        allow: AllowList::parse(list).unwrap(),
        ..GeneratorConfig::default()
    }
}

/// A generator that may reach 127.0.0.1 only, with a short timeout so a
/// test that goes wrong fails in seconds.
pub fn generator() -> OpenAiImageGenerator {
    OpenAiImageGenerator::new(GeneratorConfig {
        timeout: Duration::from_secs(5),
        ..allow("127.0.0.1/32")
    })
}

pub fn provider(base_url: &str) -> ImageProvider {
    ImageProvider {
        base_url: base_url.to_owned(),
        api_key: KEY.to_owned(),
        model: "dall-e-3".to_owned(),
    }
}

pub fn generate(
    generator: &OpenAiImageGenerator,
    base_url: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, GenerationError> {
    generator.generate(&provider(base_url), "a lighthouse in a storm", max_bytes)
}

#[track_caller]
pub fn failed(result: Result<Vec<u8>, GenerationError>) -> String {
    match result {
        Err(GenerationError::Failed(message)) => {
            assert!(!message.contains(KEY), "the key leaked: {message}");
            message
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[track_caller]
pub fn forbidden(result: Result<Vec<u8>, GenerationError>) -> String {
    match result {
        Err(GenerationError::Forbidden(reason)) => reason,
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

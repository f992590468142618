//! A scripted HTTP server on a loopback address for the outbound tests
//! (image fetches, image providers): it answers each request as the test's
//! route says, one request per connection, and records what it received.
//! Nothing here talks to any address outside 127.0.0.0/8.

#![allow(clippy::unwrap_used)] // a server a test cannot start is a failed test

use std::io::{self, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::http::{ReceivedRequest, read_request};

/// A 1×1 transparent PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// What the server answers to one request; every answer closes the
/// connection after it.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Written as it is: a whole answer, head and body.
    Verbatim(String),
    /// 200, `image/png`, a Content-Length.
    Body(Vec<u8>),
    /// 200 without a Content-Length: the body ends when the connection
    /// closes, so the client cannot know its size up front.
    Unsized(Vec<u8>),
    /// 200, then data until the client hangs up.
    Endless,
    /// This status and no body.
    Status(u16),
    /// `status`, `application/json`, a Content-Length.
    Json(u16, String),
    /// Any status, content type and body, with a Content-Length.
    Raw {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// A 302 to `location`.
    Redirect(String),
    /// Reads the request and never answers (for 5 s).
    Silent,
    /// Waits, then answers.
    After(Duration, Box<Reply>),
    /// 200 JSON without a Content-Length: the start of a `b64_json`, then
    /// `total` bytes of base64 unless the client hangs up first.
    Streamed { total: usize },
    /// 200 JSON declaring a Content-Length of `length`, then silence.
    Declared { length: usize },
}

type Route = dyn Fn(&ReceivedRequest) -> Reply + Send + Sync;

#[derive(Debug)]
pub struct LoopbackServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<ReceivedRequest>>>,
    written: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl LoopbackServer {
    /// Serves on `ip`, a port of the system's choosing; `route` picks the
    /// reply to each request.
    pub fn start(
        ip: &str,
        route: impl Fn(&ReceivedRequest) -> Reply + Send + Sync + 'static,
    ) -> LoopbackServer {
        LoopbackServer::serve(ip.parse().unwrap(), route).unwrap()
    }

    /// [`LoopbackServer::start`] for callers that report a failure to bind.
    pub fn serve(
        ip: IpAddr,
        route: impl Fn(&ReceivedRequest) -> Reply + Send + Sync + 'static,
    ) -> io::Result<LoopbackServer> {
        LoopbackServer::serve_on(ip, 0, route)
    }

    /// On a port of the caller's choosing (0: the system's).
    pub fn serve_on(
        ip: IpAddr,
        port: u16,
        route: impl Fn(&ReceivedRequest) -> Reply + Send + Sync + 'static,
    ) -> io::Result<LoopbackServer> {
        let listener = TcpListener::bind((ip, port))?;
        listener.set_nonblocking(true)?;
        let server = LoopbackServer {
            addr: listener.local_addr()?,
            connections: Arc::default(),
            received: Arc::default(),
            written: Arc::default(),
            stop: Arc::default(),
        };
        let route: Arc<Route> = Arc::new(route);
        let (connections, received, written, stop) = (
            Arc::clone(&server.connections),
            Arc::clone(&server.received),
            Arc::clone(&server.written),
            Arc::clone(&server.stop),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((stream, _)) = listener.accept() else {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                };
                connections.fetch_add(1, Ordering::SeqCst);
                let (route, received, written) = (
                    Arc::clone(&route),
                    Arc::clone(&received),
                    Arc::clone(&written),
                );
                // The client hanging up early is part of several tests.
                thread::spawn(move || serve(stream, &*route, &received, &written));
            }
        });
        Ok(server)
    }

    /// Always answers with `reply()` (built afresh for each request).
    pub fn always(ip: &str, reply: impl Fn() -> Reply + Send + Sync + 'static) -> LoopbackServer {
        LoopbackServer::start(ip, move |_| reply())
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// TCP connections accepted so far, answered or not.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The heads of the requests received so far as text: request line and
    /// headers, each line ending in CRLF.
    pub fn heads(&self) -> Vec<String> {
        let head = |r: &ReceivedRequest| {
            let lines = r.headers.iter().map(|(n, v)| format!("{n}: {v}\r\n"));
            format!(
                "{} {} HTTP/1.1\r\n{}",
                r.method,
                r.path,
                lines.collect::<String>()
            )
        };
        self.received().iter().map(head).collect()
    }

    /// Body bytes of `Streamed` replies the client accepted so far.
    pub fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }
}

/// Stops accepting; connections being answered finish.
impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    stream: TcpStream,
    route: &Route,
    received: &Mutex<Vec<ReceivedRequest>>,
    written: &AtomicUsize,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request = read_request(&mut BufReader::new(stream.try_clone()?))?;
    received
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request.clone());
    let mut out = stream;
    answer(&mut out, route(&request), written)?;
    out.flush()
}

fn answer(out: &mut TcpStream, reply: Reply, written: &AtomicUsize) -> io::Result<()> {
    match reply {
        Reply::Verbatim(answer) => out.write_all(answer.as_bytes()),
        Reply::Body(body) => respond(out, 200, "image/png", &body),
        Reply::Json(status, body) => respond(out, status, "application/json", body.as_bytes()),
        Reply::Raw {
            status,
            content_type,
            body,
        } => respond(out, status, content_type, &body),
        Reply::Unsized(body) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
            )?;
            out.write_all(&body)
        }
        Reply::Endless => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
            )?;
            loop {
                out.write_all(&[0x42; 16 * 1024])?;
            }
        }
        Reply::Status(code) => write!(
            out,
            "HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Reply::Redirect(location) => write!(
            out,
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Reply::Silent => {
            thread::sleep(Duration::from_secs(5));
            Ok(())
        }
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

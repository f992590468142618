//! Loopback HTTP servers and a fake DNS for the fetch tests. Nothing here
//! talks to any address outside 127.0.0.0/8.

use std::io::{self, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use aispace_domain::model::ImageUrl;
use aispace_domain::ports::{FetchError, ImageFetcher};
use aispace_outbound::{AllowList, FetchConfig, NameLookup, UreqFetcher};

/// A 1×1 transparent PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// What a test server answers to one request.
pub enum Reply {
    /// 200 with a Content-Length.
    Body(Vec<u8>),
    /// 200 without a Content-Length: the body ends when the connection
    /// closes, so the client cannot know its size up front.
    Unsized(Vec<u8>),
    /// 200, then data until the client hangs up.
    Endless,
    Status(u16),
    Redirect(String),
    /// Reads the request and never answers.
    Silent,
}

pub struct TestServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// Serves on `ip`, a port of the system's choosing; `route` gets the
    /// request path.
    pub fn start(ip: &str, route: impl Fn(&str) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let route = Arc::new(route);
        {
            let connections = Arc::clone(&connections);
            let requests = Arc::clone(&requests);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let route = Arc::clone(&route);
                    let requests = Arc::clone(&requests);
                    thread::spawn(move || {
                        // The client hanging up early is part of several tests.
                        let _ = serve(stream, &*route, &requests);
                    });
                }
            });
        }
        TestServer {
            addr,
            connections,
            requests,
        }
    }

    /// Always serves `reply` (built afresh for each request).
    pub fn always(ip: &str, reply: impl Fn() -> Reply + Send + Sync + 'static) -> TestServer {
        TestServer::start(ip, move |_| reply())
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

    /// The request heads received so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    route: &(dyn Fn(&str) -> Reply + Send + Sync),
    requests: &Mutex<Vec<String>>,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let request = aispace_testkit::http::read_request(&mut reader)?;
    requests.lock().unwrap().push(head(&request));
    let path = request.path;

    let mut out = stream;
    match route(&path) {
        Reply::Body(body) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body)?;
        }
        Reply::Unsized(body) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
            )?;
            out.write_all(&body)?;
        }
        Reply::Endless => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
            )?;
            let chunk = [0x42_u8; 16 * 1024];
            loop {
                out.write_all(&chunk)?;
            }
        }
        Reply::Status(code) => {
            write!(
                out,
                "HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
        }
        Reply::Redirect(location) => {
            write!(
                out,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
        }
        Reply::Silent => thread::sleep(Duration::from_secs(5)),
    }
    out.flush()
}

/// A port on `ip` nothing listens on (bound, then released).
pub fn closed_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub use aispace_testkit::dns::FakeDns;

/// Answers `first` to the first lookup and `then` to every later one, the
/// way a DNS-rebinding attacker's server would.
pub struct Rebinding {
    pub first: IpAddr,
    pub then: IpAddr,
    pub calls: AtomicUsize,
}

impl NameLookup for Rebinding {
    fn lookup(&self, _host: &str, _port: u16) -> io::Result<Vec<IpAddr>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(vec![if call == 0 { self.first } else { self.then }])
    }
}

pub fn allow(list: &str) -> FetchConfig {
    FetchConfig {
        allow: AllowList::parse(list).unwrap(),
        ..FetchConfig::default()
    }
}

pub fn fetch(fetcher: &UreqFetcher, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    fetcher.fetch(&ImageUrl::parse(url).unwrap(), max_bytes)
}

#[track_caller]
pub fn assert_forbidden(result: Result<Vec<u8>, FetchError>, context: &str) {
    assert!(
        matches!(result, Err(FetchError::Forbidden(_))),
        "{context}: {result:?}"
    );
}

#[track_caller]
pub fn assert_failed(result: Result<Vec<u8>, FetchError>, context: &str) -> String {
    match result {
        Err(FetchError::Failed(message)) => message,
        other => panic!("{context}: expected Failed, got {other:?}"),
    }
}

/// The request's head as text, as the tests read it: request line and
/// headers, each line ending in CRLF.
fn head(request: &aispace_testkit::http::ReceivedRequest) -> String {
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head
}

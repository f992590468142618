//! A small HTTP server on a loopback address for URL-mode tests: fixed
//! routes answering with a status, headers and a body, or redirecting.

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Route {
    /// Answer with this status, `Content-Type` and body.
    Respond {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// `302` to this location.
    Redirect(String),
    /// Accept, read the request, never answer.
    Hang,
    /// Answer like `Respond`, after a pause.
    Slow {
        delay: Duration,
        content_type: &'static str,
        body: Vec<u8>,
    },
}

#[derive(Debug)]
pub struct ImageServer {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl ImageServer {
    /// Serves `routes` on `ip` (a loopback address) at a free port.
    pub fn start(ip: IpAddr, routes: Vec<(&str, Route)>) -> std::io::Result<ImageServer> {
        let listener = TcpListener::bind((ip, 0))?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let routes: Arc<HashMap<String, Route>> =
            Arc::new(routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect());
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_hits, thread_stop) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            while !thread_stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        thread_hits.fetch_add(1, Ordering::SeqCst);
                        let routes = routes.clone();
                        std::thread::spawn(move || {
                            let _ = answer(stream, &routes);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(ImageServer { addr, hits, stop })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for ImageServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn answer(stream: TcpStream, routes: &HashMap<String, Route>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let request = crate::http::read_request(&mut reader)?;
    let path = request.path.as_str();
    let mut stream = stream;
    match routes.get(path) {
        Some(Route::Respond {
            status,
            content_type,
            body,
        }) => {
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(body)?;
        }
        Some(Route::Redirect(location)) => {
            write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
        }
        Some(Route::Hang) => std::thread::sleep(Duration::from_secs(30)),
        Some(Route::Slow {
            delay,
            content_type,
            body,
        }) => {
            std::thread::sleep(*delay);
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(body)?;
        }
        None => {
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
        }
    }
    stream.flush()
}

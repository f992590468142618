//! A minimal HTTP/1.1 client over `std::net`: keep-alive connections,
//! `Content-Length` and chunked bodies. Just enough to drive the server and
//! time each exchange; a dependency-free xtask cannot pull in a real one.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Refuse heads and bodies beyond these: a broken server must not make the
/// load generator allocate without bound.
const MAX_HEAD: u64 = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Bodies up to this size go out in the same write as the head.
const COALESCE_BODY: usize = 16 * 1024;

#[derive(Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'static str, String)],
    pub body: &'a [u8],
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
pub enum HttpError {
    /// The peer closed before sending a byte of the response.
    Closed,
    Io(io::Error),
    Malformed(String),
}

impl HttpError {
    /// Whether this is how a reused keep-alive connection fails when the
    /// server dropped it between requests: worth one retry on a new one.
    pub fn is_stale_connection(&self) -> bool {
        match self {
            HttpError::Closed => true,
            HttpError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
            ),
            HttpError::Malformed(_) => false,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Closed => f.write_str("connection closed before the response"),
            HttpError::Io(e) => write!(f, "{e}"),
            HttpError::Malformed(what) => write!(f, "malformed response: {what}"),
        }
    }
}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

#[derive(Debug)]
pub struct Connection {
    host: String,
    reader: BufReader<TcpStream>,
}

impl Connection {
    /// `timeout` bounds connecting and every read and write, so a stuck
    /// server cannot hang the bench.
    pub fn open(addr: SocketAddr, timeout: Duration) -> Result<Connection, HttpError> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        // Without it, a small request after a body-less one waits for
        // Nagle's delayed ACK and latency figures become ~40 ms.
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(Connection {
            host: addr.to_string(),
            reader: BufReader::with_capacity(64 * 1024, stream),
        })
    }

    pub fn send(&mut self, request: &Request<'_>) -> Result<Response, HttpError> {
        let mut head = encode_head(request, &self.host);
        let stream = self.reader.get_mut();
        let written = if request.body.len() <= COALESCE_BODY {
            head.extend_from_slice(request.body);
            stream.write_all(&head)
        } else {
            stream
                .write_all(&head)
                .and_then(|()| stream.write_all(request.body))
        };
        match written {
            Ok(()) => read_response(&mut self.reader, request.method),
            // A server may answer and close without reading a body it
            // rejects (e.g. 404 or 413 on an upload); that answer is the
            // outcome, not the failed write.
            Err(write_error) => match read_response(&mut self.reader, request.method) {
                Ok(mut response) => {
                    response.keep_alive = false;
                    Ok(response)
                }
                Err(_) => Err(HttpError::Io(write_error)),
            },
        }
    }
}

fn encode_head(request: &Request<'_>, host: &str) -> Vec<u8> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: aispace-xtask-bench\r\n",
        request.method, request.path
    );
    for (name, value) in request.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    if !request.body.is_empty() || matches!(request.method, "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Reads one response (skipping interim 1xx ones), leaving the reader at
/// the start of the next.
pub fn read_response<R: BufRead>(reader: &mut R, method: &str) -> Result<Response, HttpError> {
    let mut first = true;
    loop {
        let (http_1_0, status) = parse_status_line(&read_line(reader, first)?)?;
        first = false;
        let mut headers = Vec::new();
        loop {
            let line = read_line(reader, false)?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| HttpError::Malformed(format!("header line {line:?}")))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        if (100..200).contains(&status) && status != 101 {
            continue;
        }

        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
            keep_alive: true,
        };
        let connection = response
            .header("connection")
            .unwrap_or("")
            .to_ascii_lowercase();
        response.keep_alive = if http_1_0 {
            connection.contains("keep-alive")
        } else {
            !connection.contains("close")
        };

        let chunked = response
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        if method == "HEAD" || status == 204 || status == 304 || (100..200).contains(&status) {
            // No body by definition.
        } else if chunked {
            response.body = read_chunked(reader)?;
        } else if let Some(length) = response.header("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| HttpError::Malformed(format!("content-length {length:?}")))?;
            if length > MAX_BODY {
                return Err(HttpError::Malformed(format!("body of {length} bytes")));
            }
            response.body = vec![0; length];
            reader.read_exact(&mut response.body).map_err(cut_short)?;
        } else {
            // Delimited by the end of the connection.
            reader
                .take(MAX_BODY as u64)
                .read_to_end(&mut response.body)?;
            response.keep_alive = false;
        }
        return Ok(response);
    }
}

/// One CRLF-terminated line without its terminator. At the start of a
/// message (a response, or a request to `webhooks.rs`'s receiver), a clean
/// end of stream is [`HttpError::Closed`].
pub(super) fn read_line<R: BufRead>(
    reader: &mut R,
    start_of_response: bool,
) -> Result<String, HttpError> {
    let mut line = Vec::new();
    let n = reader.take(MAX_HEAD).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(if start_of_response {
            HttpError::Closed
        } else {
            HttpError::Malformed("connection closed in the head".into())
        });
    }
    if line.pop() != Some(b'\n') {
        return Err(HttpError::Malformed("line too long or cut short".into()));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| HttpError::Malformed("head is not UTF-8".into()))
}

/// Whether the response is HTTP/1.0, and its status.
fn parse_status_line(line: &str) -> Result<(bool, u16), HttpError> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") || status.len() != 3 {
        return Err(HttpError::Malformed(format!("status line {line:?}")));
    }
    let status = status
        .parse()
        .map_err(|_| HttpError::Malformed(format!("status line {line:?}")))?;
    Ok((version == "HTTP/1.0", status))
}

pub(super) fn read_chunked<R: BufRead>(reader: &mut R) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader, false)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| HttpError::Malformed(format!("chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, up to the empty line that ends the message.
            while !read_line(reader, false)?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(HttpError::Malformed("chunked body too large".into()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).map_err(cut_short)?;
        if !read_line(reader, false)?.is_empty() {
            return Err(HttpError::Malformed("no CRLF after a chunk".into()));
        }
    }
}

fn cut_short(e: io::Error) -> HttpError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        HttpError::Malformed("body cut short".into())
    } else {
        HttpError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Response, HttpError> {
        read_response(&mut raw.as_bytes(), "GET")
    }

    #[test]
    fn content_length_bodies_and_keep_alive() {
        let r =
            parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
                .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello");
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.header("Content-Type"), Some("text/plain"));
        assert!(r.keep_alive);
    }

    #[test]
    fn responses_on_one_connection_are_read_one_after_the_other() {
        let raw = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        let mut reader = raw.as_bytes();
        assert_eq!(read_response(&mut reader, "GET").unwrap().body, b"ok");
        let second = read_response(&mut reader, "GET").unwrap();
        assert_eq!((second.status, second.body.len()), (404, 0));
        assert!(matches!(
            read_response(&mut reader, "GET"),
            Err(HttpError::Closed)
        ));
    }

    #[test]
    fn chunked_bodies_with_extensions_and_trailers() {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                   4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\nnext";
        let mut reader = raw.as_bytes();
        let r = read_response(&mut reader, "GET").unwrap();
        assert_eq!(r.body, b"Wikipedia in\r\n\r\nchunks.");
        assert_eq!(reader, b"next");
    }

    #[test]
    fn connection_close_and_http_1_0() {
        let r = parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert!(!r.keep_alive);
        let r = parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert!(!r.keep_alive);
        let r = parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        assert!(r.keep_alive);
    }

    #[test]
    fn a_body_without_length_runs_to_the_end_of_the_connection() {
        let r = parse("HTTP/1.1 200 OK\r\n\r\nall of it").unwrap();
        assert_eq!(r.body, b"all of it");
        assert!(!r.keep_alive);
        let r = parse("HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert!(r.body.is_empty() && r.keep_alive);
    }

    #[test]
    fn interim_responses_are_skipped() {
        let r =
            parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
        assert_eq!(r.status, 201);
    }

    #[test]
    fn broken_responses_are_errors() {
        assert!(matches!(parse(""), Err(HttpError::Closed)));
        assert!(matches!(
            parse("SMTP ready\r\n\r\n"),
            Err(HttpError::Malformed(_))
        ));
        assert!(matches!(
            parse("HTTP/1.1 20 OK\r\n\r\n"),
            Err(HttpError::Malformed(_))
        ));
        assert!(matches!(
            parse("HTTP/1.1 200 OK\r\nContent-"),
            Err(HttpError::Malformed(_))
        ));
        assert!(matches!(
            parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
            Err(HttpError::Malformed(_))
        ));
        assert!(matches!(
            parse("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"),
            Err(HttpError::Malformed(_))
        ));
        assert!(matches!(
            parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            Err(HttpError::Malformed(_))
        ));
    }

    #[test]
    fn requests_carry_host_headers_and_length() {
        let headers = [("Authorization", "Bearer k".to_owned())];
        let head = encode_head(
            &Request {
                method: "POST",
                path: "/p",
                headers: &headers,
                body: b"abc",
            },
            "127.0.0.1:1",
        );
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("POST /p HTTP/1.1\r\nHost: 127.0.0.1:1\r\n"));
        assert!(head.contains("\r\nAuthorization: Bearer k\r\n"));
        assert!(head.ends_with("Content-Length: 3\r\n\r\n"));
        let get = encode_head(
            &Request {
                method: "GET",
                path: "/healthz",
                headers: &[],
                body: b"",
            },
            "h",
        );
        assert!(!String::from_utf8(get).unwrap().contains("Content-Length"));
    }
}

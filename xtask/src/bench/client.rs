//! The bench's HTTP/1.1 client: one keep-alive connection, requests sent
//! as written, answers read with `httparse`. The measured loops, the seed
//! and the soak all use it, so what they cost the shared CPUs is the same.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// Bounds every connect, read and write: the bench ends by itself even if
/// the server hangs.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    keep_alive: bool,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A top-level string field of a JSON answer.
    pub fn field(&self, name: &str) -> Option<String> {
        self.json().get(name)?.as_str().map(str::to_owned)
    }

    /// The error code of an error answer, in the AIspace and LOL-65B
    /// envelope (`error.code`) or doseofai's (`code`).
    pub fn code(&self) -> Option<String> {
        let json = self.json();
        let code = json["error"]["code"].as_str().or(json["code"].as_str());
        code.map(str::to_owned)
    }

    /// Status and the start of the body, for a report.
    pub fn describe(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let mut excerpt: String = body.chars().take(200).collect();
        if excerpt.len() < body.len() {
            excerpt.push('…');
        }
        format!("{} {}", self.status, excerpt.trim())
    }
}

/// A connection to `addr`, opened on first use and again after the server
/// closed it.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    /// Requests sent, retries included.
    pub sent: usize,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            conn: None,
            sent: 0,
        }
    }

    /// One exchange; a reused connection the server closed in between
    /// earns one retry on a new one.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Response, String> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        // A kept connection the server closed in between fails before any
        // answer arrives: that, and only that, earns one retry on a new one
        // (a write must not be sent twice).
        let reused = self.conn.is_some();
        let result = match self.exchange(head.as_bytes(), body) {
            Err(e) if reused && is_stale(&e) => {
                self.conn = None;
                self.exchange(head.as_bytes(), body)
            }
            result => result,
        };
        if !result.as_ref().is_ok_and(|r| r.keep_alive) {
            self.conn = None;
        }
        result.map_err(|e| format!("{method} {path}: {e}"))
    }

    /// A request as agent `key` with a JSON body (none when `null`); the
    /// answer if it is 2xx, else what the server said.
    pub fn call(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        json: &Value,
    ) -> Result<Response, String> {
        let mut headers = Vec::with_capacity(2);
        if let Some(key) = key {
            headers.push(("Authorization", format!("Bearer {key}")));
        }
        let body = if json.is_null() {
            Vec::new()
        } else {
            headers.push(("Content-Type", "application/json".to_owned()));
            json.to_string().into_bytes()
        };
        let answer = self.send(method, path, &headers, &body)?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(format!("{method} {path}: {}", answer.describe()))
        }
    }

    fn exchange(&mut self, head: &[u8], body: &[u8]) -> std::io::Result<Response> {
        self.sent += 1;
        let reader = match &mut self.conn {
            Some(reader) => reader,
            None => {
                let stream = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)?;
                stream.set_nodelay(true)?;
                stream.set_read_timeout(Some(IO_TIMEOUT))?;
                stream.set_write_timeout(Some(IO_TIMEOUT))?;
                self.conn
                    .insert(BufReader::with_capacity(64 * 1024, stream))
            }
        };
        let stream = reader.get_mut();
        stream.write_all(head)?;
        stream.write_all(body)?;
        read_response(reader)
    }
}

fn is_stale(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    matches!(e.kind(), BrokenPipe | ConnectionAborted | ConnectionReset)
}

fn invalid(what: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.into())
}

/// Reads one answer, body and all, leaving the reader at the next.
fn read_response<R: BufRead>(reader: &mut R) -> std::io::Result<Response> {
    let mut head = Vec::with_capacity(512);
    loop {
        // Interim answers (100 Continue) are read and dropped.
        head.clear();
        while !head.ends_with(b"\r\n\r\n") {
            if reader.read_until(b'\n', &mut head)? == 0 {
                let kind = if head.is_empty() {
                    std::io::ErrorKind::ConnectionAborted
                } else {
                    std::io::ErrorKind::InvalidData
                };
                return Err(std::io::Error::new(
                    kind,
                    "the connection closed before an answer",
                ));
            }
            if head.len() > 64 * 1024 {
                return Err(invalid("an answer head over 64 KiB"));
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut headers);
        parsed.parse(&head).map_err(|e| invalid(e.to_string()))?;
        let status = parsed.code.ok_or_else(|| invalid("no status"))?;
        if (100..200).contains(&status) {
            continue;
        }
        let header = |name: &str| {
            parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
        };
        let close =
            header("connection").is_some_and(|v| v.contains("close")) || parsed.version == Some(0);
        let mut body = Vec::new();
        if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            read_chunked(reader, &mut body)?;
        } else if let Some(length) = header("content-length") {
            let length: usize = length.trim().parse().map_err(|_| invalid("bad length"))?;
            body.resize(length, 0);
            reader.read_exact(&mut body)?;
        } else if status != 204 && status != 304 {
            reader.read_to_end(&mut body)?;
            return Ok(Response {
                status,
                body,
                keep_alive: false,
            });
        }
        return Ok(Response {
            status,
            body,
            keep_alive: !close,
        });
    }
}

fn read_chunked<R: BufRead>(reader: &mut R, body: &mut Vec<u8>) -> std::io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        reader.read_until(b'\n', &mut line)?;
        let size = match httparse::parse_chunk_size(&line) {
            Ok(httparse::Status::Complete((_, size))) => size as usize,
            _ => return Err(invalid("a bad chunk size")),
        };
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line)? == 0 || line == b"\r\n" {
                    return Ok(());
                }
            }
        }
        let start = body.len();
        body.resize(start + size + 2, 0);
        reader.read_exact(&mut body[start..])?;
        body.truncate(start + size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> Vec<(u16, String, bool)> {
        let mut reader = std::io::Cursor::new(raw.as_bytes().to_vec());
        let mut answers = Vec::new();
        while (reader.position() as usize) < raw.len() {
            let r = read_response(&mut reader).unwrap();
            answers.push((r.status, String::from_utf8(r.body).unwrap(), r.keep_alive));
        }
        answers
    }

    #[test]
    fn answers_on_one_connection_are_read_one_after_the_other() {
        let raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
                   HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n1\r\nd\r\n0\r\nT: 1\r\n\r\n\
                   HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
        assert_eq!(
            read(raw),
            [
                (200, "ok".into(), true),
                (201, "abcd".into(), true),
                (204, String::new(), false)
            ]
        );
    }

    #[test]
    fn error_codes_are_read_from_every_surface_s_envelope() {
        let answer = |body: &str| Response {
            status: 429,
            body: body.as_bytes().to_vec(),
            keep_alive: true,
        };
        let aispace = answer(r#"{"error":{"code":"RATE_LIMITED","message":"slow down"}}"#);
        let doseofai = answer(r#"{"success":false,"error":"slow down","code":"RATE_LIMITED"}"#);
        assert_eq!(aispace.code().as_deref(), Some("RATE_LIMITED"));
        assert_eq!(doseofai.code().as_deref(), Some("RATE_LIMITED"));
        assert_eq!(answer("<html>").code(), None);
    }

    #[test]
    fn a_body_without_length_runs_to_the_end_and_broken_answers_are_errors() {
        assert_eq!(
            read("HTTP/1.0 200 OK\r\n\r\nall of it"),
            [(200, "all of it".into(), false)]
        );
        for broken in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            "nonsense\r\n\r\n",
            "",
        ] {
            let mut reader = std::io::Cursor::new(broken.as_bytes().to_vec());
            assert!(read_response(&mut reader).is_err(), "{broken:?}");
        }
    }
}

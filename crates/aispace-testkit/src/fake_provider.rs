//! A fake OpenAI-compatible images API on a loopback address: an HTTP/1.1
//! server that records every request it receives, counts the connections
//! made to it, and answers each request as the test says, by a closure
//! ([`FakeProvider::start`]) or by a script ([`FakeProvider::scripted`]).
//!
//! ```no_run
//! # use std::net::Ipv4Addr;
//! # use aispace_testkit::fake_provider::{Answer, FakeProvider, GENERATIONS};
//! let provider = FakeProvider::start(Ipv4Addr::LOCALHOST, |request| {
//!     if request.path != GENERATIONS {
//!         Answer::Json(404, serde_json::json!({"error": {"message": "no such path"}}))
//!     } else if request.prompt().contains("slow") {
//!         Answer::B64Png { width: 64, height: 64 }.after(std::time::Duration::from_secs(5))
//!     } else {
//!         Answer::B64Png { width: 640, height: 480 }
//!     }
//! })?;
//! // … point the code under test at `provider.url()`, then:
//! assert_eq!(provider.requests()[0].header("authorization"), Some("Bearer sk-…"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The server stops when the [`FakeProvider`] is dropped.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::http::ReceivedRequest;
use crate::images;
use crate::loopback::{LoopbackServer, Reply};

/// The path an OpenAI-compatible client posts a generation request to.
pub const GENERATIONS: &str = "/v1/images/generations";

/// One request the provider received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// In the order sent, names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body parsed as JSON, or `Null` when it is none (empty, or not
    /// JSON).
    pub json: Value,
}

impl Request {
    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `prompt` of a generation request; `""` for any other request.
    pub fn prompt(&self) -> &str {
        self.json["prompt"].as_str().unwrap_or_default()
    }
}

/// What the provider answers to one request. Every answer closes the
/// connection after it.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `200` with `{"created":1,"data":[{"b64_json": …}]}`: these bytes in
    /// standard base64 (with padding).
    B64(Vec<u8>),
    /// [`Answer::B64`] of [`images::png`]`(width, height, 1)`.
    B64Png { width: u32, height: u32 },
    /// `200` with `{"data":[{"url": …}]}`: this path on the provider itself
    /// (`http://<its address><path>`), for the code under test to fetch.
    Url(String),
    /// This status with this JSON body.
    Json(u16, Value),
    /// `200` with an HTML page ([`images::HTML`]) as `text/html`.
    Html,
    /// This status, `Content-Type` and body.
    Raw {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// The answer, after a pause.
    Slow(Duration, Box<Answer>),
}

impl Answer {
    /// This answer, given after `delay`.
    pub fn after(self, delay: Duration) -> Answer {
        Answer::Slow(delay, Box::new(self))
    }

    /// Sleeps through any pauses, then gives the status, `Content-Type` and
    /// body to send from the provider at `own`.
    fn resolve(self, own: SocketAddr) -> (u16, &'static str, Vec<u8>) {
        let json_body =
            |status, value: Value| (status, "application/json", value.to_string().into_bytes());
        match self {
            Answer::B64(bytes) => json_body(
                200,
                json!({"created": 1, "data": [{"b64_json": BASE64.encode(bytes)}]}),
            ),
            Answer::B64Png { width, height } => {
                Answer::B64(images::png(width, height, 1)).resolve(own)
            }
            Answer::Url(path) => json_body(
                200,
                json!({"data": [{"url": format!("http://{own}{path}")}]}),
            ),
            Answer::Json(status, value) => json_body(status, value),
            Answer::Html => (200, "text/html", images::HTML.to_vec()),
            Answer::Raw {
                status,
                content_type,
                body,
            } => (status, content_type, body),
            Answer::Slow(delay, then) => {
                std::thread::sleep(delay);
                then.resolve(own)
            }
        }
    }
}

/// The running fake provider; stops when dropped.
#[derive(Debug)]
pub struct FakeProvider {
    pub addr: SocketAddr,
    server: LoopbackServer,
}

impl FakeProvider {
    /// Serves on `ip` (a loopback address) at a free port, answering each
    /// request as `behaviour` says once the request has been read whole
    /// and recorded.
    pub fn start(
        ip: impl Into<IpAddr>,
        behaviour: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> std::io::Result<FakeProvider> {
        // `Answer::Url` names the provider's own address, known once bound.
        let own = Arc::new(OnceLock::new());
        let known = Arc::clone(&own);
        let server = LoopbackServer::serve(ip.into(), move |received| {
            let own = known
                .get()
                .copied()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
            let (status, content_type, body) = behaviour(&Request::from(received)).resolve(own);
            Reply::Raw {
                status,
                content_type,
                body,
            }
        })?;
        let _ = own.set(server.addr);
        Ok(FakeProvider {
            addr: server.addr,
            server,
        })
    }

    /// Serves on `ip`, answering the requests with `answers` in the order
    /// the requests arrive, and with the last one again once they run out.
    /// `answers` may not be empty.
    pub fn scripted(ip: impl Into<IpAddr>, answers: Vec<Answer>) -> std::io::Result<FakeProvider> {
        if answers.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a scripted provider needs at least one answer",
            ));
        }
        let next = AtomicUsize::new(0);
        FakeProvider::start(ip, move |_| {
            let n = next.fetch_add(1, Ordering::SeqCst);
            answers[n.min(answers.len() - 1)].clone()
        })
    }

    /// The base URL to configure as the provider: `http://<addr>`.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// The requests received so far, in the order they were read.
    pub fn requests(&self) -> Vec<Request> {
        self.server.received().iter().map(Request::from).collect()
    }

    /// Connections accepted so far, whether or not a request came on them.
    pub fn connections(&self) -> usize {
        self.server.connections()
    }
}

impl From<&ReceivedRequest> for Request {
    fn from(received: &ReceivedRequest) -> Request {
        Request {
            method: received.method.clone(),
            path: received.path.clone(),
            headers: received
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect(),
            json: received.json(),
            body: received.body.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, TcpStream};

    use super::*;
    use crate::http;

    fn post(provider: &FakeProvider, body: &Value) -> http::Response {
        http::request(
            provider.addr,
            "POST",
            GENERATIONS,
            &[
                ("Authorization", "Bearer k"),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn a_script_is_answered_in_order_then_its_last_answer_again_and_every_request_is_recorded() {
        let provider = FakeProvider::scripted(
            Ipv4Addr::LOCALHOST,
            vec![
                Answer::B64(b"foobar".to_vec()),
                Answer::B64(vec![0xfb, 0xff]),
                Answer::Json(500, json!({"error": {"message": "down"}})),
            ],
        )
        .unwrap();
        let answers: Vec<(u16, Value)> = (0..4)
            .map(|n| {
                let response = post(&provider, &json!({"prompt": format!("p{n}")}));
                assert_eq!(response.header("content-type"), Some("application/json"));
                (
                    response.status,
                    serde_json::from_slice(&response.body).unwrap(),
                )
            })
            .collect();
        // Standard base64, padded.
        let b64 = |s: &str| json!({"created": 1, "data": [{"b64_json": s}]});
        let down = json!({"error": {"message": "down"}});
        assert_eq!(
            answers,
            [
                (200, b64("Zm9vYmFy")),
                (200, b64("+/8=")),
                (500, down.clone()),
                (500, down)
            ]
        );

        let requests = provider.requests();
        let prompts: Vec<&str> = requests.iter().map(Request::prompt).collect();
        assert_eq!(prompts, ["p0", "p1", "p2", "p3"]);
        assert_eq!(
            (requests[0].method.as_str(), requests[0].path.as_str()),
            ("POST", GENERATIONS)
        );
        assert_eq!(requests[0].header("Authorization"), Some("Bearer k"));
        assert_eq!(requests[0].json, json!({"prompt": "p0"}));
        assert_eq!(provider.connections(), 4);
        assert!(FakeProvider::scripted(Ipv4Addr::LOCALHOST, vec![]).is_err());
    }

    #[test]
    fn a_url_answer_points_back_to_the_provider_and_a_dropped_provider_stops() {
        let provider =
            FakeProvider::start(Ipv4Addr::LOCALHOST, |request| match request.path.as_str() {
                GENERATIONS => Answer::Url("/image.png".into()),
                "/image.png" => Answer::Raw {
                    status: 200,
                    content_type: "image/png",
                    body: images::png(2, 3, 1),
                },
                _ => Answer::Html,
            })
            .unwrap();
        let answer = post(&provider, &json!({}));
        let url = format!("http://{}/image.png", provider.addr);
        assert_eq!(
            serde_json::from_slice::<Value>(&answer.body).unwrap(),
            json!({"data": [{"url": url}]})
        );
        let image = http::request(provider.addr, "GET", "/image.png", &[], b"").unwrap();
        assert_eq!(
            (
                image.status,
                image.header("content-type"),
                image.body.as_slice()
            ),
            (200, Some("image/png"), images::png(2, 3, 1).as_slice())
        );
        let page = http::request(provider.addr, "GET", "/", &[], b"").unwrap();
        assert_eq!((page.status, page.body.as_slice()), (200, images::HTML));
        assert_eq!(provider.requests()[1].json, Value::Null);

        let addr = provider.addr;
        drop(provider);
        std::thread::sleep(Duration::from_millis(100));
        assert!(TcpStream::connect(addr).is_err(), "still listening");
    }
}

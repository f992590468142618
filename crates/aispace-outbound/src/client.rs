use std::error::Error as StdError;
use std::fmt;
use std::io::ErrorKind;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::unversioned::transport::DefaultConnector;
use url::Url;

use crate::allow_list::AllowList;
use crate::lookup::{NameLookup, SystemLookup};
use crate::policy::AddressPolicy;
use crate::resolver::{CheckingResolver, Refused};
use crate::target::{TargetError, parse_target};

/// The one way this crate builds a ureq agent for requests it does not
/// trust the target of: every connection goes through the
/// [`CheckingResolver`], so an address is checked at each request.
pub(crate) fn checked_agent(
    allow: AllowList,
    user_agent: &str,
    timeout: Option<Duration>,
    lookup: Arc<dyn NameLookup>,
) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        // The default reads HTTP(S)_PROXY/ALL_PROXY; a proxy would make the
        // connection (and the lookup) on our behalf, past every check.
        .proxy(None)
        // ureq hands a 3xx back instead of following it: the caller either
        // follows it by hand, checking the target's scheme too, or treats it
        // as an answer.
        .max_redirects(0)
        // Statuses are judged by the caller, not turned into opaque errors.
        .http_status_as_error(false)
        .timeout_global(timeout)
        .user_agent(user_agent)
        // A pooled connection would skip the resolver and so the check; and
        // targets are whatever hosts agents or their owners name.
        .max_idle_connections(0)
        .build();
    let resolver = CheckingResolver::new(AddressPolicy::new(allow), lookup);
    ureq::Agent::with_parts(config, DefaultConnector::default(), resolver)
}

/// An HTTP client for calls to services named at run time (an image
/// provider's API, whose base URL an agent's owner may set), with exactly
/// the address checks of [`crate::UreqFetcher`]: the same resolver, the same
/// allow list, no proxy, no pooled connection. It follows no redirect:
/// a 3xx is an answer like any other status.
///
/// Errors name only the target's host and port: a URL's query may carry a
/// key, and the bearer token never appears anywhere.
#[derive(Debug)]
pub struct CheckedClient {
    agent: ureq::Agent,
}

/// One JSON `POST`.
pub struct JsonPost<'a> {
    pub url: &'a str,
    /// Sent as `Authorization: Bearer …` unless empty. Never part of an
    /// error or of `Debug`.
    pub bearer: &'a str,
    /// Sent as is, with `Content-Type: application/json`.
    pub body: &'a [u8],
    /// The whole call (lookup, connection, request, answer and its body)
    /// ends by then, or it is [`PostError::TimedOut`].
    pub deadline: Instant,
    /// At most this much of the answer's body is read, whatever the
    /// status; more is [`PostError::AnswerTooLarge`].
    pub max_answer_bytes: u64,
}

impl fmt::Debug for JsonPost<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonPost")
            .field("url", &self.url)
            .field("bearer", &"<redacted>")
            .field("body_bytes", &self.body.len())
            .field("deadline", &self.deadline)
            .field("max_answer_bytes", &self.max_answer_bytes)
            .finish()
    }
}

/// A complete answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostAnswer {
    pub status: u16,
    /// The `Content-Type` header as sent, if it was readable text.
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// The URL is not http(s), or its host has an address that is not
    /// public and not allowed. No connection was made.
    Forbidden(String),
    /// The deadline passed.
    TimedOut,
    /// The answer's body is longer than `max_answer_bytes`; reading
    /// stopped there.
    AnswerTooLarge { status: u16 },
    /// DNS, connection, TLS or protocol failure.
    Failed(String),
}

impl fmt::Display for PostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PostError::Forbidden(reason) => write!(f, "refused: {reason}"),
            PostError::TimedOut => f.write_str("no complete answer before the deadline"),
            PostError::AnswerTooLarge { status } => {
                write!(f, "the answer (status {status}) is longer than allowed")
            }
            PostError::Failed(message) => f.write_str(message),
        }
    }
}

impl StdError for PostError {}

impl CheckedClient {
    pub fn new(allow: AllowList, user_agent: &str) -> Self {
        CheckedClient::with_lookup(allow, user_agent, Arc::new(SystemLookup))
    }

    /// With names resolved by `lookup` instead of the system resolver.
    pub fn with_lookup(allow: AllowList, user_agent: &str, lookup: Arc<dyn NameLookup>) -> Self {
        // No agent-wide timeout: each call brings its deadline.
        CheckedClient {
            agent: checked_agent(allow, user_agent, None, lookup),
        }
    }

    pub fn post_json(&self, request: &JsonPost<'_>) -> Result<PostAnswer, PostError> {
        let url = parse_target(request.url, None).map_err(|err| match err {
            TargetError::Scheme(_) => PostError::Forbidden(err.to_string()),
            _ => PostError::Forbidden(format!("the URL {err}")),
        })?;
        let place = place(&url);
        let remaining = request.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(PostError::TimedOut);
        }
        let mut builder = self
            .agent
            .post(url.as_str())
            .header("content-type", "application/json")
            .header("accept", "application/json");
        if !request.bearer.is_empty() {
            builder = builder.header("authorization", format!("Bearer {}", request.bearer));
        }
        let mut response = builder
            .config()
            // Covers the body read below too.
            .timeout_global(Some(remaining))
            .build()
            .send(request.body)
            .map_err(|err| describe(&place, err))?;

        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let limit = request.max_answer_bytes;
        if response
            .body()
            .content_length()
            .is_some_and(|len| len > limit)
        {
            return Err(PostError::AnswerTooLarge { status });
        }
        // ureq reads at most `limit` bytes plus a one-byte probe, so an
        // endless answer is cut, not buffered.
        let body = match response.body_mut().with_config().limit(limit).read_to_vec() {
            Ok(body) => body,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(PostError::AnswerTooLarge { status });
            }
            Err(err) => return Err(describe(&place, err)),
        };
        Ok(PostAnswer {
            status,
            content_type,
            body,
        })
    }
}

/// Says what went wrong naming only the host and port.
fn describe(place: &str, err: ureq::Error) -> PostError {
    match failure(err) {
        Failure::Refused(why) => PostError::Forbidden(why),
        Failure::TimedOut => PostError::TimedOut,
        Failure::Other(why) => PostError::Failed(format!("{place}: {why}")),
    }
}

/// A failed call of a checked agent, sorted.
pub(crate) enum Failure {
    /// No checked address to connect to (see [`Refused`]).
    Refused(String),
    TimedOut,
    /// What went wrong in a few words of ours, naming nothing: each caller
    /// puts before it what it may show of the target.
    Other(&'static str),
}

/// Sorts `err` and says what it was in our words. The client's own texts
/// are never passed on: they read as library internals (an `io` error's
/// OS wording, a TLS library's), and some would carry the URL or a header
/// value.
pub(crate) fn failure(err: ureq::Error) -> Failure {
    Failure::Other(match err {
        ureq::Error::Other(inner) => match inner.downcast::<Refused>() {
            Ok(refused) => return Failure::Refused(refused.0),
            Err(_) => "the request failed",
        },
        ureq::Error::Timeout(_) => return Failure::TimedOut,
        ureq::Error::Io(err) => match err.kind() {
            ErrorKind::ConnectionRefused => "the connection was refused",
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof => "the connection closed before the answer was complete",
            ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
            | ErrorKind::AddrNotAvailable => "the address cannot be reached from this server",
            ErrorKind::TimedOut => "the connection timed out",
            _ => "the connection failed",
        },
        ureq::Error::ConnectionFailed => "the connection failed",
        ureq::Error::Http(_) => "the request could not be built (a header value is not valid)",
        ureq::Error::Protocol(_) => "the answer is not valid HTTP/1.1",
        ureq::Error::LargeResponseHeader(..) => "the answer's headers are longer than allowed",
        ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::TlsRequired => {
            "the TLS handshake failed (an untrusted or mismatched certificate, or no protocol in common)"
        }
        _ => "the request failed",
    })
}

/// `host` or `host:port`, IPv6 literals bracketed.
fn place(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_and_redirects_are_off() {
        let client = CheckedClient::new(AllowList::default(), "t/1");
        let config = client.agent.config();
        assert!(config.proxy().is_none());
        assert_eq!(config.max_redirects(), 0);
        assert!(!config.http_status_as_error());
    }

    #[test]
    fn the_bearer_stays_out_of_debug() {
        let post = JsonPost {
            url: "https://p.test/v1",
            bearer: "sk-secret",
            body: b"{}",
            deadline: Instant::now(),
            max_answer_bytes: 1,
        };
        let shown = format!("{post:?}");
        assert!(!shown.contains("sk-secret"), "{shown}");
    }

    #[test]
    fn other_schemes_are_forbidden_before_any_lookup() {
        let client = CheckedClient::new(AllowList::default(), "t/1");
        for url in ["file:///etc/passwd", "ftp://93.184.215.14/", "not a url"] {
            let result = client.post_json(&JsonPost {
                url,
                bearer: "",
                body: b"{}",
                deadline: Instant::now() + Duration::from_secs(1),
                max_answer_bytes: 1,
            });
            assert!(matches!(result, Err(PostError::Forbidden(_))), "{url}");
        }
    }
}

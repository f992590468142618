use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use aispace_domain::model::WebhookUrl;
use aispace_domain::ports::{OutgoingWebhook, SendOutcome, WebhookSender};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;
use ureq::http::Uri;
use ureq::unversioned::resolver::Resolver;
use ureq::unversioned::transport::{DefaultConnector, NextTimeout, time as ureq_time};
use url::Url;

use crate::allow_list::AllowList;
use crate::client::Failure;
use crate::lookup::{NameLookup, SystemLookup};
use crate::policy::AddressPolicy;
use crate::resolver::CheckingResolver;
use crate::target::parse_target;

pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_WEBHOOK_USER_AGENT: &str = "aispace-webhooks/0.1";
/// At most this much of a receiver's answer is read, then dropped: only
/// the status and `Retry-After` matter.
pub const MAX_RESPONSE_BODY_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSenderConfig {
    /// For one whole delivery: lookup, connection, TLS, request and
    /// response. [`UreqWebhookSender::check`] gives its lookup as long.
    pub timeout: Duration,
    /// Non-public addresses that may receive deliveries anyway; the same
    /// list as the image fetcher's (`AISPACE_FETCH_ALLOW`).
    pub allow: AllowList,
    pub user_agent: String,
}

impl Default for WebhookSenderConfig {
    fn default() -> Self {
        WebhookSenderConfig {
            timeout: DEFAULT_WEBHOOK_TIMEOUT,
            allow: AllowList::default(),
            user_agent: DEFAULT_WEBHOOK_USER_AGENT.to_owned(),
        }
    }
}

/// [`WebhookSender`] over ureq, blocking. Refuses the same addresses as
/// the image fetcher: every connection goes through the
/// [`CheckingResolver`], so an address is checked on each delivery, not
/// just when the webhook was registered. Follows no redirect. Cheap to
/// share: one agent, no per-delivery state.
#[derive(Debug)]
pub struct UreqWebhookSender {
    agent: ureq::Agent,
    /// The same rules as the agent's resolver, for [`check`](Self::check).
    checker: CheckingResolver,
    timeout: Duration,
}

impl UreqWebhookSender {
    pub fn new(config: WebhookSenderConfig) -> Self {
        UreqWebhookSender::with_lookup(config, Arc::new(SystemLookup))
    }

    /// With names resolved by `lookup` instead of the system resolver.
    pub fn with_lookup(config: WebhookSenderConfig, lookup: Arc<dyn NameLookup>) -> Self {
        let agent_config = ureq::Agent::config_builder()
            // A proxy would connect (and look up) on our behalf, past every
            // check; the default reads HTTP(S)_PROXY/ALL_PROXY.
            .proxy(None)
            // A redirect is the receiver's answer, not an instruction: with
            // 0, ureq hands the 3xx back instead of following it.
            .max_redirects(0)
            // Every status is an answer for the domain to judge.
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .user_agent(config.user_agent.as_str())
            // A pooled connection would skip the resolver and so the
            // delivery-time check.
            .max_idle_connections(0)
            .build();
        let policy = AddressPolicy::new(config.allow);
        UreqWebhookSender {
            agent: ureq::Agent::with_parts(
                agent_config,
                DefaultConnector::default(),
                CheckingResolver::new(policy.clone(), Arc::clone(&lookup)),
            ),
            checker: CheckingResolver::new(policy, lookup),
            timeout: config.timeout,
        }
    }

    /// Looks the URL's host up and checks its addresses exactly as a
    /// delivery's connection would, without connecting.
    fn resolve(&self, url: &Url) -> Result<(), ureq::Error> {
        // Only scheme and authority matter here; leaving the path out keeps
        // it out of any error too.
        let uri = format!("{}://{}/", url.scheme(), place(url))
            .parse::<Uri>()
            .map_err(|_| ureq::Error::BadUri(String::new()))?;
        let timeout = NextTimeout {
            after: ureq_time::Duration::Exact(self.timeout),
            reason: ureq::Timeout::Resolve,
            ..NextTimeout::default()
        };
        self.checker
            .resolve(&uri, self.agent.config(), timeout)
            .map(drop)
    }

    /// Says what went wrong naming only the host and port: a webhook URL's
    /// path and query are often the receiver's secret, and the signature
    /// must not end up in a log either.
    fn describe(&self, place: &str, err: ureq::Error) -> String {
        match crate::client::failure(err) {
            Failure::Refused(why) => format!("refused: {why}"),
            Failure::TimedOut => format!("{place}: no answer within {:?}", self.timeout),
            Failure::Other(why) => format!("{place}: {why}"),
        }
    }
}

impl WebhookSender for UreqWebhookSender {
    fn check(&self, url: &WebhookUrl) -> Result<(), String> {
        let url = parse_target(url.as_str(), None).map_err(|err| format!("webhook URL {err}"))?;
        // Said as the image fetcher says it, so a URL refused at
        // registration reads the same whichever kind it is.
        self.resolve(&url)
            .map_err(|err| match crate::client::failure(err) {
                Failure::Refused(why) => why,
                Failure::TimedOut => format!(
                    "{} was not looked up within {:?}",
                    place(&url),
                    self.timeout
                ),
                Failure::Other(why) => format!("{}: {why}", place(&url)),
            })
    }

    fn send(&self, delivery: &OutgoingWebhook<'_>) -> SendOutcome {
        let url = match parse_target(delivery.url.as_str(), None) {
            Ok(url) => url,
            Err(err) => return SendOutcome::Failed(format!("webhook URL {err}")),
        };
        let result = self
            .agent
            .post(url.as_str())
            .header("webhook-id", delivery.id)
            .header("webhook-timestamp", delivery.timestamp.to_string())
            .header("webhook-signature", delivery.signature)
            .header("content-type", "application/json")
            .send(delivery.body);
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| parse_retry_after(value, OffsetDateTime::now_utc()));
                discard_body(response.body_mut());
                SendOutcome::Answered {
                    status,
                    retry_after,
                }
            }
            Err(err) => SendOutcome::Failed(self.describe(&place(&url), err)),
        }
    }
}

/// `host` or `host:port`, IPv6 literals bracketed: what may be shown of a
/// webhook URL.
fn place(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Reads at most [`MAX_RESPONSE_BODY_BYTES`] and throws them away. The
/// answer is already known; a body that is long, slow or broken changes
/// nothing (the global timeout bounds the wait).
fn discard_body(body: &mut ureq::Body) {
    let _ = io::copy(
        &mut body.as_reader().take(MAX_RESPONSE_BODY_BYTES),
        &mut io::sink(),
    );
}

/// `Retry-After` is delay-seconds (`120`) or an HTTP-date; a date in the
/// past means "now". The date is read with the RFC 2822 parser, which takes
/// the IMF-fixdate form HTTP requires senders to use
/// (`Sun, 06 Nov 1994 08:49:37 GMT`); the obsolete RFC 850 and asctime
/// forms, and anything else unreadable, count as no `Retry-After`.
fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let date = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    Some(Duration::try_from(date - now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        // Sun, 06 Nov 1994 08:49:37 GMT
        OffsetDateTime::from_unix_timestamp(784_111_777).unwrap()
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
        for bad in ["", "-1", "1.5", "12s", "soon", "99999999999999999999999"] {
            assert_eq!(parse_retry_after(bad, now()), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_as_an_http_date() {
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now()),
            Some(Duration::ZERO)
        );
        // In the past: retry now.
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now()),
            Some(Duration::ZERO)
        );
        // The obsolete forms are not read.
        for obsolete in ["Sunday, 06-Nov-94 08:51:37 GMT", "Sun Nov  6 08:51:37 1994"] {
            assert_eq!(parse_retry_after(obsolete, now()), None, "{obsolete}");
        }
    }

    #[test]
    fn the_default_config_matches_the_spec() {
        let config = WebhookSenderConfig::default();
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert!(config.allow.is_empty());
        assert_eq!(config.user_agent, "aispace-webhooks/0.1");
    }

    #[test]
    fn proxies_and_redirects_are_off() {
        let sender = UreqWebhookSender::new(WebhookSenderConfig::default());
        let config = sender.agent.config();
        assert!(config.proxy().is_none());
        assert_eq!(config.max_redirects(), 0);
        assert!(!config.http_status_as_error());
    }

    #[test]
    fn the_place_shows_host_and_port_only() {
        let url = parse_target("https://u:p@hooks.test:8443/s3cret?token=x#f", None).unwrap();
        assert_eq!(place(&url), "hooks.test:8443");
        let url = parse_target("http://[::1]/s3cret", None).unwrap();
        assert_eq!(place(&url), "[::1]");
    }
}

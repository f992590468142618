//! Deliveries to receivers on loopback, let through by the allow list, and
//! the refusals when they are not.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aispace_domain::model::WebhookUrl;
use aispace_domain::ports::{OutgoingWebhook, SendOutcome, WebhookSender};
use aispace_outbound::{AllowList, UreqWebhookSender, WebhookSenderConfig};
use aispace_testkit::http::ReceivedRequest as Received;
// What a receiver does with one delivery: the testkit's loopback replies
// (`Verbatim` answers, `Status`, `Endless`, `Silent`).
use aispace_testkit::loopback::{LoopbackServer, Reply as Answer};

use crate::support::{FakeDns, Rebinding, closed_port};

fn status(code: u16) -> Answer {
    Answer::Status(code)
}

/// A webhook receiver on loopback answering every delivery alike.
struct Receiver {
    addr: SocketAddr,
    server: LoopbackServer,
}

impl Receiver {
    /// On `ip`, a port of the system's choosing.
    fn start(ip: &str, answer: Answer) -> Receiver {
        Receiver::start_on(ip, 0, answer)
    }

    fn start_on(ip: &str, port: u16, answer: Answer) -> Receiver {
        let server =
            LoopbackServer::serve_on(ip.parse().unwrap(), port, move |_| answer.clone()).unwrap();
        Receiver {
            addr: server.addr,
            server,
        }
    }

    fn url(&self, path: &str) -> WebhookUrl {
        WebhookUrl::parse(&self.server.url(path), true).unwrap()
    }

    fn connections(&self) -> usize {
        self.server.connections()
    }

    fn received(&self) -> Vec<Received> {
        self.server.received()
    }
}

fn allow(list: &str) -> WebhookSenderConfig {
    WebhookSenderConfig {
        allow: AllowList::parse(list).unwrap(),
        ..WebhookSenderConfig::default()
    }
}

/// A second or two at most if something were ever wrongly let through.
fn short(config: WebhookSenderConfig) -> WebhookSenderConfig {
    WebhookSenderConfig {
        timeout: Duration::from_millis(500),
        ..config
    }
}

const SIGNATURE: &str = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,bm9wZQ==";

fn delivery<'a>(url: &'a WebhookUrl, body: &'a str) -> OutgoingWebhook<'a> {
    OutgoingWebhook {
        url,
        id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        timestamp: 1_714_000_000,
        signature: SIGNATURE,
        body,
    }
}

fn answered(status: u16) -> SendOutcome {
    SendOutcome::Answered {
        status,
        retry_after: None,
    }
}

#[track_caller]
fn failed(outcome: SendOutcome, context: &str) -> String {
    match outcome {
        SendOutcome::Failed(message) => message,
        other => panic!("{context}: expected Failed, got {other:?}"),
    }
}

#[test]
fn headers_and_body_arrive_exactly_as_given() {
    let receiver = Receiver::start("127.0.0.1", status(204));
    let sender = UreqWebhookSender::new(WebhookSenderConfig {
        user_agent: "aispace-test/9".to_owned(),
        ..allow("127.0.0.1/32")
    });
    let url = receiver.url("/hooks/in?team=a%20b");
    let body = "{\"type\":\"post.created\",\"data\":{\"title\":\"caf\u{e9} \\n \u{1f3a8}\"}}\n";

    assert_eq!(sender.send(&delivery(&url, body)), answered(204));

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hooks/in?team=a%20b");
    assert_eq!(
        request.header("webhook-id"),
        ["msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"]
    );
    assert_eq!(request.header("webhook-timestamp"), ["1714000000"]);
    assert_eq!(request.header("webhook-signature"), [SIGNATURE]);
    assert_eq!(request.header("content-type"), ["application/json"]);
    assert_eq!(request.header("user-agent"), ["aispace-test/9"]);
    assert_eq!(
        request.header("content-length"),
        [body.len().to_string().as_str()]
    );
    assert_eq!(request.body, body.as_bytes());
}

#[test]
fn the_default_user_agent_is_sent() {
    let receiver = Receiver::start("127.0.0.1", status(200));
    let sender = UreqWebhookSender::new(allow("127.0.0.1"));
    let url = receiver.url("/");

    assert_eq!(sender.send(&delivery(&url, "{}")), answered(200));
    assert_eq!(
        receiver.received()[0].header("user-agent"),
        ["aispace-webhooks/0.1"]
    );
}

#[test]
fn statuses_other_than_2xx_are_answers() {
    for code in [500, 410, 404, 429] {
        let receiver = Receiver::start("127.0.0.1", status(code));
        let sender = UreqWebhookSender::new(allow("127.0.0.1"));
        let url = receiver.url("/hook");

        assert_eq!(sender.send(&delivery(&url, "{}")), answered(code), "{code}");
    }
}

#[test]
fn a_redirect_is_answered_not_followed() {
    let target = Receiver::start("127.0.0.1", status(200));
    let redirector = Receiver::start(
        "127.0.0.1",
        Answer::Verbatim(format!(
            "HTTP/1.1 302 Found\r\nLocation: http://{}/elsewhere\r\nContent-Length: 0\r\n\r\n",
            target.addr
        )),
    );
    let sender = UreqWebhookSender::new(allow("127.0.0.1"));
    let url = redirector.url("/hook");

    assert_eq!(sender.send(&delivery(&url, "{}")), answered(302));
    assert_eq!(redirector.received().len(), 1);
    assert_eq!(target.connections(), 0);
}

#[test]
fn retry_after_in_seconds_is_read() {
    let receiver = Receiver::start(
        "127.0.0.1",
        Answer::Verbatim(
            "HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 4\r\n\r\nbusy".to_owned(),
        ),
    );
    let sender = UreqWebhookSender::new(allow("127.0.0.1"));
    let url = receiver.url("/hook");

    assert_eq!(
        sender.send(&delivery(&url, "{}")),
        SendOutcome::Answered {
            status: 503,
            retry_after: Some(Duration::from_secs(120)),
        }
    );
}

#[test]
fn an_unreadable_retry_after_is_no_retry_after() {
    let receiver = Receiver::start(
        "127.0.0.1",
        Answer::Verbatim(
            "HTTP/1.1 429 Slow\r\nRetry-After: soon\r\nContent-Length: 0\r\n\r\n".to_owned(),
        ),
    );
    let sender = UreqWebhookSender::new(allow("127.0.0.1"));
    let url = receiver.url("/hook");

    assert_eq!(sender.send(&delivery(&url, "{}")), answered(429));
}

#[test]
fn an_endless_response_body_is_cut_not_a_failure() {
    let receiver = Receiver::start("127.0.0.1", Answer::Endless);
    let sender = UreqWebhookSender::new(allow("127.0.0.1"));
    let url = receiver.url("/hook");

    let started = Instant::now();
    assert_eq!(sender.send(&delivery(&url, "{}")), answered(200));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_hanging_receiver_fails_within_the_timeout() {
    let receiver = Receiver::start("127.0.0.1", Answer::Silent);
    let sender = UreqWebhookSender::new(short(allow("127.0.0.1")));
    let url = receiver.url("/hook/s3cret-token");

    let started = Instant::now();
    let message = failed(sender.send(&delivery(&url, "{}")), "silent");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(450),
        "gave up early: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    assert!(message.contains("500ms"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
    assert_eq!(receiver.received().len(), 1, "the request was sent");
}

#[test]
fn a_refused_connection_fails_without_naming_the_path() {
    let port = closed_port("127.0.0.1");
    let sender = UreqWebhookSender::new(short(allow("127.0.0.1")));
    let url = WebhookUrl::parse(
        &format!("http://127.0.0.1:{port}/hook/s3cret-token?key=t0p"),
        true,
    )
    .unwrap();

    let message = failed(sender.send(&delivery(&url, "{}")), "closed port");
    assert_eq!(
        message,
        format!("127.0.0.1:{port}: the connection was refused")
    );
    for secret in ["s3cret", "t0p", SIGNATURE] {
        assert!(!message.contains(secret), "{message}");
    }
}

#[test]
fn loopback_is_refused_unless_allowed() {
    let receiver = Receiver::start("127.0.0.1", status(200));
    let sender = UreqWebhookSender::new(short(WebhookSenderConfig::default()));
    let url = receiver.url("/hook");

    let reason = sender.check(&url).unwrap_err();
    assert!(reason.contains("loopback"), "{reason}");
    let message = failed(sender.send(&delivery(&url, "{}")), "loopback");
    assert!(message.contains("loopback"), "{message}");
    assert_eq!(receiver.connections(), 0);

    let allowed = UreqWebhookSender::new(short(allow("127.0.0.1")));
    assert_eq!(allowed.check(&url), Ok(()));
    assert_eq!(receiver.connections(), 0, "check looks up, never connects");
}

#[test]
fn private_and_special_addresses_are_refused_by_check() {
    let dns = FakeDns::new(&[
        ("internal.test", &["10.0.0.1"]),
        ("mixed.test", &["93.184.215.14", "169.254.169.254"]),
        ("public.test", &["93.184.215.14", "2606:4700::6810:85e5"]),
    ]);
    let sender = UreqWebhookSender::with_lookup(short(allow("127.0.0.1")), dns);
    let check = |url: &str| sender.check(&WebhookUrl::from_trusted(url.to_owned()));

    for (url, named) in [
        ("https://10.0.0.1/hook", "10.0.0.1"),
        ("https://192.168.1.1/hook", "192.168.1.1"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("https://[::1]/hook", "::1"),
        ("https://[fd00::1]/hook", "fd00::1"),
        ("https://0x0a.1/hook", "10.0.0.1"),
        ("https://internal.test/hook", "internal.test"),
        ("https://mixed.test/hook", "169.254.169.254"),
    ] {
        let reason = check(url).unwrap_err();
        assert!(reason.contains(named), "{url}: {reason}");
        assert!(!reason.contains("/hook"), "{url}: {reason}");
    }
    assert_eq!(check("https://public.test/hook"), Ok(()));
    assert_eq!(check("https://93.184.215.14/hook"), Ok(()));
}

#[test]
fn check_refuses_unknown_names_and_other_schemes() {
    let dns = FakeDns::new(&[("empty.test", &[])]);
    let sender = UreqWebhookSender::with_lookup(short(WebhookSenderConfig::default()), dns);
    let check = |url: &str| sender.check(&WebhookUrl::from_trusted(url.to_owned()));

    for url in [
        "https://nowhere.test/hook",
        "https://empty.test/hook",
        "ftp://93.184.215.14/hook",
        "file:///etc/passwd",
        "not a url",
    ] {
        assert!(check(url).is_err(), "{url}");
    }
    // Word for word what the image fetcher says of the same name.
    for name in ["nowhere.test", "empty.test"] {
        assert_eq!(
            check(&format!("https://{name}/hook")),
            Err(format!("{name} does not resolve to any address"))
        );
    }
}

#[test]
fn send_checks_the_addresses_again_at_delivery_time() {
    // Allowed when registered, rebound to a forbidden address since.
    let allowed = Receiver::start("127.0.0.2", status(200));
    // Same port on the forbidden address: connecting there is what a
    // missed check would do.
    let forbidden = Receiver::start_on("127.0.0.1", allowed.addr.port(), status(200));
    let dns = Arc::new(Rebinding {
        first: "127.0.0.2".parse().unwrap(),
        then: "127.0.0.1".parse::<IpAddr>().unwrap(),
        calls: AtomicUsize::new(0),
    });
    let sender = UreqWebhookSender::with_lookup(short(allow("127.0.0.2")), dns.clone());
    let url = WebhookUrl::parse(
        &format!("http://rebind.test:{}/hook", allowed.addr.port()),
        true,
    )
    .unwrap();

    assert_eq!(sender.check(&url), Ok(()));
    let message = failed(sender.send(&delivery(&url, "{}")), "rebound");
    assert!(message.contains("not a public address"), "{message}");
    assert_eq!(dns.calls.load(Ordering::SeqCst), 2);
    assert_eq!(allowed.connections(), 0);
    assert_eq!(forbidden.connections(), 0);
}

//! Fetches against real HTTP servers on loopback, let through by the allow
//! list. 127.0.0.2 is loopback too on Linux, which gives a second,
//! separately allowable host.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aispace_domain::ports::FetchError;
use aispace_outbound::{FetchConfig, UreqFetcher};

use crate::support::{
    FakeDns, PNG, Rebinding, Reply, TestServer, allow, assert_failed, assert_forbidden,
    closed_port, fetch,
};

#[test]
fn fetches_an_image_from_an_allowed_address() {
    let server = TestServer::always("127.0.0.1", || Reply::Body(PNG.to_vec()));
    let fetcher = UreqFetcher::new(allow("127.0.0.1"));

    assert_eq!(
        fetch(&fetcher, &server.url("/a.png"), 1024),
        Ok(PNG.to_vec())
    );

    let requests = server.heads();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("GET /a.png HTTP/1.1\r\n"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains("user-agent: aispace-outbound/0.1\r\n"),
        "{}",
        requests[0]
    );
}

#[test]
fn the_same_server_is_forbidden_without_an_allow_list() {
    let server = TestServer::always("127.0.0.1", || Reply::Body(PNG.to_vec()));
    let fetcher = UreqFetcher::new(FetchConfig::default());

    assert_forbidden(fetch(&fetcher, &server.url("/a.png"), 1024), "loopback");
    assert_eq!(server.connections(), 0);
}

#[test]
fn userinfo_is_not_sent() {
    let server = TestServer::always("127.0.0.1", || Reply::Body(PNG.to_vec()));
    let fetcher = UreqFetcher::new(allow("127.0.0.1"));
    let url = format!("http://user:secret@{}/a.png", server.addr);

    assert_eq!(fetch(&fetcher, &url, 1024), Ok(PNG.to_vec()));
    let head = server.heads()[0].to_ascii_lowercase();
    assert!(!head.contains("authorization"), "{head}");
}

#[test]
fn a_name_connects_to_the_address_that_was_checked() {
    let server = TestServer::always("127.0.0.2", || Reply::Body(PNG.to_vec()));
    let dns = FakeDns::new(&[("img.test", &["127.0.0.2"])]);
    let fetcher = UreqFetcher::with_lookup(allow("127.0.0.2"), dns.clone());

    let url = format!("http://img.test:{}/a.png", server.port());
    assert_eq!(fetch(&fetcher, &url, 1024), Ok(PNG.to_vec()));
    assert_eq!(dns.asked(), ["img.test"]);
    assert!(
        server.heads()[0].contains("img.test"),
        "the Host header keeps the name"
    );
}

#[test]
fn a_rebinding_name_is_looked_up_once_per_request() {
    let allowed = TestServer::always("127.0.0.2", || Reply::Body(PNG.to_vec()));
    // Same port on a forbidden loopback address: only a second lookup
    // could lead there.
    let forbidden = TestServer::always("127.0.0.1", || Reply::Body(b"secret".to_vec()));
    let dns = Arc::new(Rebinding {
        first: "127.0.0.2".parse().unwrap(),
        then: "127.0.0.1".parse::<IpAddr>().unwrap(),
        calls: AtomicUsize::new(0),
    });
    let fetcher = UreqFetcher::with_lookup(allow("127.0.0.2"), dns.clone());

    let url = format!("http://rebind.test:{}/a.png", allowed.port());
    assert_eq!(fetch(&fetcher, &url, 1024), Ok(PNG.to_vec()));
    assert_eq!(dns.calls.load(Ordering::SeqCst), 1);
    assert_eq!(forbidden.connections(), 0);

    // The next fetch looks up again, gets the forbidden answer, and stops.
    assert_forbidden(fetch(&fetcher, &url, 1024), "rebound");
    assert_eq!(forbidden.connections(), 0);
}

#[test]
fn a_redirect_from_an_allowed_server_to_a_forbidden_one_is_forbidden() {
    let target = TestServer::always("127.0.0.1", || Reply::Body(b"secret".to_vec()));
    let location = target.url("/");
    let redirector = TestServer::always("127.0.0.2", move || Reply::Redirect(location.clone()));
    let fetcher = UreqFetcher::new(allow("127.0.0.2/32"));

    assert_forbidden(
        fetch(&fetcher, &redirector.url("/a.png"), 1024),
        "redirect to 127.0.0.1",
    );
    assert_eq!(redirector.connections(), 1);
    assert_eq!(target.connections(), 0);
}

#[test]
fn a_redirect_to_another_scheme_is_forbidden() {
    for location in [
        "file:///etc/passwd",
        "gopher://127.0.0.2/",
        "ftp://127.0.0.2/a.png",
    ] {
        let server = TestServer::always("127.0.0.2", move || Reply::Redirect(location.to_owned()));
        let fetcher = UreqFetcher::new(allow("127.0.0.2"));
        assert_forbidden(fetch(&fetcher, &server.url("/a.png"), 1024), location);
    }
}

/// `/hop/N` redirects to `/hop/N-1`; `/hop/0` is the image.
fn hops() -> TestServer {
    TestServer::start("127.0.0.2", |request| {
        match request.path.strip_prefix("/hop/") {
            Some("0") => Reply::Body(PNG.to_vec()),
            Some(n) => Reply::Redirect(format!("/hop/{}", n.parse::<u32>().unwrap() - 1)),
            None => Reply::Status(404),
        }
    })
}

#[test]
fn follows_up_to_three_redirects() {
    let server = hops();
    let fetcher = UreqFetcher::new(allow("127.0.0.2"));

    assert_eq!(
        fetch(&fetcher, &server.url("/hop/3"), 1024),
        Ok(PNG.to_vec())
    );
    assert_eq!(server.heads().len(), 4);
}

#[test]
fn a_fourth_redirect_fails() {
    let server = hops();
    let fetcher = UreqFetcher::new(allow("127.0.0.2"));

    let message = assert_failed(fetch(&fetcher, &server.url("/hop/4"), 1024), "4 hops");
    assert!(message.contains("redirects"), "{message}");
    assert_eq!(
        server.heads().len(),
        4,
        "the fourth redirect is not followed"
    );
}

#[test]
fn the_redirect_limit_is_configurable() {
    let server = hops();
    let fetcher = UreqFetcher::new(FetchConfig {
        max_redirects: 0,
        ..allow("127.0.0.2")
    });

    assert_eq!(
        fetch(&fetcher, &server.url("/hop/0"), 1024),
        Ok(PNG.to_vec())
    );
    assert_failed(
        fetch(&fetcher, &server.url("/hop/1"), 1024),
        "no redirects allowed",
    );
}

#[test]
fn a_redirect_loop_fails() {
    let server = TestServer::always("127.0.0.2", || Reply::Redirect("/loop".to_owned()));
    let fetcher = UreqFetcher::new(allow("127.0.0.2"));

    let message = assert_failed(fetch(&fetcher, &server.url("/loop"), 1024), "loop");
    assert!(message.contains("loop"), "{message}");
}

#[test]
fn a_redirect_without_location_fails() {
    let server = TestServer::always("127.0.0.2", || Reply::Status(302));
    let fetcher = UreqFetcher::new(allow("127.0.0.2"));

    assert_failed(
        fetch(&fetcher, &server.url("/a.png"), 1024),
        "302 without Location",
    );
}

#[test]
fn a_status_other_than_2xx_fails_naming_it() {
    for status in [404, 500, 403, 304] {
        let server = TestServer::always("127.0.0.2", move || Reply::Status(status));
        let fetcher = UreqFetcher::new(allow("127.0.0.2"));

        let message = assert_failed(fetch(&fetcher, &server.url("/a.png"), 1024), "status");
        assert!(message.contains(&status.to_string()), "{message}");
    }
}

#[test]
fn a_refused_connection_fails_in_our_words() {
    let port = closed_port("127.0.0.2");
    let fetcher = UreqFetcher::new(allow("127.0.0.2"));

    let message = assert_failed(
        fetch(&fetcher, &format!("http://127.0.0.2:{port}/a.png"), 1024),
        "closed port",
    );
    assert_eq!(
        message,
        format!("fetching http://127.0.0.2:{port}/a.png failed: the connection was refused")
    );
}

/// No address means nothing checked to connect to: refused like a
/// non-public one, whether the name is unknown or has no records, and in
/// words of ours rather than the resolver's.
#[test]
fn a_name_that_does_not_resolve_is_forbidden() {
    let fetcher =
        UreqFetcher::with_lookup(allow("127.0.0.2"), FakeDns::new(&[("empty.test", &[])]));

    for name in ["nowhere.test", "empty.test"] {
        assert_eq!(
            fetch(&fetcher, &format!("http://{name}/a.png"), 1024),
            Err(FetchError::Forbidden(format!(
                "{name} does not resolve to any address"
            ))),
        );
    }
}

#[test]
fn a_redirect_to_a_name_that_does_not_resolve_is_forbidden() {
    let server = TestServer::always("127.0.0.2", || {
        Reply::Redirect("http://nowhere.test/a.png".into())
    });
    let fetcher = UreqFetcher::with_lookup(allow("127.0.0.2"), FakeDns::new(&[]));

    assert_eq!(
        fetch(&fetcher, &server.url("/a.png"), 1024),
        Err(FetchError::Forbidden(
            "nowhere.test does not resolve to any address".into()
        )),
    );
}

#[test]
fn a_silent_server_fails_after_the_timeout() {
    let server = TestServer::always("127.0.0.2", || Reply::Silent);
    let fetcher = UreqFetcher::new(FetchConfig {
        timeout: Duration::from_millis(500),
        ..allow("127.0.0.2")
    });

    let started = Instant::now();
    let message = assert_failed(fetch(&fetcher, &server.url("/a.png"), 1024), "silent");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(450),
        "gave up early: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    assert!(message.contains("500ms"), "{message}");
}

#[test]
fn a_slow_lookup_counts_against_the_timeout() {
    let dns = FakeDns::slow(&[("slow.test", &["127.0.0.2"])], Duration::from_secs(3));
    let fetcher = UreqFetcher::with_lookup(
        FetchConfig {
            timeout: Duration::from_millis(300),
            ..allow("127.0.0.2")
        },
        dns,
    );

    let started = Instant::now();
    assert_failed(
        fetch(&fetcher, "http://slow.test/a.png", 1024),
        "slow lookup",
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_body_of_exactly_max_bytes_is_fetched() {
    for reply in [Reply::Body as fn(Vec<u8>) -> Reply, Reply::Unsized] {
        let server = TestServer::always("127.0.0.2", move || reply(vec![7; 1000]));
        let fetcher = UreqFetcher::new(allow("127.0.0.2"));

        assert_eq!(
            fetch(&fetcher, &server.url("/a.png"), 1000),
            Ok(vec![7; 1000])
        );
    }
}

#[test]
fn a_body_one_byte_over_max_bytes_is_too_large() {
    // With a Content-Length the answer comes before the body is read;
    // without one, from the cut while streaming.
    for reply in [Reply::Body as fn(Vec<u8>) -> Reply, Reply::Unsized] {
        let server = TestServer::always("127.0.0.2", move || reply(vec![7; 1001]));
        let fetcher = UreqFetcher::new(allow("127.0.0.2"));

        assert_eq!(
            fetch(&fetcher, &server.url("/a.png"), 1000),
            Err(FetchError::TooLarge(1000))
        );
    }
}

#[test]
fn an_endless_body_is_cut_at_max_bytes() {
    let server = TestServer::always("127.0.0.2", || Reply::Endless);
    let fetcher = UreqFetcher::new(allow("127.0.0.2"));

    let started = Instant::now();
    assert_eq!(
        fetch(&fetcher, &server.url("/a.png"), 64 * 1024),
        Err(FetchError::TooLarge(64 * 1024))
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_empty_body_is_fetched_as_empty() {
    let server = TestServer::always("127.0.0.2", || Reply::Body(Vec::new()));
    let fetcher = UreqFetcher::new(allow("127.0.0.2"));

    assert_eq!(fetch(&fetcher, &server.url("/a.png"), 0), Ok(Vec::new()));
}

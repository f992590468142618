//! Every address class and every odd way of spelling one is refused
//! before a connection is made. Names resolve through a fake DNS; the
//! loopback spellings aim at a live server that counts connections, so
//! "refused before connecting" is observed, not assumed.

use std::time::Duration;

use aispace_domain::model::WebhookUrl;
use aispace_domain::ports::{OutgoingWebhook, SendOutcome, WebhookSender};
use aispace_outbound::{
    AllowList, FetchConfig, UreqFetcher, UreqWebhookSender, WebhookSenderConfig,
};

use crate::support::{FakeDns, PNG, Reply, TestServer, assert_forbidden, fetch};

/// One address per class the classifier refuses.
const NON_PUBLIC: &[(&str, &str)] = &[
    ("this network", "0.0.0.1"),
    ("unspecified", "0.0.0.0"),
    ("loopback", "127.0.0.1"),
    ("loopback, far end", "127.255.255.254"),
    ("private 10/8", "10.0.0.1"),
    ("private 172.16/12", "172.16.5.4"),
    ("private 192.168/16", "192.168.1.1"),
    ("CGNAT", "100.64.0.1"),
    ("link-local", "169.254.1.1"),
    ("cloud metadata", "169.254.169.254"),
    ("IETF protocol assignments", "192.0.0.8"),
    ("documentation 192.0.2/24", "192.0.2.1"),
    ("documentation 198.51.100/24", "198.51.100.1"),
    ("documentation 203.0.113/24", "203.0.113.1"),
    ("benchmarking", "198.18.0.1"),
    ("multicast", "224.0.0.1"),
    ("reserved", "240.0.0.1"),
    ("broadcast", "255.255.255.255"),
    ("IPv6 unspecified", "::"),
    ("IPv6 loopback", "::1"),
    ("ULA", "fd00::1"),
    ("IPv6 link-local", "fe80::1"),
    ("site-local", "fec0::1"),
    ("IPv6 multicast", "ff02::1"),
    ("IPv6 documentation", "2001:db8::1"),
    ("IPv4-mapped loopback", "::ffff:127.0.0.1"),
    ("IPv4-mapped metadata", "::ffff:169.254.169.254"),
    ("IPv4-compatible private", "::10.0.0.1"),
    ("NAT64 of private", "64:ff9b::10.0.0.1"),
    ("local NAT64 of loopback", "64:ff9b:1::127.0.0.1"),
    ("6to4 of private", "2002:c0a8:101::1"),
    ("Teredo", "2001::1"),
    ("discard-only", "100::1"),
];

fn literal_url(ip: &str) -> String {
    if ip.contains(':') {
        format!("http://[{ip}]/a.png")
    } else {
        format!("http://{ip}/a.png")
    }
}

/// A second or two at most if something were ever wrongly let through.
fn config() -> FetchConfig {
    FetchConfig {
        timeout: Duration::from_millis(500),
        ..FetchConfig::default()
    }
}

#[test]
fn every_non_public_address_is_forbidden_as_a_literal() {
    let fetcher = UreqFetcher::with_lookup(config(), FakeDns::new(&[]));
    for (class, ip) in NON_PUBLIC {
        let url = literal_url(ip);
        assert_forbidden(fetch(&fetcher, &url, 1024), &format!("{class}: {url}"));
    }
}

#[test]
fn every_non_public_address_is_forbidden_behind_a_name() {
    let names: Vec<String> = (0..NON_PUBLIC.len())
        .map(|i| format!("host{i}.test"))
        .collect();
    let dns = FakeDns::single(
        names
            .iter()
            .cloned()
            .zip(NON_PUBLIC.iter().map(|(_, ip)| *ip)),
    );
    let fetcher = UreqFetcher::with_lookup(config(), dns.clone());
    for ((class, ip), name) in NON_PUBLIC.iter().zip(&names) {
        let url = format!("https://{name}/a.png");
        let result = fetch(&fetcher, &url, 1024);
        assert_forbidden(result.clone(), &format!("{class} ({ip}): {url}"));
        let message = format!("{:?}", result);
        assert!(
            message.contains(name),
            "the refusal names the host: {message}"
        );
    }
    assert_eq!(dns.asked().len(), NON_PUBLIC.len(), "one lookup per fetch");
}

#[test]
fn one_non_public_address_among_public_ones_refuses_the_name() {
    let dns = FakeDns::new(&[
        ("mixed.test", &["93.184.215.14", "10.0.0.1"]),
        ("mixed6.test", &["2606:4700::6810:85e5", "fd00::1"]),
        (
            "mixed-families.test",
            &["93.184.215.14", "::ffff:127.0.0.1"],
        ),
    ]);
    let fetcher = UreqFetcher::with_lookup(config(), dns);
    for name in ["mixed.test", "mixed6.test", "mixed-families.test"] {
        assert_forbidden(fetch(&fetcher, &format!("http://{name}/a.png"), 1024), name);
    }
}

#[test]
fn an_allowed_address_does_not_carry_a_forbidden_one_along() {
    // The allowed address is a live server, so a check that stopped at the
    // first good address would show up as a connection.
    let server = TestServer::always("127.0.0.2", || Reply::Body(PNG.to_vec()));
    let dns = FakeDns::new(&[
        ("first-ok.test", &["127.0.0.2", "10.0.0.1"]),
        ("last-ok.test", &["169.254.169.254", "127.0.0.2"]),
    ]);
    let fetcher = UreqFetcher::with_lookup(
        FetchConfig {
            allow: "127.0.0.2".parse().unwrap(),
            ..config()
        },
        dns,
    );
    for name in ["first-ok.test", "last-ok.test"] {
        let url = format!("http://{name}:{}/a.png", server.port());
        assert_forbidden(fetch(&fetcher, &url, 1024), &url);
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn odd_spellings_of_loopback_never_reach_the_server() {
    let server = TestServer::always("127.0.0.1", || Reply::Body(PNG.to_vec()));
    let port = server.port();
    let dns = FakeDns::new(&[
        ("localhost", &["127.0.0.1", "::1"]),
        ("internal.test", &["10.0.0.1"]),
        ("meta.test", &["169.254.169.254"]),
    ]);
    let fetcher = UreqFetcher::with_lookup(config(), dns.clone());
    let spellings = [
        format!("http://2130706433:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://017700000001:{port}/"),
        format!("http://0x7f.0.0.1:{port}/"),
        format!("http://0x7f000001:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://127.0.1:{port}/"),
        format!("http://127.000.000.001:{port}/"),
        format!("http://127.0.0.1.:{port}/"),
        format!("http://0:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://%31%32%37.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/"),
        format!("http://[::127.0.0.1]:{port}/"),
        format!("http://[64:ff9b::7f00:1]:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://evil@127.0.0.1:{port}/"),
        format!("http://8.8.8.8:80@127.0.0.1:{port}/"),
        format!("http://user:pass@[::1]:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://LOCALHOST:{port}/"),
        format!("http://localhost.:{port}/"),
        format!("HTTP://127.0.0.1:{port}/"),
        "http://internal.test./".to_owned(),
        "http://INTERNAL.TEST/".to_owned(),
        "http://internal%2Etest/".to_owned(),
        "http://8.8.8.8@internal.test/".to_owned(),
        "http://internal.test#@8.8.8.8/".to_owned(),
        "http://internal.test\\@8.8.8.8/".to_owned(),
        "http://internal.test?@8.8.8.8/".to_owned(),
        "https://meta.test/latest/meta-data/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://0xa9.0xfe.0xa9.0xfe/".to_owned(),
        "http://2852039166/".to_owned(),
    ];
    for url in &spellings {
        assert_forbidden(fetch(&fetcher, url, 1024), url);
    }
    assert_eq!(server.connections(), 0, "no spelling may reach the server");
    assert!(
        dns.asked().iter().all(|name| name.contains("test")),
        "only the .test names are looked up: {:?}",
        dns.asked()
    );
}

#[test]
fn the_production_fetcher_refuses_localhost_too() {
    let server = TestServer::always("127.0.0.1", || Reply::Body(PNG.to_vec()));
    let fetcher = UreqFetcher::new(config());
    let url = format!("http://localhost:{}/a.png", server.port());
    assert_forbidden(fetch(&fetcher, &url, 1024), &url);
    assert_eq!(server.connections(), 0);
}

/// Names that mean this machine, addresses spelt as names, and names DNS
/// cannot hold; and the IP spellings the URL parser folds, which never
/// reach a lookup either.
fn hosts_never_looked_up() -> Vec<String> {
    let mut hosts: Vec<String> = [
        "localhost.",
        "LOCALHOST",
        "localhost",
        "localhost..",
        "localhost.localdomain",
        "localhost.localdomain.",
        "foo.localhost",
        "Foo.LocalHost.",
        "ip6-localhost",
        "127.0.0.1..",
        "127.0.0.2..",
        "0x7f.1..",
        "127.1",
        "0x7f.1",
        "2130706433",
        "[::1]",
        "127.0.0.1.",
        "a..b",
        ".a.test",
        "example.test..",
        "a_b",
        "img.t_st",
        "a!b.test",
    ]
    .map(str::to_owned)
    .to_vec();
    hosts.push(format!("{}.test", "a".repeat(64)));
    hosts.push(format!("{}.test", vec!["a".repeat(60); 5].join(".")));
    hosts
}

/// The fake DNS would answer every one of these names with an allowed
/// address where a live server listens, so a name that slipped through
/// to a lookup would show as a lookup and as a connection.
#[test]
fn such_names_are_refused_before_any_lookup_by_the_fetcher_and_the_webhook_sender() {
    let server = TestServer::always("127.0.0.2", || Reply::Body(PNG.to_vec()));
    let port = server.port();
    let hosts = hosts_never_looked_up();
    let dns = FakeDns::single(
        hosts
            .iter()
            .map(|h| (h.trim_end_matches('.').to_ascii_lowercase(), "127.0.0.2"))
            .chain([("img.test".to_owned(), "127.0.0.2")]),
    );
    let allow: AllowList = "127.0.0.2".parse().unwrap();
    let fetcher = UreqFetcher::with_lookup(
        FetchConfig {
            allow: allow.clone(),
            ..config()
        },
        dns.clone(),
    );
    let sender = UreqWebhookSender::with_lookup(
        WebhookSenderConfig {
            allow,
            timeout: Duration::from_millis(500),
            ..WebhookSenderConfig::default()
        },
        dns.clone(),
    );

    for host in &hosts {
        let url = format!("http://{host}:{port}/a.png");
        assert_forbidden(fetch(&fetcher, &url, 1024), &url);
        let hook = WebhookUrl::from_trusted(url.clone());
        assert!(sender.check(&hook).is_err(), "{url}");
        let delivery = OutgoingWebhook {
            url: &hook,
            id: "evt_1",
            timestamp: 0,
            signature: "v1,x",
            body: "{}",
        };
        assert!(
            matches!(sender.send(&delivery), SendOutcome::Failed(_)),
            "{url}"
        );
    }
    assert_eq!(
        dns.asked(),
        Vec::<String>::new(),
        "a refused name was looked up"
    );
    assert_eq!(server.connections(), 0);

    // The same setup lets an ordinary name through, so the silence above
    // is the refusals', not the fake's.
    let ordinary = format!("http://img.test:{port}/a.png");
    assert_eq!(fetch(&fetcher, &ordinary, 1024), Ok(PNG.to_vec()));
    assert_eq!(dns.asked(), ["img.test"]);
}

#[test]
fn an_allow_list_for_one_host_does_not_open_its_neighbours() {
    let server = TestServer::always("127.0.0.1", || Reply::Body(PNG.to_vec()));
    let fetcher = UreqFetcher::with_lookup(
        FetchConfig {
            allow: "127.0.0.2/32".parse().unwrap(),
            ..config()
        },
        FakeDns::new(&[]),
    );
    assert_forbidden(fetch(&fetcher, &server.url("/a.png"), 1024), "127.0.0.1");
    assert_eq!(server.connections(), 0);
}

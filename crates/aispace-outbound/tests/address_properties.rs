//! The address rules against an independent reading of the IANA
//! special-purpose address registries, over arbitrary addresses biased to
//! the edges of every registered block; and URL targets (every spelling of
//! a host the WHATWG parser accepts, and much it does not) through the real
//! fetcher and webhook sender, with names resolved by a fake DNS and no
//! connection ever opened.
//!
//! Failures are not persisted to files: proptest prints the shrunk input,
//! and a fix comes with a named regression test next to the code it fixes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aispace_domain::model::{ImageUrl, WebhookUrl};
use aispace_domain::ports::{FetchError, ImageFetcher, WebhookSender};
use aispace_outbound::{
    AddressClass, AddressPolicy, AllowList, Cidr, FetchConfig, NameLookup, UreqFetcher,
    UreqWebhookSender, WebhookSenderConfig, classify, is_public,
};
use proptest::prelude::*;
use proptest::sample::select;
use url::{Host, Url};

use aispace_testkit::properties::{self, config};

// ---------------------------------------------------------------------------
// The reference: IANA IPv4 and IPv6 Special-Purpose Address Registries
// (with the multicast blocks and the limited broadcast of the address
// space registries), the "Globally Reachable" column as `true`/`false`;
// "N/A" (Teredo, 6to4, the deprecated 6to4 relay anycast) counts as not.

const IANA_V4: &[(&str, bool)] = &[
    ("0.0.0.0/8", false),          // "This network"
    ("0.0.0.0/32", false),         // "This host on this network"
    ("10.0.0.0/8", false),         // Private-Use
    ("100.64.0.0/10", false),      // Shared Address Space
    ("127.0.0.0/8", false),        // Loopback
    ("169.254.0.0/16", false),     // Link Local
    ("172.16.0.0/12", false),      // Private-Use
    ("192.0.0.0/24", false),       // IETF Protocol Assignments
    ("192.0.0.0/29", false),       // IPv4 Service Continuity Prefix
    ("192.0.0.8/32", false),       // IPv4 dummy address
    ("192.0.0.9/32", true),        // Port Control Protocol Anycast
    ("192.0.0.10/32", true),       // TURN Anycast
    ("192.0.0.170/32", false),     // NAT64/DNS64 Discovery
    ("192.0.0.171/32", false),     // NAT64/DNS64 Discovery
    ("192.0.2.0/24", false),       // Documentation (TEST-NET-1)
    ("192.31.196.0/24", true),     // AS112-v4
    ("192.52.193.0/24", true),     // AMT
    ("192.88.99.0/24", false),     // Deprecated (6to4 Relay Anycast)
    ("192.168.0.0/16", false),     // Private-Use
    ("192.175.48.0/24", true),     // Direct Delegation AS112 Service
    ("198.18.0.0/15", false),      // Benchmarking
    ("198.51.100.0/24", false),    // Documentation (TEST-NET-2)
    ("203.0.113.0/24", false),     // Documentation (TEST-NET-3)
    ("224.0.0.0/4", false),        // Multicast
    ("240.0.0.0/4", false),        // Reserved
    ("255.255.255.255/32", false), // Limited Broadcast
];

const IANA_V6: &[(&str, bool)] = &[
    ("::1/128", false),          // Loopback Address
    ("::/128", false),           // Unspecified Address
    ("::ffff:0:0/96", false),    // IPv4-mapped Address
    ("64:ff9b::/96", true),      // IPv4-IPv6 Translat.
    ("64:ff9b:1::/48", false),   // IPv4-IPv6 Translat. (local use)
    ("100::/64", false),         // Discard-Only Address Block
    ("100:0:0:1::/64", false),   // Dummy IPv6 Prefix
    ("2001::/23", false),        // IETF Protocol Assignments
    ("2001::/32", false),        // TEREDO
    ("2001:1::1/128", true),     // Port Control Protocol Anycast
    ("2001:1::2/128", true),     // TURN Anycast
    ("2001:1::3/128", true),     // DNS-SD Service Registration Protocol Anycast
    ("2001:2::/48", false),      // Benchmarking
    ("2001:3::/32", true),       // AMT
    ("2001:4:112::/48", true),   // AS112-v6
    ("2001:10::/28", false),     // Deprecated (previously ORCHID)
    ("2001:20::/28", true),      // ORCHIDv2
    ("2001:30::/28", true),      // Drone Remote ID Protocol Entity Tags
    ("2001:db8::/32", false),    // Documentation
    ("2002::/16", false),        // 6to4
    ("2620:4f:8000::/48", true), // Direct Delegation AS112 Service
    ("3fff::/20", false),        // Documentation
    ("5f00::/16", false),        // Segment Routing (SRv6) SIDs
    ("fc00::/7", false),         // Unique-Local
    ("fe80::/10", false),        // Link-Local Unicast
    ("fec0::/10", false),        // Site-Local (deprecated), address space registry
    ("ff00::/8", false),         // Multicast, address space registry
];

/// Blocks whose embedded IPv4 address is where a packet really goes: the
/// policy judges these by that address (IPv4-mapped, IPv4-compatible,
/// NAT64 with the well-known prefix, and the local-use NAT64 prefix in its
/// only unambiguous layout, RFC 6052's /96). 6to4 is handled apart: its
/// IPv4 address sits in bits 16–47.
const CARRY_V4_IN_LOW_32: &[&str] = &["::ffff:0:0/96", "::/96", "64:ff9b::/96", "64:ff9b:1::/96"];

/// `2000::/3`: the only IPv6 block IANA allocates as global unicast.
const GLOBAL_UNICAST: &str = "2000::/3";

#[derive(Debug, Clone, Copy)]
struct Net {
    bits: u128,
    prefix: u32,
    width: u32,
}

impl Net {
    fn parse(s: &str) -> Net {
        let (addr, prefix) = s.split_once('/').unwrap();
        let prefix: u32 = prefix.parse().unwrap();
        match addr.parse::<IpAddr>().unwrap() {
            IpAddr::V4(a) => Net {
                bits: u128::from(u32::from(a)),
                prefix,
                width: 32,
            },
            IpAddr::V6(a) => Net {
                bits: u128::from(a),
                prefix,
                width: 128,
            },
        }
    }

    fn host_bits(&self) -> u128 {
        u128::MAX
            .checked_shr(128 - (self.width - self.prefix))
            .unwrap_or(0)
    }

    fn first(&self) -> u128 {
        self.bits & !self.host_bits()
    }

    fn last(&self) -> u128 {
        self.first() | self.host_bits()
    }

    fn contains(&self, bits: u128) -> bool {
        (self.first()..=self.last()).contains(&bits)
    }
}

fn v4_bits(a: Ipv4Addr) -> u128 {
    u128::from(u32::from(a))
}

/// Reachable only if no registry entry covering the address says it is
/// not. That is stricter than the registry's most-specific entry in two
/// places, both by design: the anycast and service blocks nested in
/// `192.0.0.0/24` and `2001::/23` are refused with their parent block (an
/// image host or webhook receiver has no business there).
fn reference_v4(a: Ipv4Addr) -> bool {
    IANA_V4
        .iter()
        .filter(|(net, _)| Net::parse(net).contains(v4_bits(a)))
        .all(|&(_, reachable)| reachable)
}

fn carried_ipv4(a: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(a);
    // `::` and `::1` are themselves, not IPv4 0.0.0.0 and 0.0.0.1.
    if bits <= 1 {
        return None;
    }
    if CARRY_V4_IN_LOW_32
        .iter()
        .any(|net| Net::parse(net).contains(bits))
    {
        return Some(Ipv4Addr::from(bits as u32));
    }
    if Net::parse("2002::/16").contains(bits) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

fn reference_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = carried_ipv4(a) {
        return reference_v4(v4);
    }
    let bits = u128::from(a);
    Net::parse(GLOBAL_UNICAST).contains(bits)
        && IANA_V6
            .iter()
            .filter(|(net, _)| Net::parse(net).contains(bits))
            .all(|&(_, reachable)| reachable)
}

fn reference_is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => reference_v4(a),
        IpAddr::V6(a) => reference_v6(a),
    }
}

// ---------------------------------------------------------------------------
// Address generators: uniform noise finds nothing (almost all of IPv4 is
// public, almost all of IPv6 is unallocated), so most addresses sit on or
// just beside the edge of a registered block.

fn near_block(blocks: Vec<&'static str>) -> impl Strategy<Value = u128> {
    (select(blocks), 0usize..5, any::<u128>()).prop_map(|(net, edge, noise)| {
        let net = Net::parse(net);
        let top = if net.width == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        match edge {
            0 => net.first(),
            1 => net.last(),
            2 => net.first().checked_sub(1).unwrap_or(top),
            3 => net.last().checked_add(1).filter(|b| *b <= top).unwrap_or(0),
            _ => net.first() | (noise & net.host_bits()),
        }
    })
}

fn v4_blocks() -> Vec<&'static str> {
    IANA_V4.iter().map(|(net, _)| *net).collect()
}

fn v6_blocks() -> Vec<&'static str> {
    IANA_V6
        .iter()
        .map(|(net, _)| *net)
        .chain(CARRY_V4_IN_LOW_32.iter().copied())
        .chain([GLOBAL_UNICAST, "2002::/16"])
        .collect()
}

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    prop_oneof![
        1 => any::<u32>().prop_map(Ipv4Addr::from),
        3 => near_block(v4_blocks()).prop_map(|b| Ipv4Addr::from(b as u32)),
    ]
}

fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    let embedded = (
        select(CARRY_V4_IN_LOW_32),
        ipv4(),
        any::<u128>(),
        any::<bool>(),
    )
        .prop_map(|(net, v4, noise, six_to_four)| {
            if six_to_four {
                (0x2002u128 << 112) | (v4_bits(v4) << 80) | (noise & ((1 << 80) - 1))
            } else {
                Net::parse(net).first() | v4_bits(v4)
            }
        });
    prop_oneof![
        1 => any::<u128>(),
        4 => near_block(v6_blocks()),
        3 => embedded,
    ]
    .prop_map(Ipv6Addr::from)
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![ipv4().prop_map(IpAddr::V4), ipv6().prop_map(IpAddr::V6)]
}

proptest! {
    #![proptest_config(config(20_000))]

    #[test]
    fn the_public_classifier_agrees_with_the_iana_registries(ip in ip()) {
        prop_assert_eq!(is_public(ip), reference_is_public(ip), "{} is {:?}", ip, classify(ip));
        prop_assert_eq!(classify(ip) == AddressClass::Public, is_public(ip));
        let checked = AddressPolicy::default().check(ip);
        prop_assert_eq!(checked.is_ok(), is_public(ip));
        if let Err(reason) = checked {
            prop_assert!(reason.contains(&ip.to_string()), "{}", reason);
        }
    }

    #[test]
    fn an_ipv6_spelling_of_an_ipv4_address_takes_that_address_class(
        v4 in ipv4(),
        noise in any::<u128>(),
    ) {
        let class = classify(IpAddr::V4(v4));
        let low = v4_bits(v4);
        let spellings = [
            Ipv6Addr::from(Net::parse("::ffff:0:0/96").first() | low),
            Ipv6Addr::from(Net::parse("64:ff9b::/96").first() | low),
            Ipv6Addr::from(Net::parse("64:ff9b:1::/96").first() | low),
            Ipv6Addr::from((0x2002u128 << 112) | (low << 80) | (noise & ((1 << 80) - 1))),
        ];
        for v6 in spellings {
            prop_assert_eq!(classify(IpAddr::V6(v6)), class, "{} carries {}", v6, v4);
        }
        // IPv4-compatible, except for `::` and `::1`, which are themselves.
        if low > 1 {
            prop_assert_eq!(classify(IpAddr::V6(Ipv6Addr::from(low))), class);
        }
    }
}

// ---------------------------------------------------------------------------
// Networks and allow lists (`AISPACE_FETCH_ALLOW`, operator input)

fn cidr_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (ipv4(), 0u32..=32).prop_map(|(a, p)| {
            let net = Net {
                bits: v4_bits(a),
                prefix: p,
                width: 32,
            };
            format!("{}/{p}", Ipv4Addr::from(net.first() as u32))
        }),
        (ipv6(), 0u32..=128).prop_map(|(a, p)| {
            let net = Net {
                bits: u128::from(a),
                prefix: p,
                width: 128,
            };
            format!("{}/{p}", Ipv6Addr::from(net.first()))
        }),
        ip().prop_map(|a| a.to_string()),
    ]
}

fn odd_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => select(&[' ', '\t', ',', '/', '.', ':', '[', ']', '%', '+', '-', '0', '9', 'x', 'f', '\u{0}', '\u{a0}', '١'][..]),
        1 => any::<char>(),
    ]
}

/// Valid, near-valid (one or two edits) and arbitrary text.
fn text_input(valid: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let near = properties::near(valid.clone(), properties::edit(odd_char().boxed(), false));
    let noise = prop::collection::vec(prop_oneof![any::<char>(), odd_char()], 0..60)
        .prop_map(String::from_iter);
    prop_oneof![2 => valid, 4 => near, 1 => noise].boxed()
}

fn allow_list_text() -> BoxedStrategy<String> {
    prop::collection::vec(text_input(cidr_text().boxed()), 0..5)
        .prop_map(|entries| entries.join(","))
        .boxed()
}

proptest! {
    #![proptest_config(config(2_048))]

    #[test]
    fn any_allow_list_text_parses_to_a_list_that_round_trips_or_names_its_bad_entry(
        text in allow_list_text()
    ) {
        match AllowList::parse(&text) {
            Ok(list) => {
                prop_assert_eq!(list.to_string().parse::<AllowList>().unwrap(), list.clone());
                for net in list.entries() {
                    prop_assert_eq!(net.to_string().parse::<Cidr>().unwrap(), *net);
                }
            }
            Err(message) => {
                let named = text
                    .split(',')
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .any(|e| message.contains(&format!("{e:?}")));
                prop_assert!(named, "{:?}: {}", text, message);
            }
        }
    }

    #[test]
    fn a_network_contains_exactly_the_addresses_under_its_prefix(
        net in cidr_text(),
        probe in ip(),
    ) {
        let cidr: Cidr = net.parse().unwrap();
        let reference = Net::parse(&cidr.to_string());
        let same_family = cidr.network().is_ipv4() == probe.is_ipv4();
        let bits = match probe {
            IpAddr::V4(a) => v4_bits(a),
            IpAddr::V6(a) => u128::from(a),
        };
        prop_assert_eq!(cidr.contains(probe), same_family && reference.contains(bits));
        // The network's own first and last addresses are in it.
        let (first, last) = match cidr.network() {
            IpAddr::V4(_) => (
                IpAddr::V4(Ipv4Addr::from(reference.first() as u32)),
                IpAddr::V4(Ipv4Addr::from(reference.last() as u32)),
            ),
            IpAddr::V6(_) => (
                IpAddr::V6(Ipv6Addr::from(reference.first())),
                IpAddr::V6(Ipv6Addr::from(reference.last())),
            ),
        };
        prop_assert!(cidr.contains(first) && cidr.contains(last));
    }

    #[test]
    fn the_policy_passes_public_addresses_and_exactly_what_the_allow_list_names(
        nets in prop::collection::vec(cidr_text(), 0..4),
        probe in ip(),
    ) {
        let allow = AllowList::parse(&nets.join(",")).unwrap();
        let listed = allow.entries().iter().any(|net| {
            net.contains(probe) || net.contains(probe.to_canonical())
        });
        let policy = AddressPolicy::new(allow);
        prop_assert_eq!(policy.check(probe).is_ok(), listed || reference_is_public(probe));
    }
}

// ---------------------------------------------------------------------------
// URL targets, end to end through the fetcher and the webhook sender

/// Answers every name with the addresses the test chose, and records the
/// names asked.
struct FixedDns {
    answer: Vec<IpAddr>,
    asked: Mutex<Vec<String>>,
}

impl FixedDns {
    fn new(answer: Vec<IpAddr>) -> Arc<FixedDns> {
        Arc::new(FixedDns {
            answer,
            asked: Mutex::new(Vec::new()),
        })
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl NameLookup for FixedDns {
    fn lookup(&self, host: &str, _port: u16) -> io::Result<Vec<IpAddr>> {
        self.asked.lock().unwrap().push(host.to_owned());
        Ok(self.answer.clone())
    }
}

/// An IPv4 address the way the WHATWG parser still reads it: one to four
/// parts, each decimal, octal (`0` prefix) or hex (`0x`), the last part
/// filling the remaining bytes; maybe a trailing dot.
fn ipv4_spelling() -> impl Strategy<Value = (Ipv4Addr, String)> {
    (
        ipv4(),
        1usize..=4,
        prop::collection::vec(0u8..3, 4),
        any::<bool>(),
    )
        .prop_map(|(a, parts, radixes, dot)| {
            let n = u32::from(a);
            let mut values: Vec<u64> = (0..parts - 1).map(|i| u64::from(a.octets()[i])).collect();
            let rest_bits = 32 - 8 * (parts as u32 - 1);
            values.push(u64::from(n) & ((1u64 << rest_bits) - 1));
            let spelled: Vec<String> = values
                .iter()
                .zip(&radixes)
                .map(|(v, radix)| match radix {
                    0 => v.to_string(),
                    1 => format!("0{v:o}"),
                    _ => format!("0x{v:x}"),
                })
                .collect();
            let dot = if dot { "." } else { "" };
            (a, format!("{}{dot}", spelled.join(".")))
        })
}

fn ipv6_spelling() -> impl Strategy<Value = String> {
    (ipv6(), 0u8..4).prop_map(|(a, style)| match style {
        0 => format!("[{a}]"),
        1 => format!("[{}]", a.to_string().to_uppercase()),
        // The embedded-IPv4 spelling, whatever the prefix.
        2 => {
            let s = a.segments();
            let v4 = Ipv4Addr::from(u128::from(a) as u32);
            format!(
                "[{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{v4}]",
                s[0], s[1], s[2], s[3], s[4], s[5]
            )
        }
        _ => format!("[{a}%25eth0]"),
    })
}

fn host() -> BoxedStrategy<String> {
    prop_oneof![
        3 => ipv4_spelling().prop_map(|(_, s)| s),
        3 => ipv6_spelling(),
        1 => ipv4_spelling().prop_map(|(_, s)| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>()),
        3 => select(&[
            "example.com", "LOCALHOST.", "localhost", "ⓛocalhost", "xn--nxasmq6b", "münchen.de",
            "exa%41mple.com", "a..b", "-x.com", "x_y.com", "a!b", "*.com", "127.0.0.1.nip.io",
            "1.2.3.4.5", "0x", "08", "[::1", "::1", "[zz]", "%zz", "", "[]", "[::1]:80",
            "\"q\".com", "a{b}.com", "a`b.com", "a|b.com", "a~b.com",
            "foo.localhost", "localhost.localdomain.", "ip6-loopback", "127.0.0.1..",
            "0x7f.1..", "8.8.8.8...", "example.com..", "_dmarc.example.com", "x.c_m",
        ][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn url_like() -> BoxedStrategy<String> {
    (
        prop_oneof![
            4 => select(&["http", "https", "HTTP", "hTtPs"][..]),
            1 => select(&["ftp", "file", ""][..]),
        ],
        select(
            &[
                "",
                "",
                "",
                "user@",
                "user:pw@",
                "evil.com@",
                "@",
                "a:b:c@",
                "%40@",
            ][..],
        ),
        host(),
        prop_oneof![
            4 => select(&["", "", ":", ":80", ":0", ":65535"][..]),
            1 => select(&[":65536", ":99999999999", ":-1", ":x"][..]),
        ],
        proptest::string::string_regex("(/[A-Za-z0-9._~%?#=&@!$'()*+,;-]{0,10}){0,3}").unwrap(),
    )
        .prop_map(|(scheme, user, host, port, path)| format!("{scheme}://{user}{host}{port}{path}"))
        .boxed()
}

/// The host-name rules, written out again: a name is looked up only if it
/// is not a name of this machine, not an IPv4 address with dots the URL
/// parser left on (a numeric last label), and a name DNS can hold: at most
/// 253 characters without the root's dot, labels of 1 to 63 letters,
/// digits, `-` and `_`, and no `_` in the last label.
fn is_looked_up(name: &str) -> bool {
    let meaning = name.trim_end_matches('.');
    let last_label = meaning.rsplit('.').next().unwrap_or_default();
    let machine = ["localhost", "localdomain", "localdomain4", "localdomain6"]
        .contains(&last_label)
        || ["localhost4", "localhost6", "ip6-localhost", "ip6-loopback"].contains(&meaning);
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let numeric = match last_label.strip_prefix("0x") {
        Some(digits) => hex(digits),
        None => !last_label.is_empty() && last_label.bytes().all(|b| b.is_ascii_digit()),
    };
    let bare = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = bare.split('.').collect();
    let well_formed = bare.len() <= 253
        && labels.iter().enumerate().all(|(i, label)| {
            let underscore_ok = i + 1 < labels.len();
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || (b == b'_' && underscore_ok)
                })
        });
    !machine && !numeric && well_formed
}

/// What a target should come to, read with the URL standard's parser: the
/// name looked up (if any) and the addresses the connection would go to,
/// or `None` where nothing may be reached (not http(s), no host,
/// unparseable, or a name refused without a lookup).
fn reached(raw: &str, dns: &[IpAddr]) -> Option<(Option<String>, Vec<IpAddr>)> {
    let url = Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    match url.host()? {
        Host::Ipv4(a) => Some((None, vec![IpAddr::V4(a)])),
        Host::Ipv6(a) => Some((None, vec![IpAddr::V6(a)])),
        Host::Domain(name) if is_looked_up(name) => Some((Some(name.to_owned()), dns.to_vec())),
        Host::Domain(_) => None,
    }
}

fn answers() -> impl Strategy<Value = Vec<IpAddr>> {
    prop::collection::vec(ip(), 1..3)
}

fn sender(dns: Arc<FixedDns>) -> UreqWebhookSender {
    UreqWebhookSender::with_lookup(
        WebhookSenderConfig {
            timeout: Duration::from_secs(2),
            ..WebhookSenderConfig::default()
        },
        dns,
    )
}

proptest! {
    #![proptest_config(config(1_024))]

    #[test]
    fn any_webhook_target_passes_exactly_when_every_address_it_reaches_is_public(
        raw in text_input(url_like()),
        answer in answers(),
    ) {
        // The domain's refusals are `parsers.rs`'s business.
        let Ok(hook) = WebhookUrl::parse(&raw, true) else { return Ok(()) };
        let dns = FixedDns::new(answer.clone());
        let checked = sender(dns.clone()).check(&hook);
        match reached(hook.as_str(), &answer) {
            None => {
                prop_assert!(checked.is_err(), "{:?} passed", hook);
                prop_assert_eq!(dns.asked(), Vec::<String>::new());
            }
            Some((name, addrs)) => {
                let public = addrs.iter().all(|a| reference_is_public(*a));
                prop_assert_eq!(checked.is_ok(), public, "{:?} → {:?}: {:?}", hook, addrs, checked);
                let expected_lookups: Vec<String> = name.into_iter().collect();
                prop_assert_eq!(dns.asked(), expected_lookups);
            }
        }
    }

    #[test]
    fn any_image_url_to_a_non_public_address_is_forbidden_without_connecting(
        raw in text_input(url_like()),
        answer in answers(),
    ) {
        let Ok(url) = ImageUrl::parse(&raw) else { return Ok(()) };
        // Only non-public answers: whatever the name, nothing may connect.
        let answer: Vec<IpAddr> = answer
            .into_iter()
            .map(|a| if reference_is_public(a) { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { a })
            .collect();
        let reach = reached(url.as_str(), &answer);
        if let Some((None, literal)) = &reach
            && reference_is_public(literal[0])
        {
            // A public literal would be fetched for real; the classifier's
            // agreement on it is the property above.
            return Ok(());
        }
        let dns = FixedDns::new(answer);
        let fetcher = UreqFetcher::with_lookup(
            FetchConfig { timeout: Duration::from_secs(2), ..FetchConfig::default() },
            dns.clone(),
        );
        let fetched = fetcher.fetch(&url, 1024);
        prop_assert!(matches!(fetched, Err(FetchError::Forbidden(_))), "{:?}: {:?}", url, fetched);
        let expected_lookups: Vec<String> = reach.and_then(|(name, _)| name).into_iter().collect();
        prop_assert_eq!(dns.asked(), expected_lookups);
    }

    #[test]
    fn every_spelling_of_an_ipv4_address_is_judged_as_that_address(
        (addr, spelled) in ipv4_spelling(),
        scheme in select(&["http", "https"][..]),
    ) {
        let hook = WebhookUrl::parse(&format!("{scheme}://{spelled}/hook"), true).unwrap();
        let dns = FixedDns::new(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        let checked = sender(dns.clone()).check(&hook);
        prop_assert_eq!(checked.is_ok(), reference_v4(addr), "{} is {}: {:?}", spelled, addr, checked);
        prop_assert_eq!(dns.asked(), Vec::<String>::new(), "{} was looked up as a name", spelled);
    }
}

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::cidr::Cidr;

/// What kind of address an IP is, as far as reaching it from the server
/// goes. Everything but [`AddressClass::Public`] is refused unless the
/// operator allows it (see [`crate::AllowList`]).
///
/// IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible,
/// NAT64, 6to4) take the class of the address they carry: the packet ends
/// up there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressClass {
    Public,
    /// `0.0.0.0/8` ("this network"), `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`.
    Private,
    /// `100.64.0.0/10`, the carrier-grade NAT shared space.
    SharedAddressSpace,
    /// `169.254.0.0/16` (cloud metadata lives at `169.254.169.254`),
    /// `fe80::/10`.
    LinkLocal,
    /// `192.0.0.0/24`, `2001::/23`.
    ProtocolAssignment,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`,
    /// `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`, `2001:2::/48`.
    Benchmarking,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `240.0.0.0/4`, and the retired 6to4 relay anycast `192.88.99.0/24`.
    Reserved,
    /// `fc00::/7`.
    UniqueLocal,
    /// `fec0::/10`, deprecated but still routed inside some networks.
    SiteLocal,
    /// `2001::/32`: the far end is an IPv4 host we cannot see.
    Teredo,
    /// `100::/64`.
    DiscardOnly,
    /// `64:ff9b:1::/48` in a layout other than "IPv4 in the last 32 bits",
    /// so the IPv4 it stands for cannot be read reliably.
    LocalNat64,
    /// IPv6 outside `2000::/3`, the only block IANA hands out as global
    /// unicast.
    NotGlobalUnicast,
}

impl AddressClass {
    /// A few words for error messages.
    pub fn reason(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Unspecified => "unspecified (\"this network\")",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private network",
            AddressClass::SharedAddressSpace => "carrier-grade NAT shared address space",
            AddressClass::LinkLocal => "link-local",
            AddressClass::ProtocolAssignment => "reserved for IETF protocol assignments",
            AddressClass::Documentation => "documentation range",
            AddressClass::Benchmarking => "benchmarking range",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Reserved => "reserved",
            AddressClass::UniqueLocal => "unique local (ULA)",
            AddressClass::SiteLocal => "site-local",
            AddressClass::Teredo => "Teredo tunnel",
            AddressClass::DiscardOnly => "discard-only",
            AddressClass::LocalNat64 => "local-use NAT64 of unknown layout",
            AddressClass::NotGlobalUnicast => "not global unicast",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// `true` only for addresses a server may fetch from without the
/// operator's say-so.
pub fn is_public(ip: IpAddr) -> bool {
    classify(ip) == AddressClass::Public
}

/// Pure: no lookup, no configuration. The allow list is applied on top by
/// [`crate::AddressPolicy`].
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

use AddressClass as C;

/// First match wins, so the narrow entries come before the wide ones.
const SPECIAL_V4: &[(Cidr, AddressClass)] = &[
    (Cidr::v4(255, 255, 255, 255, 32), C::Broadcast),
    (Cidr::v4(0, 0, 0, 0, 8), C::Unspecified),
    (Cidr::v4(10, 0, 0, 0, 8), C::Private),
    (Cidr::v4(100, 64, 0, 0, 10), C::SharedAddressSpace),
    (Cidr::v4(127, 0, 0, 0, 8), C::Loopback),
    (Cidr::v4(169, 254, 0, 0, 16), C::LinkLocal),
    (Cidr::v4(172, 16, 0, 0, 12), C::Private),
    (Cidr::v4(192, 0, 0, 0, 24), C::ProtocolAssignment),
    (Cidr::v4(192, 0, 2, 0, 24), C::Documentation),
    (Cidr::v4(192, 88, 99, 0, 24), C::Reserved),
    (Cidr::v4(192, 168, 0, 0, 16), C::Private),
    (Cidr::v4(198, 18, 0, 0, 15), C::Benchmarking),
    (Cidr::v4(198, 51, 100, 0, 24), C::Documentation),
    (Cidr::v4(203, 0, 113, 0, 24), C::Documentation),
    (Cidr::v4(224, 0, 0, 0, 4), C::Multicast),
    (Cidr::v4(240, 0, 0, 0, 4), C::Reserved),
];

const fn v6(a: u16, b: u16, c: u16, d: u16) -> Ipv6Addr {
    Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0)
}

/// Checked after the forms that embed IPv4 and before the `2000::/3` rule;
/// first match wins.
const SPECIAL_V6: &[(Cidr, AddressClass)] = &[
    (Cidr::v6(v6(0x100, 0, 0, 0), 64), C::DiscardOnly),
    (Cidr::v6(v6(0x2001, 0, 0, 0), 32), C::Teredo),
    (Cidr::v6(v6(0x2001, 2, 0, 0), 48), C::Benchmarking),
    (Cidr::v6(v6(0x2001, 0, 0, 0), 23), C::ProtocolAssignment),
    (Cidr::v6(v6(0x2001, 0xdb8, 0, 0), 32), C::Documentation),
    (Cidr::v6(v6(0x3fff, 0, 0, 0), 20), C::Documentation),
    (Cidr::v6(v6(0xfc00, 0, 0, 0), 7), C::UniqueLocal),
    (Cidr::v6(v6(0xfe80, 0, 0, 0), 10), C::LinkLocal),
    (Cidr::v6(v6(0xfec0, 0, 0, 0), 10), C::SiteLocal),
    (Cidr::v6(v6(0xff00, 0, 0, 0), 8), C::Multicast),
];

const GLOBAL_UNICAST: Cidr = Cidr::v6(v6(0x2000, 0, 0, 0), 3);
const IPV4_MAPPED: Cidr = Cidr::v6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96);
const IPV4_COMPATIBLE: Cidr = Cidr::v6(Ipv6Addr::UNSPECIFIED, 96);
const NAT64: Cidr = Cidr::v6(v6(0x64, 0xff9b, 0, 0), 96);
const NAT64_LOCAL: Cidr = Cidr::v6(v6(0x64, 0xff9b, 1, 0), 48);
const NAT64_LOCAL_AS_96: Cidr = Cidr::v6(v6(0x64, 0xff9b, 1, 0), 96);
const SIX_TO_FOUR: Cidr = Cidr::v6(v6(0x2002, 0, 0, 0), 16);

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    lookup(SPECIAL_V4, IpAddr::V4(ip)).unwrap_or(C::Public)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip == Ipv6Addr::UNSPECIFIED {
        return C::Unspecified;
    }
    if ip == Ipv6Addr::LOCALHOST {
        return C::Loopback;
    }
    let v6 = IpAddr::V6(ip);
    let bits = u128::from(ip);
    let low_32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    // Mapped and compatible come after :: and ::1, which live in ::/96 too.
    if IPV4_MAPPED.contains(v6) || IPV4_COMPATIBLE.contains(v6) || NAT64.contains(v6) {
        return classify_v4(low_32);
    }
    if NAT64_LOCAL.contains(v6) {
        // RFC 8215 lets the operator pick the layout inside the /48; only
        // the /96 one ("IPv4 in the last 32 bits") can be read with
        // certainty, anything else is refused rather than guessed.
        return if NAT64_LOCAL_AS_96.contains(v6) {
            classify_v4(low_32)
        } else {
            C::LocalNat64
        };
    }
    if SIX_TO_FOUR.contains(v6) {
        return classify_v4(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    if let Some(class) = lookup(SPECIAL_V6, v6) {
        return class;
    }
    if !GLOBAL_UNICAST.contains(v6) {
        return C::NotGlobalUnicast;
    }
    C::Public
}

fn lookup(table: &[(Cidr, AddressClass)], ip: IpAddr) -> Option<AddressClass> {
    table
        .iter()
        .find(|(net, _)| net.contains(ip))
        .map(|&(_, class)| class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_hold_canonical_networks() {
        let all = SPECIAL_V4
            .iter()
            .chain(SPECIAL_V6)
            .map(|(net, _)| net)
            .chain([
                &GLOBAL_UNICAST,
                &IPV4_MAPPED,
                &IPV4_COMPATIBLE,
                &NAT64,
                &NAT64_LOCAL,
                &NAT64_LOCAL_AS_96,
                &SIX_TO_FOUR,
            ]);
        for net in all {
            assert!(net.is_canonical(), "{net}");
        }
    }

    /// Every class, at both edges of its range where the edge matters, and
    /// the public neighbours just outside.
    const CASES: &[(&str, AddressClass)] = &[
        // IPv4 public neighbours.
        ("1.1.1.1", C::Public),
        ("8.8.8.8", C::Public),
        ("9.255.255.255", C::Public),
        ("11.0.0.0", C::Public),
        ("100.63.255.255", C::Public),
        ("100.128.0.0", C::Public),
        ("126.255.255.255", C::Public),
        ("128.0.0.0", C::Public),
        ("169.253.255.255", C::Public),
        ("169.255.0.0", C::Public),
        ("172.15.255.255", C::Public),
        ("172.32.0.0", C::Public),
        ("192.0.1.0", C::Public),
        ("192.0.3.0", C::Public),
        ("192.88.98.255", C::Public),
        ("192.167.255.255", C::Public),
        ("192.169.0.0", C::Public),
        ("198.17.255.255", C::Public),
        ("198.20.0.0", C::Public),
        ("198.51.99.255", C::Public),
        ("203.0.112.255", C::Public),
        ("223.255.255.255", C::Public),
        // IPv4 special ranges.
        ("0.0.0.0", C::Unspecified),
        ("0.255.255.255", C::Unspecified),
        ("10.0.0.0", C::Private),
        ("10.255.255.255", C::Private),
        ("100.64.0.0", C::SharedAddressSpace),
        ("100.127.255.255", C::SharedAddressSpace),
        ("127.0.0.1", C::Loopback),
        ("127.255.255.254", C::Loopback),
        ("169.254.0.1", C::LinkLocal),
        ("169.254.169.254", C::LinkLocal),
        ("172.16.0.0", C::Private),
        ("172.31.255.255", C::Private),
        ("192.0.0.0", C::ProtocolAssignment),
        ("192.0.0.255", C::ProtocolAssignment),
        ("192.0.2.1", C::Documentation),
        ("192.88.99.1", C::Reserved),
        ("192.168.0.1", C::Private),
        ("192.168.255.255", C::Private),
        ("198.18.0.0", C::Benchmarking),
        ("198.19.255.255", C::Benchmarking),
        ("198.51.100.7", C::Documentation),
        ("203.0.113.7", C::Documentation),
        ("224.0.0.1", C::Multicast),
        ("239.255.255.255", C::Multicast),
        ("240.0.0.0", C::Reserved),
        ("255.255.255.254", C::Reserved),
        ("255.255.255.255", C::Broadcast),
        // IPv6 public.
        ("2606:4700:4700::1111", C::Public),
        ("2a00:1450:4001::1", C::Public),
        ("2001:200::1", C::Public),
        ("2001:db7:ffff::1", C::Public),
        ("2001:db9::1", C::Public),
        ("3ffe::1", C::Public),
        // IPv6 special ranges.
        ("::", C::Unspecified),
        ("::1", C::Loopback),
        ("fc00::1", C::UniqueLocal),
        ("fd12:3456:789a::1", C::UniqueLocal),
        ("fe80::1", C::LinkLocal),
        ("febf:ffff::1", C::LinkLocal),
        ("fec0::1", C::SiteLocal),
        ("feff::1", C::SiteLocal),
        ("ff02::1", C::Multicast),
        ("ff0e::1", C::Multicast),
        ("2001:db8::1", C::Documentation),
        ("3fff:fff::1", C::Documentation),
        ("100::", C::DiscardOnly),
        ("100::ffff:ffff:ffff:ffff", C::DiscardOnly),
        ("2001::1", C::Teredo),
        ("2001:0:ffff::1", C::Teredo),
        ("2001:2::1", C::Benchmarking),
        ("2001:10::1", C::ProtocolAssignment),
        ("2001:1ff::1", C::ProtocolAssignment),
        ("100:0:0:1::", C::NotGlobalUnicast),
        ("4000::1", C::NotGlobalUnicast),
        ("5f00::1", C::NotGlobalUnicast),
        ("::1:0:0:1", C::NotGlobalUnicast),
        // IPv4-mapped: the embedded IPv4 decides.
        ("::ffff:127.0.0.1", C::Loopback),
        ("::ffff:10.0.0.1", C::Private),
        ("::ffff:169.254.169.254", C::LinkLocal),
        ("::ffff:0.0.0.0", C::Unspecified),
        ("::ffff:8.8.8.8", C::Public),
        // IPv4-compatible.
        ("::127.0.0.1", C::Loopback),
        ("::10.0.0.1", C::Private),
        ("::0.0.0.2", C::Unspecified),
        ("::8.8.8.8", C::Public),
        // NAT64, well-known prefix.
        ("64:ff9b::127.0.0.1", C::Loopback),
        ("64:ff9b::10.0.0.1", C::Private),
        ("64:ff9b::169.254.169.254", C::LinkLocal),
        ("64:ff9b::8.8.8.8", C::Public),
        ("64:ff9b:0:0:0:1::", C::NotGlobalUnicast),
        // NAT64, local-use prefix.
        ("64:ff9b:1::10.0.0.1", C::Private),
        ("64:ff9b:1::8.8.8.8", C::Public),
        ("64:ff9b:1:0a00:0:100::", C::LocalNat64),
        // 6to4: the IPv4 sits right after 2002::/16.
        ("2002:7f00:1::1", C::Loopback),
        ("2002:a00:1::", C::Private),
        ("2002:c0a8:101::1", C::Private),
        ("2002:a9fe:a9fe::1", C::LinkLocal),
        ("2002:808:808::1", C::Public),
    ];

    #[test]
    fn classifies_every_special_range() {
        for &(ip, expected) in CASES {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(classify(parsed), expected, "{ip}");
            assert_eq!(is_public(parsed), expected == C::Public, "{ip}");
        }
    }

    #[test]
    fn every_class_has_a_case() {
        let all = [
            C::Public,
            C::Unspecified,
            C::Loopback,
            C::Private,
            C::SharedAddressSpace,
            C::LinkLocal,
            C::ProtocolAssignment,
            C::Documentation,
            C::Benchmarking,
            C::Multicast,
            C::Broadcast,
            C::Reserved,
            C::UniqueLocal,
            C::SiteLocal,
            C::Teredo,
            C::DiscardOnly,
            C::LocalNat64,
            C::NotGlobalUnicast,
        ];
        for class in all {
            assert!(
                CASES.iter().any(|&(_, c)| c == class),
                "no case for {class:?}"
            );
            assert!(!class.reason().is_empty());
        }
    }
}

/// Whether `url` names a host that looks public without asking DNS: an
/// IP literal that [`is_public`], or a dotted name outside the names kept
/// for local networks (`localhost`, `.local`, `.internal`, `.lan`,
/// `.home.arpa`, `.localhost`). For deciding what to show, such as a link
/// preview's image, where no request is made; a fetch still resolves and
/// checks every address.
pub fn names_a_public_host(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        return is_public(ip);
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    let local = ["localhost", "local", "internal", "lan", "home.arpa"];
    !name.is_empty()
        && name.contains('.')
        && !local
            .iter()
            .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
        // A numeric last label makes the whole host an IPv4 spelling that
        // `parse` refused (`127.1`, `0x7f.1`), as browsers read it.
        && !name.rsplit('.').next().is_some_and(numeric_label)
}

fn numeric_label(label: &str) -> bool {
    match label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"))
    {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod public_host_tests {
    use super::names_a_public_host;

    #[test]
    fn only_public_looking_hosts_pass() {
        for public in [
            "https://example.com/a.png",
            "http://cdn.example.org:8080/x",
            "https://8.8.8.8/x.png",
            "https://user@images.example.net/y",
            "https://cafe.be/x",
        ] {
            assert!(names_a_public_host(public), "{public}");
        }
        for private in [
            "http://localhost/a.png",
            "http://127.0.0.1/a.png",
            "http://[::1]/a.png",
            "http://10.0.0.7/x",
            "http://169.254.169.254/latest/meta-data",
            "http://printer.local/x",
            "http://db.internal/x",
            "http://intranet/x",
            "http://127.1/x",
            "http://0x7f.1/x",
            "http://example.0x7f/x",
            "http://localhost./x",
            "not a url",
        ] {
            assert!(!names_a_public_host(private), "{private}");
        }
    }
}

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::cidr::Cidr;

/// The environment variable the server reads its allow list from.
pub const ALLOW_ENV: &str = "AISPACE_FETCH_ALLOW";

/// Addresses the operator lets the fetcher reach although they are not
/// public (a test server on loopback, an image host on the LAN). The only
/// way past the address rules; empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<Cidr>,
}

impl AllowList {
    /// A comma-separated list of IPs and CIDRs, IPv4 or IPv6, e.g.
    /// `127.0.0.1, 10.1.0.0/16, fd00::/8`. Whitespace and empty items are
    /// ignored, so the empty string is the empty list. Anything else that is
    /// not an address or a network is an error naming the entry.
    pub fn parse(s: &str) -> Result<AllowList, String> {
        let entries = s
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<Cidr>()
                    .map_err(|reason| format!("allow-list entry {entry:?}: {reason}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(AllowList { entries })
    }

    /// Reads [`ALLOW_ENV`]; unset means empty.
    pub fn from_env() -> Result<AllowList, String> {
        match std::env::var(ALLOW_ENV) {
            Ok(value) => AllowList::parse(&value).map_err(|err| format!("{ALLOW_ENV}: {err}")),
            Err(std::env::VarError::NotPresent) => Ok(AllowList::default()),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{ALLOW_ENV}: not valid UTF-8")),
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) also matches an
    /// IPv4 entry: it is the same host.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let canonical = ip.to_canonical();
        self.entries
            .iter()
            .any(|net| net.contains(ip) || net.contains(canonical))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[Cidr] {
        &self.entries
    }
}

impl FromStr for AllowList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AllowList::parse(s)
    }
}

impl FromIterator<Cidr> for AllowList {
    fn from_iter<I: IntoIterator<Item = Cidr>>(iter: I) -> Self {
        AllowList {
            entries: iter.into_iter().collect(),
        }
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, net) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{net}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn empty_and_blank_mean_nothing_is_allowed() {
        for input in ["", "   ", ",", " , ,"] {
            let list = AllowList::parse(input).unwrap();
            assert!(list.is_empty(), "{input:?}");
            assert!(!list.contains(ip("127.0.0.1")));
        }
    }

    #[test]
    fn parses_addresses_and_networks_of_both_families() {
        let list = AllowList::parse(" 127.0.0.2 ,10.1.0.0/16,\tfd00::/8 , ::1 ").unwrap();
        assert_eq!(
            list.to_string(),
            "127.0.0.2/32,10.1.0.0/16,fd00::/8,::1/128"
        );
        let cases = [
            ("127.0.0.2", true),
            ("127.0.0.1", false),
            ("10.1.255.255", true),
            ("10.2.0.0", false),
            ("fd12::1", true),
            ("fe80::1", false),
            ("::1", true),
            ("::2", false),
        ];
        for (addr, expected) in cases {
            assert_eq!(list.contains(ip(addr)), expected, "{addr}");
        }
    }

    #[test]
    fn an_ipv4_entry_covers_its_ipv4_mapped_spelling() {
        let list = AllowList::parse("127.0.0.2").unwrap();
        assert!(list.contains(ip("::ffff:127.0.0.2")));
        assert!(!list.contains(ip("::ffff:127.0.0.1")));
        // NAT64 and IPv4-compatible spellings are other hosts, not aliases.
        assert!(!list.contains(ip("64:ff9b::127.0.0.2")));
        assert!(!list.contains(ip("::127.0.0.2")));
    }

    #[test]
    fn a_bad_entry_is_an_error_naming_it() {
        let cases = [
            ("127.0.0.1,localhost", "\"localhost\""),
            ("10.0.0.0/33", "\"10.0.0.0/33\""),
            ("10.0.0.1/8", "\"10.0.0.1/8\""),
            ("127.1", "\"127.1\""),
            ("::1/200", "\"::1/200\""),
            ("127.0.0.1 10.0.0.1", "\"127.0.0.1 10.0.0.1\""),
        ];
        for (input, named) in cases {
            let err = AllowList::parse(input).unwrap_err();
            assert!(err.contains(named), "{input}: {err}");
        }
    }

    #[test]
    fn round_trips_through_display() {
        let list = AllowList::parse("127.0.0.0/8,::1").unwrap();
        assert_eq!(list.to_string().parse::<AllowList>().unwrap(), list);
    }
}

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IPv4 or IPv6 network: an address and a prefix length, host bits zero.
///
/// Written here rather than taken from a crate because the whole job is
/// masking two integers; the special-address table and the allow list both
/// use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `Err` when the prefix is longer than the address or the address has
    /// bits set beyond the prefix (`10.0.0.1/8` is almost always a typo for
    /// `10.0.0.0/8` or `10.0.0.1/32`, so it is refused rather than guessed).
    pub fn new(network: IpAddr, prefix: u8) -> Result<Self, String> {
        let max = max_prefix(network);
        if prefix > max {
            return Err(format!("prefix length must be at most {max}"));
        }
        let cidr = Cidr { network, prefix };
        if !cidr.is_canonical() {
            return Err(format!(
                "address has bits set beyond /{prefix}; did you mean {}/{prefix}?",
                cidr.masked_network()
            ));
        }
        Ok(cidr)
    }

    /// For the built-in tables; the table test checks every entry is canonical.
    pub(crate) const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Self {
        Cidr {
            network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            prefix,
        }
    }

    /// For the built-in tables; the table test checks every entry is canonical.
    pub(crate) const fn v6(network: Ipv6Addr, prefix: u8) -> Self {
        Cidr {
            network: IpAddr::V6(network),
            prefix,
        }
    }

    /// The single address as a /32 or /128.
    pub fn host(ip: IpAddr) -> Self {
        Cidr {
            network: ip,
            prefix: max_prefix(ip),
        }
    }

    pub fn network(&self) -> IpAddr {
        self.network
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Never true across families: an IPv4 network does not contain the
    /// IPv4-mapped IPv6 spelling of its addresses (callers that want that
    /// canonicalise first).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask_v4(self.prefix);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask_v6(self.prefix);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    pub(crate) fn is_canonical(&self) -> bool {
        self.prefix <= max_prefix(self.network) && self.masked_network() == self.network
    }

    fn masked_network(&self) -> IpAddr {
        match self.network {
            IpAddr::V4(net) => IpAddr::V4(Ipv4Addr::from(u32::from(net) & mask_v4(self.prefix))),
            IpAddr::V6(net) => IpAddr::V6(Ipv6Addr::from(u128::from(net) & mask_v6(self.prefix))),
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or an IPv6 address `/n`.
    /// Addresses are parsed strictly (std's parser): `127.1` or `0x7f.0.0.1`
    /// are not addresses here, so an operator cannot allow more than they
    /// see.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IP address"))?;
        let prefix = match prefix {
            None => max_prefix(network),
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse()
                .map_err(|_| format!("prefix length {p:?} is too large"))?,
            Some(p) => return Err(format!("prefix length {p:?} is not a number")),
        };
        Cidr::new(network, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn max_prefix(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn mask_v4(prefix: u8) -> u32 {
    // A shift by the full width overflows; /0 masks nothing.
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn contains_the_addresses_under_its_prefix_only() {
        let cases = [
            ("10.0.0.0/8", "10.255.255.255", true),
            ("10.0.0.0/8", "11.0.0.0", false),
            ("172.16.0.0/12", "172.31.0.1", true),
            ("172.16.0.0/12", "172.32.0.1", false),
            ("127.0.0.2/32", "127.0.0.2", true),
            ("127.0.0.2/32", "127.0.0.1", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "::1", false),
            ("fd00::/8", "fd12:3456::1", true),
            ("fd00::/8", "fe00::1", false),
            ("::/0", "2001:db8::1", true),
            ("::1/128", "::1", true),
            ("::1/128", "::2", false),
            ("::ffff:0:0/96", "127.0.0.1", false),
        ];
        for (net, addr, expected) in cases {
            assert_eq!(
                cidr(net).contains(ip(addr)),
                expected,
                "{net} contains {addr}"
            );
        }
    }

    #[test]
    fn a_bare_address_is_a_single_host() {
        assert_eq!(cidr("127.0.0.1"), Cidr::host(ip("127.0.0.1")));
        assert_eq!(cidr("127.0.0.1").to_string(), "127.0.0.1/32");
        assert_eq!(cidr("::1").to_string(), "::1/128");
    }

    #[test]
    fn refuses_what_is_not_a_network() {
        let cases = [
            ("10.0.0.1/8", "did you mean 10.0.0.0/8?"),
            ("10.0.0.0/33", "at most 32"),
            ("::/129", "at most 128"),
            ("10.0.0.0/", "not a number"),
            ("10.0.0.0/+8", "not a number"),
            ("10.0.0.0/x", "not a number"),
            ("10.0.0.0/999", "too large"),
            ("127.1", "not an IP address"),
            ("0x7f.0.0.1", "not an IP address"),
            ("localhost", "not an IP address"),
            ("[::1]", "not an IP address"),
        ];
        for (input, message) in cases {
            let err = input.parse::<Cidr>().unwrap_err();
            assert!(err.contains(message), "{input}: {err}");
        }
    }
}

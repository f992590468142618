use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use url::Host;

use crate::address::{AddressClass, classify};

/// Names that mean this machine wherever they are looked up: `localhost`
/// (RFC 6761 keeps it and everything under it for loopback) and the
/// aliases `/etc/hosts` files give loopback.
const MACHINE_NAMES: &[&str] = &[
    "localhost",
    "localhost4",
    "localhost6",
    "ip6-localhost",
    "ip6-loopback",
];

/// Last labels no public host has: `localhost`, and the `localdomain`
/// pseudo-zones that `/etc/hosts` files put loopback names in
/// (`localhost.localdomain`).
const MACHINE_ZONES: &[&str] = &["localhost", "localdomain", "localdomain4", "localdomain6"];

/// The longest name DNS can carry, without the root's trailing dot.
const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// Why a host name is refused before anyone is asked where it points.
/// Only names reach here: IP literals, however spelt, the URL parser has
/// already turned into addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameError {
    name: String,
    kind: NameErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameErrorKind {
    /// `localhost`, `foo.localhost`, `localhost.localdomain`…: loopback
    /// whatever a DNS server answers, so refused like the address.
    ThisMachine,
    /// An IPv4 address with more trailing dots than the URL parser folds
    /// (`127.0.0.1..`); resolvers read it as the address.
    Address(Ipv4Addr),
    /// Not a name DNS can hold: an empty label (`a..b`, `.a`), a label
    /// over 63 characters, a name over 253, or a character other than
    /// letters, digits, `-` and `_` (and `_` only below the last label,
    /// where service and legacy names use it; no top-level name has one).
    EmptyLabel,
    LongLabel,
    LongName,
    Character(char),
}

impl NameError {
    /// An address that is not public, or a name for one, as opposed to a
    /// name that is malformed.
    pub(crate) fn is_non_public(&self) -> bool {
        match self.kind {
            NameErrorKind::ThisMachine => true,
            NameErrorKind::Address(ip) => classify(IpAddr::V4(ip)) != AddressClass::Public,
            _ => false,
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.name;
        match self.kind {
            NameErrorKind::ThisMachine => {
                write!(
                    f,
                    "{name} names this machine (loopback), never a public host"
                )
            }
            NameErrorKind::Address(ip) => match classify(IpAddr::V4(ip)) {
                AddressClass::Public => {
                    write!(f, "{name} spells the address {ip} with extra dots")
                }
                class => write!(
                    f,
                    "{name} spells the address {ip}, which is not a public address ({class})"
                ),
            },
            NameErrorKind::EmptyLabel => write!(f, "the host name {name} has an empty label"),
            NameErrorKind::LongLabel => write!(
                f,
                "the host name {name} has a label longer than {MAX_LABEL_LEN} characters"
            ),
            NameErrorKind::LongName => {
                write!(f, "the host name is longer than {MAX_NAME_LEN} characters")
            }
            NameErrorKind::Character('_') => write!(
                f,
                "the host name {name} has '_' in its last label, where no host name has one"
            ),
            NameErrorKind::Character(c) => {
                write!(
                    f,
                    "the host name {name} holds {c:?}, which host names cannot"
                )
            }
        }
    }
}

/// Decides `name` (a host as the URL parser left it: lower case, ASCII)
/// without a lookup. Names of this machine and odd address spellings are
/// told apart from malformed names so the message can say which it is;
/// callers refuse all three.
pub(crate) fn check_name(name: &str) -> Result<(), NameError> {
    let refuse = |kind| {
        Err(NameError {
            name: name.to_owned(),
            kind,
        })
    };
    // Any number of trailing dots, for the meaning: a resolver that is
    // handed `localhost..` or `127.0.0.1..` still answers loopback.
    let meant = name.trim_end_matches('.').to_ascii_lowercase();
    let last = meant.rsplit('.').next().unwrap_or_default();
    if MACHINE_NAMES.contains(&meant.as_str()) || MACHINE_ZONES.contains(&last) {
        return refuse(NameErrorKind::ThisMachine);
    }
    if let Ok(Host::Ipv4(ip)) = Host::parse(&meant) {
        return refuse(NameErrorKind::Address(ip));
    }

    // One trailing dot is the DNS root, and fine.
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.len() > MAX_NAME_LEN {
        return refuse(NameErrorKind::LongName);
    }
    let labels: Vec<&str> = bare.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return refuse(NameErrorKind::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return refuse(NameErrorKind::LongLabel);
        }
        let is_last = i + 1 == labels.len();
        if let Some(c) = label
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || (c == '_' && !is_last)))
        {
            return refuse(NameErrorKind::Character(c));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> Option<NameErrorKind> {
        check_name(name).err().map(|err| err.kind)
    }

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "example.com",
            "example.com.",
            "img.cdn.example.org",
            "xn--mnchen-3ya.de",
            "a-b.test",
            "my_bucket.s3.example.com",
            "_dmarc.example.com",
            "intranet",
            "x.invalid",
            "1.example.com",
            "example.0a",
            &format!("{}.com", "a".repeat(63)),
        ] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn names_of_this_machine_are_refused_as_loopback() {
        for name in [
            "localhost",
            "localhost.",
            "localhost..",
            "LOCALHOST",
            "LocalHost.",
            "foo.localhost",
            "a.b.localhost.",
            "localhost.localdomain",
            "localhost.localdomain.",
            "db.localdomain",
            "localhost4",
            "localhost6.localdomain6",
            "ip6-localhost",
            "ip6-loopback",
        ] {
            assert_eq!(kind(name), Some(NameErrorKind::ThisMachine), "{name}");
            assert!(check_name(name).unwrap_err().is_non_public(), "{name}");
        }
        // Only whole labels count.
        for name in ["mylocalhost.com", "localhost.example.com", "localhostx"] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn addresses_the_url_parser_left_as_names_are_read_as_addresses() {
        let loopback = Ipv4Addr::LOCALHOST;
        for (name, ip) in [
            ("127.0.0.1..", loopback),
            ("127.0.0.1...", loopback),
            ("127.1..", loopback),
            ("0x7f.1..", loopback),
            ("2130706433..", loopback),
            ("10.0.0.1..", Ipv4Addr::new(10, 0, 0, 1)),
            ("8.8.8.8..", Ipv4Addr::new(8, 8, 8, 8)),
        ] {
            assert_eq!(kind(name), Some(NameErrorKind::Address(ip)), "{name}");
        }
        let err = check_name("127.0.0.1..").unwrap_err();
        assert!(err.is_non_public());
        assert_eq!(
            err.to_string(),
            "127.0.0.1.. spells the address 127.0.0.1, which is not a public address (loopback)"
        );
        let public = check_name("8.8.8.8..").unwrap_err();
        assert!(!public.is_non_public());
        assert_eq!(
            public.to_string(),
            "8.8.8.8.. spells the address 8.8.8.8 with extra dots"
        );
    }

    #[test]
    fn malformed_names_are_refused_naming_the_fault() {
        let long_label = format!("{}.com", "a".repeat(64));
        let long_name = format!("{}.com", vec!["a".repeat(62); 4].join("."));
        assert!(long_name.len() > 253);
        let cases = [
            ("a..b", NameErrorKind::EmptyLabel),
            (".a", NameErrorKind::EmptyLabel),
            ("example.com..", NameErrorKind::EmptyLabel),
            (".", NameErrorKind::EmptyLabel),
            (long_label.as_str(), NameErrorKind::LongLabel),
            (long_name.as_str(), NameErrorKind::LongName),
            ("a_b", NameErrorKind::Character('_')),
            ("example.c_m", NameErrorKind::Character('_')),
            ("a!b.test", NameErrorKind::Character('!')),
            ("*.example.com", NameErrorKind::Character('*')),
            ("a~b.com", NameErrorKind::Character('~')),
        ];
        for (name, expected) in cases {
            assert_eq!(kind(name), Some(expected), "{name}");
            assert!(!check_name(name).unwrap_err().is_non_public(), "{name}");
        }
        assert_eq!(
            check_name("a..b").unwrap_err().to_string(),
            "the host name a..b has an empty label"
        );
        assert_eq!(
            check_name("a_b").unwrap_err().to_string(),
            "the host name a_b has '_' in its last label, where no host name has one"
        );
    }

    #[test]
    fn the_length_limits_are_inclusive() {
        let at_limit = format!("{}.{}", vec!["a".repeat(63); 3].join("."), "b".repeat(61));
        assert_eq!(at_limit.len(), 253);
        assert_eq!(check_name(&at_limit), Ok(()));
        assert_eq!(check_name(&format!("{at_limit}.")), Ok(()));
        assert_eq!(kind(&format!("{at_limit}b")), Some(NameErrorKind::LongName));
    }
}

use std::fmt;

use url::{Host, Url};

use crate::host_name::{NameError, check_name};

/// Why a URL cannot be a target. Its text never repeats the URL: callers
/// that may show the URL add it themselves, the webhook sender must not
/// (a webhook URL's path is often a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetError {
    Unparseable(url::ParseError),
    Scheme(String),
    NoHost,
    /// A host name refused without a lookup: a name of this machine, an
    /// address in disguise, or not a name at all. The last also keeps out
    /// names the URL standard allows and HTTP cannot carry (`"q".com`,
    /// `a{b}`), which the client would otherwise refuse after the address
    /// checks, reading as a failed fetch instead of a bad URL.
    HostName(NameError),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Unparseable(err) => {
                write!(f, "is not a usable URL: {}", unparseable(*err))
            }
            TargetError::Scheme(scheme) => {
                write!(f, "scheme {scheme:?} is not allowed; use http or https")
            }
            TargetError::NoHost => f.write_str("names no host"),
            TargetError::HostName(err) if err.is_non_public() => write!(f, "is refused: {err}"),
            TargetError::HostName(err) => write!(f, "is not a usable URL: {err}"),
        }
    }
}

/// The parser's complaint in our words.
fn unparseable(err: url::ParseError) -> &'static str {
    use url::ParseError as E;
    match err {
        E::EmptyHost => "it names no host",
        E::IdnaError => "its host is not a valid international domain name",
        E::InvalidPort => "its port is not a number from 0 to 65535",
        E::InvalidIpv4Address => "its host reads as an IPv4 address, but not a valid one",
        E::InvalidIpv6Address => "its host is not a valid IPv6 address",
        E::InvalidDomainCharacter => "its host holds a character host names cannot",
        E::RelativeUrlWithoutBase => "it is not an absolute URL",
        E::Overflow => "it is too long",
        _ => "it cannot be read as a URL",
    }
}

/// The WHATWG parser reads a host the way browsers do, so `0x7f.1`,
/// `2130706433` and `%31%32%37.0.0.1` all come out as `127.0.0.1`; the
/// normalised URL is what ureq sees, and its resolver checks the addresses
/// the host really has. Userinfo is dropped: nobody needs to send
/// credentials to fetch a public image or deliver a webhook, and `evil@`
/// must not confuse anyone about the host. The fragment is dropped too.
pub(crate) fn parse_target(raw: &str, base: Option<&Url>) -> Result<Url, TargetError> {
    let parsed = match base {
        Some(base) => base.join(raw),
        None => Url::parse(raw),
    };
    let mut url = parsed.map_err(TargetError::Unparseable)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme(url.scheme().to_owned()));
    }
    match url.host() {
        None => return Err(TargetError::NoHost),
        Some(Host::Domain(name)) => check_name(name).map_err(TargetError::HostName)?,
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => {}
    }
    // Both only fail for URLs without a host, ruled out above.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_the_url_standard_allows_but_no_host_name_has_are_refused() {
        for raw in [
            "http://\"q\".com/",
            "https://a{b}.test/x",
            "http://a`b/",
            "http://a!b$c.test/",
        ] {
            assert!(
                matches!(parse_target(raw, None), Err(TargetError::HostName(_))),
                "{raw}"
            );
        }
    }

    /// What passes is what the HTTP client takes: nothing is refused after
    /// the address checks for its spelling.
    #[test]
    fn every_accepted_target_is_a_uri_the_client_can_send() {
        let printable = (0x21_u8..0x7f).map(char::from);
        for c in printable {
            for raw in [
                format!("http://a.test/x{c}y"),
                format!("http://a.test/?x{c}y"),
                format!("http://u{c}v@a.test/"),
                format!("http://a{c}b.test/"),
            ] {
                if let Ok(url) = parse_target(&raw, None) {
                    assert!(
                        url.as_str().parse::<ureq::http::Uri>().is_ok(),
                        "{raw} became {url}"
                    );
                }
            }
        }
    }

    #[test]
    fn parser_complaints_are_put_in_our_words() {
        for (raw, expected) in [
            ("http://:80/", "is not a usable URL: it names no host"),
            (
                "http://a.test:99999/",
                "is not a usable URL: its port is not a number from 0 to 65535",
            ),
            (
                "http://1.2.3.4.5/",
                "is not a usable URL: its host reads as an IPv4 address, but not a valid one",
            ),
            (
                "http://[::1/",
                "is not a usable URL: its host is not a valid IPv6 address",
            ),
            ("/a.png", "is not a usable URL: it is not an absolute URL"),
            (
                "http://localhost./",
                "is refused: localhost. names this machine (loopback), never a public host",
            ),
            (
                "http://a..b/",
                "is not a usable URL: the host name a..b has an empty label",
            ),
        ] {
            let err = parse_target(raw, None).unwrap_err();
            assert_eq!(err.to_string(), expected, "{raw}");
        }
    }
}

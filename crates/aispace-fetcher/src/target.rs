use std::fmt;

use url::Url;

/// Why a URL cannot be a target. Its text never repeats the URL: callers
/// that may show the URL add it themselves, the webhook sender must not
/// (a webhook URL's path is often a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetError {
    Unparseable(url::ParseError),
    /// Standard URL syntax that an HTTP request cannot carry: the URL
    /// standard lets `"q".com` or `a{b}` be a host, RFC 3986 does not.
    Unsendable,
    Scheme(String),
    NoHost,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Unparseable(err) => write!(f, "is not a usable URL: {err}"),
            TargetError::Unsendable => f.write_str("is not a URL an HTTP request can carry"),
            TargetError::Scheme(scheme) => {
                write!(f, "scheme {scheme:?} is not allowed; use http or https")
            }
            TargetError::NoHost => f.write_str("names no host"),
        }
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
    if url.host().is_none() {
        return Err(TargetError::NoHost);
    }
    // Both only fail for URLs without a host, ruled out above.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    // Otherwise the HTTP client refuses it later, after the address checks,
    // and the refusal reads as a failed fetch instead of a bad URL.
    if url.as_str().parse::<ureq::http::Uri>().is_err() {
        return Err(TargetError::Unsendable);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_the_url_standard_allows_but_http_cannot_carry_are_refused() {
        for raw in ["http://\"q\".com/", "https://a{b}.test/x", "http://a`b/"] {
            assert_eq!(
                parse_target(raw, None),
                Err(TargetError::Unsendable),
                "{raw}"
            );
        }
        assert!(parse_target("http://a!b$c.test/", None).is_ok());
    }
}

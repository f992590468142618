//! Who the client is, for limits per address: the socket peer, unless the
//! peer is a reverse proxy the operator trusts; then the right-most address
//! of `X-Forwarded-For` that is not a trusted proxy (entries further left
//! were written by the client and prove nothing).

use std::net::IpAddr;

use actix_web::HttpRequest;
use aispace_outbound::AllowList;

/// The client's address as text, or `"unknown"` when actix has no peer
/// (only in tests that build requests by hand).
pub fn client_address(req: &HttpRequest, trusted: &AllowList) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    from_chain(peer, forwarded, trusted).to_string()
}

fn from_chain<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &AllowList,
) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A malformed entry ends what can be believed: the last good
        // address before it stands.
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = AllowList::parse("10.0.0.0/8").unwrap();
        let got = from_chain(ip("203.0.113.9"), ["1.2.3.4"].into_iter(), &trusted);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_entry_is_the_client() {
        let trusted = AllowList::parse("10.0.0.0/8").unwrap();
        // The client made up the first entry; our proxies appended the rest.
        let chain = ["6.6.6.6, 198.51.100.4", "10.0.0.2"];
        let got = from_chain(ip("10.0.0.1"), chain.into_iter(), &trusted);
        assert_eq!(got, ip("198.51.100.4"));
        // Only trusted hops: the left-most of them.
        let got = from_chain(ip("10.0.0.1"), ["10.0.0.3"].into_iter(), &trusted);
        assert_eq!(got, ip("10.0.0.3"));
        // No header: the proxy itself.
        let got = from_chain(ip("10.0.0.1"), std::iter::empty(), &trusted);
        assert_eq!(got, ip("10.0.0.1"));
        // Garbage stops the walk.
        let got = from_chain(ip("10.0.0.1"), ["198.51.100.4, junk"].into_iter(), &trusted);
        assert_eq!(got, ip("10.0.0.1"));
    }
}

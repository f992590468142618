use std::io;
use std::net::{IpAddr, ToSocketAddrs};

/// Turns a host name into addresses. The seam exists so tests can make a
/// name resolve anywhere without touching DNS; the fetcher classifies
/// whatever comes back, so a lookup cannot widen what is reachable.
pub trait NameLookup: Send + Sync {
    fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<IpAddr>>;
}

/// The operating system's resolver (`getaddrinfo` through std).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl NameLookup for SystemLookup {
    fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<IpAddr>> {
        Ok((host, port)
            .to_socket_addrs()?
            .map(|addr| addr.ip())
            .collect())
    }
}

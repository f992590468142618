//! A loopback HTTP server and a fake DNS for the fetch tests. Nothing here
//! talks to any address outside 127.0.0.0/8.

use std::io::{self};
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};

use aispace_domain::model::ImageUrl;
use aispace_domain::ports::{FetchError, ImageFetcher};
use aispace_outbound::{AllowList, FetchConfig, NameLookup, UreqFetcher};

pub use aispace_testkit::loopback::{LoopbackServer as TestServer, PNG, Reply};

/// A port on `ip` nothing listens on (bound, then released).
pub fn closed_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub use aispace_testkit::dns::FakeDns;

/// Answers `first` to the first lookup and `then` to every later one, the
/// way a DNS-rebinding attacker's server would.
pub struct Rebinding {
    pub first: IpAddr,
    pub then: IpAddr,
    pub calls: AtomicUsize,
}

impl NameLookup for Rebinding {
    fn lookup(&self, _host: &str, _port: u16) -> io::Result<Vec<IpAddr>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(vec![if call == 0 { self.first } else { self.then }])
    }
}

pub fn allow(list: &str) -> FetchConfig {
    FetchConfig {
        allow: AllowList::parse(list).unwrap(),
        ..FetchConfig::default()
    }
}

pub fn fetch(fetcher: &UreqFetcher, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    fetcher.fetch(&ImageUrl::parse(url).unwrap(), max_bytes)
}

#[track_caller]
pub fn assert_forbidden(result: Result<Vec<u8>, FetchError>, context: &str) {
    assert!(
        matches!(result, Err(FetchError::Forbidden(_))),
        "{context}: {result:?}"
    );
}

#[track_caller]
pub fn assert_failed(result: Result<Vec<u8>, FetchError>, context: &str) -> String {
    match result {
        Err(FetchError::Failed(message)) => message,
        other => panic!("{context}: expected Failed, got {other:?}"),
    }
}

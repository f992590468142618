//! A name service for tests of outbound HTTP: names resolve from a fixed
//! table, so a test decides which addresses a host "has" (public, private,
//! loopback) without a network.

#![allow(clippy::unwrap_used)] // a bad table is a bug in the test

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use aispace_outbound::NameLookup;

/// Names resolve from a fixed table, case-insensitively and with or
/// without the trailing dot, like DNS; anything else is "not found".
#[derive(Debug)]
pub struct FakeDns {
    names: HashMap<String, Vec<IpAddr>>,
    delay: Duration,
    asked: Mutex<Vec<String>>,
}

impl FakeDns {
    pub fn new(names: &[(&str, &[&str])]) -> Arc<FakeDns> {
        FakeDns::slow(names, Duration::ZERO)
    }

    pub fn slow(names: &[(&str, &[&str])], delay: Duration) -> Arc<FakeDns> {
        Arc::new(FakeDns {
            names: names
                .iter()
                .map(|(name, ips)| {
                    (
                        name.to_string(),
                        ips.iter().map(|ip| ip.parse().unwrap()).collect(),
                    )
                })
                .collect(),
            delay,
            asked: Mutex::new(Vec::new()),
        })
    }

    /// One address per name.
    pub fn single<'a>(names: impl IntoIterator<Item = (String, &'a str)>) -> Arc<FakeDns> {
        Arc::new(FakeDns {
            names: names
                .into_iter()
                .map(|(name, ip)| (name, vec![ip.parse().unwrap()]))
                .collect(),
            delay: Duration::ZERO,
            asked: Mutex::new(Vec::new()),
        })
    }

    /// The names looked up so far, as asked.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl NameLookup for FakeDns {
    fn lookup(&self, host: &str, _port: u16) -> io::Result<Vec<IpAddr>> {
        self.asked.lock().unwrap().push(host.to_owned());
        thread::sleep(self.delay);
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        self.names
            .get(&key)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host}: no such name")))
    }
}

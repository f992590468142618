use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, mpsc};
use std::thread;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::lookup::NameLookup;
use crate::policy::AddressPolicy;

/// ureq's name resolver, replaced: looks the host up once, checks every
/// address against the policy, and hands ureq only the checked addresses
/// to connect to. Since ureq connects to exactly what its resolver returns,
/// there is no second lookup a DNS-rebinding server could answer
/// differently.
pub(crate) struct CheckingResolver {
    policy: AddressPolicy,
    lookup: Arc<dyn NameLookup>,
}

impl CheckingResolver {
    pub(crate) fn new(policy: AddressPolicy, lookup: Arc<dyn NameLookup>) -> Self {
        CheckingResolver { policy, lookup }
    }

    fn look_up(
        &self,
        host: &str,
        port: u16,
        timeout: NextTimeout,
    ) -> Result<Vec<IpAddr>, ureq::Error> {
        if timeout.after.is_not_happening() {
            return Ok(self.lookup.lookup(host, port)?);
        }
        // The lookup seam is blocking and may ignore deadlines (getaddrinfo
        // does); a thread keeps the fetch's overall timeout honest. A lookup
        // that overruns finishes in the background and is dropped.
        let (tx, rx) = mpsc::sync_channel(1);
        let lookup = Arc::clone(&self.lookup);
        let name = host.to_owned();
        thread::spawn(move || tx.send(lookup.lookup(&name, port)));
        match rx.recv_timeout(*timeout.after) {
            Ok(result) => Ok(result?),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(ureq::Error::Timeout(timeout.reason)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(ureq::Error::Io(
                std::io::Error::other(format!("the lookup of {host} ended without an answer")),
            )),
        }
    }
}

impl Resolver for CheckingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let default_port = match uri.scheme_str() {
            Some("http") => 80,
            Some("https") => 443,
            other => {
                return Err(Refused::error(format!(
                    "scheme {:?} is not allowed; use http or https",
                    other.unwrap_or_default()
                )));
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| ureq::Error::BadUri(format!("{uri} has no host")))?;
        let host = authority.host();
        let port = authority.port_u16().unwrap_or(default_port);

        // IPv6 literals arrive bracketed from `Authority::host`.
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .parse::<IpAddr>()
            .ok();
        let ips = match literal {
            Some(ip) => vec![ip],
            None => self.look_up(host, port, timeout)?,
        };
        if ips.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        // One bad address refuses the whole name: which of them a connection
        // ends up on is not ours to pick.
        for &ip in &ips {
            self.policy.check(ip).map_err(|reason| match literal {
                Some(_) => Refused::error(reason),
                None => Refused::error(format!("{host}: {reason}")),
            })?;
        }

        let mut addrs = self.empty();
        for ip in ips {
            if addrs.try_push(SocketAddr::new(ip, port)).is_err() {
                break;
            }
        }
        Ok(addrs)
    }
}

impl fmt::Debug for CheckingResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckingResolver")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The address policy said no. Travels through ureq as `Error::Other` so the
/// fetcher can tell a refusal (`Forbidden`) from a failure (`Failed`).
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl Refused {
    fn error(reason: String) -> ureq::Error {
        ureq::Error::Other(Box::new(Refused(reason)))
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refused {}

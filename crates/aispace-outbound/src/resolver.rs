use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, mpsc};
use std::thread;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::host_name::check_name;
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

    /// The host's addresses, or why there are none. A name that does not
    /// resolve is refused like a non-public address, whatever the reason
    /// the lookup gave (no such name, no address, a resolver that failed):
    /// in every case there is no address we checked, so nothing to
    /// connect to, and every caller reports it in the same words.
    fn look_up(
        &self,
        host: &str,
        port: u16,
        timeout: NextTimeout,
    ) -> Result<Vec<IpAddr>, ureq::Error> {
        let found = if timeout.after.is_not_happening() {
            self.lookup.lookup(host, port).ok()
        } else {
            // The lookup seam is blocking and may ignore deadlines
            // (getaddrinfo does); a thread keeps the fetch's overall timeout
            // honest. A lookup that overruns finishes in the background and
            // is dropped.
            let (tx, rx) = mpsc::sync_channel(1);
            let lookup = Arc::clone(&self.lookup);
            let name = host.to_owned();
            thread::spawn(move || tx.send(lookup.lookup(&name, port)));
            match rx.recv_timeout(*timeout.after) {
                Ok(result) => result.ok(),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(ureq::Error::Timeout(timeout.reason));
                }
                // The lookup panicked: it gave no address either.
                Err(mpsc::RecvTimeoutError::Disconnected) => None,
            }
        };
        match found {
            Some(ips) if !ips.is_empty() => Ok(ips),
            _ => Err(Refused::error(format!(
                "{host} does not resolve to any address"
            ))),
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
            None => {
                // `parse_target` refused these already; checked again here,
                // where lookups happen, so no path can ask DNS about them.
                check_name(host).map_err(|err| Refused::error(err.to_string()))?;
                self.look_up(host, port, timeout)?
            }
        };
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

/// No checked address to connect to: the address policy said no, the name
/// is one that is never looked up, or it resolved to nothing. Travels
/// through ureq as `Error::Other` so the fetcher can tell a refusal
/// (`Forbidden`) from a failure (`Failed`).
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

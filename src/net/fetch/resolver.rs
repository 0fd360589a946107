//! Where the address guard meets the network: the policy (guard plus the
//! operator's trusted `ip:port` pairs) and the DNS resolver reqwest uses, so
//! a name is checked on the very addresses the connection will use (DNS
//! rebinding cannot slip a private address in between check and connect).

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::net::guard;

/// A connection the guard refused; travels inside reqwest's error chain so
/// the fetch can report `FetchError::Forbidden` rather than a network error.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to refused addresses ({detail})")]
pub struct Refused {
    pub host: String,
    pub detail: String,
}

/// The guard as configured: off entirely, or on with exact exemptions.
#[derive(Clone, Debug)]
pub struct Policy {
    enabled: bool,
    trusted: HashSet<SocketAddr>,
    trusted_ips: HashSet<IpAddr>,
}

impl Policy {
    pub fn new(allow_private_addresses: bool, trusted: &[SocketAddr]) -> Self {
        Policy {
            enabled: !allow_private_addresses,
            trusted: trusted.iter().copied().collect(),
            trusted_ips: trusted.iter().map(SocketAddr::ip).collect(),
        }
    }

    /// `None` when `addr` may be contacted, else why not. Trust is exact:
    /// `::ffff:127.0.0.1` is not the trusted `127.0.0.1`.
    pub fn refusal(&self, addr: SocketAddr) -> Option<&'static str> {
        if !self.enabled || self.trusted.contains(&addr) {
            return None;
        }
        guard::forbidden_reason(addr.ip())
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn has_trusted(&self) -> bool {
        !self.trusted.is_empty()
    }

    /// The resolver never learns the port (reqwest fills it in afterwards),
    /// so it can only trust by IP; `fetch` checks the exact pair first.
    fn refusal_ignoring_port(&self, ip: IpAddr) -> Option<&'static str> {
        if !self.enabled || self.trusted_ips.contains(&ip) {
            return None;
        }
        guard::forbidden_reason(ip)
    }
}

/// Resolves names with the system resolver, then drops refused addresses.
/// A name left with no address fails with `Refused`.
pub struct GuardedResolver {
    policy: Arc<Policy>,
}

impl GuardedResolver {
    pub fn new(policy: Arc<Policy>) -> Self {
        GuardedResolver { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refused): (Vec<_>, Vec<_>) = found
                .into_iter()
                .partition(|a| policy.refusal_ignoring_port(a.ip()).is_none());
            if allowed.is_empty() {
                return Err(Box::new(Refused {
                    detail: describe(&refused, |a| policy.refusal_ignoring_port(a.ip())),
                    host,
                }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// "127.0.0.1 is loopback, ::1 is loopback" for error messages.
pub fn describe(
    addrs: &[SocketAddr],
    reason: impl Fn(&SocketAddr) -> Option<&'static str>,
) -> String {
    if addrs.is_empty() {
        return "no addresses".to_owned();
    }
    addrs
        .iter()
        .map(|a| format!("{} is {}", a.ip(), reason(a).unwrap_or("allowed")))
        .collect::<Vec<_>>()
        .join(", ")
}

//! Where outbound `Http` calls may go. By default a handler cannot reach
//! loopback, private (RFC 1918, ULA), link-local, shared (CGNAT), multicast or
//! unspecified addresses — the server's own port, its metrics, a database on
//! the same network — unless the operator allows a host with
//! `--allow-outbound HOST[:PORT]`. The server's own listening port is never
//! reachable: a handler calling its own URL would wait on itself.
//!
//! The check is on the address actually connected to: names are resolved here
//! (a [`reqwest::dns::Resolve`]), so a name that resolves to a public address
//! when checked and a private one when connected (DNS rebinding) cannot pass;
//! literal addresses in URLs, which skip resolution, are checked before the
//! call and at every redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// A host the operator allows even when it resolves to a private address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lower-case name or address, without brackets.
    pub host: String,
    /// Any port when `None`.
    pub port: Option<u16>,
}

impl std::str::FromStr for AllowedHost {
    type Err = String;

    /// `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`.
    fn from_str(text: &str) -> Result<AllowedHost, String> {
        let bad = || format!("`{text}` is not HOST or HOST:PORT");
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(port) => Some(port),
                None if after.is_empty() => None,
                None => return Err(bad()),
            };
            (host, port)
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                _ => (text, None),
            }
        };
        let port = port.map(|port| port.parse::<u16>().map_err(|_| bad())).transpose()?;
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/' || c == '@') {
            return Err(bad());
        }
        Ok(AllowedHost { host: host.to_ascii_lowercase(), port })
    }
}

impl std::fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        match self.port {
            Some(port) => write!(f, "{host}:{port}"),
            None => f.write_str(&host),
        }
    }
}

/// Where outbound calls may go.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    pub allowed: Vec<AllowedHost>,
    /// The port this server listens on: loopback, unspecified or own
    /// addresses on it are refused even when allowed.
    pub own_port: Option<u16>,
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{host} is {address}, a {kind} address, which handlers may not reach (an operator can allow it with --allow-outbound {host})"
    )]
    Private { host: String, address: IpAddr, kind: &'static str },
    #[error("{host} is this server's own address: a handler cannot call the server it runs on")]
    OwnServer { host: String },
    #[error("{0} has no address")]
    NoAddress(String),
}

/// What kind of address handlers may not reach, or `None` for a public one.
pub fn forbidden_kind(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = address.octets();
    Some(if address.is_loopback() {
        "loopback"
    } else if address.is_private() {
        "private"
    } else if address.is_link_local() {
        "link-local"
    } else if address.is_unspecified() || a == 0 {
        "unspecified"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (carrier-grade NAT)"
    } else if address.is_multicast() || address.is_broadcast() || a >= 240 {
        "multicast or reserved"
    } else {
        return None;
    })
}

fn forbidden_v6(address: Ipv6Addr) -> Option<&'static str> {
    let first = address.segments()[0];
    Some(if address.is_loopback() {
        "loopback"
    } else if address.is_unspecified() {
        "unspecified"
    } else if first & 0xfe00 == 0xfc00 {
        "private (unique local)"
    } else if first & 0xffc0 == 0xfe80 {
        "link-local"
    } else if address.is_multicast() {
        "multicast or reserved"
    } else if let Some(v4) = address.to_ipv4() {
        // IPv4-compatible (::a.b.c.d) and NAT64 forms reach IPv4 hosts too.
        return forbidden_v4(v4);
    } else {
        return None;
    })
}

impl OutboundPolicy {
    fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.allowed.iter().any(|allowed| allowed.host == host && (allowed.port.is_none() || allowed.port == port))
    }

    /// Checks one address a call would connect to.
    pub fn check(&self, host: &str, address: SocketAddr) -> Result<(), Refusal> {
        let own_port = self.own_port.is_some_and(|port| port == address.port());
        if own_port && (forbidden_kind(address.ip()).is_some() || address.ip().is_unspecified()) {
            return Err(Refusal::OwnServer { host: host.to_string() });
        }
        match forbidden_kind(address.ip()) {
            Some(_) if self.allows(host, Some(address.port())) => Ok(()),
            Some(kind) => Err(Refusal::Private { host: host.to_string(), address: address.ip(), kind }),
            None => Ok(()),
        }
    }

    /// Checks a URL whose host is a literal address (names are checked when
    /// they are resolved). Unparseable URLs are left to the HTTP client's error.
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), Refusal> {
        let Some(port) = url.port_or_known_default() else { return Ok(()) };
        let address = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        self.check(url.host_str().unwrap_or_default(), SocketAddr::new(address, port))
    }
}

impl OutboundPolicy {
    /// Checks a URL before a call: literal addresses here, names when the
    /// client resolves them — except on the server's own port, where a name
    /// is resolved now to see whether it is this server.
    pub async fn check_target(&self, url: &reqwest::Url) -> Result<(), Refusal> {
        self.check_url(url)?;
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return Ok(()) };
        if self.own_port != Some(port) || matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))) {
            return Ok(());
        }
        let Ok(addresses) = tokio::net::lookup_host((host, port)).await else { return Ok(()) };
        addresses.into_iter().try_for_each(|address| match self.check(host, address) {
            Err(own @ Refusal::OwnServer { .. }) => Err(own),
            _ => Ok(()),
        })
    }
}

/// Resolves names for the outbound client, keeping only the addresses the
/// policy allows. The port is not known here: a name the operator allowed is
/// allowed on any port at this step (the URL check adds the port).
pub struct CheckedResolver(pub Arc<OutboundPolicy>);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusal = None;
            let mut allowed = Vec::new();
            for address in addresses {
                // The port is 0 here; the own-port check happens on the URL.
                let checked = match forbidden_kind(address.ip()) {
                    Some(_) if policy.allows(&host, None) || policy.allows(&host, Some(address.port())) => Ok(()),
                    Some(kind) => Err(Refusal::Private { host: host.clone(), address: address.ip(), kind }),
                    None => Ok(()),
                };
                match checked {
                    Ok(()) => allowed.push(address),
                    Err(refused) => refusal = Some(refused),
                }
            }
            if allowed.is_empty() {
                let refused = refusal.unwrap_or(Refusal::NoAddress(host));
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The outbound client's redirect policy: at most 10, each checked.
pub fn redirect_policy(policy: Arc<OutboundPolicy>) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("more than 10 redirects");
        }
        match policy.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

/// An HTTP client that keeps to a policy.
#[derive(Debug, Clone)]
pub struct OutboundClient {
    pub http: reqwest::Client,
    pub policy: Arc<OutboundPolicy>,
}

impl OutboundClient {
    /// Fails only when the HTTP client cannot be set up (no TLS backend).
    pub fn new(policy: OutboundPolicy, timeout: std::time::Duration) -> Result<OutboundClient, reqwest::Error> {
        let policy = Arc::new(policy);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
            .user_agent(concat!("gloam/", env!("CARGO_PKG_VERSION")))
            // A proxy from the environment would resolve and connect for us,
            // past the policy's checks.
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver(policy.clone())))
            .redirect(redirect_policy(policy.clone()))
            .build()?;
        Ok(OutboundClient { http, policy })
    }

    /// This client's policy with more hosts allowed (a canvas's own list).
    pub fn allowing(
        &self,
        hosts: Vec<AllowedHost>,
        timeout: std::time::Duration,
    ) -> Result<OutboundClient, reqwest::Error> {
        if hosts.is_empty() {
            return Ok(self.clone());
        }
        let mut policy = (*self.policy).clone();
        policy.allowed.extend(hosts);
        OutboundClient::new(policy, timeout)
    }
}

/// The refusal inside a client error, if the policy caused it.
pub fn refusal_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refusal> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(refused) = error.downcast_ref::<Refusal>() {
            return Some(refused);
        }
        cause = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for text in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "ff02::1",
        ] {
            let address: IpAddr = text.parse().unwrap();
            assert!(forbidden_kind(address).is_some(), "{text} should be forbidden");
        }
        for text in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:2800:220:1::1"] {
            let address: IpAddr = text.parse().unwrap();
            assert_eq!(forbidden_kind(address), None, "{text} should be allowed");
        }
    }

    #[test]
    fn allowed_hosts_parse_with_and_without_ports() {
        let parsed = |text: &str| text.parse::<AllowedHost>();
        assert_eq!(parsed("Localhost:9000"), Ok(AllowedHost { host: "localhost".into(), port: Some(9000) }));
        assert_eq!(parsed("10.0.0.5"), Ok(AllowedHost { host: "10.0.0.5".into(), port: None }));
        assert_eq!(parsed("[::1]:81"), Ok(AllowedHost { host: "::1".into(), port: Some(81) }));
        assert_eq!(parsed("::1"), Ok(AllowedHost { host: "::1".into(), port: None }));
        assert!(parsed("host:99999").is_err());
        assert!(parsed("a/b").is_err());
        assert!(parsed("").is_err());
    }

    #[test]
    fn the_own_port_is_refused_even_when_allowed() {
        let policy = OutboundPolicy { allowed: vec!["127.0.0.1".parse().unwrap()], own_port: Some(8000) };
        let own: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        let other: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(policy.check("127.0.0.1", own), Err(Refusal::OwnServer { host: "127.0.0.1".into() }));
        assert_eq!(policy.check("127.0.0.1", other), Ok(()));
        assert!(OutboundPolicy::default().check("127.0.0.1", other).is_err());
    }
}

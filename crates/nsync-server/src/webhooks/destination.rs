//! Where a webhook may go: `http` or `https`, no credentials in the URL, and, unless the
//! operator allows it (`--allow-private-webhooks`), never an address on loopback, a private or
//! shared network, link-local (which holds cloud metadata services such as 169.254.169.254),
//! multicast or unspecified. Checked when an endpoint is registered and again at every
//! delivery, on the addresses the name resolves to then: the check and the connection use the
//! same resolution (the client's resolver filters it), so a name that changes its answer
//! between the two (DNS rebinding) cannot slip through.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

/// What the operator allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Destinations on loopback and private networks are allowed (tests, the demo, an
    /// operator whose procurement app runs beside nsync).
    pub allow_private: bool,
}

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// Not a URL nsync posts to.
    #[error("{0}")]
    Malformed(String),
    /// An address nsync does not post to.
    #[error("{0} is a loopback, private, link-local or otherwise internal address; webhooks go to public addresses only (an operator can allow internal ones with --allow-private-webhooks)")]
    Internal(IpAddr),
}

/// Longest URL accepted.
const MAX_URL: usize = 2_000;

/// Checks a destination's form, and its address when it is written as one.
pub fn check_destination(text: &str, policy: WebhookPolicy) -> Result<Url, DestinationError> {
    let bad = |why: &str| DestinationError::Malformed(why.to_owned());
    if text.len() > MAX_URL {
        return Err(bad("the URL is longer than 2,000 characters"));
    }
    let url = Url::parse(text.trim()).map_err(|e| bad(&format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(bad("the URL must start with https:// (or http://)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("the URL must not hold a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(bad("the URL must not have a #fragment"));
    }
    let ip = match url.host() {
        None => return Err(bad("the URL has no host")),
        Some(Host::Domain(_)) => None,
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
    };
    if let Some(ip) = ip {
        check_ip(ip, policy)?;
    }
    Ok(url)
}

fn check_ip(ip: IpAddr, policy: WebhookPolicy) -> Result<(), DestinationError> {
    if policy.allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(DestinationError::Internal(ip))
    }
}

/// Whether an address is one on the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4 written as IPv6 (::ffff:a.b.c.d, and the NAT64 prefix 64:ff9b::/96) is the
            // IPv4 address it carries.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return is_public_v4(Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                ));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7 (holds fd00:ec2::254)
                || (s[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible, deprecated
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// The delivering client's resolver: the system's answer, without the addresses the policy
/// refuses; a name with nothing left fails to resolve, with the reason.
#[derive(Debug, Clone, Copy)]
pub(super) struct GuardedResolver(pub WebhookPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| check_ip(a.ip(), policy).is_ok())
                .collect();
            if allowed.is_empty() {
                let why: Box<dyn std::error::Error + Send + Sync> = match found.first() {
                    Some(addr) => Box::new(DestinationError::Internal(addr.ip())),
                    None => format!("{host} has no address").into(),
                };
                return Err(why);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

pub(super) fn resolver(policy: WebhookPolicy) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: WebhookPolicy = WebhookPolicy {
        allow_private: false,
    };

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1/hook",
            "http://localhost.:8080/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
        ] {
            let checked = check_destination(url, STRICT);
            if url.contains("localhost") {
                // A name: refused when it resolves, by the resolver.
                assert!(checked.is_ok(), "{url}");
            } else {
                assert!(
                    matches!(checked, Err(DestinationError::Internal(_))),
                    "{url}: {checked:?}"
                );
            }
            let allowed = WebhookPolicy {
                allow_private: true,
            };
            assert!(check_destination(url, allowed).is_ok(), "{url}");
        }
        assert!(check_destination("https://93.184.215.14/hook", STRICT).is_ok());
        assert!(check_destination("https://[2606:4700::1111]/", STRICT).is_ok());
    }

    #[test]
    fn malformed_destinations_are_refused_with_a_reason() {
        for url in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#x",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(
                    check_destination(url, STRICT),
                    Err(DestinationError::Malformed(_))
                ),
                "{url}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(2_000));
        assert!(check_destination(&long, STRICT).is_err());
    }

    #[tokio::test]
    async fn the_resolver_drops_internal_answers() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(GuardedResolver(STRICT).resolve(name).await.is_err());
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let allowed = GuardedResolver(WebhookPolicy {
            allow_private: true,
        });
        assert!(allowed.resolve(name).await.unwrap().next().is_some());
    }
}

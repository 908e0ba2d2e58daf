//! Who the client is: the address the connection came from, or, when that is a trusted proxy
//! (`TRUSTED_PROXIES`), the address the proxies say they forwarded for. Rate limits, the sign-in
//! throttle, the sessions list and the development mailbox all go by it.
//!
//! Forwarding headers are read only from trusted peers, so a client talking to the shop directly
//! cannot pose as another address by sending them. Of the addresses a chain of proxies appended,
//! the client is the last one that is not itself a trusted proxy: anything to the left of it was
//! written by the client and proves nothing.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The client's address, as an extension of every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Address ranges whose requests carry the real client in `Forwarded` or `X-Forwarded-For`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of addresses and CIDR ranges: `10.0.0.0/8, 127.0.0.1, ::1`.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{part}' is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the request's headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let forwarded = forwarded_for(headers);
        forwarded
            .iter()
            .rev()
            .copied()
            .find(|ip| !self.trusts(*ip))
            .or_else(|| forwarded.first().copied())
            .unwrap_or(peer)
    }
}

/// An IPv4 client reached over an IPv6 socket is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses proxies forwarded for, oldest first: from `Forwarded` (RFC 7239) when present,
/// otherwise `X-Forwarded-For`. An entry that is not an address (`unknown`, an obfuscated name)
/// ends the list there, since nothing to its left can be placed.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let forwarded = values("forwarded");
    let entries: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        values("x-forwarded-for")
            .into_iter()
            .map(parse_node)
            .collect()
    } else {
        forwarded
            .into_iter()
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(value.trim().trim_matches('"')))
                })?
            })
            .collect()
    };
    let known = entries
        .iter()
        .rposition(Option::is_none)
        .map_or(0, |at| at + 1);
    entries[known..]
        .iter()
        .flatten()
        .map(|ip| canonical(*ip))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|addr| addr.ip())
}

/// The middleware: puts [`ClientIp`] in every request.
pub async fn identify(
    State(state): State<super::AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = state
        .config
        .trusted_proxies
        .client(peer.ip(), request.headers());
    request.extensions_mut().insert(ClientIp(client));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let none = TrustedProxies::default();
        let forged = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(none.client(ip("203.0.113.5"), &forged), ip("203.0.113.5"));
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            proxies.client(ip("203.0.113.5"), &forged),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_last_untrusted_address() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        // The client wrote the first address itself; the proxies appended the rest.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &chain), ip("198.51.100.7"));
        let forwarded = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::9]:4711\";proto=https, for=10.1.1.1",
        )]);
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &forwarded),
            ip("2001:db8::9")
        );
        // Forwarded wins over X-Forwarded-For when both are there.
        let both = headers(&[
            ("forwarded", "for=192.0.2.60"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &both), ip("192.0.2.60"));
        // Only proxies in the chain, or no header: the first proxy's view, or the peer.
        let inside = headers(&[("x-forwarded-for", "10.2.2.2, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &inside), ip("10.2.2.2"));
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        // Nothing to the left of an entry that is not an address counts.
        let unknown = headers(&[("x-forwarded-for", "198.51.100.7, unknown, 10.1.1.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &unknown), ip("10.1.1.1"));
    }

    #[test]
    fn ipv4_over_ipv6_is_the_ipv4_address() {
        let proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        assert_eq!(
            proxies.client(
                ip("::ffff:127.0.0.1"),
                &headers(&[("x-forwarded-for", "192.0.2.1")])
            ),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/8, nonsense").is_err());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
    }
}

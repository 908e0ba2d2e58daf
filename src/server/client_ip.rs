//! Who the client is: the address the connection came from, or, when that is a trusted proxy
//! (`TRUSTED_PROXIES`), the address the proxies say they forwarded for, in the one header they
//! write (`TRUSTED_PROXY_HEADER`: `X-Forwarded-For` unless set to `Forwarded`). Rate limits, the
//! sign-in throttle, the sessions list and the development mailbox all go by it.
//!
//! Forwarding headers are read only from trusted peers, so a client talking to the shop directly
//! cannot pose as another address by sending them, and only the header the proxies write, since
//! they pass the other one on as the client sent it. Of the addresses a chain of proxies appended,
//! the client is the last one that is not itself a trusted proxy: anything to the left of it was
//! written by the client and proves nothing.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// Who the client is, as an extension of every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp {
    pub ip: IpAddr,
    /// The request came with forwarding headers from a peer not trusted to send them: a proxy the
    /// shop was not told about may stand in front, so the peer's address does not say who asks.
    pub unvouched_forwarding: bool,
}

/// The client as limits and the sign-in throttle count it: an IPv4 address, or an IPv6 /64, since
/// one subscriber usually holds a whole /64 and can take any address in it.
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The headers proxies name the client in.
const FORWARDING_HEADERS: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// The header trusted proxies write the client's address into.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardingHeader {
    #[default]
    XForwardedFor,
    /// RFC 7239's `Forwarded`.
    Forwarded,
}

impl ForwardingHeader {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardingHeader::XForwardedFor),
            "forwarded" => Ok(ForwardingHeader::Forwarded),
            _ => Err(format!(
                "'{text}' is not a forwarding header: use X-Forwarded-For or Forwarded"
            )),
        }
    }
}

/// Address ranges whose requests name the real client in the forwarding header, and which header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    ranges: Vec<IpNet>,
    header: ForwardingHeader,
}

impl TrustedProxies {
    /// A comma-separated list of addresses and CIDR ranges (`10.0.0.0/8, 127.0.0.1, ::1`), whose
    /// requests carry the client in `header`.
    pub fn parse(text: &str, header: ForwardingHeader) -> Result<Self, String> {
        let ranges = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{part}' is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { ranges, header })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.ranges.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the request's headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientIp {
        if !self.trusts(peer) {
            return ClientIp {
                ip: canonical(peer),
                unvouched_forwarding: FORWARDING_HEADERS
                    .iter()
                    .any(|name| headers.contains_key(*name)),
            };
        }
        let forwarded = forwarded_for(headers, self.header);
        if forwarded.is_empty()
            && FORWARDING_HEADERS
                .iter()
                .any(|name| headers.contains_key(*name))
        {
            // A trusted proxy that wrote another header than the one configured: who is behind it
            // is unknown, and it must not pass for the proxy itself.
            tracing::warn!(
                "a trusted proxy sent a forwarding header other than TRUSTED_PROXY_HEADER's"
            );
            return ClientIp {
                ip: canonical(peer),
                unvouched_forwarding: true,
            };
        }
        // All trusted: the request began inside the trusted network, as the nearest proxy saw it.
        let ip = forwarded
            .iter()
            .rev()
            .copied()
            .find(|ip| !self.trusts(*ip))
            .or_else(|| forwarded.last().copied())
            .unwrap_or_else(|| canonical(peer));
        ClientIp {
            ip,
            unvouched_forwarding: false,
        }
    }
}

/// An IPv4 client reached over an IPv6 socket is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses proxies forwarded for in `header`, oldest first. An entry that is not an address
/// (`unknown`, an obfuscated name) ends the list there, since nothing to its left can be placed.
fn forwarded_for(headers: &HeaderMap, header: ForwardingHeader) -> Vec<IpAddr> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let entries: Vec<Option<IpAddr>> = match header {
        ForwardingHeader::XForwardedFor => values("x-forwarded-for")
            .into_iter()
            .map(parse_node)
            .collect(),
        ForwardingHeader::Forwarded => values("forwarded")
            .into_iter()
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(value.trim().trim_matches('"')))
                })?
            })
            .collect(),
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
    request.extensions_mut().insert(client);
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

    fn proxies(ranges: &str, header: ForwardingHeader) -> TrustedProxies {
        TrustedProxies::parse(ranges, header).unwrap()
    }

    /// The client's address behind `peer`.
    fn client(
        proxies: &TrustedProxies,
        peer: &str,
        sent: &[(&'static str, &'static str)],
    ) -> IpAddr {
        proxies.client(ip(peer), &headers(sent)).ip
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored_and_noted() {
        let forged = [("x-forwarded-for", "198.51.100.7")];
        let none = TrustedProxies::default();
        let found = none.client(ip("203.0.113.5"), &headers(&forged));
        assert_eq!(found.ip, ip("203.0.113.5"));
        assert!(found.unvouched_forwarding);
        let elsewhere = proxies("10.0.0.0/8", ForwardingHeader::XForwardedFor);
        assert_eq!(
            client(&elsewhere, "203.0.113.5", &forged),
            ip("203.0.113.5")
        );
        assert!(
            !none
                .client(ip("203.0.113.5"), &HeaderMap::new())
                .unvouched_forwarding
        );
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_last_untrusted_address() {
        let xff = proxies("10.0.0.0/8, 127.0.0.1", ForwardingHeader::XForwardedFor);
        // The client wrote the first address itself; the proxies appended the rest.
        let chain = [("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.1.1.1")];
        assert_eq!(client(&xff, "127.0.0.1", &chain), ip("198.51.100.7"));
        assert!(
            !xff.client(ip("127.0.0.1"), &headers(&chain))
                .unvouched_forwarding
        );
        // Only proxies in the chain: the nearest one's view, never what the client wrote first.
        let inside = [("x-forwarded-for", "127.0.0.1, 10.2.2.2, 10.1.1.1")];
        assert_eq!(client(&xff, "127.0.0.1", &inside), ip("10.1.1.1"));
        assert_eq!(client(&xff, "127.0.0.1", &[]), ip("127.0.0.1"));
        // Nothing to the left of an entry that is not an address counts.
        let unknown = [("x-forwarded-for", "198.51.100.7, unknown, 10.1.1.1")];
        assert_eq!(client(&xff, "127.0.0.1", &unknown), ip("10.1.1.1"));

        let rfc = proxies("10.0.0.0/8", ForwardingHeader::Forwarded);
        let forwarded = [(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::9]:4711\";proto=https, for=10.1.1.1",
        )];
        assert_eq!(client(&rfc, "10.0.0.2", &forwarded), ip("2001:db8::9"));
    }

    #[test]
    fn only_the_header_the_proxies_write_is_read() {
        // A proxy writing X-Forwarded-For passes a client's own Forwarded header on untouched.
        let xff = proxies("127.0.0.1", ForwardingHeader::XForwardedFor);
        let spoof = [
            ("forwarded", "for=127.0.0.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(client(&xff, "127.0.0.1", &spoof), ip("203.0.113.9"));
        let rfc = proxies("127.0.0.1", ForwardingHeader::Forwarded);
        let spoof = [
            ("x-forwarded-for", "127.0.0.1"),
            ("forwarded", "for=203.0.113.9"),
        ];
        assert_eq!(client(&rfc, "127.0.0.1", &spoof), ip("203.0.113.9"));
    }

    #[test]
    fn ipv4_over_ipv6_is_the_ipv4_address() {
        let xff = proxies("127.0.0.1", ForwardingHeader::XForwardedFor);
        let sent = [("x-forwarded-for", "192.0.2.1")];
        assert_eq!(client(&xff, "::ffff:127.0.0.1", &sent), ip("192.0.2.1"));
        assert_eq!(client(&xff, "::ffff:127.0.0.1", &[]), ip("127.0.0.1"));
        let none = TrustedProxies::default();
        assert_eq!(client(&none, "::ffff:192.0.2.7", &[]), ip("192.0.2.7"));
    }

    #[test]
    fn bad_settings_are_refused() {
        let header = ForwardingHeader::XForwardedFor;
        assert!(TrustedProxies::parse("10.0.0.0/8, nonsense", header).is_err());
        assert!(TrustedProxies::parse("10.0.0.0/33", header).is_err());
        assert_eq!(
            TrustedProxies::parse(" ", header).unwrap(),
            TrustedProxies::default()
        );
        assert_eq!(
            ForwardingHeader::parse("Forwarded"),
            Ok(ForwardingHeader::Forwarded)
        );
        assert!(ForwardingHeader::parse("X-Real-IP").is_err());
    }
}

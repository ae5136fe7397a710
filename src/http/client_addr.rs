//! Who the client is, for the per-client limits — one function, [`client_key`], used by every
//! limiter (`app::ratelimit`: unknown survey tokens, sign-in attempts) and nowhere else.
//!
//! **The address.** The TCP peer, unless the peer is one of `server.trusted_proxies`: then the
//! header `server.forwarded_header` names — `X-Forwarded-For`, or `Forwarded: for=` (RFC 7239;
//! all lines, in order) — lists the hops. Only that one header is read: a proxy appends to one
//! and passes the other through as the client wrote it. The chain is walked **from the right** — each trusted
//! proxy appended the address it received from — past every trusted proxy; the first address
//! that is not a trusted proxy is the client. Anything to its left was written by the client
//! itself and proves nothing, so a client cannot escape its limit by sending these headers,
//! and from a peer that is not a trusted proxy they are ignored altogether. A hop that a
//! trusted proxy wrote as `unknown` or an obfuscated name (`_hidden`), or that does not parse,
//! stops the walk: the client is then keyed on the last trusted proxy's address (clients the
//! proxy cannot name share one allowance rather than escape it). A chain of trusted proxies
//! only (a client inside a trusted network) gives its leftmost address.
//!
//! **The key.** An IPv4 address is its own key; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
//! from a dual-stack socket) is that IPv4 address; any other IPv6 address is keyed by its /64,
//! the smallest block a site or a mobile subscriber is given — per address, one subscriber
//! would have 2^64 allowances.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;

pub use crate::app::ratelimit::ClientKey;
use crate::config::{Cidr, ForwardedHeader, ServerSettings};

/// The key of the client of `req` (`None` only when actix knows no peer, as in unit tests).
pub fn client_key(req: &HttpRequest, server: &ServerSettings) -> Option<ClientKey> {
    let peer = req.peer_addr()?.ip();
    Some(ClientKey::of(client_ip(
        peer,
        req.headers(),
        &server.trusted_proxies,
        server.forwarded_header,
    )))
}

/// The client's address of `req` (`None` only when actix knows no peer): for the integrity
/// counts, which group it by network themselves (`domain::integrity::Network`).
pub fn client_address(req: &HttpRequest, server: &ServerSettings) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(client_ip(
        peer,
        req.headers(),
        &server.trusted_proxies,
        server.forwarded_header,
    ))
}

/// The client's address: `peer`, or the hop that `trusted` proxies name in `header` (module
/// documentation).
pub fn client_ip(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[Cidr],
    header: ForwardedHeader,
) -> IpAddr {
    let peer = unmapped(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers, header).iter().rev() {
        match hop {
            Some(ip) if is_trusted(*ip) => client = *ip,
            Some(ip) => return *ip,
            None => return client,
        }
    }
    client
}

/// The hops a proxy listed in `header`, leftmost first. `None` for a hop that is not an address.
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    match header {
        ForwardedHeader::Forwarded => headers
            .get_all("forwarded")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|line| line.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| node_address(value))
                })
            })
            .collect(),
        // Lossy, not `to_str`: a client's non-ASCII byte must not drop the hop the proxy
        // appended to the same line (it becomes one unparseable hop, which stops the walk).
        ForwardedHeader::XForwardedFor => headers
            .get_all("x-forwarded-for")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .flat_map(|line| line.split(',').map(node_address).collect::<Vec<_>>())
            .collect(),
    }
}

/// An address as a proxy writes it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711`, possibly in quotes; `None` for `unknown`, `_name` or
/// anything else.
fn node_address(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    let ip = if let Some(rest) = raw.strip_prefix('[') {
        rest.split_once(']')?.0.parse().ok()?
    } else if let Ok(ip) = raw.parse::<IpAddr>() {
        ip
    } else {
        // IPv4 with a port (a bare IPv6 address parsed above).
        let (host, _port) = raw.rsplit_once(':')?;
        host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)?
    };
    Some(unmapped(ip))
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(list: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in list {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn proxies(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|c| c.parse().unwrap()).collect()
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const RFC: ForwardedHeader = ForwardedHeader::Forwarded;

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("forwarded", "for=2.2.2.2")]);
        let trusted = proxies(&["10.0.0.0/8"]);
        for header in [XFF, RFC] {
            assert_eq!(client_ip(ip("9.9.9.9"), &h, &[], header), ip("9.9.9.9"));
            assert_eq!(
                client_ip(ip("9.9.9.9"), &h, &trusted, header),
                ip("9.9.9.9")
            );
        }
    }

    /// A proxy that appends to X-Forwarded-For passes the client's own `Forwarded` through:
    /// reading it would let the client pick any address (and so any allowance, or someone
    /// else's).
    #[test]
    fn only_the_configured_header_is_read() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let h = headers(&[
            ("forwarded", "for=198.51.100.99"),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &h, &trusted, XFF),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &h, &trusted, RFC),
            ip("198.51.100.99")
        );
        // A client's non-ASCII byte on the line the proxy appended to keeps the proxy's hop.
        let mut h = HeaderMap::new();
        h.append(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_bytes(b"\x80, 203.0.113.8").unwrap(),
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &h, &trusted, XFF),
            ip("203.0.113.8")
        );
        let only_forwarded = headers(&[("forwarded", "for=198.51.100.99")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &only_forwarded, &trusted, XFF),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_chain_is_walked_from_the_right_past_trusted_proxies() {
        let trusted = proxies(&["10.0.0.0/8", "fd00::/8"]);
        // The client wrote 6.6.6.6 itself; 10.0.0.2 is a trusted inner proxy.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &h, &trusted, XFF),
            ip("203.0.113.7")
        );
        // Forwarded, when configured, in every form RFC 7239 allows.
        for value in [
            "for=\"[2001:db8:cafe::17]:4711\"",
            "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]\"",
            "For=\"[2001:db8:cafe::17]\";by=10.0.0.1, for=\"[fd00::1]\"",
        ] {
            let h = headers(&[("forwarded", value), ("x-forwarded-for", "7.7.7.7")]);
            assert_eq!(
                client_ip(ip("10.0.0.1"), &h, &trusted, RFC),
                ip("2001:db8:cafe::17"),
                "{value}"
            );
        }
        let h = headers(&[("forwarded", "for=192.0.2.43:47011")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &h, &trusted, RFC),
            ip("192.0.2.43")
        );
        // A hop the proxy could not name: keyed on the proxy.
        let h = headers(&[("forwarded", "for=1.2.3.4, for=unknown")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted, RFC), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 10.0.0.5, _hidden, 10.0.0.3")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted, XFF), ip("10.0.0.3"));
        // Only trusted hops (or no header at all): the leftmost.
        let h = headers(&[("x-forwarded-for", "10.1.1.1, 10.0.0.3")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted, XFF), ip("10.1.1.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &trusted, XFF),
            ip("10.0.0.1")
        );
        // A dual-stack socket's mapped address is the IPv4 peer.
        let h = headers(&[("x-forwarded-for", "::ffff:198.51.100.4")]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &h, &trusted, XFF),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_mapped_ipv4_as_ipv4() {
        let k = |s| ClientKey::of(ip(s));
        assert_eq!(k("2001:db8:1:2:aaaa::1"), k("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
        assert_eq!(k("::ffff:192.0.2.1"), k("192.0.2.1"));
        assert_ne!(k("192.0.2.1"), k("192.0.2.2"));
    }
}

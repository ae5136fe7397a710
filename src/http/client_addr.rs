//! Who the client is, for the per-client limits — one function, [`client_key`], used by every
//! limiter (`app::ratelimit`: unknown survey tokens, sign-in attempts) and nowhere else.
//!
//! **The address.** The TCP peer, unless the peer is one of `server.trusted_proxies`: then the
//! proxy's `Forwarded: for=` (RFC 7239; all `Forwarded` lines, in order) or, without one,
//! `X-Forwarded-For` lists the hops, and the chain is walked **from the right** — each trusted
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
use crate::config::Cidr;

/// The key of the client of `req` (`None` only when actix knows no peer, as in unit tests).
pub fn client_key(req: &HttpRequest, trusted: &[Cidr]) -> Option<ClientKey> {
    let peer = req.peer_addr()?.ip();
    Some(ClientKey::of(client_ip(peer, req.headers(), trusted)))
}

/// The client's address: `peer`, or the hop that `trusted` proxies name (module documentation).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = unmapped(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).iter().rev() {
        match hop {
            Some(ip) if is_trusted(*ip) => client = *ip,
            Some(ip) => return *ip,
            None => return client,
        }
    }
    client
}

/// The hops a proxy listed, leftmost first: `Forwarded: for=` when there is one, else
/// `X-Forwarded-For`. `None` for a hop that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<Option<IpAddr>> = headers
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
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(','))
        .map(node_address)
        .collect()
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

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("forwarded", "for=2.2.2.2")]);
        assert_eq!(client_ip(ip("9.9.9.9"), &h, &[]), ip("9.9.9.9"));
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(client_ip(ip("9.9.9.9"), &h, &trusted), ip("9.9.9.9"));
    }

    #[test]
    fn the_chain_is_walked_from_the_right_past_trusted_proxies() {
        let trusted = proxies(&["10.0.0.0/8", "fd00::/8"]);
        // The client wrote 6.6.6.6 itself; 10.0.0.2 is a trusted inner proxy.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.7"));
        // Forwarded wins over X-Forwarded-For, in every form RFC 7239 allows.
        for value in [
            "for=\"[2001:db8:cafe::17]:4711\"",
            "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]\"",
            "For=\"[2001:db8:cafe::17]\";by=10.0.0.1, for=\"[fd00::1]\"",
        ] {
            let h = headers(&[("forwarded", value), ("x-forwarded-for", "7.7.7.7")]);
            assert_eq!(
                client_ip(ip("10.0.0.1"), &h, &trusted),
                ip("2001:db8:cafe::17"),
                "{value}"
            );
        }
        let h = headers(&[("forwarded", "for=192.0.2.43:47011")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("192.0.2.43"));
        // A hop the proxy could not name: keyed on the proxy.
        let h = headers(&[("forwarded", "for=1.2.3.4, for=unknown")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 10.0.0.5, _hidden, 10.0.0.3")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.3"));
        // Only trusted hops (or no header at all): the leftmost.
        let h = headers(&[("x-forwarded-for", "10.1.1.1, 10.0.0.3")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.1.1.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        // A dual-stack socket's mapped address is the IPv4 peer.
        let h = headers(&[("x-forwarded-for", "::ffff:198.51.100.4")]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &h, &trusted),
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

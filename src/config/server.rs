//! `[server]`: the address to listen on, the base of survey links, shutdown, workers, and the
//! reverse proxies trusted to name the client.

use std::net::{SocketAddr, ToSocketAddrs};

use serde::Deserialize;

use super::error::{ConfigError, invalid};

/// Where and how the server listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// `HOST:PORT` to listen on; port 0 picks a free port.
    pub bind: String,
    /// Base URL of survey links; `None` means `http://{bind}`.
    pub public_base_url: Option<String>,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// Worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Reverse proxies (CIDRs) whose `Forwarded` / `X-Forwarded-For` headers name the client
    /// (`http::client_addr`); empty: the peer address is the client. A list, or one string of
    /// CIDRs separated by commas (for `APP_SERVER__TRUSTED_PROXIES`).
    #[serde(default, deserialize_with = "cidr_list")]
    pub trusted_proxies: Vec<Cidr>,
    /// Which header the trusted proxies write the client into; the other is ignored.
    pub forwarded_header: ForwardedHeader,
}

/// The header a trusted proxy names the client in (`server.forwarded_header`). Exactly one is
/// read: a proxy that appends to one passes the other through as the client sent it, so
/// reading both would let a client choose its own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (nginx, Caddy, HAProxy, most load balancers).
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// `Forwarded: for=` (RFC 7239).
    #[serde(rename = "forwarded")]
    Forwarded,
}

/// An IP network, `ADDRESS/PREFIX` (a bare address is the network of that address alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside the network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (address, prefix) = raw.split_once('/').unwrap_or((raw, ""));
        let network: std::net::IpAddr = address
            .parse()
            .map_err(|_| format!("`{raw}` is not an IP address or ADDRESS/PREFIX"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            "" => max,
            p => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{raw}`: the prefix must be 0 to {max}"))?,
        };
        // An IPv4-mapped network (`::ffff:10.0.0.0/104`) is that IPv4 network: `contains`
        // compares addresses as IPv4 once unmapped.
        if let std::net::IpAddr::V6(v6) = network
            && let Some(v4) = v6.to_ipv4_mapped()
            && prefix >= 96
        {
            return Ok(Self {
                network: std::net::IpAddr::V4(v4),
                prefix: prefix - 96,
            });
        }
        Ok(Self { network, prefix })
    }
}

/// `trusted_proxies`: a list of CIDRs, or one string of them separated by commas.
fn cidr_list<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<Cidr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        One(String),
    }
    let items = match Raw::deserialize(de)? {
        Raw::List(list) => list,
        Raw::One(text) => text.split(',').map(str::to_owned).collect(),
    };
    items
        .iter()
        .filter(|item| !item.trim().is_empty())
        .map(|item| item.parse().map_err(serde::de::Error::custom))
        .collect()
}

impl ServerSettings {
    /// The address resolves; the base URL, when set, is a plain http(s) base.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Err(reason) = resolve_bind(&self.bind) {
            return invalid("server.bind", reason);
        }
        if let Some(base) = &self.public_base_url
            && let Err(reason) = check_base_url(base)
        {
            return invalid("server.public_base_url", reason);
        }
        Ok(())
    }
}

/// The socket address `bind` (`HOST:PORT`) resolves to first.
fn resolve_bind(bind: &str) -> Result<SocketAddr, String> {
    bind.to_socket_addrs()
        .map_err(|e| format!("`{bind}` is not a HOST:PORT address ({e})"))?
        .next()
        .ok_or_else(|| format!("`{bind}` resolves to no address"))
}

/// Why `base` cannot be the base of survey links, if it cannot.
fn check_base_url(base: &str) -> Result<(), String> {
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(|| format!("must start with http:// or https:// (got `{base}`)"))?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(format!(
            "must be a plain base URL such as https://sipas.example.gov.vn (got `{base}`)"
        ));
    }
    Ok(())
}

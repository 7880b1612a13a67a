//! Which addresses monitors may probe: built-in denies for the machine itself and the cloud
//! metadata range, and the admins' allow and deny lists of networks, checked against the resolved
//! address at check time, so a host name cannot be used to reach a forbidden network.
//!
//! The order: an admin's deny wins; then an admin's allow that names the address at least as
//! narrowly as the built-in range it falls in (`allow 127.0.0.0/8` lifts the loopback deny,
//! `allow 0.0.0.0/0` does not); then the built-in denies; then, with any allow rule, only allowed
//! networks. An IPv6 address that carries an IPv4 one (v4-mapped `::ffff:a.b.c.d`, v4-compatible
//! `::a.b.c.d`) is judged as that IPv4 address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};

use crate::monitoring::target::Target;

/// What a probe rule does with its network. It is also the `probe_rules.action` column, and the
/// stored text (`allow`, `deny`) is the word `/probes` takes and shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum ProbeAction {
    #[sea_orm(string_value = "allow")]
    Allow,
    #[sea_orm(string_value = "deny")]
    Deny,
}

/// Networks no monitor probes unless an admin allows them: this machine (loopback, "this
/// network" 0/8 — Linux connects 0.0.0.0 to itself — and the IPv6 unspecified and loopback
/// addresses) and link-local ranges, where cloud metadata services answer (169.254.169.254).
/// Private ranges (10/8, 172.16/12, 192.168/16) are not here: watching the office network is what
/// monitors are for.
pub const BUILT_IN_DENY: [(IpAddr, u8); 6] = [
    (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
    (IpAddr::V4(Ipv4Addr::new(0, 0, 0, 0)), 8),
    (IpAddr::V4(Ipv4Addr::new(169, 254, 0, 0)), 16),
    (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 128),
    (IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
    (IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 10),
];

/// [`BUILT_IN_DENY`] as networks.
pub fn built_in_deny() -> Vec<IpNet> {
    BUILT_IN_DENY
        .iter()
        .map(|&(ip, len)| match ip {
            IpAddr::V4(v4) => IpNet::V4(Ipv4Net::new(v4, len).expect("a valid v4 prefix")),
            IpAddr::V6(v6) => IpNet::V6(Ipv6Net::new(v6, len).expect("a valid v6 prefix")),
        })
        .collect()
}

/// The admins' allow and deny lists on top of [`BUILT_IN_DENY`]. By default (no rules), every
/// address but the built-in denies is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbePolicy {
    allow: Vec<IpNet>,
    deny: Vec<IpNet>,
    built_in: Vec<IpNet>,
}

impl Default for ProbePolicy {
    fn default() -> Self {
        Self::new(Vec::new(), Vec::new())
    }
}

/// A network the user typed that is not a CIDR or address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a network like 10.0.0.0/8, 2001:db8::/32 or 192.0.2.7")]
pub struct NetworkError(pub String);

/// Parses `10.0.0.0/8` or a single address (as /32 or /128).
pub fn parse_network(input: &str) -> Result<IpNet, NetworkError> {
    let text = input.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| NetworkError(text.to_owned()))
}

impl ProbePolicy {
    pub fn new(allow: Vec<IpNet>, deny: Vec<IpNet>) -> Self {
        Self { allow, deny, built_in: built_in_deny() }
    }

    /// The policy of these rules, each an action and its network.
    pub fn from_rules(rules: impl IntoIterator<Item = (ProbeAction, IpNet)>) -> Self {
        let (mut allow, mut deny) = (Vec::new(), Vec::new());
        for (action, net) in rules {
            match action {
                ProbeAction::Allow => allow.push(net),
                ProbeAction::Deny => deny.push(net),
            }
        }
        Self::new(allow, deny)
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if self.deny.iter().any(|n| n.contains(&ip)) {
            return false;
        }
        // Networks holding one address nest, so the narrowest of each list decides.
        let narrowest = |nets: &[IpNet]| nets.iter().filter(|n| n.contains(&ip)).map(IpNet::prefix_len).max();
        match (narrowest(&self.allow), narrowest(&self.built_in)) {
            (Some(allow), Some(built_in)) => allow >= built_in,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => self.allow.is_empty(),
        }
    }

    pub fn allow(&self) -> &[IpNet] {
        &self.allow
    }

    pub fn deny(&self) -> &[IpNet] {
        &self.deny
    }
}

/// The address a target names literally (an IP rather than a host name), which no resolver can
/// change: the policy judges it as typed.
pub fn literal_address(target: &Target) -> Option<IpAddr> {
    let host = match target {
        Target::Http(url) => {
            return match url.host()? {
                url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
                url::Host::Domain(_) => None,
            };
        }
        Target::Tcp { host, .. } | Target::Ping { host } => host,
    };
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// An IPv6 address carrying an IPv4 one is judged as that IPv4 address: v4-mapped
/// (`::ffff:10.0.0.1`) and v4-compatible (`::10.0.0.1`; `::` and `::1` stay the IPv6 unspecified
/// and loopback addresses, as RFC 4291 reserves them).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None if v6.segments()[..6] == [0; 6] && !v6.is_unspecified() && !v6.is_loopback() => {
                v6.to_ipv4().map_or(ip, IpAddr::V4)
            }
            None => ip,
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| parse_network(s).unwrap()).collect()
    }

    #[test]
    fn deny_wins_and_allow_limits() {
        let open = ProbePolicy::default();
        assert!(open.permits(ip("8.8.8.8")));
        let p = ProbePolicy::new(nets(&["10.0.0.0/8"]), nets(&["10.1.0.0/16", "169.254.169.254"]));
        assert!(p.permits(ip("10.2.3.4")));
        assert!(!p.permits(ip("10.1.2.3")), "denied inside an allowed network");
        assert!(!p.permits(ip("169.254.169.254")));
        assert!(!p.permits(ip("192.168.1.1")), "outside the allow list");
        assert!(!p.permits(ip("::ffff:10.1.2.3")), "v4-mapped v6 is judged as v4");
        let deny_only = ProbePolicy::new(vec![], nets(&["127.0.0.0/8", "::1"]));
        assert!(!deny_only.permits(ip("127.0.0.1")) && !deny_only.permits(ip("::1")));
        assert!(deny_only.permits(ip("203.0.113.9")));
        let rules = [(ProbeAction::Deny, nets(&["10.1.0.0/16"])[0]), (ProbeAction::Allow, nets(&["10.0.0.0/8"])[0])];
        assert_eq!(ProbePolicy::from_rules(rules), ProbePolicy::new(nets(&["10.0.0.0/8"]), nets(&["10.1.0.0/16"])));
    }

    /// Asserts the verdict of `policy` on every address, naming the ones it gets wrong.
    fn check(policy: &ProbePolicy, cases: &[(&str, bool)]) {
        let wrong: Vec<&str> =
            cases.iter().filter(|(a, permitted)| policy.permits(ip(a)) != *permitted).map(|(a, _)| *a).collect();
        assert!(wrong.is_empty(), "wrong verdict for {wrong:?} under {policy:?}");
    }

    /// The machine itself and link-local (cloud metadata) in every form: IPv4, v4-mapped and
    /// v4-compatible IPv6. See: issue 8 — `http://0.0.0.0:PORT/` reached a loopback server.
    const BUILT_IN: &[&str] = &[
        "127.0.0.1",
        "127.255.255.254",
        "0.0.0.0",
        "0.1.2.3",
        "169.254.169.254",
        "169.254.0.1",
        "::",
        "::1",
        "fe80::1",
        "febf::ffff",
        "::ffff:127.0.0.1",
        "::ffff:0.0.0.0",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "::0.0.0.2",
        "::169.254.169.254",
        "::ffff:7f00:1",
    ];

    #[test]
    fn without_rules_the_machine_and_link_local_are_denied_and_private_ranges_allowed() {
        let none = ProbePolicy::default();
        check(&none, &BUILT_IN.iter().map(|a| (*a, false)).collect::<Vec<_>>());
        check(
            &none,
            &[
                ("10.0.0.1", true),
                ("172.16.5.4", true),
                ("192.168.1.1", true),
                ("8.8.8.8", true),
                ("128.0.0.1", true),
                ("1.0.0.0", true),
                ("169.255.0.1", true),
                ("2001:db8::1", true),
                ("fec0::1", true),
                ("::ffff:10.0.0.1", true),
                ("::ffff:192.168.1.1", true),
            ],
        );
    }

    #[test]
    fn an_explicit_allow_lifts_a_built_in_deny_only_where_it_is_as_narrow() {
        let loopback = ProbePolicy::new(nets(&["127.0.0.0/8", "::1"]), vec![]);
        check(
            &loopback,
            &[
                ("127.0.0.1", true),
                ("::ffff:127.0.0.1", true),
                ("::127.0.0.1", true),
                ("::1", true),
                // Still built in, and outside the allow list anyway.
                ("0.0.0.0", false),
                ("::", false),
                ("169.254.169.254", false),
                // Allow-list mode: only allowed networks.
                ("10.0.0.1", false),
            ],
        );
        let one = ProbePolicy::new(nets(&["127.0.0.1", "169.254.169.254"]), vec![]);
        check(&one, &[("127.0.0.1", true), ("127.0.0.2", false), ("169.254.169.254", true), ("169.254.1.1", false)]);
        // A wide allow opens the world but not the machine itself or the metadata service.
        let everything = ProbePolicy::new(nets(&["0.0.0.0/0", "::/0"]), vec![]);
        check(&everything, &[("8.8.8.8", true), ("2001:db8::1", true), ("10.1.1.1", true)]);
        check(&everything, &BUILT_IN.iter().map(|a| (*a, false)).collect::<Vec<_>>());
    }

    #[test]
    fn an_explicit_deny_still_wins_over_an_allow() {
        let p = ProbePolicy::new(
            nets(&["127.0.0.0/8", "10.0.0.0/8"]),
            nets(&["127.0.0.2", "10.9.0.0/16", "192.168.0.0/16"]),
        );
        check(
            &p,
            &[
                ("127.0.0.1", true),
                ("127.0.0.2", false),
                ("::ffff:127.0.0.2", false),
                ("10.1.1.1", true),
                ("10.9.1.1", false),
                ("192.168.1.1", false),
            ],
        );
        let private_denied = ProbePolicy::new(vec![], nets(&["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]));
        check(
            &private_denied,
            &[("10.0.0.1", false), ("172.31.0.1", false), ("::ffff:192.168.0.1", false), ("8.8.8.8", true)],
        );
    }

    #[test]
    fn literal_addresses_of_targets() {
        let literal = |s: &str| literal_address(&Target::parse(s).unwrap());
        assert_eq!(literal("http://0.0.0.0:8080/"), Some(ip("0.0.0.0")));
        assert_eq!(literal("tcp://[::ffff:127.0.0.1]:22"), Some(ip("::ffff:127.0.0.1")));
        assert_eq!(literal("https://[::1]/x"), Some(ip("::1")));
        assert_eq!(literal("192.0.2.7"), Some(ip("192.0.2.7")));
        assert_eq!(literal("https://example.com/"), None);
        assert_eq!(literal("tcp://db.example.com:5432"), None);
    }

    #[test]
    fn networks_parse_or_say_why_not() {
        assert_eq!(parse_network("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_network("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
        assert_eq!(parse_network("2001:db8::/32").unwrap().to_string(), "2001:db8::/32");
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("intranet").unwrap_err().to_string().contains("10.0.0.0/8"));
    }
}

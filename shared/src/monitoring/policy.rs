//! Which addresses monitors may probe: admins' allow and deny lists of networks, checked against
//! the resolved address at check time, so a host name cannot be used to reach a forbidden network.

use std::net::IpAddr;

use ipnet::IpNet;
use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};

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

/// Allow and deny lists. Deny wins; with a non-empty allow list, only allowed networks are probed.
/// By default, everything is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbePolicy {
    allow: Vec<IpNet>,
    deny: Vec<IpNet>,
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
        Self { allow, deny }
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
        Self { allow, deny }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if self.deny.iter().any(|n| n.contains(&ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|n| n.contains(&ip))
    }

    pub fn allow(&self) -> &[IpNet] {
        &self.allow
    }

    pub fn deny(&self) -> &[IpNet] {
        &self.deny
    }
}

/// IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are judged as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
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

    #[test]
    fn networks_parse_or_say_why_not() {
        assert_eq!(parse_network("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_network("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
        assert_eq!(parse_network("2001:db8::/32").unwrap().to_string(), "2001:db8::/32");
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("intranet").unwrap_err().to_string().contains("10.0.0.0/8"));
    }
}

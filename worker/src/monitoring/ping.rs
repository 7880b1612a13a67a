//! The ICMP probe: resolve the host, keep the addresses the probe policy permits, send a few echo
//! requests one after the other and report the median round trip when at least one reply came
//! back. ICMP needs a raw socket (root or CAP_NET_RAW) or an unprivileged datagram socket (Linux's
//! `net.ipv4.ping_group_range`); when neither is allowed the worker still runs and ping monitors
//! are down with [`Reason::IcmpUnavailable`], which says what to fix. Every failure is an
//! [`Outcome::Down`] with the most specific [`Reason`]; nothing here panics or returns an error.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use shared::monitoring::alerts::{Outcome, Reason};
use shared::monitoring::policy::ProbePolicy;
use surge_ping::{Client, Config, ICMP, IcmpPacket, PingIdentifier, PingSequence};

use super::probes::Probed;
use super::tcp::resolve;

/// The payload of each echo request: the 56 bytes of the classic `ping`.
const PAYLOAD: [u8; 56] = [0; 56];

/// ICMP echo types: an answer of any other type (unreachable, time exceeded) is a lost probe.
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REPLY_V6: u8 = 129;

/// One ICMP socket per address family, shared by every check of the process.
pub struct Pinger {
    v4: Option<Client>,
    v6: Option<Client>,
    /// Sequence numbers are unique across the process's checks: with datagram sockets the kernel
    /// owns the echo identifier, so replies are told apart by (address, sequence) alone, and two
    /// concurrent checks of one host must not wait for the same sequence.
    next_seq: AtomicU16,
}

impl Default for Pinger {
    fn default() -> Self {
        Self::new()
    }
}

impl Pinger {
    /// Opens the sockets; never fails. Without permission (or outside a Tokio runtime, which the
    /// sockets' receive tasks need), the family is remembered as unavailable.
    pub fn new() -> Pinger {
        if tokio::runtime::Handle::try_current().is_err() {
            tracing::warn!("ICMP sockets need a Tokio runtime; ping checks are unavailable");
            return Self::without_sockets();
        }
        let pinger = Pinger { v4: open(ICMP::V4), v6: open(ICMP::V6), next_seq: AtomicU16::new(rand::random()) };
        if !pinger.available() {
            tracing::warn!(
                "ICMP not permitted (needs root/CAP_NET_RAW or net.ipv4.ping_group_range); ping checks will be down"
            );
        }
        pinger
    }

    /// A pinger that behaves as where ICMP sockets are not permitted.
    pub fn without_sockets() -> Pinger {
        Pinger { v4: None, v6: None, next_seq: AtomicU16::new(0) }
    }

    /// Whether any ICMP socket could be opened.
    pub fn available(&self) -> bool {
        self.v4.is_some() || self.v6.is_some()
    }

    /// Sends `probes` echo requests (at least one), each waiting up to `timeout`, to the first
    /// address of `host` the policy permits. Up when at least one reply came, with the median
    /// round trip; the worst case lasts about `probes * timeout`.
    pub async fn check(&self, host: &str, probes: u32, timeout: Duration, policy: &ProbePolicy) -> Probed {
        let probed = self.run(host, probes.max(1), timeout, policy).await;
        match &probed.outcome {
            Outcome::Up { latency_ms, .. } => tracing::debug!(host, latency_ms, "ping check up"),
            Outcome::Down { reason } => tracing::debug!(host, reason = %reason.describe(), "ping check down"),
        }
        probed
    }

    async fn run(&self, host: &str, probes: u32, timeout: Duration, policy: &ProbePolicy) -> Probed {
        let addrs = match tokio::time::timeout(timeout, resolve(host, 0)).await {
            Ok(Ok(addrs)) => addrs,
            Ok(Err(reason)) => return Probed::unaddressed(Outcome::Down { reason }),
            Err(_) => return Probed::unaddressed(Outcome::Down { reason: Reason::Timeout(timeout) }),
        };
        let permitted: Vec<IpAddr> = addrs.iter().map(|a| a.ip()).filter(|ip| policy.permits(*ip)).collect();
        if permitted.is_empty() {
            let refused = addrs[0].ip();
            let outcome = Outcome::Down { reason: Reason::NotPermitted(refused.to_string()) };
            return Probed { outcome, address: Some(refused) };
        }
        // A host with both families is pinged over the one this process can use.
        let Some((ip, client)) = permitted.iter().find_map(|ip| self.client_for(*ip).map(|c| (*ip, c))) else {
            return Probed { outcome: Outcome::Down { reason: Reason::IcmpUnavailable }, address: Some(permitted[0]) };
        };
        let mut pinger = client.pinger(ip, PingIdentifier(rand::random())).await;
        pinger.timeout(timeout);
        let mut rtts = Vec::new();
        for _ in 0..probes {
            if let Some(rtt) = self.echo(&mut pinger).await {
                rtts.push(rtt);
            }
        }
        let outcome = match median(&mut rtts) {
            Some(rtt) => {
                Outcome::Up { latency_ms: u32::try_from(rtt.as_millis()).unwrap_or(u32::MAX), cert_days_left: None }
            }
            None => Outcome::Down { reason: Reason::PingLoss { received: 0, sent: probes } },
        };
        Probed { outcome, address: Some(ip) }
    }

    /// One echo request to `ip`, without policy (for benchmarks): the round trip, or `None` when no
    /// reply came within `timeout` or ICMP is unavailable for its family.
    pub async fn ping_once(&self, ip: IpAddr, timeout: Duration) -> Option<Duration> {
        let client = self.client_for(ip)?;
        let mut pinger = client.pinger(ip, PingIdentifier(rand::random())).await;
        pinger.timeout(timeout);
        self.echo(&mut pinger).await
    }

    fn client_for(&self, ip: IpAddr) -> Option<&Client> {
        match ip {
            IpAddr::V4(_) => self.v4.as_ref(),
            IpAddr::V6(_) => self.v6.as_ref(),
        }
    }

    async fn echo(&self, pinger: &mut surge_ping::Pinger) -> Option<Duration> {
        let seq = PingSequence(self.next_seq.fetch_add(1, Ordering::Relaxed));
        match pinger.ping(seq, &PAYLOAD).await {
            Ok((IcmpPacket::V4(reply), rtt)) if reply.get_icmp_type().0 == ECHO_REPLY_V4 => Some(rtt),
            Ok((IcmpPacket::V6(reply), rtt)) if reply.get_icmpv6_type().0 == ECHO_REPLY_V6 => Some(rtt),
            Ok((_, _)) => {
                tracing::debug!(host = %pinger.host, seq = seq.0, "ICMP error instead of an echo reply");
                None
            }
            Err(err) => {
                tracing::debug!(host = %pinger.host, seq = seq.0, error = %err, "echo request lost");
                None
            }
        }
    }
}

/// Opens one family's ICMP socket: raw first, then (inside surge-ping, which falls back to the
/// other type when the hinted one is refused) an unprivileged datagram socket.
fn open(kind: ICMP) -> Option<Client> {
    let config = Config::builder().kind(kind).sock_type_hint(socket2::Type::RAW).build();
    match Client::new(&config) {
        Ok(client) => {
            tracing::debug!(?kind, sock_type = ?client.get_socket().get_type(), "ICMP socket open");
            Some(client)
        }
        Err(err) => {
            tracing::debug!(?kind, error = %err, "no ICMP socket");
            None
        }
    }
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &mut [Duration]) -> Option<Duration> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use shared::monitoring::policy::parse_network;

    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn loopback_answers_when_icmp_is_permitted() {
        let pinger = Pinger::new();
        let outcome = pinger.check("127.0.0.1", 3, TIMEOUT, &crate::testing::loopback_allowed()).await.outcome;
        if !pinger.available() {
            eprintln!("\n!!!!! ICMP not permitted here; ping test did not run !!!!!\n");
            assert_eq!(outcome, Outcome::Down { reason: Reason::IcmpUnavailable });
            return;
        }
        assert!(matches!(outcome, Outcome::Up { cert_days_left: None, .. }), "{outcome:?}");
        assert!(pinger.ping_once("127.0.0.1".parse().unwrap(), TIMEOUT).await.is_some());

        // IPv6, where the loopback has ::1 (containers may run without IPv6).
        let has_v6_loopback = std::fs::read_to_string("/proc/net/if_inet6")
            .is_ok_and(|t| t.lines().any(|l| l.starts_with("00000000000000000000000000000001")));
        if has_v6_loopback {
            let outcome = pinger.check("::1", 3, TIMEOUT, &crate::testing::loopback_allowed()).await.outcome;
            assert!(matches!(outcome, Outcome::Up { .. }), "ping ::1: {outcome:?}");
        } else {
            eprintln!("\n!!!!! no ::1 on this machine; the IPv6 ping test did not run !!!!!\n");
        }

        // Concurrent checks of one host each get their own replies.
        let open = crate::testing::loopback_allowed();
        let checks = (0..8).map(|_| pinger.check("localhost", 3, TIMEOUT, &open));
        for probed in futures::future::join_all(checks).await {
            assert!(matches!(probed.outcome, Outcome::Up { .. }), "{probed:?}");
        }
    }

    #[tokio::test]
    async fn without_sockets_checks_are_icmp_unavailable() {
        let pinger = Pinger::without_sockets();
        assert!(!pinger.available());
        let outcome = pinger.check("127.0.0.1", 3, TIMEOUT, &crate::testing::loopback_allowed()).await.outcome;
        assert_eq!(outcome, Outcome::Down { reason: Reason::IcmpUnavailable });
        assert_eq!(pinger.ping_once("127.0.0.1".parse().unwrap(), TIMEOUT).await, None);
    }

    #[tokio::test]
    async fn a_denied_address_is_not_permitted() {
        let deny = ProbePolicy::new(vec![], vec![parse_network("127.0.0.0/8").unwrap(), parse_network("::1").unwrap()]);
        let pinger = Pinger::new();
        assert_eq!(
            pinger.check("127.0.0.1", 1, TIMEOUT, &deny).await.outcome,
            Outcome::Down { reason: Reason::NotPermitted("127.0.0.1".into()) }
        );
        assert!(matches!(
            pinger.check("localhost", 1, TIMEOUT, &deny).await.outcome,
            Outcome::Down { reason: Reason::NotPermitted(_) }
        ));
    }

    #[test]
    fn new_outside_a_runtime_is_unavailable_not_a_panic() {
        assert!(!Pinger::new().available());
    }

    /// The "down ICMP host": a host inside a network namespace this test makes (a veth
    /// pair, 10.213.k.0/30) answers, stops answering behind a drop rule for echo requests, and
    /// answers again once the rule is gone. Needs root, `ip` and `iptables` (or `nft`); without
    /// them it says loudly that it did not run, except under CI, where it fails.
    #[tokio::test]
    async fn a_host_behind_a_drop_rule_is_ping_loss_and_reachable_again_without_it() {
        const PROBES: u32 = 3;
        const PROBE_TIMEOUT: Duration = Duration::from_millis(500);
        let pinger = Pinger::new();
        let firewall = match netns_preconditions(&pinger) {
            Ok(firewall) => firewall,
            Err(why) => {
                if running_under_ci() {
                    panic!("NETNS PING TEST CANNOT RUN UNDER CI: {why}");
                }
                eprintln!("\n!!!!! NETNS PING TEST DID NOT RUN: {why} !!!!!\n");
                return;
            }
        };
        let ns = TestNetns::create();
        let open = ProbePolicy::default();

        let outcome = pinger.check(&ns.peer_ip, PROBES, PROBE_TIMEOUT, &open).await.outcome;
        assert!(matches!(outcome, Outcome::Up { cert_days_left: None, .. }), "before the drop rule: {outcome:?}");

        ns.drop_echo_requests(firewall);
        let started = std::time::Instant::now();
        let outcome = pinger.check(&ns.peer_ip, PROBES, PROBE_TIMEOUT, &open).await.outcome;
        assert_eq!(
            outcome,
            Outcome::Down { reason: Reason::PingLoss { received: 0, sent: PROBES } },
            "behind the drop rule"
        );
        assert!(started.elapsed() < PROBE_TIMEOUT * PROBES + Duration::from_secs(2), "took {:?}", started.elapsed());

        ns.allow_echo_requests(firewall);
        let outcome = pinger.check(&ns.peer_ip, PROBES, PROBE_TIMEOUT, &open).await.outcome;
        assert!(matches!(outcome, Outcome::Up { .. }), "after the drop rule was removed: {outcome:?}");
    }

    /// How the drop rule is made inside the test namespace.
    #[derive(Debug, Clone, Copy)]
    enum Firewall {
        Iptables,
        Nft,
    }

    /// CI runs as root and must run the namespace test; `CI=""`, `CI=0` and `CI=false` do not count.
    fn running_under_ci() -> bool {
        std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
    }

    /// What the namespace test needs, or why it cannot run here.
    fn netns_preconditions(pinger: &Pinger) -> Result<Firewall, String> {
        let status = std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
        // "Uid: real effective saved filesystem"
        let euid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .ok_or("no Uid line in /proc/self/status")?;
        if euid != "0" {
            return Err(format!("not root (effective uid {euid})"));
        }
        if !tool_runs("ip", &["-V"]) {
            return Err("`ip` (iproute2) is missing".into());
        }
        let firewall = if tool_runs("iptables", &["--version"]) {
            Firewall::Iptables
        } else if tool_runs("nft", &["--version"]) {
            Firewall::Nft
        } else {
            return Err("neither `iptables` nor `nft` is installed".into());
        };
        if !pinger.available() {
            return Err("no ICMP socket could be opened".into());
        }
        Ok(firewall)
    }

    fn tool_runs(program: &str, args: &[&str]) -> bool {
        std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs a command, panicking with the command line and its stderr unless it succeeds.
    fn run(program: &str, args: &[&str]) -> String {
        let line = format!("{program} {}", args.join(" "));
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot start `{line}`: {e}"));
        assert!(
            out.status.success(),
            "`{line}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A network namespace with one end of a veth pair in it; dropping it (also when an assertion
    /// panicked) deletes the namespace, which deletes the veth pair, and any host-side leftover.
    struct TestNetns {
        name: String,
        host_veth: String,
        peer_ip: String,
    }

    impl TestNetns {
        fn create() -> TestNetns {
            static COUNTER: AtomicU16 = AtomicU16::new(0);
            let pid = std::process::id();
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("teleops-t-{pid}-{n}");
            let host_veth = format!("tph{pid}n{n}");
            let ns_veth = format!("tpn{pid}n{n}");
            assert!(host_veth.len() <= 15 && ns_veth.len() <= 15, "interface names too long: {host_veth}, {ns_veth}");
            // A /30 in 10.213.0.0/16 that no interface here uses yet, starting from the pid.
            let in_use = run("ip", &["-4", "-o", "addr", "show"]);
            let k = (0..256u32)
                .map(|i| (pid + u32::from(n) + i) % 256)
                .find(|k| !in_use.contains(&format!(" 10.213.{k}.")))
                .expect("every 10.213.k.0/30 is in use");

            run("ip", &["netns", "add", &name]);
            let ns = TestNetns { name, host_veth, peer_ip: format!("10.213.{k}.2") };
            run("ip", &["link", "add", &ns.host_veth, "type", "veth", "peer", "name", &ns_veth]);
            run("ip", &["link", "set", &ns_veth, "netns", &ns.name]);
            run("ip", &["addr", "add", &format!("10.213.{k}.1/30"), "dev", &ns.host_veth]);
            run("ip", &["link", "set", &ns.host_veth, "up"]);
            ns.exec(&["ip", "addr", "add", &format!("{}/30", ns.peer_ip), "dev", &ns_veth]);
            ns.exec(&["ip", "link", "set", &ns_veth, "up"]);
            ns.exec(&["ip", "link", "set", "lo", "up"]);
            ns
        }

        /// Runs a command inside the namespace.
        fn exec(&self, command: &[&str]) -> String {
            run("ip", &[&["netns", "exec", &self.name], command].concat())
        }

        fn drop_echo_requests(&self, firewall: Firewall) {
            match firewall {
                Firewall::Iptables => {
                    self.exec(&["iptables", "-A", "INPUT", "-p", "icmp", "--icmp-type", "echo-request", "-j", "DROP"]);
                }
                Firewall::Nft => {
                    self.exec(&["nft", "add", "table", "inet", "teleops_t"]);
                    self.exec(&[
                        "nft",
                        "add",
                        "chain",
                        "inet",
                        "teleops_t",
                        "input",
                        "{ type filter hook input priority 0; policy accept; }",
                    ]);
                    self.exec(&[
                        "nft",
                        "add",
                        "rule",
                        "inet",
                        "teleops_t",
                        "input",
                        "icmp",
                        "type",
                        "echo-request",
                        "drop",
                    ]);
                }
            }
        }

        fn allow_echo_requests(&self, firewall: Firewall) {
            match firewall {
                Firewall::Iptables => {
                    self.exec(&["iptables", "-D", "INPUT", "-p", "icmp", "--icmp-type", "echo-request", "-j", "DROP"]);
                }
                Firewall::Nft => {
                    self.exec(&["nft", "delete", "table", "inet", "teleops_t"]);
                }
            }
        }
    }

    impl Drop for TestNetns {
        fn drop(&mut self) {
            // No panics here: this also runs while a failed assertion unwinds.
            let quiet = |args: &[&str]| {
                std::process::Command::new("ip")
                    .args(args)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !quiet(&["netns", "del", &self.name]) {
                eprintln!("cleanup: `ip netns del {}` failed", self.name);
            }
            // The host end goes with the namespace once its peer is inside; before that it is ours.
            if quiet(&["link", "show", &self.host_veth]) && !quiet(&["link", "del", &self.host_veth]) {
                eprintln!("cleanup: `ip link del {}` failed", self.host_veth);
            }
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [ms(9), ms(1), ms(5)]), Some(ms(5)));
        assert_eq!(median(&mut [ms(4), ms(1), ms(2), ms(9)]), Some(ms(3)));
    }
}

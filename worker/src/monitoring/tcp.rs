//! The TCP probe: resolve the host (IP literals as they are), keep the addresses the probe policy
//! permits, and open a connection to the first of them; up when the handshake completes, with the
//! connect time as latency. Also the resolution helper the ping probe shares. Every failure is an
//! [`Outcome::Down`] with the most specific [`Reason`]; nothing here panics or returns an error.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use shared::monitoring::alerts::{Outcome, Reason};
use shared::monitoring::policy::ProbePolicy;
use tokio::net::TcpStream;

use super::probes::Probed;

/// Checks that `host:port` accepts a TCP connection within `timeout` (resolution included).
pub async fn check_tcp(host: &str, port: u16, timeout: Duration, policy: &ProbePolicy) -> Probed {
    let probed = tokio::time::timeout(timeout, connect(host, port, timeout, policy))
        .await
        .unwrap_or(Probed::unaddressed(Outcome::Down { reason: Reason::Timeout(timeout) }));
    match &probed.outcome {
        Outcome::Up { latency_ms, .. } => tracing::debug!(host, port, latency_ms, "tcp check up"),
        Outcome::Down { reason } => tracing::debug!(host, port, reason = %reason.describe(), "tcp check down"),
    }
    probed
}

async fn connect(host: &str, port: u16, timeout: Duration, policy: &ProbePolicy) -> Probed {
    let addrs = match resolve(host, port).await {
        Ok(addrs) => addrs,
        Err(reason) => return Probed::unaddressed(Outcome::Down { reason }),
    };
    let Some(addr) = addrs.iter().find(|a| policy.permits(a.ip())) else {
        let refused = addrs[0].ip();
        let outcome = Outcome::Down { reason: Reason::NotPermitted(refused.to_string()) };
        return Probed { outcome, address: Some(refused) };
    };
    let started = Instant::now();
    let outcome = match TcpStream::connect(addr).await {
        Ok(stream) => {
            let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
            // Closed at once: the check is the handshake, nothing is sent.
            drop(stream);
            Outcome::Up { latency_ms, cert_days_left: None }
        }
        Err(err) => Outcome::Down { reason: io_reason(&err, timeout) },
    };
    Probed { outcome, address: Some(addr.ip()) }
}

/// The addresses `host` stands for, never empty: an IP literal (bracketed IPv6 too) as it is,
/// anything else through the system resolver.
pub(super) async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Reason> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|err| {
            tracing::debug!(host = bare, error = %err, "no address for the host");
            Reason::Unresolvable(bare.to_owned())
        })?
        .collect();
    if addrs.is_empty() {
        return Err(Reason::Unresolvable(bare.to_owned()));
    }
    Ok(addrs)
}

fn io_reason(err: &io::Error, timeout: Duration) -> Reason {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => Reason::Refused,
        // The kernel gave up on the handshake before our timer did: the same thing to a user.
        io::ErrorKind::TimedOut => Reason::Timeout(timeout),
        _ => Reason::Other(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use shared::monitoring::policy::parse_network;

    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn an_open_port_is_up() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = crate::testing::loopback_allowed();
        assert!(matches!(
            check_tcp("127.0.0.1", port, TIMEOUT, &open).await.outcome,
            Outcome::Up { cert_days_left: None, .. }
        ));
        assert!(matches!(check_tcp("localhost", port, TIMEOUT, &open).await.outcome, Outcome::Up { .. }));
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        // Bound then dropped: a port that was free a moment ago and has no listener now.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let outcome = check_tcp("127.0.0.1", port, TIMEOUT, &crate::testing::loopback_allowed()).await.outcome;
        assert_eq!(outcome, Outcome::Down { reason: Reason::Refused });
    }

    #[tokio::test]
    async fn a_denied_address_is_not_permitted() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let deny = ProbePolicy::new(vec![], vec![parse_network("127.0.0.0/8").unwrap(), parse_network("::1").unwrap()]);
        assert_eq!(
            check_tcp("127.0.0.1", port, TIMEOUT, &deny).await.outcome,
            Outcome::Down { reason: Reason::NotPermitted("127.0.0.1".into()) }
        );
        assert!(matches!(
            check_tcp("localhost", port, TIMEOUT, &deny).await.outcome,
            Outcome::Down { reason: Reason::NotPermitted(_) }
        ));
    }

    /// See: issue 8 — `tcp://0.0.0.0:PORT` reached a loopback listener although 127.0.0.0/8 and
    /// ::1 were denied.
    #[tokio::test]
    async fn without_rules_the_machine_itself_is_blocked_in_every_form() {
        let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let none = ProbePolicy::default();
        for host in ["127.0.0.1", "0.0.0.0", "[::ffff:127.0.0.1]", "[::ffff:0.0.0.0]", "localhost"] {
            let probed = check_tcp(host, port, TIMEOUT, &none).await;
            assert!(matches!(&probed.outcome, Outcome::Down { reason: Reason::NotPermitted(_) }), "{host}: {probed:?}");
            assert!(probed.address.is_some(), "{host}: the refused address is reported");
        }
        let allowed = check_tcp("127.0.0.1", port, TIMEOUT, &crate::testing::loopback_allowed()).await;
        assert!(matches!(allowed.outcome, Outcome::Up { .. }), "{allowed:?}");
        assert_eq!(allowed.address, Some("127.0.0.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn literals_are_not_resolved() {
        assert_eq!(resolve("[::1]", 80).await.unwrap(), vec!["[::1]:80".parse().unwrap()]);
        assert_eq!(resolve("127.0.0.1", 22).await.unwrap(), vec!["127.0.0.1:22".parse().unwrap()]);
    }
}

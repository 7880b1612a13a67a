//! The probes a worker shares between all checks (one HTTP client, one pinger, the probe policy
//! as the last batch read it), and [`probe`], which runs the one a monitor needs.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use shared::entities::{monitor, probe_rule};
use shared::monitoring::alerts::{Outcome, Reason};
use shared::monitoring::policy::ProbePolicy;
use shared::monitoring::target::Target;

use super::http::{HttpProber, HttpSpec, Keyword};
use super::ping::Pinger;
use super::tcp::check_tcp;

/// The probes and the probe policy the last batch read, shared by every check in the process.
pub struct Probes {
    pub http: HttpProber,
    pub pinger: Pinger,
    policy: Arc<RwLock<ProbePolicy>>,
}

impl Probes {
    /// `extra_ca_pem`: extra CA certificates to trust for HTTPS (TELEOPS_CA_FILE). Without `icmp`,
    /// ping checks behave as where ICMP sockets are not permitted.
    pub fn new(extra_ca_pem: Option<&[u8]>, icmp: bool) -> anyhow::Result<Self> {
        // The built-in denies hold until the first batch has read the admins' rules.
        let policy = Arc::new(RwLock::new(ProbePolicy::default()));
        let source = policy.clone();
        let http = HttpProber::new(extra_ca_pem, Arc::new(move || source.read().expect("policy lock").clone()))?;
        let pinger = if icmp { Pinger::new() } else { Pinger::without_sockets() };
        Ok(Self { http, pinger, policy })
    }

    pub fn policy(&self) -> ProbePolicy {
        self.policy.read().expect("policy lock").clone()
    }

    /// Reloads the admins' rules (a handful of rows) for a batch, so that a rule applies from the
    /// next check and `/probes` can say at once what it blocks.
    pub async fn refresh_policy(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        let policy = probe_rule::policy(db).await?;
        *self.policy.write().expect("policy lock") = policy;
        Ok(())
    }
}

/// One probe's outcome and the address it probed, or that the policy refused; None when it did
/// not get that far (the name did not resolve, the target is invalid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    pub outcome: Outcome,
    pub address: Option<IpAddr>,
}

impl Probed {
    /// An outcome reached before any address was chosen.
    pub fn unaddressed(outcome: Outcome) -> Self {
        Self { outcome, address: None }
    }
}

/// Runs `m`'s probe once. Never fails: what went wrong is the outcome's reason.
pub async fn probe(probes: &Probes, m: &monitor::Model) -> Probed {
    let timeout = Duration::from_millis(Ord::max(m.timeout_ms, 100) as u64);
    let target = match Target::parse(&m.target) {
        Ok(t) => t.with_password(m.password.as_ref().map(|p| p.expose().as_str())),
        Err(e) => {
            let reason = Reason::Other(format!("stored target is invalid: {e}"));
            return Probed::unaddressed(Outcome::Down { reason });
        }
    };
    match target {
        Target::Http(url) => {
            let spec = HttpSpec {
                url,
                method: m.http_method,
                expect: (m.expect_min.clamp(100, 599) as u16)..=(m.expect_max.clamp(100, 599) as u16),
                keyword: m.keyword.clone().map(|text| Keyword { text, must_contain: m.keyword_must_contain }),
                timeout,
            };
            probes.http.check(&spec).await
        }
        Target::Tcp { host, port } => check_tcp(&host, port, timeout, &probes.policy()).await,
        Target::Ping { host } => {
            probes.pinger.check(&host, 3, timeout.min(Duration::from_secs(3)), &probes.policy()).await
        }
    }
}

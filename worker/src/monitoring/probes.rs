//! The probes a worker shares between all checks (one HTTP client, one pinger, the admins' probe
//! policy cached for a few seconds), and [`probe`], which runs the one a monitor needs.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, EntityTrait};
use shared::db::all_each;
use shared::entities::{monitor, probe_rule};
use shared::monitoring::alerts::{Outcome, Reason};
use shared::monitoring::policy::{ProbePolicy, parse_network};
use shared::monitoring::target::Target;

use super::http::{HttpProber, HttpSpec, Keyword};
use super::ping::Pinger;
use super::tcp::check_tcp;

/// The probes and the cached probe policy, shared by every check in the process.
pub struct Probes {
    pub http: HttpProber,
    pub pinger: Pinger,
    policy: Arc<RwLock<(ProbePolicy, Option<Instant>)>>,
}

/// The policy is re-read from the database at most this often.
const POLICY_TTL: Duration = Duration::from_secs(15);

impl Probes {
    /// `extra_ca_pem`: extra CA certificates to trust for HTTPS (TELEOPS_CA_FILE). Without `icmp`,
    /// ping checks behave as where ICMP sockets are not permitted.
    pub fn new(extra_ca_pem: Option<&[u8]>, icmp: bool) -> anyhow::Result<Self> {
        let policy = Arc::new(RwLock::new((ProbePolicy::default(), None)));
        let source = policy.clone();
        let http = HttpProber::new(extra_ca_pem, Arc::new(move || source.read().expect("policy lock").0.clone()))?;
        let pinger = if icmp { Pinger::new() } else { Pinger::without_sockets() };
        Ok(Self { http, pinger, policy })
    }

    pub fn policy(&self) -> ProbePolicy {
        self.policy.read().expect("policy lock").0.clone()
    }

    /// Reloads the admins' rules when the cached copy is older than the TTL.
    pub async fn refresh_policy(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        let fresh = self.policy.read().expect("policy lock").1.is_some_and(|at| at.elapsed() < POLICY_TTL);
        if fresh {
            return Ok(());
        }
        let mut rules = Vec::new();
        for rule in all_each(db, probe_rule::Entity::find()).await? {
            match rule.map(|r| (r.id, r.action, parse_network(&r.network))) {
                Ok((_, action, Ok(net))) => rules.push((action, net)),
                Ok((id, _, Err(e))) => tracing::warn!(rule_id = id, error = %e, "ignoring an unreadable probe rule"),
                Err(e) => tracing::warn!(rule_id = e.id, error = %e, "ignoring an unreadable probe rule"),
            }
        }
        *self.policy.write().expect("policy lock") = (ProbePolicy::from_rules(rules), Some(Instant::now()));
        Ok(())
    }
}

/// Runs `m`'s probe once. Never fails: what went wrong is the outcome's reason.
pub async fn probe(probes: &Probes, m: &monitor::Model) -> Outcome {
    let timeout = Duration::from_millis(Ord::max(m.timeout_ms, 100) as u64);
    let target = match Target::parse(&m.target) {
        Ok(t) => t.with_password(m.password.as_ref().map(|p| p.expose().as_str())),
        Err(e) => return Outcome::Down { reason: Reason::Other(format!("stored target is invalid: {e}")) },
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

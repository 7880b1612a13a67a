//! The `check` job: runs one monitor's probe for one slot, applies the alert state machine, stores
//! the result and the new state, and queues alert lines for the monitor's chats.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, Set,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use shared::entities::{check_result, monitor, pending_alert, probe_rule, system_state, user};
use shared::i18n::Lang;
use shared::jobs::{Check, FlushAlerts};
use shared::monitoring::alerts::{self, Health, Outcome, Reason};
use shared::monitoring::model::{alert_line, state_of, thresholds_of};
use shared::monitoring::policy::{ProbePolicy, parse_network};
use shared::monitoring::schedule::{Interval, is_stale};
use shared::monitoring::target::Target;
use shared::queue::Enqueue;

use super::http::{HttpMethod, HttpProber, HttpSpec, Keyword};
use super::ping::Pinger;
use super::tcp::check_tcp;
use crate::{Deps, JobError};

/// The probes and the cached probe policy, shared by every check in the process.
pub struct Probes {
    pub http: HttpProber,
    pub pinger: Pinger,
    policy: Arc<RwLock<(ProbePolicy, Option<Instant>)>>,
}

/// The policy is re-read from the database at most this often.
const POLICY_TTL: Duration = Duration::from_secs(15);

impl Probes {
    /// `extra_ca_pem`: extra CA certificates to trust for HTTPS (TELEOPS_CA_FILE).
    pub fn new(extra_ca_pem: Option<&[u8]>) -> anyhow::Result<Self> {
        let policy = Arc::new(RwLock::new((ProbePolicy::default(), None)));
        let source = policy.clone();
        let http = HttpProber::new(extra_ca_pem, Arc::new(move || source.read().expect("policy lock").0.clone()))?;
        Ok(Self { http, pinger: Pinger::new(), policy })
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
        let rules = probe_rule::Entity::find().all(db).await?;
        let (mut allow, mut deny) = (Vec::new(), Vec::new());
        for rule in rules {
            match (rule.action.as_str(), parse_network(&rule.network)) {
                ("allow", Ok(net)) => allow.push(net),
                ("deny", Ok(net)) => deny.push(net),
                _ => tracing::warn!(rule_id = rule.id, "ignoring an unreadable probe rule"),
            }
        }
        *self.policy.write().expect("policy lock") = (ProbePolicy::new(allow, deny), Some(Instant::now()));
        Ok(())
    }
}

/// Grouping: one flush per chat and window of this many seconds...
const ALERT_WINDOW_SECS: i64 = 3;
/// ...run this long after the alert that scheduled it. A flush takes every line waiting for its
/// chat, so a burst that straddles a window edge still goes out as one message.
const ALERT_DELAY_SECS: i64 = 2;

pub async fn run(job: Check, deps: Arc<Deps>) -> Result<(), JobError> {
    let db_err = |e: sea_orm::DbErr| JobError::Transient(e.into());
    let Some(m) = monitor::Entity::find_by_id(job.monitor_id).one(&deps.db).await.map_err(db_err)? else {
        return Ok(()); // Removed since it was scheduled.
    };
    if m.paused {
        return Ok(());
    }
    let now = deps.clock.now();
    let interval = Interval::from_secs(i64::from(m.interval_secs)).unwrap_or(Interval::DEFAULT);
    let scheduled = DateTime::from_timestamp(job.slot, 0).unwrap_or(now);
    if is_stale(scheduled, interval, now) {
        // A backlog after an outage: this slot is history; count it, do not run it.
        monitor::Entity::update_many()
            .col_expr(monitor::Column::SkippedSlots, Expr::col(monitor::Column::SkippedSlots).add(1))
            .filter(monitor::Column::Id.eq(m.id))
            .exec(&deps.db)
            .await
            .map_err(db_err)?;
        return Ok(());
    }
    let Some(probes) = deps.probes.as_ref() else {
        return Err(JobError::Transient(anyhow::anyhow!("probes are not available in this worker")));
    };
    probes.refresh_policy(&deps.db).await?;
    let outcome = probe(probes, &m).await;
    let checked_at = deps.clock.now();

    if outcome == (Outcome::Down { reason: Reason::IcmpUnavailable }) {
        // Not the host's fault: show the reason, leave the alert state alone, tell admins once.
        record(&deps.db, &m, &outcome, checked_at, None).await?;
        tell_admins_icmp_is_off(&deps).await?;
        return Ok(());
    }
    let muted = m.muted_until.is_some_and(|until| until > checked_at);
    let step = alerts::step(&state_of(&m), &outcome, &thresholds_of(&m), checked_at, muted);
    record(&deps.db, &m, &outcome, checked_at, Some(&step.state)).await?;
    if step.held {
        tracing::info!(monitor_id = m.id, "alert held: monitor is muted");
    }
    if !step.alerts.is_empty() {
        queue_alerts(&deps, &m, &step.alerts, checked_at).await?;
    }
    Ok(())
}

async fn probe(probes: &Probes, m: &monitor::Model) -> Outcome {
    let timeout = Duration::from_millis(Ord::max(m.timeout_ms, 100) as u64);
    let target = match Target::parse(&m.target) {
        Ok(t) => t,
        Err(e) => return Outcome::Down { reason: Reason::Other(format!("stored target is invalid: {e}")) },
    };
    match target {
        Target::Http(url) => {
            let spec = HttpSpec {
                url,
                method: if m.http_method.eq_ignore_ascii_case("HEAD") { HttpMethod::Head } else { HttpMethod::Get },
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

/// Stores the raw result and the monitor's new state in one transaction.
async fn record(
    db: &DatabaseConnection,
    m: &monitor::Model,
    outcome: &Outcome,
    at: DateTime<Utc>,
    state: Option<&alerts::State>,
) -> Result<(), JobError> {
    let db_err = |e: sea_orm::DbErr| JobError::Transient(e.into());
    let (ok, latency, reason) = match outcome {
        Outcome::Up { latency_ms, .. } => (true, Some(*latency_ms as i32), None),
        Outcome::Down { reason } => (false, None, Some(reason.describe())),
    };
    let tx = db.begin().await.map_err(db_err)?;
    check_result::ActiveModel {
        monitor_id: Set(m.id),
        at: Set(at),
        ok: Set(ok),
        latency_ms: Set(latency),
        reason: Set(reason.clone()),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(db_err)?;
    let mut active = m.clone().into_active_model();
    active.last_checked_at = Set(Some(at));
    active.last_latency_ms = Set(latency);
    active.last_reason = Set(reason);
    if let Some(state) = state {
        active.health = Set(state.health.as_str().to_owned());
        active.fail_streak = Set(state.fail_streak as i32);
        active.ok_streak = Set(state.ok_streak as i32);
        active.failing_since = Set(state.failing_since);
        active.last_alert_at = Set(state.last_alert_at);
        active.cert_warned_days = Set(state.cert_warned_days.map(|d| d as i32));
    }
    // Only the fields this check owns; the scheduler owns next_run_at, the bot the settings.
    active.next_run_at = sea_orm::ActiveValue::NotSet;
    active.skipped_slots = sea_orm::ActiveValue::NotSet;
    active.paused = sea_orm::ActiveValue::NotSet;
    active.muted_until = sea_orm::ActiveValue::NotSet;
    active.notify_chat_id = sea_orm::ActiveValue::NotSet;
    active.update(&tx).await.map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    if state.is_some_and(|s| s.health != Health::parse(&m.health)) {
        tracing::info!(monitor_id = m.id, health = state.map(|s| s.health.as_str()), "monitor state changed");
    }
    Ok(())
}

/// Writes one line per alert and chat, then enqueues that chat's flush for the current window;
/// the key makes every check in the window share one flush, so they arrive as one message.
async fn queue_alerts(
    deps: &Deps,
    m: &monitor::Model,
    fired: &[alerts::Alert],
    at: DateTime<Utc>,
) -> Result<(), JobError> {
    let db_err = |e: sea_orm::DbErr| JobError::Transient(e.into());
    let lang = user::Entity::find_by_id(m.owner_id)
        .one(&deps.db)
        .await
        .map_err(db_err)?
        .map(|u| Lang::from_code(Some(&u.language)))
        .unwrap_or_default();
    let chats: Vec<i64> = std::iter::once(m.chat_id).chain(m.notify_chat_id.filter(|c| *c != m.chat_id)).collect();
    for chat_id in &chats {
        for alert in fired {
            pending_alert::ActiveModel {
                chat_id: Set(*chat_id),
                monitor_id: Set(m.id),
                lang: Set(lang.code().to_owned()),
                text: Set(alert_line(lang, m.id, &m.target, alert)),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(&deps.db)
            .await
            .map_err(db_err)?;
        }
        let window = at.timestamp() / ALERT_WINDOW_SECS;
        let run_at = Some(at + chrono::Duration::seconds(ALERT_DELAY_SECS));
        let options = Enqueue { idempotency_key: Some(format!("alerts:{chat_id}:{window}")), run_at };
        deps.queue
            .enqueue(&FlushAlerts { chat_id: *chat_id }, options)
            .await
            .map_err(|e| JobError::Transient(e.into()))?;
    }
    Ok(())
}

/// Tells every admin, once per process data, how to allow ICMP.
async fn tell_admins_icmp_is_off(deps: &Deps) -> Result<(), JobError> {
    const KEY: &str = "icmp_unavailable_told";
    let db_err = |e: sea_orm::DbErr| JobError::Transient(e.into());
    let told = system_state::Entity::find_by_id(KEY.to_owned()).one(&deps.db).await.map_err(db_err)?;
    if told.is_some() {
        return Ok(());
    }
    system_state::ActiveModel { key: Set(KEY.into()), value: Set("1".into()), updated_at: Set(deps.clock.now()) }
        .insert(&deps.db)
        .await
        .map_err(db_err)?;
    let text = "Ping monitors cannot run: this teleops process may not open ICMP sockets. \
        Grant it one of: run as root; `setcap cap_net_raw+ep $(which teleops)`; or allow ICMP datagram \
        sockets with `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`. HTTP and TCP monitors are not affected.";
    for admin in &deps.admins {
        shared::outbox::send(&deps.db, &deps.queue, *admin, text.to_owned(), None)
            .await
            .map_err(|e| JobError::Transient(e.into()))?;
    }
    tracing::warn!("ICMP sockets are not permitted; admins were told how to allow them");
    Ok(())
}

/// Sends the waiting alert lines of one chat as one message (at least once: lines are deleted
/// only after the message is in the outbox).
pub async fn flush(job: FlushAlerts, deps: Arc<Deps>) -> Result<(), JobError> {
    use sea_orm::QueryOrder;
    let db_err = |e: sea_orm::DbErr| JobError::Transient(e.into());
    let waiting = pending_alert::Entity::find()
        .filter(pending_alert::Column::ChatId.eq(job.chat_id))
        .order_by_asc(pending_alert::Column::Id)
        .all(&deps.db)
        .await
        .map_err(db_err)?;
    let Some(first) = waiting.first() else { return Ok(()) };
    let lang = Lang::from_code(Some(&first.lang));
    let lines: Vec<String> = waiting.iter().map(|a| a.text.clone()).collect();
    let text = shared::monitoring::model::group_lines(lang, &lines);
    shared::outbox::send(&deps.db, &deps.queue, job.chat_id, text, None)
        .await
        .map_err(|e| JobError::Transient(e.into()))?;
    let ids: Vec<i64> = waiting.iter().map(|a| a.id).collect();
    pending_alert::Entity::delete_many()
        .filter(pending_alert::Column::Id.is_in(ids))
        .exec(&deps.db)
        .await
        .map_err(db_err)?;
    Ok(())
}

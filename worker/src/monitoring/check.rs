//! The `check` job: runs the probes of a batch of monitors at once, applies the alert state
//! machine to each, and stores every result, every new state and every alert line of the batch in
//! one transaction; then schedules the alert flushes.
//!
//! A check the probe policy refused is "blocked": it leaves the alert state alone and stores no
//! result (the time counts as neither uptime nor downtime); the monitor's owner gets one notice
//! when it becomes blocked.
//!
//! Invariant: a monitor records a slot at most once. The write moves `last_slot` forward only
//! (`WHERE last_slot < slot`), and a result or alert is stored only where that update took, so a
//! retried or duplicated batch changes nothing twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use shared::db::all_each;
use shared::entities::{check_result, monitor, pending_alert};
use shared::monitoring::alerts::{self, Alert, CheckStatus, Outcome, Reason};
use shared::monitoring::jobs::Check;
use shared::monitoring::model::{state_of, thresholds_of};
use shared::monitoring::schedule::{Interval, is_stale};

use super::alerting;
pub use super::probes::Probes;
use super::probes::probe;
use crate::{Deps, JobError};

/// One probed monitor, ready to be written.
struct Checked<'a> {
    m: &'a monitor::Model,
    slot: i64,
    outcome: Outcome,
    address: Option<std::net::IpAddr>,
    at: DateTime<Utc>,
    /// None where the probe could not run here (ICMP not permitted) or the policy refused it:
    /// the alert state stays.
    state: Option<alerts::State>,
    alerts: Vec<Alert>,
}

pub async fn run(job: Check, deps: Arc<Deps>, probes: Arc<Probes>) -> Result<(), JobError> {
    let phase = |name: &str, since: std::time::Instant| {
        deps.metrics.check_phase.with_label_values(&[name]).observe(since.elapsed().as_secs_f64());
    };
    let started = std::time::Instant::now();
    let ids: Vec<i64> = job.slots.iter().map(|(id, _)| *id).collect();
    let mut monitors: HashMap<i64, monitor::Model> = HashMap::with_capacity(ids.len());
    for row in
        all_each(&deps.db, monitor::Entity::find().filter(monitor::Column::Id.is_in(ids.iter().copied()))).await?
    {
        match row {
            Ok(m) => {
                monitors.insert(m.id, m);
            }
            // One bad row (a stored text outside an enum column) must not stop the others' checks.
            Err(e) => {
                deps.metrics.checks.with_label_values(&["unreadable"]).inc();
                tracing::error!(monitor_id = e.id, error = %e, "monitor row does not decode; not checked");
            }
        }
    }
    probes.refresh_policy(&deps.db).await?;
    phase("load", started);

    let now = deps.clock.now();
    let (mut stale, mut todo) = (Vec::new(), Vec::new());
    let mut seen = HashSet::with_capacity(job.slots.len());
    for &(id, slot) in &job.slots {
        // Removed or paused since it was scheduled, or this slot is already recorded.
        let Some(m) = monitors.get(&id) else { continue };
        if m.paused || m.last_slot.is_some_and(|done| done >= slot) {
            continue;
        }
        // A monitor's row is written once per batch: a second slot of it waits for the next.
        if !seen.insert(id) {
            continue;
        }
        let interval = Interval::from_secs(i64::from(m.interval_secs)).unwrap_or(Interval::DEFAULT);
        let scheduled = DateTime::from_timestamp(slot, 0).unwrap_or(now);
        if is_stale(scheduled, interval, now) {
            // The batch waited in the queue for more than an interval: count the slot, do not run it.
            stale.push((id, slot));
            continue;
        }
        deps.metrics.check_lag.observe(Ord::max((now - scheduled).num_milliseconds(), 0) as f64 / 1000.0);
        todo.push((m, slot));
    }

    let probing = std::time::Instant::now();
    let (clock, probes) = (&deps.clock, &*probes);
    let probed = futures::future::join_all(todo.into_iter().map(|(m, slot)| async move {
        let probed = probe(probes, m).await;
        (m, slot, probed, clock.now())
    }))
    .await;
    phase("probe", probing);

    let mut icmp_off = false;
    let checked: Vec<Checked> = probed
        .into_iter()
        .map(|(m, slot, probed, at)| {
            let (outcome, address) = (probed.outcome, probed.address);
            let muted = m.muted_until.is_some_and(|until| until > at);
            let status = outcome.status();
            let label = match status {
                CheckStatus::Up => "up",
                CheckStatus::Blocked => "blocked",
                CheckStatus::Down | CheckStatus::Unavailable => "down",
            };
            deps.metrics.checks.with_label_values(&[label]).inc();
            match (status, &outcome) {
                (CheckStatus::Unavailable, _) => {
                    // Not the host's fault: show the reason, leave the alert state alone, tell admins once.
                    icmp_off = true;
                    Checked { m, slot, outcome, address, at, state: None, alerts: Vec::new() }
                }
                (CheckStatus::Blocked, Outcome::Down { reason: Reason::NotPermitted(refused) }) => {
                    // Not the host's fault either: the owner is told once, when it becomes blocked.
                    let newly = m.last_status != Some(CheckStatus::Blocked) && !muted;
                    let alerts = if newly { vec![Alert::Blocked { address: refused.clone() }] } else { Vec::new() };
                    Checked { m, slot, outcome, address, at, state: None, alerts }
                }
                _ => {
                    let step = alerts::step(&state_of(m), &outcome, &thresholds_of(m), at, muted);
                    if step.held {
                        tracing::info!(monitor_id = m.id, "alert held: monitor is muted");
                    }
                    Checked { m, slot, outcome, address, at, state: Some(step.state), alerts: step.alerts }
                }
            }
        })
        .collect();

    let fired: Vec<(&monitor::Model, Vec<Alert>)> =
        checked.iter().filter(|c| !c.alerts.is_empty()).map(|c| (c.m, c.alerts.clone())).collect();
    let writing = std::time::Instant::now();
    let lines = alerting::lines(&deps, &fired, deps.clock.now()).await?;
    write(&deps.db, &checked, lines, &stale).await?;
    phase("write", writing);
    if !stale.is_empty() {
        deps.metrics.check_slots_skipped.with_label_values(&["worker"]).inc_by(stale.len() as u64);
    }
    if !fired.is_empty() {
        let fired_ids: Vec<i64> = fired.iter().map(|(m, _)| m.id).collect();
        alerting::schedule_flushes(&deps, &fired_ids, deps.clock.now()).await?;
    }
    if icmp_off {
        alerting::tell_admins_icmp_is_off(&deps).await?;
    }
    Ok(())
}

/// One transaction for the whole batch: each monitor's state moves to its slot (only forward),
/// and only where it moved are its result and its alert lines inserted.
async fn write(
    db: &DatabaseConnection,
    checked: &[Checked<'_>],
    lines: Vec<pending_alert::ActiveModel>,
    stale: &[(i64, i64)],
) -> Result<(), JobError> {
    let tx = db.begin().await?;
    let recorded = advance(&tx, checked).await?;
    let mut results = Vec::with_capacity(checked.len());
    for c in checked.iter().filter(|c| recorded.contains(&c.m.id)) {
        if let Some(s) = c.state.as_ref().filter(|s| s.health != c.m.health) {
            tracing::info!(monitor_id = c.m.id, health = ?s.health, "monitor state changed");
        }
        if c.outcome.status() == CheckStatus::Blocked {
            if c.m.last_status != Some(CheckStatus::Blocked) {
                tracing::info!(monitor_id = c.m.id, "monitor blocked by the probe policy");
            }
            // Neither up nor down: no result, so uptime is computed over the checks that ran.
            continue;
        }
        let (ok, latency, reason) = measured(&c.outcome);
        results.push(check_result::ActiveModel {
            monitor_id: sea_orm::Set(c.m.id),
            at: sea_orm::Set(c.at.timestamp()),
            ok: sea_orm::Set(ok),
            latency_ms: sea_orm::Set(latency),
            reason: sea_orm::Set(reason),
        });
    }
    for &(id, slot) in stale {
        let update = monitor::Entity::update_many()
            .col_expr(monitor::Column::LastSlot, Expr::value(slot))
            .col_expr(monitor::Column::SkippedSlots, Expr::col(monitor::Column::SkippedSlots).add(1));
        forward(update, id, slot).exec(&tx).await?;
    }
    insert_chunked(&tx, results).await?;
    let lines: Vec<_> = lines.into_iter().filter(|l| recorded.contains(l.monitor_id.as_ref())).collect();
    for chunk in lines.chunks(500) {
        pending_alert::Entity::insert_many(chunk.to_vec()).exec(&tx).await?;
    }
    Ok(tx.commit().await?)
}

/// Monitors written by one `UPDATE`: 14 parameters each, far below either backend's limit.
const ADVANCED_PER_STATEMENT: usize = 500;

/// Moves each checked monitor's row to its slot, where its recorded slot is before it, with one
/// statement per 500 monitors instead of one each (on Postgres that was most of the server's CPU
/// per check). Returns the ids whose row moved.
async fn advance(tx: &impl ConnectionTrait, checked: &[Checked<'_>]) -> Result<HashSet<i64>, sea_orm::DbErr> {
    let backend = tx.get_database_backend();
    let mut moved = HashSet::with_capacity(checked.len());
    for chunk in checked.chunks(ADVANCED_PER_STATEMENT) {
        let values: Vec<sea_orm::Value> = chunk.iter().flat_map(advance_values).collect();
        let statement = sea_orm::Statement::from_sql_and_values(backend, advance_sql(backend, chunk.len()), values);
        for row in tx.query_all_raw(statement).await? {
            moved.insert(row.try_get::<i64>("", "id")?);
        }
    }
    Ok(moved)
}

/// The Postgres types of one monitor's values in `advance_sql`, in order: Postgres types a
/// parameter in a `VALUES` list from its neighbours, so a column of NULLs needs its type named.
const ADVANCE_TYPES: [&str; 14] = [
    "bigint",
    "bigint",
    "timestamptz",
    "integer",
    "text",
    "varchar",
    "varchar",
    "boolean",
    "varchar",
    "integer",
    "integer",
    "timestamptz",
    "timestamptz",
    "integer",
];

/// `UPDATE … FROM (VALUES …)` for `rows` monitors (SQLite 3.33+ and Postgres both take it; a
/// `VALUES` list's columns are `column1`, `column2`, … in both). The alert state columns change
/// only where the check produced a state (column 8).
fn advance_sql(backend: DbBackend, rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::from(
        "UPDATE monitors AS m SET last_slot = v.column2, last_checked_at = v.column3, \
         last_latency_ms = v.column4, last_reason = v.column5, last_status = v.column6, \
         last_address = v.column7, \
         health = CASE WHEN v.column8 THEN v.column9 ELSE m.health END, \
         fail_streak = CASE WHEN v.column8 THEN v.column10 ELSE m.fail_streak END, \
         ok_streak = CASE WHEN v.column8 THEN v.column11 ELSE m.ok_streak END, \
         failing_since = CASE WHEN v.column8 THEN v.column12 ELSE m.failing_since END, \
         last_alert_at = CASE WHEN v.column8 THEN v.column13 ELSE m.last_alert_at END, \
         cert_warned_days = CASE WHEN v.column8 THEN v.column14 ELSE m.cert_warned_days END \
         FROM (VALUES ",
    );
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (column, ty) in ADVANCE_TYPES.iter().enumerate() {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => {
                    let _ = write!(sql, "${n}::{ty}");
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql.push_str(") AS v WHERE m.id = v.column1 AND (m.last_slot IS NULL OR m.last_slot < v.column2) RETURNING id");
    sql
}

/// What a check's outcome stores, in its result and on its monitor: up, latency, reason.
fn measured(outcome: &Outcome) -> (bool, Option<i32>, Option<String>) {
    match outcome {
        Outcome::Up { latency_ms, .. } => (true, Some(*latency_ms as i32), None),
        Outcome::Down { reason } => (false, None, Some(reason.stored())),
    }
}

/// One monitor's values for `advance_sql`, in the order of `ADVANCE_TYPES`.
fn advance_values(c: &Checked<'_>) -> [sea_orm::Value; 14] {
    let (_, latency, reason) = measured(&c.outcome);
    let s = c.state.as_ref();
    [
        c.m.id.into(),
        c.slot.into(),
        Some(c.at).into(),
        latency.into(),
        reason.into(),
        c.outcome.status().into(),
        c.address.map(|ip| ip.to_string()).into(),
        s.is_some().into(),
        s.map_or(c.m.health, |s| s.health).into(),
        s.map_or(c.m.fail_streak, |s| s.fail_streak as i32).into(),
        s.map_or(c.m.ok_streak, |s| s.ok_streak as i32).into(),
        s.map_or(c.m.failing_since, |s| s.failing_since).into(),
        s.map_or(c.m.last_alert_at, |s| s.last_alert_at).into(),
        s.map_or(c.m.cert_warned_days, |s| s.cert_warned_days.map(|d| d as i32)).into(),
    ]
}

/// Restricts `update` to monitor `id` while its recorded slot is before `slot`.
fn forward(update: sea_orm::UpdateMany<monitor::Entity>, id: i64, slot: i64) -> sea_orm::UpdateMany<monitor::Entity> {
    update
        .filter(monitor::Column::Id.eq(id))
        .filter(Condition::any().add(monitor::Column::LastSlot.is_null()).add(monitor::Column::LastSlot.lt(slot)))
}

async fn insert_chunked(tx: &impl ConnectionTrait, rows: Vec<check_result::ActiveModel>) -> Result<(), JobError> {
    for chunk in rows.chunks(500) {
        // (monitor, second) is the key; the slot guard already keeps a check from being stored twice.
        check_result::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([check_result::Column::MonitorId, check_result::Column::At])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batched_update_names_one_placeholder_per_value() {
        let sqlite = advance_sql(DbBackend::Sqlite, 3);
        assert_eq!(sqlite.matches('?').count(), 3 * ADVANCE_TYPES.len());
        let postgres = advance_sql(DbBackend::Postgres, 2);
        assert!(postgres.contains("($1::bigint, $2::bigint, $3::timestamptz,"), "{postgres}");
        assert!(postgres.contains("$28::integer)) AS v WHERE"), "{postgres}");
        assert!(!postgres.contains("$29"), "{postgres}");
    }
}

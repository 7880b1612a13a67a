//! The monitoring due-scan: unpaused monitors whose `next_run_at` has come, by the
//! `monitors_due` index, moved to their next slot and enqueued as `check` batches of up to
//! [`PER_JOB`] monitors. A slot missed by more than one interval (an outage) is not enqueued at
//! all: it is skipped and counted, so a restart after downtime never replays stale checks.
//!
//! Moving is the claim: one `UPDATE ... RETURNING id` per group of monitors that share a slot and
//! an interval moves only monitors still at the slot that was scanned, and only the monitors it
//! moved are enqueued. So a (monitor, slot) is enqueued once, whatever another scan of the same
//! tick (a retried tick, a replica taking over) saw, and a concurrent edit in the bot wins. If the
//! enqueue then fails, the claims are undone, so the next tick finds those slots again.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use shared::entities::monitor;
use shared::metrics::Metrics;
use shared::monitoring::jobs::{Check, MaintainResults};
use shared::monitoring::schedule::{Interval, is_stale, next_run};

use crate::{Due, DueScan, Registry};

/// Rollups and retention of check results: every five minutes.
pub const EVERY_FIVE_MINUTES: &str = "0 */5 * * * *";

/// The slice's schedules: the due-scan of monitors, and the rollups and retention of results.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    r.scan(MonitorScan::new(r.db.clone(), r.metrics.clone()));
    let keep_raw_secs = r.settings.results_keep.as_secs() as i64;
    r.cron(EVERY_FIVE_MINUTES, move |at| (MaintainResults { keep_raw_secs }, at))?;
    Ok(())
}

/// At most this many monitors per tick, so one tick stays short; the rest come next tick.
const PER_TICK: u64 = 20_000;
/// Monitors per `check` job: large enough that queue overhead per check is small, small enough
/// that the workers share a tick's checks evenly.
pub const PER_JOB: usize = 100;
/// Monitor ids per `UPDATE ... WHERE id IN (...)`.
const PER_UPDATE: usize = 500;

/// Monitors the last `due` moved from `slot` to `next` and handed out for enqueueing.
#[derive(Debug, Clone)]
struct Claim {
    slot: DateTime<Utc>,
    next: DateTime<Utc>,
    ids: Vec<i64>,
}

pub struct MonitorScan {
    db: DatabaseConnection,
    metrics: Metrics,
    /// What the last `due` claimed, for `not_enqueued` to put back.
    claims: Mutex<Vec<Claim>>,
}

impl MonitorScan {
    pub fn new(db: DatabaseConnection, metrics: Metrics) -> Self {
        Self { db, metrics, claims: Mutex::new(Vec::new()) }
    }
}

impl DueScan for MonitorScan {
    type Job = Check;

    fn due(&self, now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<Check>>>> {
        Box::pin(async move {
            let rows: Vec<(i64, DateTime<Utc>, i32)> = monitor::Entity::find()
                .select_only()
                .column(monitor::Column::Id)
                .column(monitor::Column::NextRunAt)
                .column(monitor::Column::IntervalSecs)
                .filter(monitor::Column::Paused.eq(false))
                .filter(monitor::Column::NextRunAt.lte(now))
                .order_by_asc(monitor::Column::NextRunAt)
                .limit(PER_TICK)
                .into_tuple()
                .all(&self.db)
                .await?;
            let mut groups: BTreeMap<(DateTime<Utc>, i64), Vec<i64>> = BTreeMap::new();
            for (id, slot, secs) in rows {
                let interval = Interval::from_secs(i64::from(secs)).unwrap_or(Interval::DEFAULT);
                groups.entry((slot, interval.secs())).or_default().push(id);
            }
            let mut claims = Vec::new();
            let tx = self.db.begin().await?;
            for ((slot, secs), ids) in groups {
                let interval = Interval::from_secs(secs).unwrap_or(Interval::DEFAULT);
                let next = next_run(slot, interval, now);
                // A slot that is itself stale is not enqueued: it counts as skipped too.
                let stale = is_stale(slot, interval, now);
                let skipped = i64::from(next.skipped) + i64::from(stale);
                let mut moved = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(PER_UPDATE) {
                    moved.extend(claim(&tx, chunk, slot, next.at, skipped).await?);
                }
                if skipped > 0 && !moved.is_empty() {
                    self.metrics
                        .check_slots_skipped
                        .with_label_values(&["scheduler"])
                        .inc_by((skipped as u64) * moved.len() as u64);
                    tracing::info!(monitors = moved.len(), skipped, "stale check slots skipped");
                }
                if !stale && !moved.is_empty() {
                    claims.push(Claim { slot, next: next.at, ids: moved });
                }
            }
            tx.commit().await?;
            let current: Vec<(i64, i64)> =
                claims.iter().flat_map(|c| c.ids.iter().map(|id| (*id, c.slot.timestamp()))).collect();
            *self.claims.lock().expect("claims lock") = claims;
            Ok(batches(&current))
        })
    }

    fn enqueued(&self, _items: &[Due<Check>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        self.claims.lock().expect("claims lock").clear();
        Box::pin(async { Ok(()) })
    }

    fn not_enqueued(&self, _items: &[Due<Check>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        let claims = std::mem::take(&mut *self.claims.lock().expect("claims lock"));
        Box::pin(async move {
            // Back to the scanned slot, only where the claim still stands (an edit since wins).
            let tx = self.db.begin().await?;
            for c in &claims {
                for chunk in c.ids.chunks(PER_UPDATE) {
                    monitor::Entity::update_many()
                        .col_expr(monitor::Column::NextRunAt, Expr::value(c.slot))
                        .filter(monitor::Column::Id.is_in(chunk.iter().copied()))
                        .filter(monitor::Column::NextRunAt.eq(c.next))
                        .exec(&tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Moves the monitors of `ids` still at `slot` to `next`, adding `skipped` to their skipped
/// slots, and returns the ids it moved.
async fn claim(
    tx: &impl ConnectionTrait,
    ids: &[i64],
    slot: DateTime<Utc>,
    next: DateTime<Utc>,
    skipped: i64,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    let mut update = monitor::Entity::update_many()
        .col_expr(monitor::Column::NextRunAt, Expr::value(next))
        .col_expr(monitor::Column::SkippedSlots, Expr::col(monitor::Column::SkippedSlots).add(skipped))
        .filter(monitor::Column::Id.is_in(ids.iter().copied()))
        .filter(monitor::Column::NextRunAt.eq(slot))
        .into_query();
    update.returning_col(monitor::Column::Id);
    let rows = tx.query_all(&update).await?;
    rows.iter().map(|row| row.try_get::<i64>("", "id")).collect()
}

/// Splits claimed `(monitor id, slot)` pairs into `check` jobs of up to [`PER_JOB`]. A pair is
/// claimed once, so it is in one job; the job's key, its first monitor and slot, is then unique
/// too. Should a batch still run twice, the worker's `last_slot` guard records its slots once.
fn batches(current: &[(i64, i64)]) -> Vec<Due<Check>> {
    current
        .chunks(PER_JOB)
        .map(|chunk| {
            let (id, slot) = chunk[0];
            Due { id, slot, job: Check { slots: chunk.to_vec() }, run_at: None }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_monitors_go_out_in_batches_keyed_by_their_first_slot() {
        let slot = |id: i64| 1_000 + id % 3;
        let current: Vec<(i64, i64)> = (1..=250).map(|id| (id, slot(id))).collect();
        let jobs = batches(&current);
        assert_eq!(jobs.iter().map(|d| d.job.slots.len()).collect::<Vec<_>>(), vec![100, 100, 50]);
        assert_eq!((jobs[1].id, jobs[1].slot), (101, slot(101)));
        assert_eq!(jobs[2].key(), format!("check:201:{}", slot(201)));
        assert!(batches(&[]).is_empty());
    }
}

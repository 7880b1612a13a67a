//! The monitoring due-scan: unpaused monitors whose `next_run_at` has come, by the
//! `monitors_due` index, enqueued as `check` batches of up to [`PER_JOB`] monitors, then moved to
//! their next slot. A slot missed by more than one interval (an outage) is not enqueued at all:
//! it is skipped and counted, so a restart after downtime never replays stale checks.
//!
//! Moving is one `UPDATE` per group of monitors that share a slot and an interval, and it only
//! moves a monitor still at the slot that was scanned, so a concurrent edit in the bot wins.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use shared::entities::monitor;
use shared::jobs::Check;
use shared::metrics::Metrics;
use shared::monitoring::schedule::{Interval, is_stale, next_run};

use crate::{Due, DueScan};

/// At most this many monitors per tick, so one tick stays short; the rest come next tick.
const PER_TICK: u64 = 20_000;
/// Monitors per `check` job: large enough that queue overhead per check is small, small enough
/// that the workers share a tick's checks evenly.
pub const PER_JOB: usize = 100;
/// Monitor ids per `UPDATE ... WHERE id IN (...)`.
const PER_UPDATE: usize = 500;

/// One monitor the last scan saw due.
#[derive(Debug, Clone, Copy)]
struct Scanned {
    id: i64,
    slot: DateTime<Utc>,
    interval: Interval,
}

pub struct MonitorScan {
    db: DatabaseConnection,
    metrics: Metrics,
    /// What the last `due` saw, for `enqueued` to move on (stale slots included).
    last_scan: Mutex<Vec<Scanned>>,
}

impl MonitorScan {
    pub fn new(db: DatabaseConnection, metrics: Metrics) -> Self {
        Self { db, metrics, last_scan: Mutex::new(Vec::new()) }
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
            let scanned: Vec<Scanned> = rows
                .into_iter()
                .map(|(id, slot, secs)| Scanned {
                    id,
                    slot,
                    interval: Interval::from_secs(i64::from(secs)).unwrap_or(Interval::DEFAULT),
                })
                .collect();
            let current: Vec<(i64, i64)> = scanned
                .iter()
                .filter(|s| !is_stale(s.slot, s.interval, now))
                .map(|s| (s.id, s.slot.timestamp()))
                .collect();
            *self.last_scan.lock().expect("scan lock") = scanned;
            Ok(batches(&current))
        })
    }

    fn enqueued(&self, _items: &[Due<Check>], now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        let scanned = std::mem::take(&mut *self.last_scan.lock().expect("scan lock"));
        Box::pin(async move {
            if scanned.is_empty() {
                return Ok(());
            }
            let mut groups: BTreeMap<(DateTime<Utc>, i64), Vec<i64>> = BTreeMap::new();
            for s in &scanned {
                groups.entry((s.slot, s.interval.secs())).or_default().push(s.id);
            }
            let tx = self.db.begin().await?;
            for ((slot, secs), ids) in groups {
                let interval = Interval::from_secs(secs).unwrap_or(Interval::DEFAULT);
                let next = next_run(slot, interval, now);
                // A slot that is itself stale was not enqueued: it counts as skipped too.
                let skipped = i64::from(next.skipped) + i64::from(is_stale(slot, interval, now));
                for chunk in ids.chunks(PER_UPDATE) {
                    monitor::Entity::update_many()
                        .col_expr(monitor::Column::NextRunAt, Expr::value(next.at))
                        .col_expr(monitor::Column::SkippedSlots, Expr::col(monitor::Column::SkippedSlots).add(skipped))
                        .filter(monitor::Column::Id.is_in(chunk.iter().copied()))
                        .filter(monitor::Column::NextRunAt.eq(slot))
                        .exec(&tx)
                        .await?;
                }
                if skipped > 0 {
                    self.metrics
                        .check_slots_skipped
                        .with_label_values(&["scheduler"])
                        .inc_by((skipped as u64) * ids.len() as u64);
                    tracing::info!(monitors = ids.len(), skipped, "stale check slots skipped");
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Splits `(monitor id, slot)` pairs into `check` jobs of up to [`PER_JOB`]. A job's key is its
/// first monitor and slot, so a re-scan of the same due set enqueues nothing new; anything else
/// run twice is caught by the worker's `last_slot` guard.
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

//! The monitoring due-scan: unpaused monitors whose `next_run_at` has come, by the
//! `monitors_due` index, each enqueued once per slot as a `check` job, then moved to their next
//! slot. Slots missed by more than one interval (an outage) are skipped and counted.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use shared::entities::monitor;
use shared::jobs::Check;
use shared::monitoring::schedule::{Interval, next_run};

use crate::{Due, DueScan};

/// At most this many monitors per tick, so one tick stays short; the rest come next tick.
const BATCH: u64 = 5_000;

pub struct MonitorScan {
    db: DatabaseConnection,
}

impl MonitorScan {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl DueScan for MonitorScan {
    type Job = Check;

    fn due(&self, now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<Check>>>> {
        Box::pin(async move {
            let rows: Vec<(i64, DateTime<Utc>)> = monitor::Entity::find()
                .select_only()
                .column(monitor::Column::Id)
                .column(monitor::Column::NextRunAt)
                .filter(monitor::Column::Paused.eq(false))
                .filter(monitor::Column::NextRunAt.lte(now))
                .order_by_asc(monitor::Column::NextRunAt)
                .limit(BATCH)
                .into_tuple()
                .all(&self.db)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, at)| {
                    let slot = at.timestamp();
                    Due { id, slot, job: Check { monitor_id: id, slot }, run_at: None }
                })
                .collect())
        })
    }

    fn enqueued(&self, items: &[Due<Check>], now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        let slots: Vec<(i64, i64)> = items.iter().map(|d| (d.id, d.slot)).collect();
        Box::pin(async move {
            if slots.is_empty() {
                return Ok(());
            }
            let ids: Vec<i64> = slots.iter().map(|(id, _)| *id).collect();
            let intervals: std::collections::HashMap<i64, i32> = monitor::Entity::find()
                .select_only()
                .column(monitor::Column::Id)
                .column(monitor::Column::IntervalSecs)
                .filter(monitor::Column::Id.is_in(ids))
                .into_tuple()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
            let tx = self.db.begin().await?;
            for (id, slot) in slots {
                let Some(secs) = intervals.get(&id) else { continue };
                let interval = Interval::from_secs(i64::from(*secs)).unwrap_or(Interval::DEFAULT);
                let scheduled = DateTime::from_timestamp(slot, 0).unwrap_or(now);
                let next = next_run(scheduled, interval, now);
                // Only move a monitor that is still at this slot (a concurrent edit wins).
                monitor::Entity::update_many()
                    .col_expr(monitor::Column::NextRunAt, Expr::value(next.at))
                    .col_expr(
                        monitor::Column::SkippedSlots,
                        Expr::col(monitor::Column::SkippedSlots).add(i64::from(next.skipped)),
                    )
                    .filter(monitor::Column::Id.eq(id))
                    .filter(monitor::Column::NextRunAt.eq(scheduled))
                    .exec(&tx)
                    .await?;
                if next.skipped > 0 {
                    tracing::info!(monitor_id = id, skipped = next.skipped, "stale check slots skipped");
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

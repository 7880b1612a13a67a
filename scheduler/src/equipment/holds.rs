//! The due-scan of lapsed waitlist holds: while some hold has lapsed by the scheduler's clock,
//! it enqueues one `ExpireHolds` job, which moves on every lapsed hold at once.
//!
//! The key is the oldest lapsed hold's row and the minute: a hold that lapses gets its job at the
//! next tick, re-scans within the minute add nothing, and a hold still there a minute later (its
//! job failed for good, or ran on a worker whose clock was behind) gets another job.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::entities::device_wait;
use shared::equipment::jobs::ExpireHolds;

use crate::{Due, DueScan};

pub struct HoldScan {
    db: DatabaseConnection,
}

impl HoldScan {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl DueScan for HoldScan {
    type Job = ExpireHolds;

    fn due(&self, now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<ExpireHolds>>>> {
        Box::pin(async move {
            // By the `device_waits_hold` index; almost always nothing.
            let oldest: Option<i64> = device_wait::Entity::find()
                .select_only()
                .column(device_wait::Column::Id)
                .filter(device_wait::Column::HoldUntil.lte(now))
                .order_by_asc(device_wait::Column::HoldUntil)
                .limit(1)
                .into_tuple()
                .one(&self.db)
                .await?;
            Ok(oldest.map(|id| Due { id, slot: minute(now), job: ExpireHolds {}, run_at: None }).into_iter().collect())
        })
    }
}

/// The start of `now`'s minute, in Unix seconds.
fn minute(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(60) * 60
}

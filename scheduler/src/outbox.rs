//! The outbox sweep: re-enqueues outbox rows still pending past a grace, so a message whose
//! `notify` enqueue failed (the row and the job live in two stores) is sent all the same.
//!
//! It enqueues under the key `outbox::send` uses ([`shared::outbox::notify_key`]), so a row whose
//! first enqueue did happen (a job waiting, running, or dead) gets nothing new, and a row whose
//! enqueue never happened gets its one job: a message is never sent twice by the two paths. A
//! cursor on the outbox id means each row is looked at once per leader term, not every sweep;
//! rows left pending for good (their job dead, or no bot configured) cost nothing after that.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::entities::outbox::{self, OutboxStatus};
use shared::jobs::Notify;

use crate::{Due, DueScan};

/// How long a row may wait for its first enqueue before the sweep enqueues it.
pub const GRACE: Duration = Duration::seconds(30);
/// How often the sweep looks (by the scheduler's clock).
pub const EVERY: Duration = Duration::seconds(10);
/// Rows per sweep; a full sweep is followed by another at the next tick.
const PER_SWEEP: u64 = 1_000;

pub struct OutboxSweep {
    db: DatabaseConnection,
    state: Mutex<SweepState>,
}

#[derive(Debug, Default)]
struct SweepState {
    /// Rows up to this id have been swept (this leader term).
    swept_to: i64,
    /// The cursor to move to once this sweep's items are enqueued.
    pending_to: Option<i64>,
    /// When to look next; None: at the next tick.
    next_at: Option<DateTime<Utc>>,
}

impl OutboxSweep {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, state: Mutex::new(SweepState::default()) }
    }
}

impl DueScan for OutboxSweep {
    type Job = Notify;

    fn due(&self, now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<Notify>>>> {
        Box::pin(async move {
            let swept_to = {
                let state = self.state.lock().expect("sweep lock");
                if state.next_at.is_some_and(|at| now < at) {
                    return Ok(Vec::new());
                }
                state.swept_to
            };
            let rows: Vec<(i64, DateTime<Utc>)> = outbox::Entity::find()
                .select_only()
                .column(outbox::Column::Id)
                .column(outbox::Column::CreatedAt)
                .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
                .filter(outbox::Column::Id.gt(swept_to))
                .order_by_asc(outbox::Column::Id)
                .limit(PER_SWEEP)
                .into_tuple()
                .all(&self.db)
                .await?;
            let full = rows.len() as u64 == PER_SWEEP;
            // The cursor stops at the first row still within its grace: rows after it wait for the
            // next sweep even if they are older (clocks of two writers may differ a little).
            let overdue: Vec<i64> =
                rows.iter().take_while(|(_, created_at)| *created_at <= now - GRACE).map(|(id, _)| *id).collect();
            let mut state = self.state.lock().expect("sweep lock");
            state.pending_to = overdue.last().copied();
            state.next_at = (!full || overdue.len() < rows.len()).then_some(now + EVERY);
            if !overdue.is_empty() {
                tracing::debug!(
                    n = overdue.len(),
                    "outbox rows pending past their grace; enqueueing any without a job"
                );
            }
            Ok(overdue.into_iter().map(|id| Due { id, slot: 0, job: Notify { outbox_id: id }, run_at: None }).collect())
        })
    }

    fn enqueued(&self, _items: &[Due<Notify>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        let mut state = self.state.lock().expect("sweep lock");
        if let Some(to) = state.pending_to.take() {
            state.swept_to = to;
        }
        Box::pin(async { Ok(()) })
    }

    fn not_enqueued(&self, _items: &[Due<Notify>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        // The cursor stays: the same rows are tried again at the next sweep.
        self.state.lock().expect("sweep lock").pending_to = None;
        Box::pin(async { Ok(()) })
    }

    fn key(&self, item: &Due<Notify>) -> String {
        shared::outbox::notify_key(item.id)
    }
}

//! The due-scan framework: slices say what is due at time `t`; the scheduler enqueues each item once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use shared::clock::SharedClock;
use shared::jobs::Job;
use shared::queue::{Enqueue, Queue};
use tokio_util::sync::CancellationToken;

/// One due item: the job to run for entity `id` in time slot `slot`.
#[derive(Debug, Clone)]
pub struct Due<J> {
    pub id: i64,
    /// Identifies the occurrence (for example the scheduled time, in Unix seconds).
    pub slot: i64,
    pub job: J,
    /// Not before this time. By default, at once.
    pub run_at: Option<DateTime<Utc>>,
}

impl<J: Job> Due<J> {
    /// `kind:id:slot`: the idempotency key that makes re-scans and replicas harmless.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", J::QUEUE, self.id, self.slot)
    }
}

/// A slice's due-scan.
pub trait DueScan: Send + Sync + 'static {
    type Job: Job;

    /// What is due at `now`. Called once per scheduler tick while this replica leads.
    fn due(&self, now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<Self::Job>>>>;

    /// Called after the items were enqueued (duplicates included), to move the slice's next-run
    /// times on. By default, nothing.
    fn enqueued(&self, _items: &[Due<Self::Job>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Called instead of [`DueScan::enqueued`] when the enqueue failed (nothing was added), to
    /// undo what `due` claimed so the next tick finds the items again. By default, nothing.
    fn not_enqueued(&self, _items: &[Due<Self::Job>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// The idempotency key of `item`. By default [`Due::key`]; a scan that re-enqueues work
    /// first enqueued elsewhere uses that path's key, so both paths make one job.
    fn key(&self, item: &Due<Self::Job>) -> String {
        item.key()
    }
}

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    pub kind: &'static str,
    pub added: usize,
    pub duplicates: usize,
}

trait ErasedScan: Send + Sync {
    fn run<'a>(&'a self, queue: &'a Queue, now: DateTime<Utc>) -> BoxFuture<'a, anyhow::Result<ScanReport>>;
}

impl<S: DueScan> ErasedScan for S {
    fn run<'a>(&'a self, queue: &'a Queue, now: DateTime<Utc>) -> BoxFuture<'a, anyhow::Result<ScanReport>> {
        Box::pin(async move {
            let items = self.due(now).await?;
            let jobs: Vec<_> = items
                .iter()
                .map(|d| (d.job.clone(), Enqueue { idempotency_key: Some(self.key(d)), run_at: d.run_at }))
                .collect();
            // Nothing due is the common case: no write to the queue for it.
            let enqueued = if jobs.is_empty() { Ok(Vec::new()) } else { queue.enqueue_many(&jobs).await };
            let outcomes = match enqueued {
                Ok(outcomes) => outcomes,
                Err(e) => {
                    if let Err(undo) = self.not_enqueued(&items, now).await {
                        tracing::error!(kind = S::Job::QUEUE, error.cause_chain = ?undo, error.message = %undo, "could not undo a failed due-scan's claims");
                    }
                    return Err(e.into());
                }
            };
            self.enqueued(&items, now).await?;
            let duplicates = outcomes.iter().filter(|o| o.duplicate).count();
            Ok(ScanReport { kind: S::Job::QUEUE, added: outcomes.len() - duplicates, duplicates })
        })
    }
}

/// Scheduler timing.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// How often due-scans run. By default, every second.
    pub tick: Duration,
    /// How long the leader lease lasts without renewal. By default, 10 s: a lost leader is
    /// replaced within that.
    pub lease_ttl: Duration,
    /// This replica's name in the lease table.
    pub holder: String,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            lease_ttl: Duration::from_secs(10),
            holder: format!("scheduler-{}-{:08x}", std::process::id(), rand::random::<u32>()),
        }
    }
}

/// Runs the registered due-scans while it holds the lease.
pub struct Scheduler {
    db: DatabaseConnection,
    queue: Queue,
    clock: SharedClock,
    options: SchedulerOptions,
    scans: Vec<Arc<dyn ErasedScan>>,
    /// Until when this replica holds the lease, as of its last renewal.
    held_until: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl Scheduler {
    pub fn new(db: DatabaseConnection, queue: Queue, clock: SharedClock, options: SchedulerOptions) -> Self {
        Self { db, queue, clock, options, scans: Vec::new(), held_until: std::sync::Mutex::new(None) }
    }

    /// Adds a slice's scan.
    pub fn scan(mut self, scan: impl DueScan) -> Self {
        self.add_scan(scan);
        self
    }

    pub(crate) fn add_scan(&mut self, scan: impl DueScan) {
        self.scans.push(Arc::new(scan));
    }

    /// One tick: renew or take the lease; if leading, run every scan. `None` when not leading.
    /// A failing scan is logged and counted; the others still run.
    pub async fn tick(&self) -> anyhow::Result<Option<Vec<ScanReport>>> {
        let now = self.clock.now();
        let ttl = chrono::Duration::from_std(self.options.lease_ttl)?;
        // Nobody else can take the lease before it expires, so it is renewed only once half of
        // it is gone: two writes every few seconds instead of every tick.
        let held = self.held_until.lock().expect("lease lock").is_some_and(|until| now + ttl / 2 < until);
        if !held {
            let acquired = shared::lease::acquire(&self.db, "scheduler", &self.options.holder, now, ttl).await?;
            *self.held_until.lock().expect("lease lock") = acquired.then_some(now + ttl);
            if !acquired {
                return Ok(None);
            }
        }
        let mut reports = Vec::with_capacity(self.scans.len());
        for scan in &self.scans {
            match scan.run(&self.queue, now).await {
                Ok(report) => reports.push(report),
                Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "due-scan failed"),
            }
        }
        Ok(Some(reports))
    }

    /// Ticks until `shutdown`, then gives up the lease so another replica takes over at once.
    pub async fn run(self, shutdown: CancellationToken) {
        // Ticks fall just after whole seconds (slots are whole seconds), so a slot is enqueued
        // within milliseconds of its time rather than up to a tick later; a slow tick skips to
        // the next mark instead of sliding off the grid.
        let mut interval =
            tokio::time::interval_at(tokio::time::Instant::now() + until_next_second(), self.options.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut leading = false;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {}
            }
            match self.tick().await {
                Ok(reports) => {
                    if reports.is_some() != leading {
                        leading = reports.is_some();
                        tracing::info!(holder = %self.options.holder, leading, "scheduler leadership changed");
                    }
                }
                Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "scheduler tick failed"),
            }
        }
        if let Err(e) = shared::lease::release(&self.db, "scheduler", &self.options.holder).await {
            tracing::warn!(error.message = %e, "could not release the scheduler lease");
        }
    }
}

/// Time from now until 2 ms past the next whole second of the system clock.
fn until_next_second() -> Duration {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos())) + Duration::from_millis(2)
}

//! The due-scan framework: slices say what is due at time `t`; the scheduler enqueues each item once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use shared::clock::SharedClock;
use shared::jobs::Job;
use shared::lease::{Fence, Leases};
use shared::queue::{Enqueue, Queue, QueueError};
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
    /// How long the leader lease lasts without renewal. By default, 6 s: renewed once half is
    /// gone, so a killed leader is replaced within 3 to 6 s (plus a tick).
    pub lease_ttl: Duration,
    /// This replica's name on the lease: host, pid and a random suffix by default.
    pub holder: String,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            lease_ttl: Duration::from_secs(6),
            holder: format!(
                "scheduler-{}-{}-{:08x}",
                shared::lease::host_name(),
                std::process::id(),
                rand::random::<u32>()
            ),
        }
    }
}

/// Runs the registered due-scans while it holds the `scheduler` lease (in Redis when the queue
/// is there, with its enqueues fenced by the lease term; else in the database).
pub struct Scheduler {
    leases: Leases,
    queue: Queue,
    clock: SharedClock,
    options: SchedulerOptions,
    scans: Vec<Arc<dyn ErasedScan>>,
    /// The term this replica holds and until when, as of its last renewal.
    held: std::sync::Mutex<Option<(Fence, DateTime<Utc>)>>,
    metrics: Option<shared::metrics::Metrics>,
}

const LEASE: &str = "scheduler";

impl Scheduler {
    pub fn new(db: DatabaseConnection, queue: Queue, clock: SharedClock, options: SchedulerOptions) -> Self {
        let leases = Leases::beside(&queue, &db);
        Self { leases, queue, clock, options, scans: Vec::new(), held: std::sync::Mutex::new(None), metrics: None }
    }

    /// Reports each leading tick in `metrics` (`scheduler_last_tick_seconds`).
    pub fn metrics(mut self, metrics: shared::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
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
        // it is gone: two writes every few seconds instead of every tick. Should that reckoning
        // be wrong (a paused process, a clock that jumped), the fence refuses the enqueues.
        let held = self.held.lock().expect("lease lock").clone().filter(|(_, until)| now + ttl / 2 < *until);
        let fence = match held {
            Some((fence, _)) => fence,
            None => {
                let fence = self.leases.acquire(LEASE, &self.options.holder, now, self.options.lease_ttl).await?;
                *self.held.lock().expect("lease lock") = fence.clone().map(|f| (f, now + ttl));
                match fence {
                    Some(fence) => fence,
                    None => return Ok(None),
                }
            }
        };
        let queue = self.queue.clone().fenced(Some(fence));
        let mut reports = Vec::with_capacity(self.scans.len());
        for scan in &self.scans {
            match scan.run(&queue, now).await {
                Ok(report) => reports.push(report),
                Err(e) if e.downcast_ref::<QueueError>().is_some_and(QueueError::is_fenced) => {
                    tracing::warn!(holder = %self.options.holder, "another scheduler leads now; this one stops scanning");
                    *self.held.lock().expect("lease lock") = None;
                    return Ok(None);
                }
                Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "due-scan failed"),
            }
        }
        if let Some(metrics) = &self.metrics {
            metrics.scheduler_tick.set(now.timestamp());
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
                        tracing::info!(holder = %self.options.holder, leading, kept_in = self.leases.kept_in(), "scheduler leadership changed");
                    }
                }
                Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "scheduler tick failed"),
            }
        }
        if let Err(e) = self.leases.release(LEASE, &self.options.holder).await {
            tracing::warn!(error.message = %e, "could not release the scheduler lease");
        }
    }
}

/// Time from now until 2 ms past the next whole second of the system clock.
fn until_next_second() -> Duration {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos())) + Duration::from_millis(2)
}

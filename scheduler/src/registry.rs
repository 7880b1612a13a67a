//! What a slice brings to the scheduler: due-scans and cron entries, gathered in a [`Registry`]
//! from which the scheduler role builds its [`Scheduler`] and its apalis-cron monitor.

use std::str::FromStr;
use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use shared::clock::SharedClock;
use shared::config::Settings;
use shared::jobs::Job;
use shared::metrics::Metrics;
use shared::queue::{Enqueue, Queue};

use crate::{DueScan, Scheduler, SchedulerOptions};

/// A slice's scheduler part: adds its scans and cron entries.
pub type SchedulerSlice = Arc<dyn Fn(&mut Registry) -> anyhow::Result<()> + Send + Sync>;

type EnqueueFn = Arc<dyn Fn(Queue, i64) -> BoxFuture<'static, Result<(), BoxDynError>> + Send + Sync>;

/// One fixed schedule: at each tick it enqueues one job keyed `queue:0:<slot>`.
struct CronEntry {
    name: String,
    schedule: cron::Schedule,
    enqueue: EnqueueFn,
}

/// The scans and cron entries of every slice, and what they may use.
pub struct Registry {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub metrics: Metrics,
    pub settings: Arc<Settings>,
    scheduler: Scheduler,
    cron: Vec<CronEntry>,
}

impl Registry {
    pub fn new(
        db: DatabaseConnection,
        queue: Queue,
        metrics: Metrics,
        settings: Arc<Settings>,
        clock: SharedClock,
        options: SchedulerOptions,
    ) -> Self {
        let scheduler = Scheduler::new(db.clone(), queue.clone(), clock, options).metrics(metrics.clone());
        Self { db, queue, metrics, settings, scheduler, cron: Vec::new() }
    }

    /// Adds a due-scan, run every tick by the lease holder.
    pub fn scan(&mut self, scan: impl DueScan) -> &mut Self {
        self.scheduler.add_scan(scan);
        self
    }

    /// Adds a fixed schedule (`expr`: cron with seconds). Every replica ticks; `make` turns the
    /// tick's Unix time into the job and its slot, and the key `queue:0:<slot>` makes the
    /// replicas' enqueues of one slot a single job.
    pub fn cron<J: Job>(
        &mut self,
        expr: &str,
        make: impl Fn(i64) -> (J, i64) + Send + Sync + 'static,
    ) -> anyhow::Result<&mut Self> {
        let schedule =
            cron::Schedule::from_str(expr).map_err(|e| anyhow::anyhow!("schedule of {} {expr:?}: {e}", J::QUEUE))?;
        let make = Arc::new(make);
        let enqueue: EnqueueFn = Arc::new(move |queue: Queue, at: i64| {
            let (job, slot) = make(at);
            async move {
                let outcome = queue.enqueue(&job, Enqueue::keyed(format!("{}:0:{slot}", J::QUEUE))).await?;
                tracing::debug!(queue = J::QUEUE, slot, duplicate = outcome.duplicate, "cron job enqueued");
                Ok(())
            }
            .boxed()
        });
        self.cron.push(CronEntry { name: format!("cron-{}", J::QUEUE), schedule, enqueue });
        Ok(self)
    }

    /// The due-scan scheduler and the cron monitor.
    pub fn build(self) -> (Scheduler, Monitor) {
        let mut monitor = Monitor::new();
        for entry in self.cron {
            let queue = self.queue.clone();
            monitor = monitor.register(move |_| {
                WorkerBuilder::new(entry.name.clone())
                    .backend(CronScheduler::new(entry.schedule.clone()))
                    .data(queue.clone())
                    .data(entry.enqueue.clone())
                    .build(on_tick)
            });
        }
        (self.scheduler, monitor)
    }
}

async fn on_tick(tick: Tick, queue: Data<Queue>, enqueue: Data<EnqueueFn>) -> Result<(), BoxDynError> {
    (enqueue)((*queue).clone(), tick.get_timestamp() as i64).await
}

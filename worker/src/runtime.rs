//! The job runner between apalis and the handlers: one apalis worker per job kind, each running
//! [`execute`] around the kind's handler.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::{AbortError, Attempt, BoxDynError, Data, Monitor, TaskId, WorkerBuilder, WorkerBuilderExt};
use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use shared::clock::SharedClock;
use shared::jobs::Job;
use shared::metrics::Metrics;
use shared::queue::redis::backend::RedisBackend;
use shared::queue::{Queue, Settled, Store, Verdict};
use shared::ratelimit::SendLimiter;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// What every job handler may use; a slice's own dependencies are captured by its handlers
/// (see [`crate::Registry`]).
#[derive(Clone)]
pub struct Deps {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub metrics: Metrics,
    pub clock: SharedClock,
    /// Shared with the bot in the same process: every message passes this one limiter.
    pub limiter: SendLimiter,
    /// None when no bot token is configured; the notify queue is then left to wait.
    pub bot: Option<teloxide::Bot>,
    /// Telegram user ids of the admins, for system notices.
    pub admins: Vec<i64>,
}

/// How a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Retrying cannot help (bad input, refused for good): the job is dead at once.
    #[error("{0}")]
    Permanent(String),
    /// Worth another attempt after the backoff.
    #[error(transparent)]
    Transient(#[from] anyhow::Error),
    /// Not now: run again after this long (a rate limit's retry-after). The runner reschedules the
    /// job without counting the attempt, so a long wait never uses up its attempts.
    #[error("retry after {0:?}")]
    RetryAfter(Duration),
}

/// A database error is worth another attempt: handlers use `?` on sea-orm calls directly.
impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        JobError::Transient(e.into())
    }
}

/// So is an outbox write (a database error, or no keyring to encrypt the body with yet).
impl From<shared::outbox::OutboxError> for JobError {
    fn from(e: shared::outbox::OutboxError) -> Self {
        JobError::Transient(e.into())
    }
}

/// A job kind's handler: the payload first, then the dependencies.
pub type Handler<J> = Arc<dyn Fn(J, Arc<Deps>) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

struct Runner<J> {
    deps: Arc<Deps>,
    handler: Handler<J>,
}

/// Unique per process start, so worker names never clash with a previous run's.
pub fn run_id() -> String {
    format!("{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// Runs the workers `registry` registered until `shutdown`, then lets running jobs finish for up
/// to `drain`.
pub async fn run(registry: crate::Registry, shutdown: CancellationToken, drain: Duration) -> anyhow::Result<()> {
    registry
        .into_monitor()
        .shutdown_timeout(drain)
        .run_with_signal(async move {
            shutdown.cancelled().await;
            tracing::info!("worker: draining running jobs");
            Ok(())
        })
        .await?;
    Ok(())
}

/// Adds a worker for `J` to `monitor`. Tests use it to run job kinds of their own.
pub fn register<J: Job>(
    monitor: Monitor,
    deps: &Arc<Deps>,
    run_id: &str,
    concurrency: usize,
    handler: impl Fn(J, Arc<Deps>) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync + 'static,
) -> Monitor {
    let deps = deps.clone();
    let handler: Handler<J> = Arc::new(handler);
    let run_id = run_id.to_owned();
    // One builder chain over two backend types.
    macro_rules! worker {
        ($restarts:expr, $backend:expr) => {
            WorkerBuilder::new(format!("{}-{run_id}-{}", J::QUEUE, $restarts))
                .backend($backend)
                .data(Arc::new(Runner::<J> { deps: deps.clone(), handler: handler.clone() }))
                .concurrency(concurrency)
                .build(execute::<J>)
        };
    }
    match deps.queue.store().clone() {
        Store::Sqlite(store) => monitor.register(move |restarts| {
            worker!(
                restarts,
                match J::POLL {
                    Some(every) => store.backend_polling(J::QUEUE, every),
                    None => store.backend(J::QUEUE),
                }
            )
        }),
        Store::Redis(store) => monitor.register(move |restarts| {
            worker!(restarts, RedisBackend::new(store.clone(), J::QUEUE, &format!("{run_id}-{restarts}"), concurrency))
        }),
    }
}

/// Runs one attempt: decode, time-box, catch panics, then classify the outcome for the queue.
async fn execute<J: Job>(
    args: Value,
    task_id: TaskId,
    attempt: Attempt,
    runner: Data<Arc<Runner<J>>>,
) -> Result<(), BoxDynError> {
    let deps = runner.deps.clone();
    let kind = J::QUEUE;
    let attempt_no = attempt.current() as u32;
    let span = tracing::info_span!("job", kind, task_id = %task_id, attempt = attempt_no);
    async move {
        let started = Instant::now();
        let outcome = match serde_json::from_value::<J>(args) {
            Err(e) => Err(JobError::Permanent(format!("payload does not decode: {e}"))),
            Ok(job) => {
                let attempt = AssertUnwindSafe((runner.handler)(job, deps.clone())).catch_unwind();
                match tokio::time::timeout(J::POLICY.timeout, attempt).await {
                    Err(_) => Err(JobError::Transient(anyhow::anyhow!("timed out after {:?}", J::POLICY.timeout))),
                    Ok(Err(panic)) => Err(JobError::Transient(anyhow::anyhow!("panicked: {}", panic_message(&panic)))),
                    Ok(Ok(res)) => res,
                }
            }
        };
        deps.metrics.job_duration.with_label_values(&[kind]).observe(started.elapsed().as_secs_f64());
        match outcome.map_err(unless_database_unreachable) {
            Ok(()) => {
                deps.metrics.jobs_succeeded.with_label_values(&[kind]).inc();
                Ok(())
            }
            Err(JobError::Permanent(reason)) => {
                deps.metrics.jobs_failed.with_label_values(&[kind]).inc();
                deps.metrics.jobs_dead.with_label_values(&[kind]).inc();
                tracing::error!(error.message = %reason, "job failed for good; it is dead");
                Err(AbortError::new(reason).into())
            }
            Err(JobError::RetryAfter(wait)) => {
                let at = deps.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                let message = format!("deferred: retry after {wait:?}");
                let verdict = Verdict::Defer { at, reason: message.clone() };
                match deps.queue.settle(&task_id.to_string(), &verdict).await {
                    Ok(()) => tracing::info!(retry_in = ?wait, "job deferred; the attempt does not count"),
                    Err(db) => tracing::error!(
                        error.message = %db,
                        "could not defer the job; the attempt counts as failed and it runs again at once"
                    ),
                }
                Err(Settled { verdict, message }.into())
            }
            Err(JobError::Transient(e)) => {
                deps.metrics.jobs_failed.with_label_values(&[kind]).inc();
                let task_id = task_id.to_string();
                let message = format!("{e:#}");
                // On SQLite each deferral raised the job's max_attempts by one and ran as an
                // attempt; what the policy counts is the runs that were not deferred.
                let max_attempts = match deps.queue.max_attempts(&task_id).await {
                    Ok(max) => max.unwrap_or(J::POLICY.max_attempts),
                    Err(db) => {
                        tracing::warn!(error.message = %db, "could not read the job's attempts; assuming no deferrals");
                        J::POLICY.max_attempts
                    }
                };
                let counted = attempt_no.saturating_sub(max_attempts.saturating_sub(J::POLICY.max_attempts));
                if attempt_no >= max_attempts {
                    deps.metrics.jobs_dead.with_label_values(&[kind]).inc();
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "job failed its last attempt; it is dead");
                    return Err(AbortError::new(message).into());
                }
                let delay = J::POLICY.backoff.delay(counted, rand::random::<f64>());
                let at = deps.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
                tracing::warn!(error.message = %e, retry_in = ?delay, "job attempt failed; will retry");
                let verdict = Verdict::Retry { at, error: message.clone() };
                if let Err(db) = deps.queue.settle(&task_id, &verdict).await {
                    tracing::error!(error.message = %db, "could not delay the retry; it runs at once");
                }
                Err(Settled { verdict, message }.into())
            }
        }
    }
    .instrument(span)
    .await
}

/// How long a job waits when the database could not be reached.
const DATABASE_WAIT: Duration = Duration::from_secs(3);

/// A failure because the database could not be reached (restarting, a network blip) is a
/// deferral, not a failed attempt: the job waits for the database instead of dying of it.
fn unless_database_unreachable(e: JobError) -> JobError {
    match e {
        JobError::Transient(cause)
            if cause.chain().any(|c| c.downcast_ref::<sea_orm::DbErr>().is_some_and(shared::db::unreachable)) =>
        {
            tracing::warn!(error.message = %cause, retry_in = ?DATABASE_WAIT, "the database could not be reached");
            JobError::RetryAfter(DATABASE_WAIT)
        }
        other => other,
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic".into())
}

//! The queue facade: enqueue typed jobs, feed workers, and answer the dashboard's questions, in
//! words every backend shares.
//!
//! Outside this module a job is a [`JobInfo`] in a [`JobState`] (waiting, running, retrying, done,
//! dead), read through [`Queue::get`] and [`Queue::list`]; tests and the dashboard never read a
//! store's own storage. [`Queue`] ([`facade`]) is a handle over one of two stores: the embedded
//! default, apalis-sqlite in its own database file ([`sqlite`]), or Redis ([`redis`]), whose
//! apalis backend is our own. Job runners judge each attempt as a [`Verdict`] and return it as a
//! [`Settled`] error, so every store records the same outcome.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::Value;

mod facade;
pub mod redis;
mod sqlite;
mod sqlite_worker;

pub use facade::{Queue, Store};
pub use sqlite::{JobBackend, LenientJson, SqliteQueue, Wakeup, WakeupStream};
pub use sqlite_worker::SqliteWorker;

/// A queue operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The queue database could not be opened or queried.
    #[error("queue database: {0}")]
    Database(#[from] sqlx::Error),
    /// The queue schema could not be migrated.
    #[error("queue migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A payload could not be serialized.
    #[error("job payload: {0}")]
    Encode(#[from] serde_json::Error),
    /// The Redis store failed.
    #[error("queue: {0}")]
    Redis(#[from] redis::RedisQueueError),
}

impl QueueError {
    /// The enqueue was fenced by a lease term that has ended (see `Queue::fenced`).
    pub fn is_fenced(&self) -> bool {
        matches!(self, QueueError::Redis(redis::RedisQueueError::Fenced(_)))
    }
}

/// Options for one enqueue.
#[derive(Debug, Clone, Default)]
pub struct Enqueue {
    /// A key unique per queue: a second enqueue with the same key is a no-op. Periodic work uses
    /// `kind:id:slot`.
    pub idempotency_key: Option<String>,
    /// Not before this time (second precision). By default, at once.
    pub run_at: Option<DateTime<Utc>>,
}

impl Enqueue {
    pub fn keyed(key: impl Into<String>) -> Self {
        Self { idempotency_key: Some(key.into()), run_at: None }
    }
}

/// What an enqueue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnqueueOutcome {
    pub id: String,
    /// The idempotency key was taken already; nothing was added.
    pub duplicate: bool,
}

/// A job that will not run again: killed, or out of attempts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeadJob {
    pub id: String,
    pub queue: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub payload: Value,
    pub done_at: Option<i64>,
}

/// Job counts of one queue by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    pub queue: String,
    /// Waiting to run, including failed jobs waiting for their retry.
    pub pending: i64,
    pub running: i64,
    pub done: i64,
    pub dead: i64,
    /// Workers take nothing from it until it is resumed.
    pub paused: bool,
}

/// Where a job stands: the same five words on every backend, whatever it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its first attempt (maybe until `run_at`).
    Waiting,
    /// Claimed by a worker.
    Running,
    /// An attempt failed or was deferred; waiting for the next one.
    Retrying,
    Done,
    /// Will not run again: failed for good, or out of attempts.
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 5] = [Self::Waiting, Self::Running, Self::Retrying, Self::Done, Self::Dead];

    /// The state's word, as the API and the Redis store spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Retrying => "retrying",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// The state a word names.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

/// How an attempt ended, as the runner judged it: what the queue does with the job next.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Done,
    /// Will not run again.
    Dead {
        error: String,
    },
    /// Failed; runs again at `at`, this attempt counted.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Not now (a rate limit's retry-after); runs again at `at`, this attempt not counted.
    Defer {
        at: DateTime<Utc>,
        reason: String,
    },
    /// Handed to a worker that never started it (it was stopping): back to the front of the
    /// queue, the attempt not counted.
    Release,
}

/// The error a job runner returns for an attempt that failed or was deferred, carrying its
/// verdict to the backend that records it when the task is acknowledged.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Settled {
    pub verdict: Verdict,
    pub message: String,
}

/// How long finished jobs are kept, on every backend: `TELEOPS_QUEUE_KEEP_DONE` and
/// `TELEOPS_QUEUE_KEEP_DONE_COUNT`. Dead jobs stay until an admin drops them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Finished longer ago than this: dropped.
    pub keep_done: std::time::Duration,
    /// Beyond this many finished jobs per queue, the oldest are dropped.
    pub keep_count: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self { keep_done: std::time::Duration::from_secs(24 * 3600), keep_count: 100_000 }
    }
}

/// One job as the facade shows it, on any backend.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobInfo {
    pub id: String,
    pub queue: String,
    pub state: JobState,
    /// Attempts run so far, and allowed in all.
    pub attempts: u32,
    pub max_attempts: u32,
    /// The last attempt's error, when it failed or was deferred.
    pub last_error: Option<String>,
    pub payload: Value,
    pub idempotency_key: Option<String>,
    /// Not before this time (second precision).
    pub run_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    /// The worker that ran (or runs) the last attempt.
    pub worker: Option<String>,
}

/// Which jobs [`Queue::list`] returns: every field that is set narrows the list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub queue: Option<String>,
    pub state: Option<JobState>,
    pub idempotency_key: Option<String>,
}

impl JobFilter {
    /// The jobs of one queue.
    pub fn queue(queue: &str) -> Self {
        Self { queue: Some(queue.to_owned()), ..Default::default() }
    }

    /// ... in this state.
    pub fn state(mut self, state: JobState) -> Self {
        self.state = Some(state);
        self
    }

    /// ... with this idempotency key.
    pub fn key(mut self, key: &str) -> Self {
        self.idempotency_key = Some(key.to_owned());
        self
    }
}

/// A new job id: a ULID, increasing within the process, so ids sort in enqueue order even within
/// one millisecond (the plain generator draws the low bits at random).
fn next_id() -> String {
    static IDS: Mutex<ulid::Generator> = Mutex::new(ulid::Generator::new());
    let id = match IDS.lock().expect("id generator lock").generate() {
        Ok(id) => id,
        // 2^80 ids in one millisecond: carry into the timestamp rather than fail.
        Err(overflow) => overflow.commit_overflow_increment(),
    };
    id.to_string()
}

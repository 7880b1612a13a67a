//! The queue facade: enqueue typed jobs, feed workers, and answer the dashboard's questions, in
//! words every backend shares.
//!
//! Outside this module a job is a [`JobInfo`] in a [`JobState`] (waiting, running, retrying, done,
//! dead), read through [`Queue::get`] and [`Queue::list`]; tests and the dashboard never read a
//! backend's own storage. The one backend today is the embedded one, apalis-sqlite in its own
//! database file ([`sqlite`]); [`Queue`] is its handle until a second backend makes it a choice.
//! The Redis store ([`redis`]) enqueues and answers the same questions; its workers come next.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub mod redis;
mod sqlite;

pub use sqlite::{JobBackend, LenientJson, SqliteQueue as Queue, Wakeup, WakeupStream};

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

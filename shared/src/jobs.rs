//! Job kinds: each payload type names its queue and its retry policy. The core's kinds are here;
//! a slice's are in its own module (`monitoring::jobs`), each listed in the slice's `JOBS`.
//!
//! Payloads are serialized into the queue, so they are an API boundary: they carry ids, never
//! secrets or message bodies, and a field added later must have a default.

use std::time::Duration;

use serde::{Serialize, de::DeserializeOwned};

use crate::backoff::Backoff;

/// How a job kind is retried.
#[derive(Debug, Clone, Copy)]
pub struct JobPolicy {
    /// Attempts in all, the first included; after the last failure the job is dead.
    pub max_attempts: u32,
    /// A running attempt past this is cancelled and counted as failed.
    pub timeout: Duration,
    pub backoff: Backoff,
}

/// A kind of job: a payload with an explicit queue name (never the Rust type name) and a policy.
pub trait Job: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    const QUEUE: &'static str;
    const POLICY: JobPolicy;
    /// How often idle workers look for jobs enqueued by other processes; None for the queue's
    /// default. Jobs enqueued in the same process wake the worker at once either way.
    const POLL: Option<Duration> = None;
}

/// The polling period of housekeeping queues: their jobs come once a minute or less, and each
/// poll is a database query, which is most of an idle process's CPU.
pub const HOUSEKEEPING_POLL: Option<Duration> = Some(Duration::from_secs(2));

/// Proves the pipeline: the scheduler enqueues one a minute, a worker records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Heartbeat {
    /// The minute this heartbeat stands for (Unix seconds, a multiple of 60).
    pub slot: i64,
}

impl Job for Heartbeat {
    const QUEUE: &'static str = "heartbeat";
    const POLL: Option<Duration> = HOUSEKEEPING_POLL;
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 3,
        timeout: Duration::from_secs(10),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(10)),
    };
}

/// Send one message of the outbox to Telegram, within the rate limits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notify {
    pub outbox_id: i64,
}

impl Job for Notify {
    const QUEUE: &'static str = "notify";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 8,
        // Long enough to wait for a turn at a busy send limiter; a 429 goes back to the runner,
        // which reschedules the job (JobError::RetryAfter) without using up an attempt.
        timeout: Duration::from_secs(120),
        backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(300)),
    };
}

/// Delete finished jobs older than `keep_done_secs`, and the oldest beyond `keep_done_count` per
/// queue, so the queue stays small.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PurgeQueue {
    pub keep_done_secs: i64,
    /// Absent in jobs enqueued before it existed: the default then.
    #[serde(default = "default_keep_done_count")]
    pub keep_done_count: u64,
}

fn default_keep_done_count() -> u64 {
    crate::queue::Retention::default().keep_count
}

impl Job for PurgeQueue {
    const QUEUE: &'static str = "purge-queue";
    const POLL: Option<Duration> = HOUSEKEEPING_POLL;
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 3,
        timeout: Duration::from_secs(300),
        backoff: Backoff::new(Duration::from_secs(5), Duration::from_secs(60)),
    };
}

/// A kind of job as the runtime lists it: its queue, policy and polling period.
#[derive(Debug, Clone, Copy)]
pub struct JobKind {
    pub queue: &'static str,
    pub policy: JobPolicy,
    pub poll: Option<Duration>,
}

impl JobKind {
    pub const fn of<J: Job>() -> Self {
        Self { queue: J::QUEUE, policy: J::POLICY, poll: J::POLL }
    }
}

/// The core's job kinds.
pub const JOBS: &[JobKind] = &[JobKind::of::<Heartbeat>(), JobKind::of::<Notify>(), JobKind::of::<PurgeQueue>()];

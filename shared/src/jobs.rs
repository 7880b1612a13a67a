//! Job kinds: each payload type names its queue and its retry policy.
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
        // Long enough to sit out a typical 429 retry-after inside one attempt.
        timeout: Duration::from_secs(120),
        backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(300)),
    };
}

/// Delete finished jobs older than `keep_done_secs`, so the queue stays small.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PurgeQueue {
    pub keep_done_secs: i64,
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

/// Run the checks of a batch of monitors, each for its scheduled slot. The scheduler puts the
/// monitors that fall due in one tick into batches, so the queue carries one job per batch, not
/// one per check, and the worker writes a batch's results in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// `(monitor id, scheduled time in Unix seconds)`; a check more than one interval late is
    /// skipped, and a slot a monitor has already recorded is not recorded again.
    pub slots: Vec<(i64, i64)>,
}

impl Job for Check {
    const QUEUE: &'static str = "check";
    const POLICY: JobPolicy = JobPolicy {
        // Only a failed write fails the job (a failed probe is a result); a retry re-runs the
        // probes of the slots that are still current, and slots already recorded are skipped.
        max_attempts: 3,
        timeout: Duration::from_secs(120),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(5)),
    };
}

/// Send the alert lines waiting for one chat as one message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlushAlerts {
    pub chat_id: i64,
}

impl Job for FlushAlerts {
    const QUEUE: &'static str = "alerts";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 8,
        timeout: Duration::from_secs(30),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
    };
}

/// Roll finished hours of raw check results into hourly rollups and delete what is past retention.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MaintainResults {
    /// Raw results older than this are deleted (once rolled up).
    pub keep_raw_secs: i64,
}

impl Job for MaintainResults {
    const QUEUE: &'static str = "maintain-results";
    const POLL: Option<Duration> = HOUSEKEEPING_POLL;
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 3,
        timeout: Duration::from_secs(600),
        backoff: Backoff::new(Duration::from_secs(10), Duration::from_secs(120)),
    };
}

/// The queue names teleops runs workers for, for listings that must cover every queue.
pub const QUEUES: &[&str] =
    &[Heartbeat::QUEUE, Notify::QUEUE, PurgeQueue::QUEUE, Check::QUEUE, FlushAlerts::QUEUE, MaintainResults::QUEUE];

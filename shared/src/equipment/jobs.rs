//! The equipment slice's job kinds.

use std::time::Duration;

use crate::backoff::Backoff;
use crate::jobs::{HOUSEKEEPING_POLL, Job, JobKind, JobPolicy};

/// Move on every waitlist hold that has lapsed: its user leaves the line and is told, and the
/// device is offered to the next (`equipment::loans::expire_holds`). The scheduler enqueues one
/// when it sees a lapsed hold; the job finds the lapsed holds itself, so it carries nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpireHolds {}

impl Job for ExpireHolds {
    const QUEUE: &'static str = "equipment-holds";
    const POLL: Option<Duration> = HOUSEKEEPING_POLL;
    const POLICY: JobPolicy = JobPolicy {
        // Each hold moves in its own transaction, so a retry only does what is left.
        max_attempts: 5,
        timeout: Duration::from_secs(60),
        backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(60)),
    };
}

/// The slice's job kinds, for the listings that must cover every queue.
pub const JOBS: &[JobKind] = &[JobKind::of::<ExpireHolds>()];

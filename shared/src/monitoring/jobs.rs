//! The monitoring slice's job kinds.

use std::time::Duration;

use crate::backoff::Backoff;
use crate::jobs::{HOUSEKEEPING_POLL, Job, JobKind, JobPolicy};

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

/// The slice's job kinds, for the listings that must cover every queue.
pub const JOBS: &[JobKind] = &[JobKind::of::<Check>(), JobKind::of::<FlushAlerts>(), JobKind::of::<MaintainResults>()];

//! The equipment slice's job kinds.

use std::time::Duration;

use crate::backoff::Backoff;
use crate::jobs::{Job, JobKind, JobPolicy};

/// Download the file of an import, plan it (the dry run) and report to the admin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadImport {
    pub import_id: i64,
}

impl Job for ReadImport {
    const QUEUE: &'static str = "equipment-import-read";
    const POLICY: JobPolicy = JobPolicy {
        // A download that failed is worth a few more tries; a file that cannot be read is
        // reported to the admin and ends the job.
        max_attempts: 4,
        timeout: Duration::from_secs(300),
        backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(60)),
    };
}

/// Apply an import whose dry run the admin accepted: plan again, and write it all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplyImport {
    pub import_id: i64,
}

impl Job for ApplyImport {
    const QUEUE: &'static str = "equipment-import-apply";
    const POLICY: JobPolicy = JobPolicy {
        // A failure rolls everything back and is reported; the job itself is not retried.
        max_attempts: 1,
        timeout: Duration::from_secs(600),
        backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(60)),
    };
}

/// Send every device as CSV and XLSX to an admin's chat.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportDevices {
    pub chat_id: i64,
    /// Who asked: the caption is in their language.
    pub user_id: i64,
}

impl Job for ExportDevices {
    const QUEUE: &'static str = "equipment-export";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 3,
        timeout: Duration::from_secs(600),
        backoff: Backoff::new(Duration::from_secs(5), Duration::from_secs(60)),
    };
}

/// The slice's job kinds, for the listings that must cover every queue.
pub const JOBS: &[JobKind] =
    &[JobKind::of::<ReadImport>(), JobKind::of::<ApplyImport>(), JobKind::of::<ExportDevices>()];

//! The equipment slice's job kinds.

use std::time::Duration;

use chrono::NaiveDate;

use crate::backoff::Backoff;
use crate::equipment::calendar::{self, Escalation, Item, Overdue, Reminder};
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

// Reminders: the digests the calendar plans, one job per digest.

/// A loan as the reminder scan listed it: ids and the due date it had then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listed {
    pub loan_id: i64,
    pub device_id: i64,
    pub holder_id: i64,
    pub due: NaiveDate,
}

/// Send one holder's reminder digest for one of their local days. The sender re-reads the loans
/// (`calendar::still_due`), so the list is what the scan saw, not necessarily what is sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Remind {
    pub holder_id: i64,
    /// The holder's local day the digest is for.
    pub date: NaiveDate,
    pub loans: Vec<Listed>,
}

impl Remind {
    pub fn new(reminder: &Reminder) -> Self {
        let loans = reminder
            .items
            .iter()
            .map(|item| Listed {
                loan_id: item.loan_id,
                device_id: item.device_id,
                holder_id: reminder.holder_id,
                due: item.due,
            })
            .collect();
        Self { holder_id: reminder.holder_id, date: reminder.date, loans }
    }

    /// The digest as the calendar planned it: its items and its key.
    pub fn reminder(&self) -> Reminder {
        let items = self
            .loans
            .iter()
            .filter_map(|l| {
                let kind = calendar::kind(l.due, self.date)?;
                Some(Item { loan_id: l.loan_id, device_id: l.device_id, due: l.due, kind })
            })
            .collect();
        Reminder { holder_id: self.holder_id, date: self.date, items }
    }
}

impl Job for Remind {
    const QUEUE: &'static str = "equipment-remind";
    const POLICY: JobPolicy = JobPolicy {
        // A failed attempt wrote nothing (the log row and the message share a transaction); the
        // next scan enqueues nothing new while this job is waiting or dead (same key).
        max_attempts: 5,
        timeout: Duration::from_secs(30),
        backoff: Backoff::new(Duration::from_secs(5), Duration::from_secs(300)),
    };
}

/// At most this many loans ride in the admins' digest job: the message shows far fewer, and a
/// payload stays small whatever the number of overdue loans.
pub const ESCALATE_CARRIED: usize = 1_000;

/// Send the admins' digest of loans overdue by the escalation threshold, for one admin-zone day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Escalate {
    /// The admin zone's day.
    pub date: NaiveDate,
    /// The most overdue loans first, at most [`ESCALATE_CARRIED`].
    pub loans: Vec<Listed>,
    /// Overdue loans the scan found beyond those carried.
    #[serde(default)]
    pub beyond: u64,
}

impl Escalate {
    pub fn new(escalation: &Escalation) -> Self {
        let loans = escalation
            .items
            .iter()
            .take(ESCALATE_CARRIED)
            .map(|o| Listed { loan_id: o.loan_id, device_id: o.device_id, holder_id: o.holder_id, due: o.due })
            .collect();
        let beyond = escalation.items.len().saturating_sub(ESCALATE_CARRIED) as u64;
        Self { date: escalation.date, loans, beyond }
    }

    /// The digest as the calendar planned it (days overdue counted on the admin zone's day; the
    /// send-time re-check counts them on each holder's day again).
    pub fn escalation(&self) -> Escalation {
        let items = self
            .loans
            .iter()
            .map(|l| Overdue {
                loan_id: l.loan_id,
                device_id: l.device_id,
                holder_id: l.holder_id,
                due: l.due,
                days: u32::try_from((self.date - l.due).num_days()).unwrap_or(0),
            })
            .collect();
        Escalation { date: self.date, items }
    }
}

impl Job for Escalate {
    const QUEUE: &'static str = "equipment-escalate";
    const POLICY: JobPolicy = JobPolicy {
        max_attempts: 5,
        timeout: Duration::from_secs(60),
        backoff: Backoff::new(Duration::from_secs(5), Duration::from_secs(300)),
    };
}

// Imports and exports.

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
pub const JOBS: &[JobKind] = &[
    JobKind::of::<ExpireHolds>(),
    JobKind::of::<Remind>(),
    JobKind::of::<Escalate>(),
    JobKind::of::<ReadImport>(),
    JobKind::of::<ApplyImport>(),
    JobKind::of::<ExportDevices>(),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equipment::calendar::{Kind, OpenLoan, ReminderSettings, plan};
    use chrono::{TimeZone, Utc};

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn payloads_carry_the_planned_digests_through_the_queue() {
        let loans: Vec<OpenLoan> = [(1, 10, 7, day(25)), (2, 11, 7, day(24)), (3, 12, 8, day(20))]
            .into_iter()
            .map(|(loan_id, device_id, holder_id, due)| OpenLoan {
                loan_id,
                device_id,
                holder_id,
                holder_zone: chrono_tz::UTC,
                due,
            })
            .collect();
        let now = Utc.with_ymd_and_hms(2026, 12, 24, 10, 0, 0).unwrap();
        let planned = plan(now, &ReminderSettings::default(), &loans);
        for reminder in &planned.reminders {
            let job: Remind = serde_json::from_str(&serde_json::to_string(&Remind::new(reminder)).unwrap()).unwrap();
            assert_eq!(&job.reminder(), reminder);
        }
        let escalation = planned.escalation.expect("loan 3 is 4 days overdue");
        let job: Escalate = serde_json::from_str(&serde_json::to_string(&Escalate::new(&escalation)).unwrap()).unwrap();
        assert_eq!(job.escalation(), escalation);
        assert_eq!(job.escalation().items[0].days, 4);
        assert_eq!(planned.reminders[0].items[0].kind, Kind::DueToday);
    }

    #[test]
    fn the_admins_digest_carries_at_most_its_cap_and_counts_the_rest() {
        let items = (0..ESCALATE_CARRIED as i64 + 5)
            .map(|id| Overdue { loan_id: id, device_id: id, holder_id: 1, due: day(1), days: 23 })
            .collect();
        let job = Escalate::new(&Escalation { date: day(24), items });
        assert_eq!((job.loans.len(), job.beyond), (ESCALATE_CARRIED, 5));
        // A payload written before `beyond` existed still decodes.
        let old: Escalate = serde_json::from_str(r#"{"date":"2026-12-24","loans":[]}"#).unwrap();
        assert_eq!(old.beyond, 0);
    }
}

//! The reminder calendar: given "now" and the open loans, which reminders are due.
//!
//! A loan's due date is a local calendar date in the holder's zone: `/take 5 2026-12-24` means
//! "return by the end of 24 December where I am" (a span such as `3d` is turned into a date by the
//! caller). A holder hears of a loan the day before it is due, on the due day, and every day it is
//! overdue, all in one digest per holder per local day, sent once the holder's wall clock has
//! reached the reminder hour (`TELEOPS_REMINDER_HOUR`). The admins get one digest per day, at the
//! same hour in the admin zone, of the loans overdue by `TELEOPS_OVERDUE_ESCALATE_DAYS` days or more.
//!
//! [`plan`] is stateless, so the scheduler may call it every minute: it answers "what should have
//! gone out today by now", and each digest's key (`equipment-remind:<holder>:<YYYY-MM-DD>`,
//! `equipment-escalate:<YYYY-MM-DD>`) is the same on every scan of that local day, so the queue's
//! idempotency key makes one enqueue of it. Consequences of that shape, all deliberate:
//! - a scan after the hour but late in the day (the scheduler was down) still yields that day's
//!   digest; a day missed entirely is never sent the next day, whose own digest covers it;
//! - a due date changed after today's digest was enqueued shows in tomorrow's digest, not in a
//!   second one today (the key is taken);
//! - likewise a loan that reaches the escalation threshold after today's admins' digest went out
//!   (its holder's day began later than the admins') is in tomorrow's; if there was none today, the
//!   first scan that finds one sends today's;
//! - the hour is local wall-clock time. An hour inside a spring-forward gap (02:30 in Berlin on
//!   2027-03-28) fires at the first instant after the gap (03:00 CEST); an hour that happens twice
//!   on a fall-back day fires at its first occurrence, and the second one finds the key taken.
//!
//! Between the scan and the send a device may be returned or its due date changed, so the sender
//! re-reads the loans and passes the digest through [`still_due`] (or [`still_overdue`] for the
//! admins' digest); what is left empty is not sent.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// What the calendar reads from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSettings {
    /// The local wall-clock time reminders go out, in each reader's zone
    /// (`TELEOPS_REMINDER_HOUR`). By default, this is 10:00.
    pub hour: NaiveTime,
    /// How many days overdue a loan must be for the admins' digest to list it
    /// (`TELEOPS_OVERDUE_ESCALATE_DAYS`). By default, this is 3. A loan is overdue from the day
    /// after its due date, so 0 behaves as 1.
    pub escalate_days: u32,
    /// The zone whose days and reminder hour the admins' digest follows. By default, this is UTC.
    pub admin_zone: Tz,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            hour: NaiveTime::from_hms_opt(10, 0, 0).expect("10:00 is a time"),
            escalate_days: 3,
            admin_zone: Tz::UTC,
        }
    }
}

/// A loan that is still open and has a due date, as the scan reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenLoan {
    /// One holder's hold of one device: returning it and taking it again is a new loan.
    pub loan_id: i64,
    pub device_id: i64,
    pub holder_id: i64,
    /// The holder's zone. All loans of one holder carry the same zone; should they not (the zone
    /// changed between two reads), the holder's first loan in the input decides the digest's day.
    pub holder_zone: Tz,
    /// The last local day of the loan, in `holder_zone`.
    pub due: NaiveDate,
}

/// How a loan stands on a local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Due the day after.
    DueTomorrow,
    /// Due this day.
    DueToday,
    /// Past its due date by `days` (1 on the day after the due date).
    Overdue { days: u32 },
}

/// One device in a holder's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub loan_id: i64,
    pub device_id: i64,
    pub due: NaiveDate,
    pub kind: Kind,
}

/// One holder's digest for one local day: every device due tomorrow, today or overdue, the most
/// overdue first, then by device id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub holder_id: i64,
    /// The holder's local day the digest is for.
    pub date: NaiveDate,
    pub items: Vec<Item>,
}

impl Reminder {
    /// The queue's idempotency key: one digest per holder per local day.
    pub fn key(&self) -> String {
        format!("equipment-remind:{}:{}", self.holder_id, self.date)
    }
}

/// One loan in the admins' digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    pub loan_id: i64,
    pub device_id: i64,
    pub holder_id: i64,
    pub due: NaiveDate,
    /// Days overdue on the holder's local day.
    pub days: u32,
}

/// The admins' digest for one day in the admin zone: the loans overdue by the escalation threshold
/// or more, the most overdue first, then by holder and device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// The admin zone's local day the digest is for.
    pub date: NaiveDate,
    pub items: Vec<Overdue>,
}

impl Escalation {
    /// The queue's idempotency key: one admins' digest per admin-zone day.
    pub fn key(&self) -> String {
        format!("equipment-escalate:{}", self.date)
    }
}

/// What is due at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// One per holder with something to hear about whose reminder hour has come today, by holder id.
    pub reminders: Vec<Reminder>,
    /// The admins' digest, once the reminder hour has come in the admin zone and a loan qualifies.
    pub escalation: Option<Escalation>,
}

/// The digests that are due at `now`: the holders' for their local today, and the admins'.
pub fn plan(now: DateTime<Utc>, settings: &ReminderSettings, loans: &[OpenLoan]) -> Plan {
    let mut by_holder: BTreeMap<i64, Vec<&OpenLoan>> = BTreeMap::new();
    for loan in loans {
        by_holder.entry(loan.holder_id).or_default().push(loan);
    }
    // Holders share a handful of zones; each zone's reminder instant is looked up once per scan.
    let mut reached: HashMap<Tz, bool> = HashMap::new();
    let reminders = by_holder
        .into_iter()
        .filter_map(|(holder_id, held)| {
            let zone = held[0].holder_zone;
            let date = local_date(now, zone);
            if !*reached.entry(zone).or_insert_with(|| hour_reached(now, date, settings.hour, zone)) {
                return None;
            }
            let mut items: Vec<Item> = held.into_iter().filter_map(|loan| item(loan, date)).collect();
            sort_items(&mut items);
            (!items.is_empty()).then_some(Reminder { holder_id, date, items })
        })
        .collect();
    Plan { reminders, escalation: escalation(now, settings, loans) }
}

/// The send-time re-check of a holder's digest for local day `today` (the digest's date) against
/// the loans open now: a returned device drops out, a changed due date is classified afresh (moved
/// past tomorrow: dropped). An empty answer means the digest is not sent.
pub fn still_due(items: &[Item], open_loans_now: &[OpenLoan], today: NaiveDate) -> Vec<Item> {
    let mut items = reread(items.iter().map(|item| item.loan_id), open_loans_now, |loan| item(loan, today));
    sort_items(&mut items);
    items
}

/// The send-time re-check of the admins' digest against the loans open now: returned loans and
/// loans no longer overdue by `escalate_days` (a due date moved) drop out.
pub fn still_overdue(
    items: &[Overdue],
    open_loans_now: &[OpenLoan],
    now: DateTime<Utc>,
    escalate_days: u32,
) -> Vec<Overdue> {
    let mut items =
        reread(items.iter().map(|item| item.loan_id), open_loans_now, |loan| overdue(loan, now, escalate_days));
    sort_overdue(&mut items);
    items
}

/// The instant the reminder hour comes on local day `date` in `zone`: the first instant whose
/// wall-clock time on that day is `hour` or later. A wall time that happens twice (fall-back)
/// counts at its first occurrence; one inside a gap (spring-forward) at the end of the gap. None
/// only for a day the zone skipped from `hour` on (Pacific/Apia skipped 2011-12-30 whole).
pub fn reminder_instant(date: NaiveDate, hour: NaiveTime, zone: Tz) -> Option<DateTime<Utc>> {
    let wall = date.and_time(hour);
    if let Some(at) = zone.from_local_datetime(&wall).earliest() {
        return Some(at.with_timezone(&Utc));
    }
    // Gaps start and end on whole minutes in every zone since the 1970s, so the first existing
    // whole minute after `hour` is the instant the clocks jumped.
    let mut wall = wall.with_second(0).and_then(|w| w.with_nanosecond(0)).unwrap_or(wall) + Duration::minutes(1);
    while wall.date() == date {
        if let Some(at) = zone.from_local_datetime(&wall).earliest() {
            return Some(at.with_timezone(&Utc));
        }
        wall += Duration::minutes(1);
    }
    None
}

/// How a loan due on `due` stands on local day `today`; None when it is due after tomorrow.
pub fn kind(due: NaiveDate, today: NaiveDate) -> Option<Kind> {
    match (today - due).num_days() {
        -1 => Some(Kind::DueTomorrow),
        0 => Some(Kind::DueToday),
        days @ 1.. => Some(Kind::Overdue { days: u32::try_from(days).unwrap_or(u32::MAX) }),
        _ => None,
    }
}

fn local_date(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

fn hour_reached(now: DateTime<Utc>, date: NaiveDate, hour: NaiveTime, zone: Tz) -> bool {
    reminder_instant(date, hour, zone).is_some_and(|at| now >= at)
}

fn item(loan: &OpenLoan, today: NaiveDate) -> Option<Item> {
    let kind = kind(loan.due, today)?;
    Some(Item { loan_id: loan.loan_id, device_id: loan.device_id, due: loan.due, kind })
}

/// The loan as the admins' digest lists it at `now`, if it is overdue by `escalate_days` or more
/// on the holder's local day.
fn overdue(loan: &OpenLoan, now: DateTime<Utc>, escalate_days: u32) -> Option<Overdue> {
    match kind(loan.due, local_date(now, loan.holder_zone))? {
        Kind::Overdue { days } if days >= escalate_days => Some(Overdue {
            loan_id: loan.loan_id,
            device_id: loan.device_id,
            holder_id: loan.holder_id,
            due: loan.due,
            days,
        }),
        _ => None,
    }
}

fn escalation(now: DateTime<Utc>, settings: &ReminderSettings, loans: &[OpenLoan]) -> Option<Escalation> {
    let date = local_date(now, settings.admin_zone);
    if !hour_reached(now, date, settings.hour, settings.admin_zone) {
        return None;
    }
    let mut items: Vec<Overdue> = loans.iter().filter_map(|loan| overdue(loan, now, settings.escalate_days)).collect();
    sort_overdue(&mut items);
    (!items.is_empty()).then_some(Escalation { date, items })
}

/// The loans named by `loan_ids` that are still open, as `derive` sees them now.
fn reread<T>(
    loan_ids: impl Iterator<Item = i64>,
    open_loans_now: &[OpenLoan],
    derive: impl Fn(&OpenLoan) -> Option<T>,
) -> Vec<T> {
    loan_ids.filter_map(|id| open_loans_now.iter().find(|loan| loan.loan_id == id)).filter_map(derive).collect()
}

/// Within one holder's day the earliest due date is the most overdue.
fn sort_items(items: &mut [Item]) {
    items.sort_by_key(|item| (item.due, item.device_id));
}

/// Holders' days differ by zone, so the admins' digest orders by days overdue, not by due date.
fn sort_overdue(items: &mut [Overdue]) {
    items.sort_by_key(|item| (Reverse(item.days), item.holder_id, item.device_id));
}

#[cfg(test)]
mod tests;

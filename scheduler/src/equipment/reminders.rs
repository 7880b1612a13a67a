//! The equipment reminder scans: once a minute (by the scheduler's clock) they ask
//! `equipment::calendar::plan` which digests are due and enqueue one job per digest under the
//! calendar's key: [`ReminderScan`] a `Remind` per holder and local day, [`EscalationScan`] the
//! admins' `Escalate` per admin-zone day.
//!
//! Why once a minute rather than every tick: the reminder hour is a whole minute of local time
//! (`TELEOPS_REMINDER_HOUR` is `10` or `09:30`, zones are whole minutes off UTC), so the first tick
//! of each minute sees every hour that came in it, and the other ticks have nothing to add. The
//! scan runs on the leader's ticks (not on apalis-cron) because it needs the scheduler's clock.
//!
//! "Once per person per local day" is the `reminder_log` table (m0012), not the queue key: the
//! queue forgets finished jobs after `TELEOPS_QUEUE_KEEP_DONE`. The worker logs a digest's key in
//! the transaction that writes its message, and the scan only reads loans of holders not logged for
//! their day, so once the day's digests are out a scan returns no rows. Cheap when nothing is due:
//! only zones whose reminder hour has come today are read (one query per local date among them,
//! usually one, through the `loans_open_due` index, due tomorrow or earlier), and none before the
//! hour. The queue key still makes a scan that runs while a digest job waits add nothing.
//!
//! A loan taken after its holder's reminder hour today is left for tomorrow's digest: whoever just
//! took a device due today or tomorrow knows it, and a reminder a minute after taking reads wrong.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use futures::future::BoxFuture;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect};
use shared::entities::{loan, reminder_log, user};
use shared::equipment::calendar::{self, Escalation, OpenLoan, Reminder, ReminderSettings};
use shared::equipment::jobs::{Escalate, Remind};
use shared::tz::Tz;

use crate::{Due, DueScan, Registry};

/// Logged digests older than this many days are pruned.
const KEEP_LOG_DAYS: i64 = 7;

/// Adds both scans, with the reminder settings read from `Settings`.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    let settings = ReminderSettings {
        hour: r.settings.reminder_hour,
        escalate_days: r.settings.overdue_escalate_days,
        admin_zone: r.settings.timezone,
    };
    // Users without `/timezone` live in `TELEOPS_TIMEZONE`, as the admins' digest does.
    let default_zone = r.settings.timezone;
    r.scan(ReminderScan::new(r.db.clone(), settings, default_zone));
    r.scan(EscalationScan::new(r.db.clone(), settings, default_zone));
    Ok(())
}

/// The holders' digests.
pub struct ReminderScan {
    loans: Loans,
    minute: Minute,
}

impl ReminderScan {
    pub fn new(db: DatabaseConnection, settings: ReminderSettings, default_zone: Tz) -> Self {
        Self { loans: Loans { db, settings, default_zone }, minute: Minute::default() }
    }
}

impl DueScan for ReminderScan {
    type Job = Remind;

    fn due(&self, now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<Remind>>>> {
        Box::pin(async move {
            if !self.minute.begin(now) {
                return Ok(Vec::new());
            }
            self.minute.prune_once_a_day(&self.loans.db, now).await?;
            let reminders = self.loans.reminders(now).await?;
            if !reminders.is_empty() {
                tracing::debug!(n = reminders.len(), "equipment reminder digests due");
            }
            Ok(reminders
                .iter()
                .map(|r| Due { id: r.holder_id, slot: day_number(r.date), job: Remind::new(r), run_at: None })
                .collect())
        })
    }

    fn enqueued(&self, _items: &[Due<Remind>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        self.minute.settle();
        Box::pin(async { Ok(()) })
    }

    fn key(&self, item: &Due<Remind>) -> String {
        Reminder { holder_id: item.job.holder_id, date: item.job.date, items: Vec::new() }.key()
    }
}

/// The admins' digest.
pub struct EscalationScan {
    loans: Loans,
    minute: Minute,
}

impl EscalationScan {
    pub fn new(db: DatabaseConnection, settings: ReminderSettings, default_zone: Tz) -> Self {
        Self { loans: Loans { db, settings, default_zone }, minute: Minute::default() }
    }
}

impl DueScan for EscalationScan {
    type Job = Escalate;

    fn due(&self, now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<Vec<Due<Escalate>>>> {
        Box::pin(async move {
            if !self.minute.begin(now) {
                return Ok(Vec::new());
            }
            let Some(escalation) = self.loans.escalation(now).await? else { return Ok(Vec::new()) };
            tracing::debug!(n = escalation.items.len(), "equipment admins' digest due");
            let job = Escalate::new(&escalation);
            Ok(vec![Due { id: 0, slot: day_number(escalation.date), job, run_at: None }])
        })
    }

    fn enqueued(&self, _items: &[Due<Escalate>], _now: DateTime<Utc>) -> BoxFuture<'_, anyhow::Result<()>> {
        self.minute.settle();
        Box::pin(async { Ok(()) })
    }

    fn key(&self, item: &Due<Escalate>) -> String {
        Escalation { date: item.job.date, items: Vec::new() }.key()
    }
}

/// A scan's once-a-minute gate: the minute it last completed (enqueued what it found), so a
/// failed scan or enqueue is tried again at the next tick.
#[derive(Debug, Default)]
struct Minute {
    state: Mutex<MinuteState>,
}

#[derive(Debug, Default)]
struct MinuteState {
    done: Option<i64>,
    running: Option<i64>,
    pruned_on: Option<NaiveDate>,
}

impl Minute {
    /// Whether `now`'s minute is still to be scanned.
    fn begin(&self, now: DateTime<Utc>) -> bool {
        let minute = now.timestamp().div_euclid(60);
        let mut state = self.state.lock().expect("minute lock");
        state.running = Some(minute);
        state.done != Some(minute)
    }

    fn settle(&self) {
        let mut state = self.state.lock().expect("minute lock");
        state.done = state.running.take();
    }

    /// Deletes log rows past [`KEEP_LOG_DAYS`], at most once per UTC day.
    async fn prune_once_a_day(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<()> {
        let today = now.date_naive();
        if self.state.lock().expect("minute lock").pruned_on == Some(today) {
            return Ok(());
        }
        let gone = reminder_log::Entity::delete_many()
            .filter(reminder_log::Column::Day.lt(today - Duration::days(KEEP_LOG_DAYS)))
            .exec(db)
            .await?;
        tracing::debug!(n = gone.rows_affected, "old reminder log rows pruned");
        self.state.lock().expect("minute lock").pruned_on = Some(today);
        Ok(())
    }
}

/// Reads open loans with a due date and their holders' zones, for the calendar.
struct Loans {
    db: DatabaseConnection,
    settings: ReminderSettings,
    default_zone: Tz,
}

/// The zones whose reminder hour has come on one local date: by name (as `users.time_zone`
/// holds them), and whether users without a zone (the default zone) are among them.
#[derive(Debug, Default)]
struct Reached {
    names: Vec<String>,
    default: bool,
}

/// `(loan id, device id, holder id, due on, taken at, holder's users.time_zone)`.
type Row = (i64, i64, i64, NaiveDate, DateTime<Utc>, Option<String>);

impl Loans {
    /// The holders' digests due at `now` and not yet logged.
    async fn reminders(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Reminder>> {
        let zones = self.zones().await?;
        let mut reached: BTreeMap<NaiveDate, Reached> = BTreeMap::new();
        // The instant today's hour came, per zone: loans taken since then wait for tomorrow.
        let mut came_at: HashMap<Tz, DateTime<Utc>> = HashMap::new();
        let mut consider = |name: Option<&str>, zone: Tz| {
            let date = now.with_timezone(&zone).date_naive();
            let Some(at) = calendar::reminder_instant(date, self.settings.hour, zone).filter(|at| now >= *at) else {
                return;
            };
            came_at.insert(zone, at);
            let group = reached.entry(date).or_default();
            match name {
                Some(name) => group.names.push(name.to_owned()),
                None => group.default = true,
            }
        };
        consider(None, self.default_zone);
        for (name, zone) in &zones {
            consider(Some(name), *zone);
        }
        let mut open = Vec::new();
        for (date, group) in &reached {
            let rows = self.rows(date.succ_opt().unwrap_or(*date), Some(group), Some(*date)).await?;
            open.extend(rows.into_iter().filter_map(|row| {
                let loan = self.open_loan(&row, &zones);
                let taken_before_the_hour = came_at.get(&loan.holder_zone).is_some_and(|at| row.4 < *at);
                taken_before_the_hour.then_some(loan)
            }));
        }
        Ok(calendar::plan(now, &self.settings, &open).reminders)
    }

    /// The admins' digest due at `now`, unless it is logged.
    async fn escalation(&self, now: DateTime<Utc>) -> anyhow::Result<Option<Escalation>> {
        let zone = self.settings.admin_zone;
        let date = now.with_timezone(&zone).date_naive();
        if calendar::reminder_instant(date, self.settings.hour, zone).is_none_or(|at| now < at) {
            return Ok(None);
        }
        let key = Escalation { date, items: Vec::new() }.key();
        if reminder_log::Entity::find_by_id(key).one(&self.db).await?.is_some() {
            return Ok(None);
        }
        // A holder's day is at most two days ahead of the admin zone's (UTC-12 to UTC+14), so no
        // loan due after this is overdue by the threshold anywhere yet.
        let threshold = i64::from(std::cmp::max(self.settings.escalate_days, 1));
        let due_by = date + Duration::days(2 - threshold);
        let zones = self.zones().await?;
        let open: Vec<OpenLoan> =
            self.rows(due_by, None, None).await?.iter().map(|row| self.open_loan(row, &zones)).collect();
        Ok(calendar::plan(now, &self.settings, &open).escalation)
    }

    /// Every zone name users chose, with its zone (a name that no longer parses: the default).
    async fn zones(&self) -> anyhow::Result<HashMap<String, Tz>> {
        let names: Vec<String> = user::Entity::find()
            .select_only()
            .column(user::Column::TimeZone)
            .distinct()
            .filter(user::Column::TimeZone.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(names
            .into_iter()
            .map(|name| {
                let zone = shared::tz::parse(&name).unwrap_or(self.default_zone);
                (name, zone)
            })
            .collect())
    }

    /// Open loans due on `due_by` or earlier; only holders in `zones` when given, and only
    /// holders without a logged digest for `unlogged_on` when given.
    async fn rows(
        &self,
        due_by: NaiveDate,
        zones: Option<&Reached>,
        unlogged_on: Option<NaiveDate>,
    ) -> anyhow::Result<Vec<Row>> {
        let holder = loan::Entity::belongs_to(user::Entity).from(loan::Column::HolderId).to(user::Column::Id).into();
        let mut query = loan::Entity::find()
            .select_only()
            .column(loan::Column::Id)
            .column(loan::Column::DeviceId)
            .column(loan::Column::HolderId)
            .column(loan::Column::DueOn)
            .column(loan::Column::TakenAt)
            .column_as(Expr::col((user::Entity, user::Column::TimeZone)), "time_zone")
            .join(JoinType::LeftJoin, holder)
            .filter(loan::Column::ReturnedAt.is_null())
            .filter(loan::Column::DueOn.lte(due_by));
        if let Some(zones) = zones {
            let zone = Expr::col((user::Entity, user::Column::TimeZone));
            let mut any = Condition::any();
            if !zones.names.is_empty() {
                any = any.add(zone.clone().is_in(zones.names.iter().cloned()));
            }
            if zones.default {
                any = any.add(zone.is_null());
            }
            query = query.filter(any);
        }
        if let Some(day) = unlogged_on {
            let logged = Query::select()
                .expr(Expr::val(1))
                .from(reminder_log::Entity)
                .and_where(Expr::col((reminder_log::Entity, reminder_log::Column::Day)).eq(day))
                .and_where(
                    Expr::col((reminder_log::Entity, reminder_log::Column::HolderId))
                        .equals((loan::Entity, loan::Column::HolderId)),
                )
                .to_owned();
            query = query.filter(Expr::exists(logged).not());
        }
        Ok(query.into_tuple().all(&self.db).await?)
    }

    fn open_loan(&self, row: &Row, zones: &HashMap<String, Tz>) -> OpenLoan {
        let (loan_id, device_id, holder_id, due, _, ref zone) = *row;
        let holder_zone = zone.as_ref().and_then(|name| zones.get(name).copied()).unwrap_or(self.default_zone);
        OpenLoan { loan_id, device_id, holder_id, holder_zone, due }
    }
}

/// A day as a slot number (days since the common era), for [`Due::slot`].
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

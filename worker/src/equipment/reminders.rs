//! The equipment reminder digests, sent: [`remind`] one holder's digest for their local day,
//! [`escalate`] the admins' digest of overdue loans. Both are planned by the scheduler's reminder
//! scans (`equipment::calendar::plan`).
//!
//! A digest is settled once: its key goes into `reminder_log` first thing in the transaction that
//! writes its outbox message (first, so on SQLite the transaction takes the write lock before it
//! reads), and a key already there means another run sent it. The loans are re-read at send time
//! and passed through `calendar::still_due` / `still_overdue`: a device returned since the scan is
//! not listed, a changed due date is shown as it is now, and a digest with nothing left is logged
//! but not sent.
//!
//! A holder's digest lists at most [`LISTED`] devices, each with its Return button (Telegram
//! allows 100 buttons, and a long list is better read in `/mine`); the admins' digest at most
//! [`ESCALATION_LISTED`] loans. Both texts pass `shared::text::fit`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait, TryInsertResult};
use shared::entities::{device, loan, reminder_log, user};
use shared::equipment::calendar::{self, Item, OpenLoan, Overdue};
use shared::equipment::jobs::{Escalate, Remind};
use shared::equipment::press::{DevicePress, Press};
use shared::equipment::texts::common::date;
use shared::equipment::texts::reminders::{Text, t};
use shared::i18n::Lang;
use shared::outbox::{self, Button, Buttons};
use shared::tz::Tz;

use crate::registry::{Registry, Width};
use crate::{Deps, JobError};

/// Devices listed (and Return buttons) in one holder's digest.
pub const LISTED: usize = 20;
/// Loans listed in the admins' digest.
pub const ESCALATION_LISTED: usize = 40;

/// What the senders read from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// `TELEOPS_OVERDUE_ESCALATE_DAYS`.
    pub escalate_days: u32,
    /// `TELEOPS_TIMEZONE`: the zone of users who did not choose one.
    pub default_zone: Tz,
}

/// Binds the digests' kinds: holders' digests side by side, the admins' one at a time.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    let rules = Rules { escalate_days: r.settings().overdue_escalate_days, default_zone: r.settings().timezone };
    let deps = r.deps().clone();
    let d = deps.clone();
    r.job::<Remind, _, _>(Width::Default, move |job| remind(job, d.clone(), rules))?;
    r.job::<Escalate, _, _>(Width::One, move |job| escalate(job, deps.clone(), rules))?;
    Ok(())
}

/// Sends one holder's digest for `job.date`, unless it was sent or nothing is left in it.
#[tracing::instrument(skip_all, fields(holder_id = job.holder_id, date = %job.date))]
pub async fn remind(job: Remind, deps: Arc<Deps>, rules: Rules) -> Result<(), JobError> {
    let reminder = job.reminder();
    let tx = deps.db.begin().await?;
    if !log(&tx, reminder.key(), Some(job.holder_id), job.date, deps.clock.now()).await? {
        tracing::debug!("reminder digest already sent");
        return Ok(());
    }
    let holder = user::Entity::find_by_id(job.holder_id).one(&tx).await?;
    let lang = Lang::from_code(holder.as_ref().map(|u| u.language.as_str()));
    let zone = zone_of(holder.as_ref(), rules.default_zone);
    let open: Vec<OpenLoan> = loan::Entity::find()
        .filter(loan::Column::HolderId.eq(job.holder_id))
        .filter(loan::Column::ReturnedAt.is_null())
        .all(&tx)
        .await?
        .iter()
        .filter_map(|l| open_loan(l, zone))
        .collect();
    let items = calendar::still_due(&reminder.items, &open, job.date);
    let mut message = None;
    if !items.is_empty() {
        let devices = devices(&tx, items.iter().map(|i| i.device_id)).await?;
        let (text, buttons) = digest(lang, &items, &devices);
        message = Some(outbox::write(&tx, job.holder_id, text, Some(buttons)).await?);
    }
    tx.commit().await?;
    tracing::info!(listed = items.len(), planned = reminder.items.len(), "reminder digest settled");
    if let Some(id) = message {
        outbox::enqueue(&deps.queue, id).await;
    }
    Ok(())
}

/// Sends the admins' digest for `job.date` to every admin, unless it was sent or no loan is
/// still overdue by the threshold.
#[tracing::instrument(skip_all, fields(date = %job.date))]
pub async fn escalate(job: Escalate, deps: Arc<Deps>, rules: Rules) -> Result<(), JobError> {
    let escalation = job.escalation();
    let now = deps.clock.now();
    let tx = deps.db.begin().await?;
    if !log(&tx, escalation.key(), None, job.date, now).await? {
        tracing::debug!("admins' digest already sent");
        return Ok(());
    }
    let loans = loan::Entity::find()
        .filter(loan::Column::Id.is_in(job.loans.iter().map(|l| l.loan_id)))
        .filter(loan::Column::ReturnedAt.is_null())
        .all(&tx)
        .await?;
    let people = users(&tx, loans.iter().map(|l| l.holder_id).chain(deps.admins.iter().copied())).await?;
    let open: Vec<OpenLoan> =
        loans.iter().filter_map(|l| open_loan(l, zone_of(people.get(&l.holder_id), rules.default_zone))).collect();
    let items = calendar::still_overdue(&escalation.items, &open, now, rules.escalate_days);
    let mut messages = Vec::new();
    if !items.is_empty() {
        let devices = devices(&tx, items.iter().map(|o| o.device_id)).await?;
        let holders: HashMap<i64, String> = people.iter().map(|(id, u)| (*id, holder_name(u))).collect();
        for admin in &deps.admins {
            let lang = Lang::from_code(people.get(admin).map(|u| u.language.as_str()));
            let text = escalation_text(lang, rules.escalate_days, &items, job.beyond, &devices, &holders);
            messages.push(outbox::write(&tx, *admin, text, None).await?);
        }
    }
    tx.commit().await?;
    tracing::info!(listed = items.len(), admins = messages.len(), "admins' overdue digest settled");
    for id in messages {
        outbox::enqueue(&deps.queue, id).await;
    }
    Ok(())
}

/// A holder's digest: one line per device (at most [`LISTED`]) and a Return button for each.
pub fn digest(lang: Lang, items: &[Item], devices: &HashMap<i64, device::Model>) -> (String, Buttons) {
    let mut lines = vec![t(lang, Text::DigestHeader)];
    let mut buttons: Buttons = Vec::new();
    for item in items.iter().take(LISTED) {
        let name = device_title(item.device_id, devices);
        let due = date(lang, item.due);
        lines.push(t(lang, Text::DigestLine { title: &name, due: &due, kind: item.kind }));
        let short = devices.get(&item.device_id).map_or_else(
            || format!("#{}", item.device_id),
            |d| shared::text::shorten(&format!("#{} {}", d.id, d.name), 32).into_owned(),
        );
        buttons.push(vec![Button {
            text: t(lang, Text::ReturnButton { title: &short }),
            data: Press::Device(DevicePress::Return(item.device_id)).data(),
        }]);
    }
    if items.len() > LISTED {
        lines.push(t(lang, Text::DigestMore { rest: items.len() - LISTED }));
    }
    (shared::text::fit(lines.join("\n")), buttons)
}

/// The admins' digest: one line per loan (at most [`ESCALATION_LISTED`]), then how many more,
/// counting `beyond` (overdue loans the scan did not carry).
pub fn escalation_text(
    lang: Lang,
    escalate_days: u32,
    items: &[Overdue],
    beyond: u64,
    devices: &HashMap<i64, device::Model>,
    holders: &HashMap<i64, String>,
) -> String {
    let mut lines = vec![t(lang, Text::EscalationHeader { days: escalate_days.max(1) })];
    for item in items.iter().take(ESCALATION_LISTED) {
        let name = device_title(item.device_id, devices);
        let holder = holders
            .get(&item.holder_id)
            .cloned()
            .unwrap_or_else(|| t(lang, Text::UnknownHolder { id: item.holder_id }));
        let due = date(lang, item.due);
        lines.push(t(lang, Text::EscalationLine { title: &name, holder: &holder, due: &due, days: item.days }));
    }
    let rest = items.len().saturating_sub(ESCALATION_LISTED) as u64 + beyond;
    if rest > 0 {
        lines.push(t(lang, Text::EscalationMore { rest }));
    }
    shared::text::fit(lines.join("\n"))
}

/// Logs `key`; false when it was logged already (the digest is settled).
async fn log(
    tx: &impl ConnectionTrait,
    key: String,
    holder_id: Option<i64>,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, JobError> {
    let row = reminder_log::ActiveModel { key: Set(key), holder_id: Set(holder_id), day: Set(day), sent_at: Set(now) };
    let inserted = reminder_log::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(tx).await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

fn open_loan(l: &loan::Model, holder_zone: Tz) -> Option<OpenLoan> {
    Some(OpenLoan { loan_id: l.id, device_id: l.device_id, holder_id: l.holder_id, holder_zone, due: l.due_on? })
}

fn zone_of(user: Option<&user::Model>, default_zone: Tz) -> Tz {
    user.and_then(|u| u.time_zone.as_deref()).and_then(|z| shared::tz::parse(z).ok()).unwrap_or(default_zone)
}

async fn devices(
    tx: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, device::Model>, JobError> {
    let ids: BTreeSet<i64> = ids.collect();
    let rows = device::Entity::find().filter(device::Column::Id.is_in(ids)).all(tx).await?;
    Ok(rows.into_iter().map(|d| (d.id, d)).collect())
}

async fn users(
    tx: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, user::Model>, JobError> {
    let ids: BTreeSet<i64> = ids.collect();
    let rows = user::Entity::find().filter(user::Column::Id.is_in(ids)).all(tx).await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// `#12 Move/5000 (INV-0042)`, or `#12` for a device whose row is gone.
fn device_title(id: i64, devices: &HashMap<i64, device::Model>) -> String {
    devices.get(&id).map_or_else(|| format!("#{id}"), device::Model::title)
}

/// `Ivan Petrov (@ivan)`, shortened for a list line.
fn holder_name(u: &user::Model) -> String {
    let mut name = u.first_name.clone();
    if let Some(last) = u.last_name.as_deref().filter(|l| !l.is_empty()) {
        name.push(' ');
        name.push_str(last);
    }
    if let Some(username) = u.username.as_deref().filter(|n| !n.is_empty()) {
        name.push_str(&format!(" (@{username})"));
    }
    shared::text::shorten(&name, 60).into_owned()
}

#[cfg(test)]
mod tests;

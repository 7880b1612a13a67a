//! Taking, returning and the waitlists, as transactions on the database: the one place a device
//! changes hands, so the bot's commands and buttons, an admin's `/edit` and the workers' hold
//! expiry follow the same rules.
//!
//! - A device is taken by one holder at a time: the partial unique index `loans_open_device`
//!   decides a race, and the loser reads as [`LoanError::Taken`].
//! - Broken and retired devices cannot be taken or assigned.
//! - On return, the first in the device's waitlist is offered it: the device is held for them
//!   for `Rules::hold` (only they may take it, an admin may still assign it), and they are told
//!   with Claim / Pass buttons through the outbox, written in the same transaction. Passing or a
//!   lapsed hold moves the offer to the next; an empty line leaves the device available.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use crate::entities::{device, device_wait, loan, user};
use crate::equipment::device::DeviceState;
use crate::equipment::press::{DevicePress, Press};
use crate::equipment::texts::loans::{Text, t};
use crate::i18n::Lang;
use crate::outbox::{self, Button, OutboxError};
use crate::queue::Queue;

/// What the waitlist needs from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// How long a returned device is held for the first in line (`TELEOPS_WISHLIST_HOLD`).
    pub hold: std::time::Duration,
    /// The zone of users who did not choose one (`TELEOPS_TIMEZONE`).
    pub default_zone: Tz,
}

/// Why a device did not change hands.
#[derive(Debug, thiserror::Error)]
pub enum LoanError {
    #[error("there is no device {0}")]
    NoDevice(i64),
    /// Someone holds it: their open loan.
    #[error("device {} is taken by {}", .0.device_id, .0.holder_id)]
    Taken(loan::Model),
    /// Broken or retired.
    #[error("device is {0:?}")]
    Unavailable(DeviceState),
    /// Returned and held for the first in its waitlist until `until`.
    #[error("device is held for {user_id} until {until}")]
    Held { user_id: i64, until: DateTime<Utc> },
    /// Only the holder or an admin may return it: the open loan.
    #[error("device {} is held by someone else", .0.device_id)]
    NotHolder(loan::Model),
    #[error("the device is not taken")]
    NotTaken,
    /// A Claim or Pass from someone the device is not held for.
    #[error("the device is not held for this user")]
    NotOffered,
    /// The caller already holds it (joining its own device's waitlist).
    #[error("the caller holds the device")]
    OwnDevice,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// A take, or an admin's assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take {
    pub device_id: i64,
    pub holder_id: i64,
    /// The last day of the loan in the holder's zone; None: no due date.
    pub due_on: Option<NaiveDate>,
    /// The admin who assigns it; None when the holder takes it themselves.
    pub assigned_by: Option<i64>,
}

/// A returned device and whom it was offered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    pub loan: loan::Model,
    pub offered_to: Option<device_wait::Model>,
}

/// The device's open loan, if any.
pub async fn open_loan(db: &impl ConnectionTrait, device_id: i64) -> Result<Option<loan::Model>, DbErr> {
    loan::Entity::find()
        .filter(loan::Column::DeviceId.eq(device_id))
        .filter(loan::Column::ReturnedAt.is_null())
        .one(db)
        .await
}

/// The live hold on a device (its waitlist's offered row whose hold has not lapsed).
pub async fn live_hold(
    db: &impl ConnectionTrait,
    device_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<device_wait::Model>, DbErr> {
    device_wait::Entity::find()
        .filter(device_wait::Column::DeviceId.eq(device_id))
        .filter(device_wait::Column::HoldUntil.gt(now))
        .one(db)
        .await
}

/// Takes a device (or assigns it, untold: see [`assign`]). The holder's own waitlist entry for it,
/// if any, is used up; an admin's assignment to someone else leaves a live hold's owner first in
/// line.
pub async fn take(db: &DatabaseConnection, take: Take, now: DateTime<Utc>) -> Result<loan::Model, LoanError> {
    take_and_tell(db, None, take, now).await
}

/// An admin assigns a device (`/edit`): [`take`], and the new holder is told what they now hold
/// and until when, through the outbox in the same transaction (unless the admin assigned it to
/// themselves).
pub async fn assign(
    db: &DatabaseConnection,
    queue: &Queue,
    take: Take,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<loan::Model, LoanError> {
    take_and_tell(db, Some((queue, rules)), take, now).await
}

async fn take_and_tell(
    db: &DatabaseConnection,
    tell: Option<(&Queue, Rules)>,
    take: Take,
    now: DateTime<Utc>,
) -> Result<loan::Model, LoanError> {
    let tx = db.begin().await?;
    let device = lock_device(&tx, take.device_id).await?;
    match device.state {
        DeviceState::Broken | DeviceState::Retired => return Err(LoanError::Unavailable(device.state)),
        DeviceState::Taken | DeviceState::Available => {}
    }
    if let Some(open) = open_loan(&tx, device.id).await? {
        return Err(LoanError::Taken(open));
    }
    if let Some(hold) = live_hold(&tx, device.id, now).await?
        && hold.user_id != take.holder_id
    {
        if take.assigned_by.is_none() {
            return Err(LoanError::Held { user_id: hold.user_id, until: hold.hold_until.unwrap_or(now) });
        }
        // An admin gave it to someone else: the offer is withdrawn, its owner stays first in line.
        clear_offer(&tx, hold.id).await?;
    }
    device_wait::Entity::delete_many()
        .filter(device_wait::Column::DeviceId.eq(device.id))
        .filter(device_wait::Column::UserId.eq(take.holder_id))
        .exec(&tx)
        .await?;
    let row = loan::ActiveModel {
        device_id: Set(device.id),
        holder_id: Set(take.holder_id),
        taken_at: Set(now),
        due_on: Set(take.due_on),
        assigned_by: Set(take.assigned_by),
        ..Default::default()
    }
    .insert(&tx)
    .await;
    let row = match row {
        Ok(row) => row,
        // Another take won the race between our read and our insert.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            let open = open_loan(db, take.device_id).await?;
            return Err(open.map_or(LoanError::Db(e), LoanError::Taken));
        }
        Err(e) => return Err(e.into()),
    };
    set_state(&tx, device.id, DeviceState::Taken, now).await?;
    let message = match (tell, take.assigned_by) {
        (Some((queue, rules)), Some(admin)) if admin != take.holder_id => {
            let (lang, _) = reader(&tx, take.holder_id, rules.default_zone).await?;
            let by = user::Entity::find_by_id(admin).one(&tx).await?.map(|u| u.first_name);
            let due = take.due_on.map(|d| crate::equipment::texts::common::date(lang, d));
            let name = device.title();
            let text = t(lang, Text::AssignedToYou { title: &name, by: by.as_deref(), due: due.as_deref() });
            Some((queue, outbox::write(&tx, take.holder_id, text, None).await?))
        }
        _ => None,
    };
    tx.commit().await?;
    if let Some((queue, id)) = message {
        outbox::enqueue(queue, id).await;
    }
    Ok(row)
}

/// Returns a device: by its holder, or by anyone when `as_admin`. The first in its waitlist is
/// offered it and told (after the commit, through the outbox).
pub async fn give_back(
    db: &DatabaseConnection,
    queue: &Queue,
    device_id: i64,
    by: i64,
    as_admin: bool,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<Returned, LoanError> {
    let tx = db.begin().await?;
    let device = lock_device(&tx, device_id).await?;
    let open = open_loan(&tx, device_id).await?.ok_or(LoanError::NotTaken)?;
    if open.holder_id != by && !as_admin {
        return Err(LoanError::NotHolder(open));
    }
    let mut closed = open.into_active_model();
    closed.returned_at = Set(Some(now));
    closed.returned_by = Set(Some(by));
    let loan = closed.update(&tx).await?;
    if device.state == DeviceState::Taken {
        set_state(&tx, device_id, DeviceState::Available, now).await?;
    }
    let (offered_to, message) = offer_next(&tx, &device, rules, now).await?;
    tx.commit().await?;
    if let Some(id) = message {
        outbox::enqueue(queue, id).await;
    }
    Ok(Returned { loan, offered_to })
}

/// Joins the waitlist of a taken (or held) device; returns the caller's place in line (1 = next).
/// Joining twice keeps the first place.
pub async fn join(db: &DatabaseConnection, device_id: i64, user_id: i64, now: DateTime<Utc>) -> Result<u64, LoanError> {
    let tx = db.begin().await?;
    let device = lock_device(&tx, device_id).await?;
    if matches!(device.state, DeviceState::Broken | DeviceState::Retired) {
        return Err(LoanError::Unavailable(device.state));
    }
    if open_loan(&tx, device_id).await?.is_some_and(|l| l.holder_id == user_id) {
        return Err(LoanError::OwnDevice);
    }
    let mine = device_wait::Entity::find()
        .filter(device_wait::Column::DeviceId.eq(device_id))
        .filter(device_wait::Column::UserId.eq(user_id))
        .one(&tx)
        .await?;
    let mine = match mine {
        Some(row) => row,
        None => {
            device_wait::ActiveModel {
                device_id: Set(device_id),
                user_id: Set(user_id),
                joined_at: Set(now),
                ..Default::default()
            }
            .insert(&tx)
            .await?
        }
    };
    let ahead = device_wait::Entity::find()
        .filter(device_wait::Column::DeviceId.eq(device_id))
        .filter(device_wait::Column::Id.lt(mine.id))
        .count(&tx)
        .await?;
    tx.commit().await?;
    Ok(ahead + 1)
}

/// Leaves a device's waitlist; false when the user was not in it. Leaving while the device is
/// held for the user passes it on, like [`pass`].
pub async fn leave(
    db: &DatabaseConnection,
    queue: &Queue,
    device_id: i64,
    user_id: i64,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<bool, LoanError> {
    match pass(db, queue, device_id, user_id, rules, now).await {
        Ok(_) => return Ok(true),
        Err(LoanError::NotOffered) => {}
        Err(e) => return Err(e),
    }
    let gone = device_wait::Entity::delete_many()
        .filter(device_wait::Column::DeviceId.eq(device_id))
        .filter(device_wait::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(gone.rows_affected > 0)
}

/// The user the device is held for lets it go: the next in line is offered it (returned), or
/// it is simply available.
pub async fn pass(
    db: &DatabaseConnection,
    queue: &Queue,
    device_id: i64,
    user_id: i64,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<Option<device_wait::Model>, LoanError> {
    let tx = db.begin().await?;
    let device = lock_device(&tx, device_id).await?;
    let hold = live_hold(&tx, device_id, now).await?.filter(|h| h.user_id == user_id).ok_or(LoanError::NotOffered)?;
    device_wait::Entity::delete_by_id(hold.id).exec(&tx).await?;
    let (next, message) = offer_next(&tx, &device, rules, now).await?;
    tx.commit().await?;
    if let Some(id) = message {
        outbox::enqueue(queue, id).await;
    }
    Ok(next)
}

/// Moves on every hold that lapsed by `now`: its user leaves the line (and is told), the next is
/// offered the device. Returns how many holds lapsed. Run by the workers on the scheduler's tick.
pub async fn expire_holds(
    db: &DatabaseConnection,
    queue: &Queue,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<u64, LoanError> {
    let lapsed = device_wait::Entity::find()
        .filter(device_wait::Column::HoldUntil.lte(now))
        .order_by_asc(device_wait::Column::HoldUntil)
        .all(db)
        .await?;
    let mut moved = 0;
    for hold in lapsed {
        let tx = db.begin().await?;
        // Claimed, passed or expired by another worker since the read: nothing to do.
        let gone = device_wait::Entity::delete_many()
            .filter(device_wait::Column::Id.eq(hold.id))
            .filter(device_wait::Column::HoldUntil.lte(now))
            .exec(&tx)
            .await?;
        if gone.rows_affected == 0 {
            continue;
        }
        let mut messages = Vec::new();
        if let Some(device) = device::Entity::find_by_id(hold.device_id).one(&tx).await? {
            let (lang, _) = reader(&tx, hold.user_id, rules.default_zone).await?;
            let text = t(lang, Text::HoldLapsed { title: &device.title() });
            messages.push(outbox::write(&tx, hold.user_id, text, None).await?);
            let (_, message) = offer_next(&tx, &device, rules, now).await?;
            messages.extend(message);
        }
        tx.commit().await?;
        for id in messages {
            outbox::enqueue(queue, id).await;
        }
        moved += 1;
    }
    Ok(moved)
}

/// An admin marks a device available, broken or retired (`/edit`). A taken device keeps its
/// state until it is returned: [`LoanError::Taken`] with its open loan, so `state` stays `taken`
/// exactly while a loan is open. Marking a device taken is [`take`]'s. The waitlist follows: a
/// device out of service withdraws a live hold (its user is told and stays first in line), and
/// one back in service is offered to the first in line. Returns the device as it is now.
pub async fn mark(
    db: &DatabaseConnection,
    queue: &Queue,
    device_id: i64,
    state: DeviceState,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<device::Model, LoanError> {
    let tx = db.begin().await?;
    let device = lock_device(&tx, device_id).await?;
    if let Some(open) = open_loan(&tx, device_id).await? {
        return Err(LoanError::Taken(open));
    }
    if state == DeviceState::Taken {
        return Err(LoanError::NotTaken);
    }
    set_state(&tx, device_id, state, now).await?;
    let device = device::Model { state, updated_at: now, ..device };
    let hold = live_hold(&tx, device_id, now).await?;
    let message = match (state, hold) {
        (DeviceState::Broken | DeviceState::Retired, Some(hold)) => {
            clear_offer(&tx, hold.id).await?;
            let (lang, _) = reader(&tx, hold.user_id, rules.default_zone).await?;
            let text = t(lang, Text::HoldWithdrawn { title: &device.title() });
            Some(outbox::write(&tx, hold.user_id, text, None).await?)
        }
        (DeviceState::Available, None) => offer_next(&tx, &device, rules, now).await?.1,
        _ => None,
    };
    tx.commit().await?;
    if let Some(id) = message {
        outbox::enqueue(queue, id).await;
    }
    Ok(device)
}

/// Deletes a device with its waitlist and its loans (the audit log keeps that it existed). A
/// taken device is refused with [`LoanError::Taken`]: it is returned first.
pub async fn delete(db: &DatabaseConnection, device_id: i64) -> Result<device::Model, LoanError> {
    let tx = db.begin().await?;
    let device = lock_device(&tx, device_id).await?;
    if let Some(open) = open_loan(&tx, device_id).await? {
        return Err(LoanError::Taken(open));
    }
    device_wait::Entity::delete_many().filter(device_wait::Column::DeviceId.eq(device_id)).exec(&tx).await?;
    loan::Entity::delete_many().filter(loan::Column::DeviceId.eq(device_id)).exec(&tx).await?;
    device::Entity::delete_by_id(device_id).exec(&tx).await?;
    tx.commit().await?;
    Ok(device)
}

/// The caller's place in each waitlist they are in: `(device id, place, held until)`, by device.
pub async fn places(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<(i64, u64, Option<DateTime<Utc>>)>, DbErr> {
    let mine = device_wait::Entity::find()
        .filter(device_wait::Column::UserId.eq(user_id))
        .order_by_asc(device_wait::Column::DeviceId)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(mine.len());
    for row in mine {
        let ahead = device_wait::Entity::find()
            .filter(device_wait::Column::DeviceId.eq(row.device_id))
            .filter(device_wait::Column::Id.lt(row.id))
            .count(db)
            .await?;
        out.push((row.device_id, ahead + 1, row.hold_until));
    }
    Ok(out)
}

/// How many wait for a device.
pub async fn waiting(db: &impl ConnectionTrait, device_id: i64) -> Result<u64, DbErr> {
    device_wait::Entity::find().filter(device_wait::Column::DeviceId.eq(device_id)).count(db).await
}

/// Offers an available device to the first in its line who is not yet offered it: sets their
/// hold and writes their message. Returns the row and the outbox id to enqueue after the commit.
async fn offer_next(
    tx: &impl ConnectionTrait,
    device: &device::Model,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<(Option<device_wait::Model>, Option<i64>), LoanError> {
    if matches!(device.state, DeviceState::Broken | DeviceState::Retired) {
        return Ok((None, None));
    }
    let Some(first) = device_wait::Entity::find()
        .filter(device_wait::Column::DeviceId.eq(device.id))
        .order_by_asc(device_wait::Column::Id)
        .one(tx)
        .await?
    else {
        return Ok((None, None));
    };
    let until = now + chrono::Duration::from_std(rules.hold).unwrap_or(chrono::Duration::hours(24));
    let mut row = first.into_active_model();
    row.offered_at = Set(Some(now));
    row.hold_until = Set(Some(until));
    let row = row.update(tx).await?;
    let (lang, zone) = reader(tx, row.user_id, rules.default_zone).await?;
    let name = device.title();
    let text = t(lang, Text::OfferReady { title: &name, until: &crate::tz::minute(until, zone) });
    let buttons = vec![vec![
        Button { text: t(lang, Text::ClaimButton), data: Press::Device(DevicePress::Claim(device.id)).data() },
        Button { text: t(lang, Text::PassButton), data: Press::Device(DevicePress::Pass(device.id)).data() },
    ]];
    let id = outbox::write(tx, row.user_id, text, Some(buttons)).await?;
    Ok((Some(row), Some(id)))
}

/// A user's language and zone, from their `users` row.
async fn reader(tx: &impl ConnectionTrait, user_id: i64, default_zone: Tz) -> Result<(Lang, Tz), DbErr> {
    let row = user::Entity::find_by_id(user_id).one(tx).await?;
    let lang = Lang::from_code(row.as_ref().map(|r| r.language.as_str()));
    let zone = row.and_then(|r| r.time_zone).and_then(|z| crate::tz::parse(&z).ok()).unwrap_or(default_zone);
    Ok((lang, zone))
}

async fn clear_offer(tx: &impl ConnectionTrait, wait_id: i64) -> Result<(), DbErr> {
    device_wait::Entity::update_many()
        .col_expr(device_wait::Column::OfferedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(device_wait::Column::HoldUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(device_wait::Column::Id.eq(wait_id))
        .exec(tx)
        .await?;
    Ok(())
}

async fn set_state(
    tx: &impl ConnectionTrait,
    device_id: i64,
    state: DeviceState,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    device::Entity::update_many()
        .col_expr(device::Column::State, Expr::value(state))
        .col_expr(device::Column::UpdatedAt, Expr::value(now))
        .filter(device::Column::Id.eq(device_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// Opens a change of a device's hands: the first statement of the transaction writes the
/// device's row, so changes of one device queue up behind each other (Postgres locks the row;
/// SQLite takes its write lock, waiting out the busy timeout, before anything was read, as a
/// transaction that read first cannot upgrade to a writer once another committed).
async fn lock_device(tx: &impl ConnectionTrait, device_id: i64) -> Result<device::Model, LoanError> {
    let locked = device::Entity::update_many()
        .col_expr(device::Column::UpdatedAt, Expr::col(device::Column::UpdatedAt))
        .filter(device::Column::Id.eq(device_id))
        .exec(tx)
        .await?;
    if locked.rows_affected == 0 {
        return Err(LoanError::NoDevice(device_id));
    }
    device::Entity::find_by_id(device_id).one(tx).await?.ok_or(LoanError::NoDevice(device_id))
}

/// A unique index refused the row (SQLite and Postgres word it differently).
fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

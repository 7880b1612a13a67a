//! `/edit <id>` (admins): a menu of buttons over the device's card — each field (asked as a
//! typed value, validated like `/add`), Assign (a user by @username, Telegram id or name, then a
//! due date or none) and Unassign through `loans::take` / `loans::give_back`, Available / Broken /
//! Retired through `loans::mark`, and Delete after a confirmation through `loans::delete`.
//!
//! A taken device keeps its state until it is unassigned: marking it broken or retired is
//! refused (`devices.state` is `taken` exactly while a loan is open), and so is deleting it.
//! Deleting drops its waitlist and its loan history; the audit log keeps who deleted what.
//! Every change is audited.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use shared::audit::Entry;
use shared::entities::{device, person, user};
use shared::equipment::device::DeviceState;
use shared::equipment::loans::{self, LoanError, Take};
use shared::equipment::press::{EditField, EditPress, Press};
use shared::equipment::texts::catalog::{Text, t};
use shared::equipment::texts::common;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::{State, ask, button, check, inventory_owner, is_unique_violation, names, parse_id};
use crate::HandlerResult;
use crate::cx::Cx;

/// Where an edit stands; each variant is named for what it waits for. Stored, so variants are
/// only appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Editing {
    ReceiveValue { id: i64, field: EditField },
    ReceiveAssignee { id: i64 },
    ReceiveDue { id: i64, holder: i64 },
}

/// `/edit <id>`.
pub async fn edit(cx: Cx, args: String) -> HandlerResult {
    let Some(id) = parse_id(&args) else { return cx.reply(t(cx.lang(), Text::EditUsage)).await };
    let Some(row) = device::Entity::find_by_id(id).one(&cx.deps.db).await? else {
        return cx.reply(t(cx.lang(), Text::NoDevice { id })).await;
    };
    let (text, markup) = menu(&cx, &row).await?;
    cx.reply_with(text, ReplyMarkup::InlineKeyboard(markup)).await
}

/// The card and a button per change that fits the device as it is.
async fn menu(cx: &Cx, row: &device::Model) -> anyhow::Result<(String, InlineKeyboardMarkup)> {
    let (lang, id) = (cx.lang(), row.id);
    let open = loans::open_loan(&cx.deps.db, id).await?;
    let hold = loans::live_hold(&cx.deps.db, id, cx.now).await?;
    let card = super::card::text(cx, row, open.as_ref(), hold.as_ref()).await?;
    let edit = Press::Edit;
    let mut rows: Vec<Vec<InlineKeyboardButton>> = EditField::ALL
        .chunks(2)
        .map(|pair| {
            pair.iter().map(|f| button(t(lang, Text::Column(f.column())), edit(EditPress::Field(id, *f)))).collect()
        })
        .collect();
    if open.is_some() {
        rows.push(vec![button(t(lang, Text::UnassignButton), edit(EditPress::Unassign(id)))]);
    } else {
        let mut marks = vec![];
        if row.state == DeviceState::Available {
            marks.push(button(t(lang, Text::AssignButton), edit(EditPress::Assign(id))));
        }
        for state in [DeviceState::Available, DeviceState::Broken, DeviceState::Retired] {
            if state != row.state {
                marks.push(button(t(lang, Text::MarkButton(state)), edit(EditPress::Mark(id, state))));
            }
        }
        rows.push(marks);
        rows.push(vec![button(t(lang, Text::DeleteButton), edit(EditPress::Delete(id)))]);
    }
    Ok((t(lang, Text::EditMenu { card: &card }), InlineKeyboardMarkup::new(rows)))
}

/// Redraws the pressed menu for the device as it is now.
async fn redraw(cx: &Cx, id: i64) -> HandlerResult {
    match device::Entity::find_by_id(id).one(&cx.deps.db).await? {
        Some(row) => {
            let (text, markup) = menu(cx, &row).await?;
            cx.edit(text, Some(markup)).await
        }
        None => cx.edit(t(cx.lang(), Text::NoDevice { id }), None).await,
    }
}

/// An `/edit` button (the caller is an admin: `super::on_edit` checked).
pub async fn on_press(cx: Cx, press: EditPress) -> HandlerResult {
    let lang = cx.lang();
    let db = &cx.deps.db;
    let id = match press {
        EditPress::Menu(id)
        | EditPress::Field(id, _)
        | EditPress::Assign(id)
        | EditPress::Unassign(id)
        | EditPress::Mark(id, _)
        | EditPress::Delete(id)
        | EditPress::DeleteConfirmed(id)
        | EditPress::NoDueDate(id) => id,
        _ => return cx.answer(Some(shared::i18n::t(lang, shared::i18n::Text::ButtonExpired))).await,
    };
    let Some(row) = device::Entity::find_by_id(id).one(db).await? else {
        return cx.answer(Some(t(lang, Text::NoDevice { id }))).await;
    };
    match press {
        EditPress::Field(_, field) => {
            cx.answer(None).await?;
            cx.close_prompt(None).await?;
            let label = t(lang, Text::Column(field.column()));
            let current = row.fields().value(field.column()).to_owned();
            let current = if current.is_empty() { t(lang, Text::Empty) } else { current };
            let text = t(lang, Text::AskValue { label: &label, current: &current, optional: field.optional() });
            ask(&cx, State::Edit(Editing::ReceiveValue { id, field }), text, None).await
        }
        EditPress::Assign(_) => {
            cx.answer(None).await?;
            cx.close_prompt(None).await?;
            ask(&cx, State::Edit(Editing::ReceiveAssignee { id }), t(lang, Text::AskAssignee), None).await
        }
        EditPress::Unassign(_) => {
            let by = cx.caller.user_id;
            match loans::give_back(db, &cx.deps.queue, id, by, true, super::rules(&cx), cx.now).await {
                Ok(back) => {
                    let detail = format!("holder {}", back.loan.holder_id);
                    cx.audit(Entry::new("device.unassign", "device", id).detail(detail)).await?;
                    cx.answer(Some(t(lang, Text::Unassigned { title: &row.title() }))).await?;
                }
                Err(LoanError::NotTaken) => cx.answer(Some(t(lang, Text::NotTaken))).await?,
                Err(e) => return Err(e.into()),
            }
            redraw(&cx, id).await
        }
        EditPress::Mark(_, state) => {
            match loans::mark(db, &cx.deps.queue, id, state, super::rules(&cx), cx.now).await {
                Ok(_) => {
                    cx.audit(Entry::new("device.mark", "device", id).detail(state.as_str())).await?;
                    let shown = common::state(lang, state);
                    cx.answer(Some(t(lang, Text::Marked { title: &row.title(), state: shown }))).await?;
                }
                Err(LoanError::Taken(_) | LoanError::NotTaken) => {
                    cx.answer(Some(t(lang, Text::UnassignFirst { title: &row.title() }))).await?
                }
                Err(e) => return Err(e.into()),
            }
            redraw(&cx, id).await
        }
        EditPress::Delete(_) => {
            if loans::open_loan(db, id).await?.is_some() {
                return cx.answer(Some(t(lang, Text::UnassignFirst { title: &row.title() }))).await;
            }
            cx.answer(None).await?;
            let markup = InlineKeyboardMarkup::new([[
                button(t(lang, Text::DeleteButton), Press::Edit(EditPress::DeleteConfirmed(id))),
                button(shared::i18n::t(lang, shared::i18n::Text::CancelButton), Press::Edit(EditPress::Menu(id))),
            ]]);
            cx.edit(t(lang, Text::DeleteConfirm { title: &row.title() }), Some(markup)).await
        }
        EditPress::DeleteConfirmed(_) => match loans::delete(db, id).await {
            Ok(gone) => {
                cx.audit(Entry::new("device.delete", "device", id).detail(gone.inventory_no.clone())).await?;
                cx.answer(None).await?;
                cx.edit(t(lang, Text::Deleted { title: &gone.title() }), None).await
            }
            Err(LoanError::Taken(_)) => {
                cx.answer(Some(t(lang, Text::UnassignFirst { title: &row.title() }))).await?;
                redraw(&cx, id).await
            }
            Err(e) => Err(e.into()),
        },
        EditPress::NoDueDate(_) => match super::running(&cx).await? {
            Some(State::Edit(Editing::ReceiveDue { id: asked, holder })) if asked == id => {
                cx.answer(None).await?;
                cx.close_prompt(Some(format!("✅ {}", t(lang, Text::NoDueButton)))).await?;
                assign(&cx, &row, holder, None).await
            }
            _ => cx.answer(Some(shared::i18n::t(lang, shared::i18n::Text::ButtonExpired))).await,
        },
        _ => {
            cx.answer(None).await?;
            redraw(&cx, id).await
        }
    }
}

/// A typed answer during an edit.
pub async fn on_message(cx: Cx, state: Editing) -> HandlerResult {
    let lang = cx.lang();
    let typed = cx.message().and_then(|m| m.text()).unwrap_or("").trim().to_owned();
    let id = match state {
        Editing::ReceiveValue { id, .. } | Editing::ReceiveAssignee { id } | Editing::ReceiveDue { id, .. } => id,
    };
    let Some(row) = device::Entity::find_by_id(id).one(&cx.deps.db).await? else {
        cx.end_dialogue().await?;
        return cx.reply(t(lang, Text::NoDevice { id })).await;
    };
    match state {
        Editing::ReceiveValue { field, .. } => change(&cx, &row, field, &typed).await,
        Editing::ReceiveAssignee { .. } => match assignee(&cx, &typed).await? {
            Found::One(holder) => {
                let who = names(&cx.deps.db, [holder]).await?.remove(&holder).unwrap_or_default();
                cx.close_prompt(Some(format!("✅ {}", who))).await?;
                let markup = InlineKeyboardMarkup::new([[button(
                    t(lang, Text::NoDueButton),
                    Press::Edit(EditPress::NoDueDate(id)),
                )]]);
                let text = t(lang, Text::AskDue { holder: &who });
                ask(&cx, State::Edit(Editing::ReceiveDue { id, holder }), text, Some(markup)).await
            }
            Found::None => cx.reply(t(lang, Text::NoSuchUser { input: &typed })).await,
            Found::Many(names) => cx.reply(t(lang, Text::ManyUsers { input: &typed, names: &names.join(", ") })).await,
        },
        Editing::ReceiveDue { holder, .. } => match parse_date(&typed) {
            None => cx.reply(t(lang, Text::BadDate)).await,
            Some(day) if day < cx.now.with_timezone(&cx.caller.zone).date_naive() => {
                cx.reply(t(lang, Text::PastDate)).await
            }
            Some(day) => {
                cx.close_prompt(Some(format!("✅ {}", common::date(lang, day)))).await?;
                assign(&cx, &row, holder, Some(day)).await
            }
        },
    }
}

/// Sets one field from a typed value; `-` empties an optional field.
async fn change(cx: &Cx, row: &device::Model, field: EditField, typed: &str) -> HandlerResult {
    let lang = cx.lang();
    let typed = if field.optional() && typed == "-" { "" } else { typed };
    let value = match check(field, typed) {
        Ok(value) => value,
        Err(e) => return cx.reply(t(lang, Text::Reask { problem: &t(lang, Text::BadField(&e)) })).await,
    };
    let taken = |other: &device::Model| t(lang, Text::InventoryTaken { inventory_no: &value, title: &other.title() });
    if field == EditField::InventoryNo
        && let Some(other) = inventory_owner(&cx.deps.db, &value, Some(row.id)).await?
    {
        return cx.reply(t(lang, Text::Reask { problem: &taken(&other) })).await;
    }
    let mut fields = row.fields();
    fields.set(field.column(), &value)?;
    let search = device::search_text(&fields.name, &fields.inventory_no, &fields.serial_no);
    let updated = device::Entity::update_many()
        .col_expr(column(field), Expr::value(value.clone()))
        .col_expr(device::Column::Search, Expr::value(search))
        .col_expr(device::Column::UpdatedAt, Expr::value(cx.now))
        .filter(device::Column::Id.eq(row.id))
        .exec(&cx.deps.db)
        .await;
    match updated {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            let other = inventory_owner(&cx.deps.db, &value, Some(row.id)).await?;
            return match other {
                Some(other) => cx.reply(t(lang, Text::Reask { problem: &taken(&other) })).await,
                None => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    }
    let label = t(lang, Text::Column(field.column()));
    let shown = if value.is_empty() { t(lang, Text::Empty) } else { value.clone() };
    cx.close_prompt(Some(t(lang, Text::Changed { label: &label, value: &shown }))).await?;
    cx.end_dialogue().await?;
    cx.audit(Entry::new("device.edit", "device", row.id).detail(format!("{:?}", field.column()))).await?;
    let row = device::Entity::find_by_id(row.id).one(&cx.deps.db).await?.unwrap_or_else(|| row.clone());
    let (text, markup) = menu(cx, &row).await?;
    cx.reply_with(
        format!("{}\n\n{text}", t(lang, Text::Changed { label: &label, value: &shown })),
        ReplyMarkup::InlineKeyboard(markup),
    )
    .await
}

fn column(field: EditField) -> device::Column {
    match field {
        EditField::Name => device::Column::Name,
        EditField::Category => device::Column::Category,
        EditField::InventoryNo => device::Column::InventoryNo,
        EditField::SerialNo => device::Column::SerialNo,
        EditField::Model => device::Column::Model,
        EditField::Location => device::Column::Location,
        EditField::Description => device::Column::Description,
        EditField::Condition => device::Column::Condition,
    }
}

/// Assigns the device through `loans::take` and ends the dialogue.
async fn assign(cx: &Cx, row: &device::Model, holder: i64, due_on: Option<NaiveDate>) -> HandlerResult {
    let lang = cx.lang();
    cx.end_dialogue().await?;
    let take = Take { device_id: row.id, holder_id: holder, due_on, assigned_by: Some(cx.caller.user_id) };
    let text = match loans::assign(&cx.deps.db, &cx.deps.queue, take, super::rules(cx), cx.now).await {
        Ok(_) => {
            let detail = format!("holder {holder}, due {}", due_on.map(|d| d.to_string()).unwrap_or("-".into()));
            cx.audit(Entry::new("device.assign", "device", row.id).detail(detail)).await?;
            let who = names(&cx.deps.db, [holder]).await?.remove(&holder).unwrap_or_default();
            let due = due_on.map(|d| common::date(lang, d));
            t(lang, Text::Assigned { title: &row.title(), holder: &who, due: due.as_deref() })
        }
        Err(LoanError::Taken(open)) => {
            let who = names(&cx.deps.db, [open.holder_id]).await?.remove(&open.holder_id).unwrap_or_default();
            t(lang, Text::AlreadyTaken { holder: &who })
        }
        Err(LoanError::Unavailable(state)) => t(lang, Text::Unavailable { state: common::state(lang, state) }),
        Err(LoanError::NoDevice(id)) => t(lang, Text::NoDevice { id }),
        Err(e) => return Err(e.into()),
    };
    cx.reply(text).await
}

/// Whom a typed assignee names.
enum Found {
    One(i64),
    None,
    /// Several people, named for the admin to choose between.
    Many(Vec<String>),
}

/// `@username`, a Telegram id, or a name: of a user who sent /start, or of a person of the
/// directory linked to one. An exact name beats partial matches.
async fn assignee(cx: &Cx, typed: &str) -> anyhow::Result<Found> {
    let db = &cx.deps.db;
    let users = || user::Entity::find().select_only().column(user::Column::Id);
    if let Some(username) = typed.strip_prefix('@') {
        let all: Vec<(i64, Option<String>)> = users()
            .column(user::Column::Username)
            .filter(user::Column::Username.is_not_null())
            .into_tuple()
            .all(db)
            .await?;
        let found: Vec<i64> = all
            .into_iter()
            .filter(|(_, u)| u.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(username)))
            .map(|(id, _)| id)
            .collect();
        return one_of(db, found).await;
    }
    if let Ok(id) = typed.parse::<i64>() {
        let found: Vec<i64> = users().filter(user::Column::Id.eq(id)).into_tuple().all(db).await?;
        return one_of(db, found).await;
    }
    let needle = typed.to_lowercase();
    if needle.is_empty() {
        return Ok(Found::None);
    }
    // Names compare case-insensitively in any script, so they are compared here rather than by
    // SQLite's ASCII-only lower(); the directory's `search` is lower-cased already.
    let everyone: Vec<(i64, String, Option<String>)> =
        users().column(user::Column::FirstName).column(user::Column::LastName).into_tuple().all(db).await?;
    let mut exact = Vec::new();
    let mut partial = Vec::new();
    for (id, first, last) in everyone {
        let full = format!("{first} {}", last.unwrap_or_default()).trim().to_lowercase();
        if full == needle || first.to_lowercase() == needle {
            exact.push(id);
        } else if full.contains(&needle) {
            partial.push(id);
        }
    }
    let people: Vec<(String, Option<i64>)> = person::Entity::find()
        .select_only()
        .column(person::Column::Name)
        .column(person::Column::UserId)
        .filter(person::Column::UserId.is_not_null())
        .filter(person::Column::Search.contains(needle.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    for (name, user_id) in people {
        let Some(id) = user_id else { continue };
        let list = if name.to_lowercase() == needle { &mut exact } else { &mut partial };
        if !list.contains(&id) {
            list.push(id);
        }
    }
    let found = if exact.is_empty() { partial } else { exact };
    one_of(db, found).await
}

async fn one_of(db: &sea_orm::DatabaseConnection, mut found: Vec<i64>) -> anyhow::Result<Found> {
    found.dedup();
    Ok(match found.as_slice() {
        [] => Found::None,
        [one] => Found::One(*one),
        many => {
            let shown = names(db, many.iter().copied().take(5)).await?;
            Found::Many(many.iter().take(5).filter_map(|id| shown.get(id).map(|n| format!("{n} [{id}]"))).collect())
        }
    })
}

/// A due date as typed: `2026-05-31` or `31.05.2026`.
fn parse_date(typed: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(typed, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(typed, "%d.%m.%Y")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_are_read_in_both_forms() {
        let day = NaiveDate::from_ymd_opt(2026, 5, 31);
        assert_eq!(parse_date("2026-05-31"), day);
        assert_eq!(parse_date("31.05.2026"), day);
        assert_eq!(parse_date("tomorrow"), None);
    }
}

//! The catalog part of the equipment slice: adding devices ([`add`]: the `/add` dialogue and
//! `/add <name> | <category> | <inventory number>`), a device's card, its history and the
//! `t.me/<bot>?start=dev_<id>` link to the card ([`card`]), `/all`, `/categories` and `/find`
//! ([`list`]), and an admin's `/edit` ([`edit`]). Changes of hands and of state go through
//! `shared::equipment::loans`; the fields are validated by `DeviceFields`.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use shared::entities::{device, user};
use shared::equipment::device::DeviceFields;
use shared::equipment::field::FieldError;
use shared::equipment::loans::Rules;
use shared::equipment::press::{DevicePress, EditField, EditPress, Press};
use shared::equipment::texts::catalog::{Text, t};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::NAME;
use crate::HandlerResult;
use crate::cx::Cx;
use crate::slice::{AdderEntry, Audience, Slice};

pub mod add;
pub mod card;
pub mod edit;
pub mod list;

/// Adds this part's commands, its `/add` entry and the `dev_` deep link.
pub fn register(slice: Slice) -> Slice {
    slice
        .command("all", Audience::Member, |l| t(l, Text::CmdAll), list::all)
        .command("categories", Audience::Member, |l| t(l, Text::CmdCategories), list::categories)
        .command("find", Audience::Member, |l| t(l, Text::CmdFind), list::find)
        .command("device", Audience::Member, |l| t(l, Text::CmdDevice), card::device)
        .command("history", Audience::Member, |l| t(l, Text::CmdHistory), card::history)
        .command("edit", Audience::Admin, |l| t(l, Text::CmdEdit), edit::edit)
        .adder(
            AdderEntry {
                audience: Audience::Admin,
                label: |l| t(l, Text::AddLabel),
                usage: |l| t(l, Text::AddForm),
                takes: |args| args.contains('|'),
            },
            add::start,
        )
        .deep_link("dev_", card::deep_link)
}

/// This part's dialogue state, by the dialogue. Stored, so variants are only appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Add(add::Adding),
    Edit(edit::Editing),
}

pub async fn on_message(cx: Cx, state: State) -> HandlerResult {
    match state {
        State::Add(s) => add::on_message(cx, s).await,
        State::Edit(s) => edit::on_message(cx, s).await,
    }
}

/// Cards, history and list pages.
pub async fn on_press(cx: Cx, press: DevicePress) -> HandlerResult {
    match press {
        DevicePress::Open(id) => card::on_open(cx, id).await,
        DevicePress::History(id) => card::on_history(cx, id).await,
        DevicePress::Page { category_of, page } => list::on_page(cx, category_of, page).await,
        DevicePress::Categories(page) => list::on_categories(cx, page).await,
        _ => cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await,
    }
}

/// `/edit` and `/add` buttons: admins only, whatever the slice lets members press.
pub async fn on_edit(cx: Cx, press: EditPress) -> HandlerResult {
    if !cx.caller.is_admin() {
        return cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::AdminsOnly))).await;
    }
    match press {
        EditPress::AddCategory { .. } | EditPress::AddSkip | EditPress::AddFinish => add::on_press(cx, press).await,
        press => edit::on_press(cx, press).await,
    }
}

/// Asks a step of one of this part's dialogues.
async fn ask(cx: &Cx, state: State, text: String, markup: Option<InlineKeyboardMarkup>) -> HandlerResult {
    cx.ask(NAME, &super::State::Catalog(state), text, markup).await
}

/// The running dialogue's state, when it is this part's.
async fn running(cx: &Cx) -> anyhow::Result<Option<State>> {
    Ok(match cx.state::<super::State>(NAME).await? {
        Some(super::State::Catalog(state)) => Some(state),
        _ => None,
    })
}

fn button(label: impl Into<String>, press: Press) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label.into(), press.data())
}

/// A device id as typed: `12` or `#12`.
fn parse_id(args: &str) -> Option<i64> {
    args.trim().trim_start_matches('#').parse().ok().filter(|id| *id > 0)
}

fn rules(cx: &Cx) -> Rules {
    Rules { hold: cx.deps.settings.wishlist_hold, default_zone: cx.deps.settings.timezone }
}

/// One field's value validated as `DeviceFields::validated` checks it in a whole device.
fn check(field: EditField, value: &str) -> Result<String, FieldError> {
    let mut fields = DeviceFields { name: "-".into(), inventory_no: "-".into(), ..Default::default() };
    fields.set(field.column(), value)?;
    Ok(fields.validated()?.value(field.column()).to_owned())
}

/// The device that has this inventory number, other than `except`.
async fn inventory_owner(
    db: &impl ConnectionTrait,
    inventory_no: &str,
    except: Option<i64>,
) -> Result<Option<device::Model>, DbErr> {
    let mut query = device::Entity::find().filter(device::Column::InventoryNo.eq(inventory_no));
    if let Some(id) = except {
        query = query.filter(device::Column::Id.ne(id));
    }
    query.one(db).await
}

/// How people are named to others: "Ann (@ann)", or the bare id of someone who never sent /start.
async fn names(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, String>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut out: HashMap<i64, String> = ids.iter().map(|id| (*id, id.to_string())).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let found: Vec<(i64, String, Option<String>)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::FirstName)
        .column(user::Column::Username)
        .filter(user::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    for (id, first_name, username) in found {
        out.insert(id, shown_name(&first_name, username.as_deref()));
    }
    Ok(out)
}

fn shown_name(first_name: &str, username: Option<&str>) -> String {
    let first_name = shared::text::shorten(first_name, 40);
    match username {
        Some(u) => format!("{first_name} (@{u})"),
        None => first_name.into_owned(),
    }
}

/// A unique index refused the row.
fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_fields_are_read_as_typed() {
        assert_eq!(parse_id(" #12 "), Some(12));
        assert_eq!(parse_id("12"), Some(12));
        assert_eq!(parse_id("-3"), None);
        assert_eq!(parse_id("x"), None);
        assert_eq!(check(EditField::Name, "  Move/5000 "), Ok("Move/5000".into()));
        assert_eq!(check(EditField::Name, "  "), Err(FieldError::MissingName));
        assert_eq!(check(EditField::InventoryNo, ""), Err(FieldError::MissingInventoryNo));
        assert_eq!(check(EditField::Model, ""), Ok(String::new()));
        assert!(matches!(check(EditField::Model, &"x".repeat(201)), Err(FieldError::TooLong { .. })));
    }
}

//! Adding a device (admins): `/add <name> | <category> | <inventory number>` in one message, or the
//! dialogue that `/add` starts from its chooser: name → category (a button per existing category,
//! or typed) → inventory number → the optional fields, each with Skip and "Add now". A typed
//! answer that is not accepted (an empty name, a number another device has) is said and asked
//! again; a settled step's prompt is edited to "✅ Name: …", so only the running step has live
//! buttons; `/cancel` leaves it anywhere. Added, the device's id and card are the reply.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use shared::audit::Entry;
use shared::entities::device;
use shared::equipment::device::DeviceFields;
use shared::equipment::press::{EditField, EditPress, Press};
use shared::equipment::texts::catalog::{Text, t};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::{State, ask, button, check, inventory_owner, is_unique_violation};
use crate::HandlerResult;
use crate::cx::Cx;

/// The optional fields the dialogue asks for, in order, after the inventory number.
const OPTIONAL: [EditField; 5] =
    [EditField::SerialNo, EditField::Model, EditField::Location, EditField::Description, EditField::Condition];
/// The most category buttons the category step shows.
const CATEGORY_BUTTONS: u64 = 12;

/// A device as the dialogue has gathered it so far (its state is left at the default).
pub type Draft = DeviceFields;

/// Where an `/add` of a device stands; each variant is named for what it waits for. Stored, so
/// variants are only appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Adding {
    ReceiveName,
    ReceiveCategory { draft: Draft },
    ReceiveInventory { draft: Draft },
    ReceiveOptional { draft: Draft, field: EditField },
}

/// Sets a typed field of the draft.
fn set(draft: &mut Draft, field: EditField, value: String) {
    if let Some(slot) = draft.text_mut(field.column()) {
        *slot = value;
    }
}

/// `/add` for a device: the dialogue, or with `name | category | inventory number` the device at once.
pub async fn start(cx: Cx, args: String) -> HandlerResult {
    if !args.trim().is_empty() {
        return one_message(&cx, &args).await;
    }
    // A dialogue this one replaces loses its buttons.
    cx.close_prompt(None).await?;
    ask(&cx, State::Add(Adding::ReceiveName), t(cx.lang(), Text::AskName), None).await
}

async fn one_message(cx: &Cx, args: &str) -> HandlerResult {
    let lang = cx.lang();
    let parts: Vec<&str> = args.split('|').collect();
    let [name, category, inventory_no] = parts.as_slice() else {
        return cx.reply(t(lang, Text::AddForm)).await;
    };
    let draft = Draft {
        name: (*name).into(),
        category: (*category).into(),
        inventory_no: (*inventory_no).into(),
        ..Default::default()
    };
    create(cx, draft).await
}

/// A typed answer to the running step.
pub async fn on_message(cx: Cx, state: Adding) -> HandlerResult {
    let typed = cx.message().and_then(|m| m.text()).unwrap_or("").to_owned();
    match state {
        Adding::ReceiveName => match check(EditField::Name, &typed) {
            Ok(name) => name_chosen(&cx, name).await,
            Err(e) => reask(&cx, t(cx.lang(), Text::BadField(&e))).await,
        },
        Adding::ReceiveCategory { draft } => match check(EditField::Category, &typed) {
            Ok(category) => category_chosen(&cx, draft, category).await,
            Err(e) => reask(&cx, t(cx.lang(), Text::BadField(&e))).await,
        },
        Adding::ReceiveInventory { draft } => inventory_typed(&cx, draft, &typed).await,
        Adding::ReceiveOptional { draft, field } => match check(field, &typed) {
            Ok(value) => optional_chosen(&cx, draft, field, value).await,
            Err(e) => reask(&cx, t(cx.lang(), Text::BadField(&e))).await,
        },
    }
}

/// A press on a category, Skip or "Add now". A press that does not fit the running step (or
/// when no `/add` runs) has expired and changes nothing.
pub async fn on_press(cx: Cx, press: EditPress) -> HandlerResult {
    let adding = match super::running(&cx).await? {
        Some(State::Add(adding)) => adding,
        _ => {
            cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await?;
            return cx.edit_keyboard(InlineKeyboardMarkup::default()).await;
        }
    };
    match (adding, press) {
        (Adding::ReceiveCategory { draft }, EditPress::AddCategory { of }) => {
            let Some(row) = device::Entity::find_by_id(of).one(&cx.deps.db).await? else {
                return cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await;
            };
            cx.answer(None).await?;
            category_chosen(&cx, draft, row.category).await
        }
        (Adding::ReceiveCategory { draft }, EditPress::AddSkip) => {
            cx.answer(None).await?;
            category_chosen(&cx, draft, String::new()).await
        }
        (Adding::ReceiveOptional { draft, field }, EditPress::AddSkip) => {
            cx.answer(None).await?;
            optional_chosen(&cx, draft, field, String::new()).await
        }
        (Adding::ReceiveOptional { draft, .. }, EditPress::AddFinish) => {
            cx.answer(None).await?;
            cx.close_prompt(None).await?;
            finish(&cx, draft).await
        }
        _ => cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await,
    }
}

async fn reask(cx: &Cx, problem: String) -> HandlerResult {
    cx.reply(t(cx.lang(), Text::Reask { problem: &problem })).await
}

/// Closes the running step's prompt with what it settled.
async fn settle(cx: &Cx, field: EditField, value: &str) -> HandlerResult {
    let lang = cx.lang();
    let label = t(lang, Text::Column(field.column()));
    let empty = t(lang, Text::Empty);
    let value = if value.is_empty() { empty.as_str() } else { value };
    cx.close_prompt(Some(t(lang, Text::StepDone { label: &label, value }))).await
}

async fn name_chosen(cx: &Cx, name: String) -> HandlerResult {
    settle(cx, EditField::Name, &name).await?;
    let draft = Draft { name, ..Default::default() };
    // A button per existing category (named by its first device), then Skip.
    let categories: Vec<(String, i64)> = device::Entity::find()
        .select_only()
        .column(device::Column::Category)
        .column_as(Expr::col(device::Column::Id).min(), "of")
        .filter(device::Column::Category.ne(""))
        .group_by(device::Column::Category)
        .order_by_asc(device::Column::Category)
        .limit(CATEGORY_BUTTONS)
        .into_tuple()
        .all(&cx.deps.db)
        .await?;
    let lang = cx.lang();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = categories
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|(name, of)| {
                    button(shared::text::shorten(name, 30), Press::Edit(EditPress::AddCategory { of: *of }))
                })
                .collect()
        })
        .collect();
    rows.push(vec![button(t(lang, Text::SkipButton), Press::Edit(EditPress::AddSkip))]);
    let text = t(lang, Text::AskCategory { any: !categories.is_empty() });
    ask(cx, State::Add(Adding::ReceiveCategory { draft }), text, Some(InlineKeyboardMarkup::new(rows))).await
}

async fn category_chosen(cx: &Cx, mut draft: Draft, category: String) -> HandlerResult {
    settle(cx, EditField::Category, &category).await?;
    draft.category = category;
    ask(cx, State::Add(Adding::ReceiveInventory { draft }), t(cx.lang(), Text::AskInventory), None).await
}

async fn inventory_typed(cx: &Cx, mut draft: Draft, typed: &str) -> HandlerResult {
    let lang = cx.lang();
    let inventory_no = match check(EditField::InventoryNo, typed) {
        Ok(value) => value,
        Err(e) => return reask(cx, t(lang, Text::BadField(&e))).await,
    };
    if let Some(other) = inventory_owner(&cx.deps.db, &inventory_no, None).await? {
        return reask(cx, t(lang, Text::InventoryTaken { inventory_no: &inventory_no, title: &other.title() })).await;
    }
    settle(cx, EditField::InventoryNo, &inventory_no).await?;
    draft.inventory_no = inventory_no;
    ask_optional(cx, draft, OPTIONAL[0]).await
}

async fn ask_optional(cx: &Cx, draft: Draft, field: EditField) -> HandlerResult {
    let lang = cx.lang();
    let label = t(lang, Text::Column(field.column()));
    let markup = InlineKeyboardMarkup::new([[
        button(t(lang, Text::SkipButton), Press::Edit(EditPress::AddSkip)),
        button(t(lang, Text::FinishButton), Press::Edit(EditPress::AddFinish)),
    ]]);
    ask(
        cx,
        State::Add(Adding::ReceiveOptional { draft, field }),
        t(lang, Text::AskOptional { label: &label }),
        Some(markup),
    )
    .await
}

async fn optional_chosen(cx: &Cx, mut draft: Draft, field: EditField, value: String) -> HandlerResult {
    settle(cx, field, &value).await?;
    set(&mut draft, field, value);
    match OPTIONAL.iter().position(|f| *f == field).and_then(|i| OPTIONAL.get(i + 1)) {
        Some(next) => ask_optional(cx, draft, *next).await,
        None => finish(cx, draft).await,
    }
}

async fn finish(cx: &Cx, draft: Draft) -> HandlerResult {
    cx.end_dialogue().await?;
    create(cx, draft).await
}

/// Adds the device (one message or the dialogue's last step) and replies with its id and card.
async fn create(cx: &Cx, draft: Draft) -> HandlerResult {
    let lang = cx.lang();
    let fields = match draft.validated() {
        Ok(fields) => fields,
        Err(e) => return cx.reply(t(lang, Text::BadField(&e))).await,
    };
    let taken = |other: &device::Model| {
        t(lang, Text::InventoryTaken { inventory_no: &fields.inventory_no, title: &other.title() })
    };
    if let Some(other) = inventory_owner(&cx.deps.db, &fields.inventory_no, None).await? {
        return cx.reply(taken(&other)).await;
    }
    let row = match device::new_row(&fields, cx.now).insert(&cx.deps.db).await {
        Ok(row) => row,
        // Another admin added the number between the check and the insert.
        Err(e) if is_unique_violation(&e) => {
            let other = inventory_owner(&cx.deps.db, &fields.inventory_no, None).await?;
            return match other {
                Some(other) => cx.reply(taken(&other)).await,
                None => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    cx.audit(Entry::new("device.create", "device", row.id).detail(row.inventory_no.clone())).await?;
    let (card, markup) = super::card::render(cx, &row).await?;
    cx.reply_with(format!("{}\n\n{card}", t(lang, Text::Added { id: row.id })), ReplyMarkup::InlineKeyboard(markup))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_optional_field_may_be_empty() {
        for field in OPTIONAL {
            assert!(field.optional(), "{field:?}");
        }
        let mut draft = Draft::default();
        set(&mut draft, EditField::Location, "Shelf 3".into());
        assert_eq!(draft.location, "Shelf 3");
    }

    #[test]
    fn a_draft_stored_before_it_had_a_state_still_reads() {
        let stored = r#"{"ReceiveInventory":{"draft":{"name":"Move/5000","category":"Terminals","inventory_no":"",
            "serial_no":"","model":"","location":"","description":"","condition":""}}}"#;
        let Adding::ReceiveInventory { draft } = serde_json::from_str(stored).unwrap() else { panic!("the step") };
        assert_eq!((draft.name.as_str(), draft.state), ("Move/5000", Default::default()));
    }
}

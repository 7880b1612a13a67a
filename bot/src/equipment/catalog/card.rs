//! A device's card (`/device <id>`, a list's button, `t.me/<bot>?start=dev_<id>` from a label):
//! its fields, who has it since when and until when, a hold for the first in line, how many
//! wait, and the buttons that fit the caller (Take, Join / Leave waitlist, Return, History, and
//! Edit for admins). `/history <id>` lists who had it, from when to when.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::entities::{device, device_wait, loan};
use shared::equipment::device::{DeviceColumn, DeviceState};
use shared::equipment::loans;
use shared::equipment::press::{DevicePress, EditPress, Press};
use shared::equipment::texts::catalog::{Text, t};
use shared::equipment::texts::common;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::{button, names, parse_id};
use crate::HandlerResult;
use crate::cx::Cx;

/// The most loans `/history` lists, newest first.
const HISTORY_MAX: u64 = 30;

/// `/device <id>`.
pub async fn device(cx: Cx, args: String) -> HandlerResult {
    match parse_id(&args) {
        Some(id) => show(&cx, id).await,
        None => cx.reply(t(cx.lang(), Text::DeviceUsage)).await,
    }
}

/// `/start dev_<id>`: a label's QR code opens the card.
pub async fn deep_link(cx: Cx, rest: String) -> HandlerResult {
    match parse_id(&rest) {
        Some(id) => show(&cx, id).await,
        None => cx.reply(t(cx.lang(), Text::DeviceUsage)).await,
    }
}

/// A list's or a message's Open button: the card as a new message, the list stays.
pub async fn on_open(cx: Cx, id: i64) -> HandlerResult {
    cx.answer(None).await?;
    show(&cx, id).await
}

async fn show(cx: &Cx, id: i64) -> HandlerResult {
    let Some(row) = device::Entity::find_by_id(id).one(&cx.deps.db).await? else {
        return cx.reply(t(cx.lang(), Text::NoDevice { id })).await;
    };
    let (text, markup) = render(cx, &row).await?;
    cx.reply_with(text, ReplyMarkup::InlineKeyboard(markup)).await
}

/// The card's text (see [`text`]) and the buttons that fit the caller.
pub(crate) async fn render(cx: &Cx, row: &device::Model) -> anyhow::Result<(String, InlineKeyboardMarkup)> {
    let db = &cx.deps.db;
    let me = cx.caller.user_id;
    let open = loans::open_loan(db, row.id).await?;
    let hold = loans::live_hold(db, row.id, cx.now).await?;
    let in_line = device_wait::Entity::find()
        .filter(device_wait::Column::DeviceId.eq(row.id))
        .filter(device_wait::Column::UserId.eq(me))
        .one(db)
        .await?
        .is_some();
    let lang = cx.lang();
    let (id, device) = (row.id, Press::Device);
    let mut first = Vec::new();
    let held_for_other = hold.as_ref().is_some_and(|h| h.user_id != me);
    if row.state == DeviceState::Available && !held_for_other {
        first.push(button(t(lang, Text::TakeButton), device(DevicePress::Take(id))));
    }
    let taken_by_other = open.as_ref().is_some_and(|l| l.holder_id != me);
    if (taken_by_other || held_for_other) && !in_line {
        first.push(button(t(lang, Text::JoinButton), device(DevicePress::JoinWaitlist(id))));
    }
    if in_line && hold.as_ref().is_none_or(|h| h.user_id != me) {
        first.push(button(t(lang, Text::LeaveButton), device(DevicePress::LeaveWaitlist(id))));
    }
    if open.as_ref().is_some_and(|l| l.holder_id == me || cx.caller.is_admin()) {
        first.push(button(t(lang, Text::ReturnButton), device(DevicePress::Return(id))));
    }
    let mut second = vec![button(t(lang, Text::HistoryButton), device(DevicePress::History(id)))];
    if cx.caller.is_admin() {
        second.push(button(t(lang, Text::EditButton), Press::Edit(EditPress::Menu(id))));
    }
    let rows: Vec<Vec<InlineKeyboardButton>> = [first, second].into_iter().filter(|r| !r.is_empty()).collect();
    Ok((text(cx, row, open.as_ref(), hold.as_ref()).await?, InlineKeyboardMarkup::new(rows)))
}

/// The card's text: title, state, the fields that are filled in, the holder with since and until,
/// a hold and the waitlist's length.
pub(crate) async fn text(
    cx: &Cx,
    row: &device::Model,
    open: Option<&loan::Model>,
    hold: Option<&device_wait::Model>,
) -> anyhow::Result<String> {
    let (lang, zone) = (cx.lang(), cx.caller.zone);
    let mut out = format!("🖥 {}\n{}", row.title(), t(lang, Text::CardState { state: common::state(lang, row.state) }));
    let fields = row.fields();
    for column in [
        DeviceColumn::Category,
        DeviceColumn::SerialNo,
        DeviceColumn::Model,
        DeviceColumn::Location,
        DeviceColumn::Condition,
        DeviceColumn::Description,
    ] {
        let value = fields.value(column);
        if !value.is_empty() {
            out.push_str(&format!("\n{}: {value}", t(lang, Text::Column(column))));
        }
    }
    let people = names(&cx.deps.db, open.map(|l| l.holder_id).into_iter().chain(hold.map(|h| h.user_id))).await?;
    if let Some(l) = open {
        let since = common::date(lang, l.taken_at.with_timezone(&zone).date_naive());
        let due = l.due_on.map(|d| common::date(lang, d));
        let holder = &people[&l.holder_id];
        out.push_str(&format!("\n{}", t(lang, Text::CardHolder { holder, since: &since, due: due.as_deref() })));
    }
    if let Some(h) = hold {
        let until = shared::tz::minute(h.hold_until.unwrap_or(cx.now), zone);
        out.push_str(&format!("\n{}", t(lang, Text::CardHeld { holder: &people[&h.user_id], until: &until })));
    }
    let waiting = loans::waiting(&cx.deps.db, row.id).await?;
    if waiting > 0 {
        out.push_str(&format!("\n{}", t(lang, Text::CardWaiting { n: waiting })));
    }
    Ok(out)
}

/// `/history <id>`.
pub async fn history(cx: Cx, args: String) -> HandlerResult {
    match parse_id(&args) {
        Some(id) => show_history(&cx, id).await,
        None => cx.reply(t(cx.lang(), Text::HistoryUsage)).await,
    }
}

pub async fn on_history(cx: Cx, id: i64) -> HandlerResult {
    cx.answer(None).await?;
    show_history(&cx, id).await
}

/// Who had the device, newest first: from the day they took it to the day it came back.
async fn show_history(cx: &Cx, id: i64) -> HandlerResult {
    let (lang, zone, db) = (cx.lang(), cx.caller.zone, &cx.deps.db);
    let Some(row) = device::Entity::find_by_id(id).one(db).await? else {
        return cx.reply(t(lang, Text::NoDevice { id })).await;
    };
    let found = loan::Entity::find()
        .filter(loan::Column::DeviceId.eq(id))
        .order_by_desc(loan::Column::TakenAt)
        .limit(HISTORY_MAX)
        .all(db)
        .await?;
    let mut out = t(lang, Text::HistoryHeader { title: &row.title() });
    if found.is_empty() {
        out.push('\n');
        out.push_str(&t(lang, Text::HistoryEmpty));
    }
    let people = names(db, found.iter().map(|l| l.holder_id)).await?;
    let day = |at: chrono::DateTime<chrono::Utc>| common::date(lang, at.with_timezone(&zone).date_naive());
    for l in &found {
        let (from, to) = (day(l.taken_at), l.returned_at.map(day));
        out.push('\n');
        out.push_str(&t(lang, Text::HistoryLine { holder: &people[&l.holder_id], from: &from, to: to.as_deref() }));
    }
    let back = InlineKeyboardMarkup::new([[button(t(lang, Text::BackButton), Press::Device(DevicePress::Open(id)))]]);
    cx.reply_with(out, ReplyMarkup::InlineKeyboard(back)).await
}

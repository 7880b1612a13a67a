//! `/mine` and `/wishlist` alone: what the caller holds and where they stand in line.
//!
//! `/mine [page]` lists open loans overdue first (marked ⚠️, the longest overdue first), then by
//! due date, then those with no due date, [`PAGE_SIZE`] a page with one Return button each; the
//! footer names the command for the next page. `/wishlist` lists the caller's places in line,
//! "held for you until …" where a returned device waits for them, with Leave (and Claim) buttons.
//! A page of [`PAGE_SIZE`] lines of at most ~150 characters stays well inside Telegram's 4,096.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::entities::{device, loan};
use shared::equipment::loans;
use shared::equipment::press::DevicePress;
use shared::equipment::texts::common::{date, title};
use shared::equipment::texts::loans::{Text, t};
use shared::tz;
use teloxide::types::InlineKeyboardMarkup;

use super::button;
use crate::HandlerResult;
use crate::cx::Cx;

/// Lines (and buttons) per message.
pub const PAGE_SIZE: usize = 20;

/// The caller's local date.
pub(super) fn today(cx: &Cx) -> NaiveDate {
    cx.now.with_timezone(&cx.caller.zone).date_naive()
}

/// `/mine [page]`.
pub async fn mine(cx: Cx, args: String) -> HandlerResult {
    let lang = cx.lang();
    let page: usize = args.trim().parse().unwrap_or(1).max(1);
    let mut open = loan::Entity::find()
        .filter(loan::Column::HolderId.eq(cx.caller.user_id))
        .filter(loan::Column::ReturnedAt.is_null())
        .all(&cx.deps.db)
        .await?;
    if open.is_empty() {
        return cx.reply(t(lang, Text::MineEmpty)).await;
    }
    let today = today(&cx);
    open.sort_by_key(|l| (order(l.due_on, today), l.taken_at, l.device_id));
    let titles = titles(&cx, open.iter().map(|l| l.device_id)).await?;
    let pages = open.len().div_ceil(PAGE_SIZE);
    let page = page.min(pages);
    let mut text = t(lang, Text::MineHeader { count: open.len() as u64 });
    let mut keyboard = Vec::new();
    for l in open.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE) {
        let name = &titles[&l.device_id];
        let line = match l.due_on {
            Some(day) if day < today => t(lang, Text::MineOverdue { title: name, due: &date(lang, day) }),
            Some(day) => t(lang, Text::MineDue { title: name, due: &date(lang, day) }),
            None => t(lang, Text::MineNoDue { title: name }),
        };
        text.push('\n');
        text.push_str(&line);
        let label = format!("{} #{}", t(lang, Text::ReturnButton), l.device_id);
        keyboard.push(vec![button(label, DevicePress::Return(l.device_id))]);
    }
    if pages > 1 {
        text.push_str("\n\n");
        text.push_str(&t(lang, Text::MinePage { page: page as u64, pages: pages as u64 }));
    }
    cx.reply_with(text, InlineKeyboardMarkup::new(keyboard)).await
}

/// `/wishlist` alone: the caller's places in line.
pub async fn places(cx: Cx) -> HandlerResult {
    let lang = cx.lang();
    let places = loans::places(&cx.deps.db, cx.caller.user_id).await?;
    if places.is_empty() {
        return cx.reply(t(lang, Text::WishlistEmpty)).await;
    }
    let titles = titles(&cx, places.iter().map(|(id, _, _)| *id)).await?;
    let mut text = t(lang, Text::WishlistHeader);
    let mut keyboard = Vec::new();
    for (id, place, held) in places.iter().take(PAGE_SIZE) {
        let name = &titles[id];
        let leave = button(format!("{} #{id}", t(lang, Text::LeaveButton)), DevicePress::LeaveWaitlist(*id));
        text.push('\n');
        match held.filter(|until| *until > cx.now) {
            Some(until) => {
                text.push_str(&t(lang, Text::WishlistHeld { title: name, until: &tz::minute(until, cx.caller.zone) }));
                let claim = button(format!("{} #{id}", t(lang, Text::ClaimButton)), DevicePress::Claim(*id));
                keyboard.push(vec![claim, leave]);
            }
            None => {
                text.push_str(&t(lang, Text::WishlistPlace { title: name, place: *place }));
                keyboard.push(vec![leave]);
            }
        }
    }
    if places.len() > PAGE_SIZE {
        text.push('\n');
        text.push_str(&t(lang, Text::WishlistMore { more: (places.len() - PAGE_SIZE) as u64 }));
    }
    cx.reply_with(text, InlineKeyboardMarkup::new(keyboard)).await
}

/// Where a loan sorts in `/mine`: overdue first (the longest overdue first), then by due date,
/// then those with no due date. A loan due today is not overdue.
fn order(due_on: Option<NaiveDate>, today: NaiveDate) -> (u8, Option<NaiveDate>) {
    match due_on {
        Some(day) if day < today => (0, Some(day)),
        Some(day) => (1, Some(day)),
        None => (2, None),
    }
}

/// Each device's title by id; a device that is gone by its id alone.
async fn titles(cx: &Cx, ids: impl Iterator<Item = i64>) -> anyhow::Result<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect();
    // Only the columns a title needs, so a row with a state this build cannot read still shows.
    let rows: Vec<(i64, String, String)> = device::Entity::find()
        .select_only()
        .column(device::Column::Id)
        .column(device::Column::Name)
        .column(device::Column::InventoryNo)
        .filter(device::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(device::Column::Id)
        .into_tuple()
        .all(&cx.deps.db)
        .await?;
    let mut titles: HashMap<i64, String> = ids.into_iter().map(|id| (id, format!("#{id}"))).collect();
    for (id, name, inventory_no) in rows {
        titles.insert(id, title(id, &name, &inventory_no));
    }
    Ok(titles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_loans_come_first_then_by_due_date_then_those_without() {
        let day = |d| Some(NaiveDate::from_ymd_opt(2026, 7, d).unwrap());
        let today = day(10).unwrap();
        let mut dues = vec![None, day(12), day(3), day(10), day(9), None];
        dues.sort_by_key(|d| order(*d, today));
        assert_eq!(dues, [day(3), day(9), day(10), day(12), None, None]);
    }
}

//! `/all`, `/categories` and `/find`. Lists are pages of [`PAGE_SIZE`] devices, each a line with
//! its state (and holder when taken) and a button that opens its card, with a "‹ 1/9 ›" row
//! edited in place. Every page is one indexed query (`ORDER BY id` or `(category, id)` with
//! LIMIT/OFFSET) plus the open loans of its own devices, so a catalog of 100,000 devices pages
//! as fast as ten. A category has no id: its buttons name it by one of its devices.
//!
//! `/find <text>` matches devices whose `devices.search` (lower-cased name, inventory and serial
//! numbers) contains the text, through a trigram index (see [`matching_ids`]), and people of the directory on `people.search` (name, email),
//! showing what each person's linked Telegram user holds: "who is …" is answered there too.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Statement,
};
use shared::entities::{device, loan, person};
use shared::equipment::device::DeviceState;
use shared::equipment::press::{DevicePress, Press};
use shared::equipment::texts::catalog::{Text, t};
use shared::equipment::texts::common;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::{button, names};
use crate::HandlerResult;
use crate::cx::Cx;

/// Devices (or categories) per page.
pub const PAGE_SIZE: u64 = 10;
/// The most devices and people `/find` shows.
const FIND_MAX: u64 = 20;

/// `/all [page]`.
pub async fn all(cx: Cx, args: String) -> HandlerResult {
    let page = args.trim().parse::<u64>().unwrap_or(1);
    match render_page(&cx, None, page).await? {
        Some((text, markup)) => cx.reply_with(text, ReplyMarkup::InlineKeyboard(markup)).await,
        None => cx.reply(t(cx.lang(), Text::NoDevices)).await,
    }
}

/// `/categories [page]`.
pub async fn categories(cx: Cx, args: String) -> HandlerResult {
    let page = args.trim().parse::<u64>().unwrap_or(1);
    match render_categories(&cx, page).await? {
        Some((text, markup)) => cx.reply_with(text, ReplyMarkup::InlineKeyboard(markup)).await,
        None => cx.reply(t(cx.lang(), Text::NoDevices)).await,
    }
}

pub async fn on_page(cx: Cx, category_of: Option<i64>, page: u32) -> HandlerResult {
    match render_page(&cx, category_of, u64::from(page)).await? {
        Some((text, markup)) => {
            cx.answer(None).await?;
            cx.edit(text, Some(markup)).await
        }
        None => cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await,
    }
}

pub async fn on_categories(cx: Cx, page: u32) -> HandlerResult {
    match render_categories(&cx, u64::from(page)).await? {
        Some((text, markup)) => {
            cx.answer(None).await?;
            cx.edit(text, Some(markup)).await
        }
        None => cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await,
    }
}

/// One page of a list as the database gives it.
pub struct Page {
    /// The category listed; None for `/all`.
    pub category: Option<String>,
    pub rows: Vec<device::Model>,
    /// The holder of each taken device of the page.
    pub holders: HashMap<i64, i64>,
    pub total: u64,
    /// The page shown (clamped to the pages there are) and how many there are.
    pub page: u64,
    pub pages: u64,
}

/// Page `page` of every device, or of the category of device `category_of`; None when there is
/// nothing to list (or that device is gone). Two indexed queries and the page's open loans.
pub async fn page_of(db: &impl ConnectionTrait, category_of: Option<i64>, page: u64) -> Result<Option<Page>, DbErr> {
    let mut query = device::Entity::find();
    let category = match category_of {
        Some(of) => {
            let Some(row) = device::Entity::find_by_id(of).one(db).await? else { return Ok(None) };
            query = query.filter(device::Column::Category.eq(row.category.clone()));
            Some(row.category)
        }
        None => None,
    };
    let total = query.clone().count(db).await?;
    if total == 0 {
        return Ok(None);
    }
    let pages = total.div_ceil(PAGE_SIZE);
    let page = page.clamp(1, pages);
    let rows = query.order_by_asc(device::Column::Id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).all(db).await?;
    let holders = holders(db, &rows).await?;
    Ok(Some(Page { category, rows, holders, total, page, pages }))
}

/// One page of every device, or of the category of device `category_of`, as a message.
async fn render_page(
    cx: &Cx,
    category_of: Option<i64>,
    page: u64,
) -> anyhow::Result<Option<(String, InlineKeyboardMarkup)>> {
    let lang = cx.lang();
    let Some(Page { category, rows, holders, total, page, pages }) = page_of(&cx.deps.db, category_of, page).await?
    else {
        return Ok(None);
    };
    let mut text = match &category {
        Some(c) => {
            let shown = if c.is_empty() { t(lang, Text::NoCategory) } else { c.clone() };
            t(lang, Text::CategoryHeader { category: &shown, total, page, pages })
        }
        None => t(lang, Text::AllHeader { total, page, pages }),
    };
    let (lines, mut keyboard) = device_lines(cx, &rows, &holders).await?;
    text.push_str(&lines);
    text.push_str("\n\n");
    text.push_str(&t(lang, Text::ListHint));
    if pages > 1 {
        let at = |n: u64| Press::Device(DevicePress::Page { category_of, page: n as u32 });
        keyboard.push(vec![
            button("‹", at(if page == 1 { pages } else { page - 1 })),
            button(format!("{page}/{pages}"), at(page)),
            button("›", at(if page == pages { 1 } else { page + 1 })),
        ]);
    }
    if category.is_some() {
        keyboard.push(vec![button(t(lang, Text::BackButton), Press::Device(DevicePress::Categories(1)))]);
    }
    Ok(Some((text, InlineKeyboardMarkup::new(keyboard))))
}

/// A line and a button per device: "#12 Move/5000 (INV-1) · 🔴 taken · Ann (@ann)".
async fn device_lines(
    cx: &Cx,
    rows: &[device::Model],
    holders: &HashMap<i64, i64>,
) -> anyhow::Result<(String, Vec<Vec<InlineKeyboardButton>>)> {
    let lang = cx.lang();
    let people = names(&cx.deps.db, holders.values().copied()).await?;
    let mut text = String::new();
    let mut keyboard = Vec::with_capacity(rows.len() + 2);
    for row in rows {
        text.push_str(&format!("\n{} · {}", row.title(), common::state(lang, row.state)));
        if let Some(holder) = holders.get(&row.id) {
            text.push_str(&format!(" · {}", people[holder]));
        }
        let icon = common::state(lang, row.state).split_whitespace().next().unwrap_or("");
        let label = format!("{icon} #{} {}", row.id, shared::text::shorten(&row.name, 40));
        keyboard.push(vec![button(label, Press::Device(DevicePress::Open(row.id)))]);
    }
    Ok((text, keyboard))
}

/// The holder of each taken device among `rows`: one query on the open-loan index.
async fn holders(db: &impl ConnectionTrait, rows: &[device::Model]) -> Result<HashMap<i64, i64>, DbErr> {
    let taken: Vec<i64> = rows.iter().filter(|r| r.state == DeviceState::Taken).map(|r| r.id).collect();
    if taken.is_empty() {
        return Ok(HashMap::new());
    }
    let open: Vec<(i64, i64)> = loan::Entity::find()
        .select_only()
        .column(loan::Column::DeviceId)
        .column(loan::Column::HolderId)
        .filter(loan::Column::DeviceId.is_in(taken))
        .filter(loan::Column::ReturnedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(open.into_iter().collect())
}

/// Page `page` of the categories: `(category, devices in it, one of its devices)`, the number of
/// categories and of pages; None when there are no devices. One grouped scan of the
/// `(category, id)` index, paged in memory: an office has tens or hundreds of categories, and a
/// second scan to count them cost as much as the first.
pub async fn categories_of(
    db: &impl ConnectionTrait,
    page: u64,
) -> Result<Option<(Vec<(String, i64, i64)>, u64, u64, u64)>, DbErr> {
    let all: Vec<(String, i64, i64)> = device::Entity::find()
        .select_only()
        .column(device::Column::Category)
        .column_as(Expr::col(device::Column::Id).count(), "n")
        .column_as(Expr::col(device::Column::Id).min(), "of")
        .group_by(device::Column::Category)
        .order_by_asc(device::Column::Category)
        .into_tuple()
        .all(db)
        .await?;
    let total = all.len() as u64;
    if total == 0 {
        return Ok(None);
    }
    let pages = total.div_ceil(PAGE_SIZE);
    let page = page.clamp(1, pages);
    let found = all.into_iter().skip(((page - 1) * PAGE_SIZE) as usize).take(PAGE_SIZE as usize).collect();
    Ok(Some((found, total, page, pages)))
}

/// One page of categories with their device counts, a button each.
async fn render_categories(cx: &Cx, page: u64) -> anyhow::Result<Option<(String, InlineKeyboardMarkup)>> {
    let lang = cx.lang();
    let Some((found, total, page, pages)) = categories_of(&cx.deps.db, page).await? else { return Ok(None) };
    let mut text = t(lang, Text::CategoriesHeader { total, page, pages });
    let mut keyboard = Vec::with_capacity(found.len() + 1);
    for (category, n, of) in found {
        let shown = if category.is_empty() { t(lang, Text::NoCategory) } else { category };
        let line = t(lang, Text::CategoryLine { category: &shown, n: n as u64 });
        text.push('\n');
        text.push_str(&line);
        let press = Press::Device(DevicePress::Page { category_of: Some(of), page: 1 });
        keyboard.push(vec![button(shared::text::shorten(&line, 60), press)]);
    }
    if pages > 1 {
        let at = |n: u64| Press::Device(DevicePress::Categories(n as u32));
        keyboard.push(vec![
            button("‹", at(if page == 1 { pages } else { page - 1 })),
            button(format!("{page}/{pages}"), at(page)),
            button("›", at(if page == pages { 1 } else { page + 1 })),
        ]);
    }
    Ok(Some((text, InlineKeyboardMarkup::new(keyboard))))
}

/// `/find <text>`.
pub async fn find(cx: Cx, args: String) -> HandlerResult {
    let (lang, db) = (cx.lang(), &cx.deps.db);
    let needle = needle(&args);
    if needle.is_empty() {
        return cx.reply(t(lang, Text::FindUsage)).await;
    }
    let Found { total, capped, rows, holders, people } = search(db, &needle).await?;
    if rows.is_empty() && people.is_empty() {
        return cx.reply(t(lang, Text::FindNothing { needle: &needle })).await;
    }
    let mut text = String::new();
    let mut keyboard = Vec::new();
    if !rows.is_empty() {
        text.push_str(&t(lang, Text::FoundDevices { total, capped, shown: rows.len() as u64 }));
        let (lines, buttons) = device_lines(&cx, &rows, &holders).await?;
        text.push_str(&lines);
        keyboard = buttons;
    }
    if !people.is_empty() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&t(lang, Text::FoundPeople { total: people.len() as u64 }));
        text.push_str(&people_lines(&cx, &people).await?);
    }
    cx.reply_with(text, ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(keyboard))).await
}

/// What `/find` found.
pub struct Found {
    /// How many devices match, counted up to [`COUNT_CAP`] (`capped` when there are more), of
    /// which `rows` are the first [`FIND_MAX`] by id, with their holders.
    pub total: u64,
    pub capped: bool,
    pub rows: Vec<device::Model>,
    pub holders: HashMap<i64, i64>,
    /// People of the directory matching: name and linked Telegram user.
    pub people: Vec<(String, Option<i64>)>,
}

/// `/find` counts matching devices up to this many; past it the answer says "more than".
pub const COUNT_CAP: u64 = 1_000;

/// Devices and people matching `needle` (lower case; matched literally, anywhere in the text).
pub async fn search(db: &impl ConnectionTrait, needle: &str) -> Result<Found, DbErr> {
    let pattern = like_pattern(needle);
    let ids = matching_ids(db, needle, pattern.clone()).await?;
    let (total, capped) = (ids.len().min(COUNT_CAP as usize) as u64, ids.len() as u64 > COUNT_CAP);
    let first: Vec<i64> = ids.into_iter().take(FIND_MAX as usize).collect();
    let rows =
        device::Entity::find().filter(device::Column::Id.is_in(first)).order_by_asc(device::Column::Id).all(db).await?;
    let holders = holders(db, &rows).await?;
    let people = matching_people(db, pattern).await?;
    Ok(Found { total, capped, rows, holders, people })
}

/// The ids of the first [`COUNT_CAP`] + 1 devices whose `search` contains `needle`, by id: one
/// query that stops there. On SQLite a needle of three characters or more is a phrase query on
/// the trigram index `devices_search` (migration m0013), which yields rows in id order; shorter
/// needles, and Postgres (whose trigram GIN index serves `LIKE` itself), use `LIKE`.
async fn matching_ids(db: &impl ConnectionTrait, needle: &str, pattern: LikeExpr) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite && needle.chars().count() >= 3 {
        let phrase = format!("\"{}\"", needle.replace('"', "\"\""));
        let sql = "SELECT rowid FROM devices_search WHERE devices_search MATCH ? ORDER BY rowid LIMIT ?";
        let values = [phrase.into(), (COUNT_CAP + 1).into()];
        let found = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        return found.iter().map(|row| row.try_get_by_index::<i64>(0)).collect();
    }
    device::Entity::find()
        .select_only()
        .column(device::Column::Id)
        .filter(device::Column::Search.like(pattern))
        .order_by_asc(device::Column::Id)
        .limit(COUNT_CAP + 1)
        .into_tuple()
        .all(db)
        .await
}

/// What `/find` looks for: the text lower-cased, without a leading "who is" / "кто такой".
fn needle(args: &str) -> String {
    let lower = args.trim().to_lowercase();
    let prefixes = ["who is ", "who's ", "кто такой ", "кто такая ", "кто это ", "кто "];
    let rest = prefixes.iter().find_map(|p| lower.strip_prefix(p)).unwrap_or(&lower);
    rest.trim().trim_end_matches('?').trim().to_owned()
}

/// `%needle%` with `%`, `_` and the escape character itself escaped, for `LIKE … ESCAPE '\'`.
fn like_pattern(needle: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(needle.len() + 2);
    escaped.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

/// People of the directory whose name or email matches: name, department, linked user.
async fn matching_people(db: &impl ConnectionTrait, pattern: LikeExpr) -> Result<Vec<(String, Option<i64>)>, DbErr> {
    let query: Select<person::Entity> = person::Entity::find()
        .select_only()
        .column(person::Column::Name)
        .column(person::Column::UserId)
        .filter(person::Column::Search.like(pattern))
        .order_by_asc(person::Column::Name)
        .limit(FIND_MAX);
    query.into_tuple().all(db).await
}

/// A line per person: what their Telegram user holds, by title.
async fn people_lines(cx: &Cx, people: &[(String, Option<i64>)]) -> anyhow::Result<String> {
    let (lang, db) = (cx.lang(), &cx.deps.db);
    let users: Vec<i64> = people.iter().filter_map(|(_, u)| *u).collect();
    let open = loan::Entity::find()
        .filter(loan::Column::HolderId.is_in(users))
        .filter(loan::Column::ReturnedAt.is_null())
        .all(db)
        .await?;
    let ids: Vec<i64> = open.iter().map(|l| l.device_id).collect();
    let devices: HashMap<i64, device::Model> = device::Entity::find()
        .filter(device::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let mut out = String::new();
    for (name, user) in people {
        let holds = match user {
            None => t(lang, Text::NotLinked),
            Some(user) => {
                let mine: Vec<String> = open
                    .iter()
                    .filter(|l| l.holder_id == *user)
                    .filter_map(|l| devices.get(&l.device_id).map(device::Model::title))
                    .collect();
                if mine.is_empty() { t(lang, Text::HoldsNothing) } else { mine.join(", ") }
            }
        };
        out.push('\n');
        out.push_str(&t(lang, Text::PersonHolds { name, holds: &holds }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_needle_is_lower_cased_and_loses_who_is() {
        assert_eq!(needle("  Who is Анна? "), "анна");
        assert_eq!(needle("Кто такой Пётр"), "пётр");
        assert_eq!(needle("INV-1"), "inv-1");
    }
}

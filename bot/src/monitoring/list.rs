//! `/monitors [all] [page]`: ten monitors a page, each a line and one button that opens its card,
//! and a "‹ 1/2 ›" row when there is more than one page. Paging, cards and their actions edit the
//! one list message in place ([`super::buttons`]). A card shows a monitor's state, last result
//! and options, and its actions in words. `/monitors all` (admins) lists everyone's monitors
//! with their owners.
//!
//! Targets may be long (hundreds of characters): lines and buttons show at most [`SHOWN`]
//! characters of one, so a full page stays well inside Telegram's 4,096 characters; a card shows
//! the whole target.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::db::all_each;
use shared::duration;
use shared::entities::{monitor, user};
use shared::monitoring::alerts::CheckStatus;
use shared::monitoring::alerts::Reason;
use shared::monitoring::rollup::uptime_percent;
use shared::monitoring::target::SHOWN_MAX;
use shared::monitoring::texts::{Text, t};
use shared::tz;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::buttons::{Action, Page, button};
use super::{counts_since, settings, state_badge};
use crate::cx::{Caller, Cx};
use crate::{BotDeps, HandlerResult};

/// Monitors per page.
pub const PAGE_SIZE: u64 = 10;
/// The most of a target (in UTF-16 units) a list line or button shows.
pub const SHOWN: usize = 60;

/// `/monitors [all] [page]`.
pub async fn list(cx: Cx, args: String) -> HandlerResult {
    let words: Vec<&str> = args.split_whitespace().collect();
    let everyone = cx.caller.is_admin() && words.iter().any(|w| w.eq_ignore_ascii_case("all"));
    let page: u64 = words.iter().find_map(|w| w.parse::<u64>().ok()).unwrap_or(1).max(1);
    match render_list(&cx.deps, &cx.caller, everyone, page, cx.now).await? {
        None => cx.reply(t(cx.lang(), Text::NoMonitors)).await,
        Some((text, markup)) => cx.reply_with(text, ReplyMarkup::InlineKeyboard(markup)).await,
    }
}

/// One page of the list and its buttons; None when there is nothing to list.
pub(crate) async fn render_list(
    deps: &BotDeps,
    caller: &Caller,
    everyone: bool,
    page: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<(String, InlineKeyboardMarkup)>> {
    let lang = caller.lang;
    let mut query = monitor::Entity::find().order_by_asc(monitor::Column::Id);
    if !everyone {
        query = query.filter(monitor::Column::OwnerId.eq(caller.user_id));
    }
    let total = query.clone().count(&deps.db).await?;
    if total == 0 {
        return Ok(None);
    }
    let pages = total.div_ceil(PAGE_SIZE);
    let page = page.clamp(1, pages);
    let found = all_each(&deps.db, query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).await?;
    let owners = if everyone {
        owner_names(deps, found.iter().filter_map(|r| r.as_ref().ok().map(|m| m.owner_id))).await?
    } else {
        HashMap::new()
    };
    let since = now - chrono::Duration::hours(24);
    let mut text = t(lang, Text::MonitorsHeader { total, page, pages });
    let here = Page { n: page, everyone };
    let mut keyboard = Vec::with_capacity(found.len() + 1);
    for row in found {
        // A row that does not decode is listed as such; the rest of the page still shows.
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                tracing::error!(monitor_id = e.id, error = %e, "monitor row does not decode");
                text.push('\n');
                text.push_str(&t(lang, Text::RowUnreadable { id: e.id.unwrap_or_default() }));
                continue;
            }
        };
        let (count, failures) = counts_since(deps, row.id, since).await?;
        let uptime = uptime_percent(count, failures).map(|u| format!("{u:.2}%")).unwrap_or_else(|| "—".into());
        let latency =
            row.last_latency_ms.map(|ms| t(lang, Text::Millis { ms: i64::from(ms) })).unwrap_or_else(|| "—".into());
        let muted = row.muted_until.is_some_and(|u| u > now);
        let badge = state_badge(&row, lang);
        let target = row.shown_target(SHOWN);
        text.push_str(&format!(
            "\n#{} {badge} {target} · {latency} · {} {uptime} · {}{}",
            row.id,
            t(lang, Text::Hours { n: 24 }),
            duration::format(lang, std::time::Duration::from_secs(row.interval_secs as u64)),
            if muted { " · 🔕" } else { "" }
        ));
        if let Some(name) = owners.get(&row.owner_id) {
            text.push_str(&format!(" · {}", t(lang, Text::Owner { name })));
        }
        let icon = badge.split_whitespace().next().unwrap_or("");
        keyboard.push(vec![button(format!("{icon} #{} {target}", row.id), Action::Open(row.id, here))]);
    }
    text.push_str("\n\n");
    text.push_str(&t(lang, Text::ListHint));
    if pages > 1 {
        let at = |n: u64| Action::Page(Page { n, everyone });
        keyboard.push(vec![
            button("‹", at(if page == 1 { pages } else { page - 1 })),
            button(format!("{page}/{pages}"), at(page)),
            button("›", at(if page == pages { 1 } else { page + 1 })),
        ]);
    }
    Ok(Some((text, InlineKeyboardMarkup::new(keyboard))))
}

/// Each owner's first name and id ("Ann (4007)"); an owner who never sent /start by id alone.
async fn owner_names(deps: &BotDeps, ids: impl Iterator<Item = i64>) -> anyhow::Result<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect();
    let found = user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied())).all(&deps.db).await?;
    let mut names: HashMap<i64, String> = ids.into_iter().map(|id| (id, id.to_string())).collect();
    for u in found {
        names.insert(u.id, format!("{} ({})", shared::text::shorten(&u.first_name, 32), u.id));
    }
    Ok(names)
}

/// A monitor's card: state, last result, options and, for someone else's monitor, its owner;
/// with its actions in words and the way back to list page `page`.
pub(crate) async fn render_card(
    cx: &Cx,
    row: &monitor::Model,
    page: Page,
) -> anyhow::Result<(String, InlineKeyboardMarkup)> {
    let (lang, id) = (cx.lang(), row.id);
    let last = match row.last_status {
        None => t(lang, Text::NoChecksYet),
        Some(CheckStatus::Up) => row
            .last_latency_ms
            .map(|ms| format!("✅ {}", t(lang, Text::Millis { ms: i64::from(ms) })))
            .unwrap_or_else(|| "✅".into()),
        Some(CheckStatus::Down | CheckStatus::Unavailable) => {
            format!(
                "❌ {}",
                row.last_reason.as_deref().map(|r| Reason::from_stored(r).render(lang)).unwrap_or_default()
            )
        }
        Some(CheckStatus::Blocked) => t(lang, Text::BlockedBadge),
    };
    let badge = state_badge(row, lang);
    let options = settings::current(lang, row);
    let target = row.shown_target(SHOWN_MAX);
    let mut text =
        t(lang, Text::Card { id, badge: &badge, target: &target, kind: row.kind, last: &last, options: &options });
    if let Some(until) = row.muted_until.filter(|u| *u > cx.now) {
        text.push('\n');
        text.push_str(&t(lang, Text::CardMuted { until: &tz::minute(until, cx.caller.zone) }));
    }
    if row.owner_id != cx.caller.user_id {
        let names = owner_names(&cx.deps, std::iter::once(row.owner_id)).await?;
        text.push('\n');
        text.push_str(&t(lang, Text::Owner { name: &names[&row.owner_id] }));
    }
    let toggle = if row.paused {
        button(t(lang, Text::ButtonResume), Action::Resume(id, page))
    } else {
        button(t(lang, Text::ButtonPause), Action::Pause(id, page))
    };
    let rows: Vec<Vec<InlineKeyboardButton>> = vec![
        vec![toggle, button(t(lang, Text::ButtonInterval), Action::Intervals(id, page))],
        vec![
            button(t(lang, Text::ButtonStatus), Action::Status(id)),
            button(t(lang, Text::ButtonDelete), Action::Delete(id, page)),
        ],
        vec![button(t(lang, Text::ButtonBack), Action::Page(page))],
    ];
    Ok((text, InlineKeyboardMarkup::new(rows)))
}

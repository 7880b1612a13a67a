//! Inline buttons under `/monitors`: pause or resume, change the interval, show the status, delete
//! (after a confirmation), and move between pages. The list message is edited in place.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use shared::entities::monitor;
use shared::i18n::{Lang, Text, t};
use shared::monitoring::schedule::{Interval, first_run, format_duration};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{Caller, render_list, status_text};
use crate::{BotDeps, HandlerResult, access, reply};
use shared::monitoring::model::timeout_for_interval;

/// A page of the list: its number and whether it is an admin's list of everyone's monitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub n: u64,
    pub everyone: bool,
}

impl Page {
    fn encode(self) -> String {
        format!("{}{}", self.n, if self.everyone { "a" } else { "" })
    }

    fn decode(s: &str) -> Option<Self> {
        let (digits, everyone) = match s.strip_suffix('a') {
            Some(d) => (d, true),
            None => (s, false),
        };
        Some(Page { n: digits.parse().ok().filter(|n| *n >= 1)?, everyone })
    }
}

/// What a button asks for; carried in callback data (at most 64 bytes) as `mon:<verb>:...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Page(Page),
    Pause(i64, Page),
    Resume(i64, Page),
    Intervals(i64, Page),
    Every(i64, i64, Page),
    Status(i64),
    Delete(i64, Page),
    DeleteConfirmed(i64, Page),
}

impl Action {
    pub fn parse(data: &str) -> Option<Self> {
        let parts: Vec<&str> = data.strip_prefix("mon:")?.split(':').collect();
        let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        Some(match parts.as_slice() {
            ["page", p] => Action::Page(Page::decode(p)?),
            ["pause", i, p] => Action::Pause(id(i)?, Page::decode(p)?),
            ["resume", i, p] => Action::Resume(id(i)?, Page::decode(p)?),
            ["int", i, p] => Action::Intervals(id(i)?, Page::decode(p)?),
            ["every", i, secs, p] => Action::Every(id(i)?, secs.parse().ok()?, Page::decode(p)?),
            ["status", i] => Action::Status(id(i)?),
            ["del", i, p] => Action::Delete(id(i)?, Page::decode(p)?),
            ["del!", i, p] => Action::DeleteConfirmed(id(i)?, Page::decode(p)?),
            _ => return None,
        })
    }

    pub fn data(self) -> String {
        match self {
            Action::Page(p) => format!("mon:page:{}", p.encode()),
            Action::Pause(id, p) => format!("mon:pause:{id}:{}", p.encode()),
            Action::Resume(id, p) => format!("mon:resume:{id}:{}", p.encode()),
            Action::Intervals(id, p) => format!("mon:int:{id}:{}", p.encode()),
            Action::Every(id, secs, p) => format!("mon:every:{id}:{secs}:{}", p.encode()),
            Action::Status(id) => format!("mon:status:{id}"),
            Action::Delete(id, p) => format!("mon:del:{id}:{}", p.encode()),
            Action::DeleteConfirmed(id, p) => format!("mon:del!:{id}:{}", p.encode()),
        }
    }
}

fn button(text: impl Into<String>, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text.into(), action.data())
}

/// One row of buttons per monitor, then the page buttons.
pub fn list_markup(rows: &[monitor::Model], page: u64, pages: u64, everyone: bool) -> InlineKeyboardMarkup {
    let here = Page { n: page, everyone };
    let mut keyboard: Vec<Vec<InlineKeyboardButton>> = rows
        .iter()
        .map(|m| {
            let toggle = if m.paused {
                button(format!("▶ #{}", m.id), Action::Resume(m.id, here))
            } else {
                button(format!("⏸ #{}", m.id), Action::Pause(m.id, here))
            };
            vec![
                toggle,
                button(format!("⏱ #{}", m.id), Action::Intervals(m.id, here)),
                button(format!("📈 #{}", m.id), Action::Status(m.id)),
                button(format!("🗑 #{}", m.id), Action::Delete(m.id, here)),
            ]
        })
        .collect();
    let mut nav = Vec::new();
    if page > 1 {
        nav.push(button("« ", Action::Page(Page { n: page - 1, everyone })));
    }
    if page < pages {
        nav.push(button(" »", Action::Page(Page { n: page + 1, everyone })));
    }
    if !nav.is_empty() {
        keyboard.push(nav);
    }
    InlineKeyboardMarkup::new(keyboard)
}

const INTERVAL_CHOICES: [(i64, &str); 6] =
    [(30, "30s"), (60, "1m"), (300, "5m"), (900, "15m"), (3600, "1h"), (21600, "6h")];

/// A press on one of the list's buttons.
pub async fn on_button(bot: Bot, query: CallbackQuery, deps: BotDeps) -> HandlerResult {
    let lang = Lang::from_code(query.from.language_code.as_deref());
    let answer = |text: String| bot.answer_callback_query(query.id.clone()).text(text);
    let Some(action) = query.data.as_deref().and_then(Action::parse) else {
        bot.answer_callback_query(query.id.clone()).await?;
        return Ok(());
    };
    let access = access::of(&deps, &query.from).await?;
    if !access.allowed() {
        answer(access.refusal(lang)).await?;
        return Ok(());
    }
    let Some(message) = query.message.as_ref() else {
        bot.answer_callback_query(query.id.clone()).await?;
        return Ok(());
    };
    let (chat, message_id) = (message.chat().id, message.id());
    let caller = Caller { user_id: query.from.id.0 as i64, is_admin: access.is_admin(), chat, lang };
    let id = match action {
        Action::Page(_) => None,
        Action::Pause(id, _)
        | Action::Resume(id, _)
        | Action::Intervals(id, _)
        | Action::Every(id, _, _)
        | Action::Status(id)
        | Action::Delete(id, _)
        | Action::DeleteConfirmed(id, _) => Some(id),
    };
    let row = match id {
        None => None,
        Some(id) => match monitor::Entity::find_by_id(id).one(&deps.db).await? {
            Some(m) if m.owner_id == caller.user_id || caller.is_admin => Some(m),
            _ => {
                answer(t(lang, Text::MonitorNotFound { id: &id.to_string() })).await?;
                return Ok(());
            }
        },
    };
    match (action, row) {
        (Action::Page(page), _) => {
            bot.answer_callback_query(query.id.clone()).await?;
            show_page(&bot, &deps, &caller, message_id, page).await
        }
        (Action::Pause(id, page), Some(m)) => {
            let mut active = m.into_active_model();
            active.paused = Set(true);
            active.update(&deps.db).await?;
            answer(t(lang, Text::Paused { id })).await?;
            show_page(&bot, &deps, &caller, message_id, page).await
        }
        (Action::Resume(id, page), Some(m)) => {
            let interval = Interval::from_secs(i64::from(m.interval_secs)).unwrap_or(Interval::DEFAULT);
            let mut active = m.into_active_model();
            active.paused = Set(false);
            active.next_run_at = Set(first_run(id, interval, Utc::now()));
            active.update(&deps.db).await?;
            answer(t(lang, Text::Resumed { id })).await?;
            show_page(&bot, &deps, &caller, message_id, page).await
        }
        (Action::Intervals(id, page), Some(_)) => {
            bot.answer_callback_query(query.id.clone()).await?;
            let choices: Vec<InlineKeyboardButton> =
                INTERVAL_CHOICES.iter().map(|(secs, label)| button(*label, Action::Every(id, *secs, page))).collect();
            let markup = InlineKeyboardMarkup::new([choices, vec![button("«", Action::Page(page))]]);
            deps.limiter.acquire(chat.0).await;
            bot.edit_message_reply_markup(chat, message_id).reply_markup(markup).await?;
            Ok(())
        }
        (Action::Every(id, secs, page), Some(m)) => {
            let Ok(interval) = Interval::from_secs(secs) else {
                bot.answer_callback_query(query.id.clone()).await?;
                return Ok(());
            };
            let timeout_ms = timeout_for_interval(m.timeout_ms, interval);
            let mut active = m.into_active_model();
            active.interval_secs = Set(interval.secs() as i32);
            active.timeout_ms = Set(timeout_ms);
            active.update(&deps.db).await?;
            answer(format!("#{id}: {}", format_duration(interval.duration()))).await?;
            show_page(&bot, &deps, &caller, message_id, page).await
        }
        (Action::Status(_), Some(m)) => {
            bot.answer_callback_query(query.id.clone()).await?;
            let text = status_text(&deps, &m, lang).await?;
            reply::text(&bot, &deps, chat, text).await?;
            super::send_chart(&bot, &deps, chat, &m, lang).await
        }
        (Action::Delete(id, page), Some(m)) => {
            bot.answer_callback_query(query.id.clone()).await?;
            let question = t(lang, Text::ConfirmDelete { id, target: &m.target });
            let (yes, no) = (t(lang, Text::YesRemove), t(lang, Text::CancelButton));
            let markup = InlineKeyboardMarkup::new([[
                button(yes, Action::DeleteConfirmed(id, page)),
                button(no, Action::Page(page)),
            ]]);
            deps.limiter.acquire(chat.0).await;
            bot.edit_message_text(chat, message_id, question).reply_markup(markup).await?;
            Ok(())
        }
        (Action::DeleteConfirmed(id, page), Some(_)) => {
            super::remove(&deps, id).await?;
            tracing::info!(monitor_id = id, by = caller.user_id, "monitor removed");
            answer(t(lang, Text::Unwatched { id })).await?;
            show_page(&bot, &deps, &caller, message_id, page).await
        }
        (_, None) => Ok(()),
    }
}

/// Redraws the list message at `page` (or says there is nothing left).
async fn show_page(
    bot: &Bot,
    deps: &BotDeps,
    caller: &Caller,
    message_id: teloxide::types::MessageId,
    page: Page,
) -> HandlerResult {
    deps.limiter.acquire(caller.chat.0).await;
    let everyone = page.everyone && caller.is_admin;
    match render_list(deps, caller, everyone, page.n).await? {
        Some((text, markup)) => {
            bot.edit_message_text(caller.chat, message_id, text).reply_markup(markup).await?;
        }
        None => {
            bot.edit_message_text(caller.chat, message_id, t(caller.lang, Text::NoMonitors)).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_within_telegram_limits() {
        let p = Page { n: 12, everyone: true };
        for a in [
            Action::Page(p),
            Action::Pause(9_007_199_254, p),
            Action::Resume(1, Page { n: 1, everyone: false }),
            Action::Intervals(3, p),
            Action::Every(3, 21_600, p),
            Action::Status(77),
            Action::Delete(5, p),
            Action::DeleteConfirmed(5, p),
        ] {
            assert!(a.data().len() <= 64, "{}", a.data());
            assert_eq!(Action::parse(&a.data()), Some(a));
        }
        for bad in ["mon:", "mon:pause:x:1", "mon:pause:1:0", "mon:every:1:abc:1", "mon:del:-3:1", "access:approve:1"] {
            assert_eq!(Action::parse(bad), None, "{bad}");
        }
    }
}

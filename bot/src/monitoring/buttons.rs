//! Inline buttons under `/monitors`: pause or resume, change the interval, show the status, delete
//! (after a confirmation), and move between pages. The list message is edited in place.

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use shared::duration;
use shared::entities::monitor;
use shared::i18n;
use shared::monitoring::schedule::{Interval, first_run};
use shared::monitoring::target::SHOWN_IN_LINE;
use shared::monitoring::texts::{Text, t};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{Press, render_list, status_text};
use crate::HandlerResult;
use crate::cx::Cx;
use shared::audit::Entry;
use shared::monitoring::model::timeout_for_interval;

/// A page of the list: its number and whether it is an admin's list of everyone's monitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page {
    pub n: u64,
    pub everyone: bool,
}

/// What a button under the list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// The monitor the action is about.
    fn monitor(self) -> Option<i64> {
        match self {
            Action::Page(_) => None,
            Action::Pause(id, _)
            | Action::Resume(id, _)
            | Action::Intervals(id, _)
            | Action::Every(id, _, _)
            | Action::Status(id)
            | Action::Delete(id, _)
            | Action::DeleteConfirmed(id, _) => Some(id),
        }
    }
}

fn button(text: impl Into<String>, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text.into(), Press::List(action).data())
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

/// A press on one of the list's buttons. A monitor that is gone or not the caller's is "not
/// found" and nothing changes.
pub async fn on_button(cx: Cx, action: Action) -> HandlerResult {
    let (deps, caller, lang) = (&cx.deps, &cx.caller, cx.lang());
    let row = match action.monitor() {
        None => None,
        Some(id) => match monitor::Entity::find_by_id(id).one(&deps.db).await? {
            Some(m) if m.owner_id == caller.user_id || caller.is_admin() => Some(m),
            _ => return cx.answer(Some(t(lang, Text::MonitorNotFound { id: &id.to_string() }))).await,
        },
    };
    match (action, row) {
        (Action::Page(page), _) => {
            cx.answer(None).await?;
            show_page(&cx, page).await
        }
        (Action::Pause(id, page), Some(m)) => {
            let mut active = m.into_active_model();
            active.paused = Set(true);
            active.update(&deps.db).await?;
            cx.audit(Entry::new("monitor.pause", "monitor", id)).await?;
            cx.answer(Some(t(lang, Text::Paused { id }))).await?;
            show_page(&cx, page).await
        }
        (Action::Resume(id, page), Some(m)) => {
            let interval = Interval::from_secs(i64::from(m.interval_secs)).unwrap_or(Interval::DEFAULT);
            let mut active = m.into_active_model();
            active.paused = Set(false);
            active.next_run_at = Set(first_run(id, interval, cx.now));
            active.update(&deps.db).await?;
            cx.audit(Entry::new("monitor.resume", "monitor", id)).await?;
            cx.answer(Some(t(lang, Text::Resumed { id }))).await?;
            show_page(&cx, page).await
        }
        (Action::Intervals(id, page), Some(_)) => {
            cx.answer(None).await?;
            let choices: Vec<InlineKeyboardButton> =
                INTERVAL_CHOICES.iter().map(|(secs, label)| button(*label, Action::Every(id, *secs, page))).collect();
            cx.edit_keyboard(InlineKeyboardMarkup::new([choices, vec![button("«", Action::Page(page))]])).await
        }
        (Action::Every(id, secs, page), Some(m)) => {
            let Ok(interval) = Interval::from_secs(secs) else {
                return cx.answer(Some(i18n::t(lang, i18n::Text::ButtonExpired))).await;
            };
            let timeout_ms = timeout_for_interval(m.timeout_ms, interval);
            let mut active = m.into_active_model();
            active.interval_secs = Set(interval.secs() as i32);
            active.timeout_ms = Set(timeout_ms);
            active.update(&deps.db).await?;
            cx.audit(Entry::new("monitor.set", "monitor", id).detail(format!("interval {}", interval.secs()))).await?;
            cx.answer(Some(format!("#{id}: {}", duration::format(lang, interval.duration())))).await?;
            show_page(&cx, page).await
        }
        (Action::Status(_), Some(m)) => {
            cx.answer(None).await?;
            cx.reply(status_text(deps, &m, caller, cx.now).await?).await?;
            super::send_chart(&cx.bot, deps, caller, &m, cx.now).await
        }
        (Action::Delete(id, page), Some(m)) => {
            cx.answer(None).await?;
            let question = t(lang, Text::ConfirmDelete { id, target: &m.shown_target(SHOWN_IN_LINE) });
            let (yes, no) = (t(lang, Text::YesRemove), i18n::t(lang, i18n::Text::CancelButton));
            let markup = InlineKeyboardMarkup::new([[
                button(yes, Action::DeleteConfirmed(id, page)),
                button(no, Action::Page(page)),
            ]]);
            cx.edit(question, Some(markup)).await
        }
        (Action::DeleteConfirmed(id, page), Some(_)) => {
            super::remove(deps, id).await?;
            tracing::info!(monitor_id = id, by = caller.user_id, "monitor removed");
            cx.audit(Entry::new("monitor.delete", "monitor", id)).await?;
            cx.answer(Some(t(lang, Text::Unwatched { id }))).await?;
            show_page(&cx, page).await
        }
        (_, None) => Ok(()),
    }
}

/// Redraws the list message at `page` (or says there is nothing left).
async fn show_page(cx: &Cx, page: Page) -> HandlerResult {
    let everyone = page.everyone && cx.caller.is_admin();
    match render_list(&cx.deps, &cx.caller, everyone, page.n, cx.now).await? {
        Some((text, markup)) => cx.edit(text, Some(markup)).await,
        None => cx.edit(t(cx.lang(), Text::NoMonitors), None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback;

    #[test]
    fn the_largest_actions_fit_telegram_limits_and_round_trip() {
        let p = Page { n: u64::MAX, everyone: true };
        for a in [Action::Page(p), Action::Every(i64::MAX, 21_600, p), Action::DeleteConfirmed(i64::MAX, p)] {
            let data = Press::List(a).data();
            assert!(data.len() <= callback::MAX_LEN, "{data}");
            assert_eq!(callback::decode::<Press>(callback::split(&data).unwrap().1), Some(Press::List(a)));
        }
    }
}

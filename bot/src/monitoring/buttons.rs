//! Inline buttons under `/monitors`: move between pages, open a monitor's card, and on the card
//! pause or resume, change the interval, show the status, delete (after a confirmation) and go
//! back to the list. The one list message is edited in place. An admin acting on someone else's
//! monitor is allowed; its owner is told of a pause, resume or removal.

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use shared::duration;
use shared::entities::monitor;
use shared::i18n;
use shared::monitoring::schedule::{Interval, first_run};
use shared::monitoring::target::SHOWN_IN_LINE;
use shared::monitoring::texts::{Text, t};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::list::{render_card, render_list};
use super::{Change, Press, status_text, tell_owner};
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
    /// The monitor's card.
    Open(i64, Page),
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
            | Action::DeleteConfirmed(id, _)
            | Action::Open(id, _) => Some(id),
        }
    }
}

pub(crate) fn button(text: impl Into<String>, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text.into(), Press::List(action).data())
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
        (Action::Open(_, page), Some(m)) => {
            cx.answer(None).await?;
            show_card(&cx, &m, page).await
        }
        (Action::Pause(id, page), Some(m)) => {
            let was_paused = m.paused;
            let mut active = m.into_active_model();
            active.paused = Set(true);
            let m = active.update(&deps.db).await?;
            cx.audit(Entry::new("monitor.pause", "monitor", id)).await?;
            if !was_paused {
                tell_owner(&cx, &m, Change::Paused).await?;
            }
            cx.answer(Some(t(lang, Text::Paused { id }))).await?;
            show_card(&cx, &m, page).await
        }
        (Action::Resume(id, page), Some(m)) => {
            let interval = Interval::from_secs(i64::from(m.interval_secs)).unwrap_or(Interval::DEFAULT);
            let was_paused = m.paused;
            let mut active = m.into_active_model();
            active.paused = Set(false);
            active.next_run_at = Set(first_run(id, interval, cx.now));
            let m = active.update(&deps.db).await?;
            cx.audit(Entry::new("monitor.resume", "monitor", id)).await?;
            if was_paused {
                tell_owner(&cx, &m, Change::Resumed).await?;
            }
            cx.answer(Some(t(lang, Text::Resumed { id }))).await?;
            show_card(&cx, &m, page).await
        }
        (Action::Intervals(id, page), Some(_)) => {
            cx.answer(None).await?;
            let choices: Vec<InlineKeyboardButton> =
                INTERVAL_CHOICES.iter().map(|(secs, label)| button(*label, Action::Every(id, *secs, page))).collect();
            cx.edit_keyboard(InlineKeyboardMarkup::new([choices, vec![button("«", Action::Open(id, page))]])).await
        }
        (Action::Every(id, secs, page), Some(m)) => {
            let Ok(interval) = Interval::from_secs(secs) else {
                return cx.answer(Some(i18n::t(lang, i18n::Text::ButtonExpired))).await;
            };
            let timeout_ms = timeout_for_interval(m.timeout_ms, interval);
            let mut active = m.into_active_model();
            active.interval_secs = Set(interval.secs() as i32);
            active.timeout_ms = Set(timeout_ms);
            let m = active.update(&deps.db).await?;
            cx.audit(Entry::new("monitor.set", "monitor", id).detail(format!("interval {}", interval.secs()))).await?;
            cx.answer(Some(format!("#{id}: {}", duration::format(lang, interval.duration())))).await?;
            show_card(&cx, &m, page).await
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
                button(no, Action::Open(id, page)),
            ]]);
            cx.edit(question, Some(markup)).await
        }
        (Action::DeleteConfirmed(id, page), Some(m)) => {
            super::remove(deps, id).await?;
            tracing::info!(monitor_id = id, by = caller.user_id, "monitor removed");
            cx.audit(Entry::new("monitor.delete", "monitor", id)).await?;
            tell_owner(&cx, &m, Change::Removed).await?;
            cx.answer(Some(t(lang, Text::Unwatched { id }))).await?;
            show_page(&cx, page).await
        }
        (_, None) => Ok(()),
    }
}

/// Redraws the list message as the monitor's card.
async fn show_card(cx: &Cx, m: &monitor::Model, page: Page) -> HandlerResult {
    let (text, markup) = render_card(cx, m, page).await?;
    cx.edit(text, Some(markup)).await
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
        for a in [
            Action::Page(p),
            Action::Every(i64::MAX, 21_600, p),
            Action::DeleteConfirmed(i64::MAX, p),
            Action::Open(i64::MAX, p),
        ] {
            let data = Press::List(a).data();
            assert!(data.len() <= callback::MAX_LEN, "{data}");
            assert_eq!(callback::decode::<Press>(callback::split(&data).unwrap().1), Some(Press::List(a)));
        }
    }
}

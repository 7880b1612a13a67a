//! `/add`: a monitor step by step — kind (buttons), target (typed, checked against the kind),
//! interval (buttons or typed) and failures before DOWN (buttons). The state is a dialogue stored
//! in the database, so it survives restarts; `/cancel` leaves it.

use sea_orm::ActiveEnum;
use shared::i18n::{Lang, Text, t};
use shared::monitoring::alerts::Thresholds;
use shared::monitoring::schedule::{Interval, format_duration};
use shared::monitoring::target::{CheckKind, Target};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::{Caller, WatchError, create, within_quota};
use crate::{BotDeps, BotDialogue, HandlerResult, State, access, reply};

fn keyboard(rows: Vec<Vec<(&str, String)>>) -> ReplyMarkup {
    ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(
        rows.into_iter().map(|r| r.into_iter().map(|(label, data)| InlineKeyboardButton::callback(label, data))),
    ))
}

/// `/add`.
pub async fn start(bot: &Bot, deps: &BotDeps, dialogue: &BotDialogue, caller: &Caller) -> HandlerResult {
    let lang = caller.lang;
    if !within_quota(deps, caller).await? {
        let quota = deps.settings.monitor_quota;
        return reply::text(bot, deps, caller.chat, t(lang, Text::WatchQuota { quota })).await;
    }
    dialogue.update(State::AddPickKind).await.map_err(|e| anyhow::anyhow!(e))?;
    let (web, port, host) = (t(lang, Text::KindWebsite), t(lang, Text::KindPort), t(lang, Text::KindHost));
    let data = |kind: CheckKind| format!("add:kind:{}", kind.to_value());
    let markup = keyboard(vec![vec![
        (web.as_str(), data(CheckKind::Http)),
        (port.as_str(), data(CheckKind::Tcp)),
        (host.as_str(), data(CheckKind::Ping)),
    ]]);
    reply::send(bot, deps, caller.chat, t(lang, Text::AddPickKind), Some(markup)).await
}

/// Turns what the user typed into a target of the chosen kind.
pub fn parse_target(kind: CheckKind, input: &str) -> Result<Target, WatchError> {
    let input = input.trim();
    let candidate = match kind {
        CheckKind::Http if !input.contains("://") => format!("https://{input}"),
        CheckKind::Tcp if !input.contains("://") => format!("tcp://{input}"),
        _ => input.to_owned(),
    };
    let target = Target::parse(&candidate).map_err(|e| WatchError::Target(e.to_string()))?;
    if target.kind() != kind {
        return Err(WatchError::Target(format!("{input:?} is not a {} target", kind.to_value())));
    }
    Ok(target)
}

/// A typed target in `AddReceiveTarget`.
pub async fn receive_target(
    bot: Bot,
    dialogue: BotDialogue,
    msg: Message,
    deps: BotDeps,
    kind: CheckKind,
) -> HandlerResult {
    let lang = Lang::from_code(msg.from.as_ref().and_then(|u| u.language_code.as_deref()));
    match parse_target(kind, msg.text().unwrap_or("")) {
        Err(e) => reply::text(&bot, &deps, msg.chat.id, e.render(lang)).await,
        Ok(target) => {
            dialogue
                .update(State::AddPickInterval { target: target.to_string() })
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            let choices = [30, 60, 300, 900, 3600]
                .into_iter()
                .map(|s| (interval_label(s), format!("add:every:{s}")))
                .collect::<Vec<_>>();
            let choices: Vec<(&str, String)> = choices.iter().map(|(l, d)| (l.as_str(), d.clone())).collect();
            reply::send(&bot, &deps, msg.chat.id, t(lang, Text::AddPickInterval), Some(keyboard(vec![choices]))).await
        }
    }
}

fn interval_label(secs: i64) -> String {
    format_duration(std::time::Duration::from_secs(secs as u64))
}

/// A typed interval in `AddPickInterval`.
pub async fn receive_interval(
    bot: Bot,
    dialogue: BotDialogue,
    msg: Message,
    deps: BotDeps,
    target: String,
) -> HandlerResult {
    let lang = Lang::from_code(msg.from.as_ref().and_then(|u| u.language_code.as_deref()));
    match Interval::parse(msg.text().unwrap_or("")) {
        Err(e) => reply::text(&bot, &deps, msg.chat.id, WatchError::Interval(e.to_string()).render(lang)).await,
        Ok(interval) => ask_threshold(&bot, &deps, &dialogue, msg.chat.id, lang, target, interval).await,
    }
}

async fn ask_threshold(
    bot: &Bot,
    deps: &BotDeps,
    dialogue: &BotDialogue,
    chat: ChatId,
    lang: Lang,
    target: String,
    interval: Interval,
) -> HandlerResult {
    dialogue
        .update(State::AddPickThreshold { target, interval_secs: interval.secs() })
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let choices: Vec<(&str, String)> = [("1", 1), ("2", 2), ("3", 3), ("5", 5)]
        .into_iter()
        .map(|(label, n)| (label, format!("add:after:{n}")))
        .collect();
    reply::send(bot, deps, chat, t(lang, Text::AddPickThreshold), Some(keyboard(vec![choices]))).await
}

/// A button press during `/add`.
pub async fn on_button(bot: Bot, dialogue: BotDialogue, query: CallbackQuery, deps: BotDeps) -> HandlerResult {
    let lang = Lang::from_code(query.from.language_code.as_deref());
    bot.answer_callback_query(query.id.clone()).await?;
    let Some(chat) = query.message.as_ref().map(|m| m.chat().id) else { return Ok(()) };
    let access = access::of(&deps, &query.from).await?;
    if !access.allowed() {
        return reply::text(&bot, &deps, chat, access.refusal(lang)).await;
    }
    let data = query.data.as_deref().unwrap_or("");
    let state = dialogue.get().await.map_err(|e| anyhow::anyhow!(e))?.unwrap_or_default();
    match (state, data.strip_prefix("add:").and_then(|d| d.split_once(':'))) {
        (State::AddPickKind, Some(("kind", word))) => {
            // A button names its kind by the stored word; anything else is not one of ours.
            let Ok(kind) = CheckKind::try_from_value(&word.to_owned()) else { return Ok(()) };
            dialogue.update(State::AddReceiveTarget { kind }).await.map_err(|e| anyhow::anyhow!(e))?;
            reply::text(&bot, &deps, chat, t(lang, Text::AddAskTarget { kind })).await
        }
        (State::AddPickInterval { target }, Some(("every", secs))) => {
            match secs.parse::<i64>().ok().and_then(|s| Interval::from_secs(s).ok()) {
                Some(interval) => ask_threshold(&bot, &deps, &dialogue, chat, lang, target, interval).await,
                None => Ok(()),
            }
        }
        (State::AddPickThreshold { target, interval_secs }, Some(("after", n))) => {
            let (Ok(down_after), Ok(target), Ok(interval)) =
                (n.parse::<u32>(), Target::parse(&target), Interval::from_secs(interval_secs))
            else {
                return Ok(());
            };
            let caller = Caller { user_id: query.from.id.0 as i64, is_admin: access.is_admin(), chat, lang };
            if !within_quota(&deps, &caller).await? {
                dialogue.exit().await.map_err(|e| anyhow::anyhow!(e))?;
                let quota = deps.settings.monitor_quota;
                return reply::text(&bot, &deps, chat, t(lang, Text::WatchQuota { quota })).await;
            }
            let th = Thresholds { down_after: down_after.clamp(1, 10), ..Thresholds::default() };
            let row = create(&deps, &caller, &target, interval, th).await?;
            dialogue.exit().await.map_err(|e| anyhow::anyhow!(e))?;
            let every = format_duration(interval.duration());
            reply::text(&bot, &deps, chat, t(lang, Text::WatchAdded { id: row.id, target: &row.target, every: &every }))
                .await
        }
        // A button from an earlier, finished or cancelled /add: nothing to do.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_targets_are_completed_and_checked_against_the_kind() {
        assert_eq!(
            parse_target(CheckKind::Http, "example.com/health").unwrap().to_string(),
            "https://example.com/health"
        );
        assert_eq!(
            parse_target(CheckKind::Tcp, "db.example.com:5432").unwrap().to_string(),
            "tcp://db.example.com:5432"
        );
        assert_eq!(parse_target(CheckKind::Ping, "192.0.2.10").unwrap().to_string(), "192.0.2.10");
        assert!(
            matches!(parse_target(CheckKind::Ping, "https://x.org"), Err(WatchError::Target(p)) if p.contains("not a ping target"))
        );
        assert!(
            matches!(parse_target(CheckKind::Tcp, "db.example.com"), Err(WatchError::Target(p)) if p.contains("port"))
        );
    }
}

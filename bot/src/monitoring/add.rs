//! `/add`: a monitor step by step — kind (buttons), target (typed, checked against the kind),
//! interval (buttons or typed) and failures before DOWN (buttons). The state is the slice's typed
//! dialogue state, stored in the database, so it survives restarts; `/cancel` leaves it.

use shared::duration;
use shared::i18n;
use shared::monitoring::alerts::Thresholds;
use shared::monitoring::schedule::Interval;
use shared::monitoring::target::{CheckKind, SHOWN_MAX, Target, TargetError};
use shared::monitoring::texts::{Text, t};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{NAME, Press, WatchError, create, within_quota};
use crate::HandlerResult;
use crate::cx::Cx;

/// Where an `/add` stands; each variant is named for what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Adding {
    /// The kind of check (a button).
    PickKind,
    /// The target, typed.
    ReceiveTarget { kind: CheckKind },
    /// The interval (a button or a typed duration).
    PickInterval { target: String },
    /// How many failures make DOWN (a button).
    PickThreshold { target: String, interval_secs: i64 },
}

/// A button pressed during `/add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Choice {
    Kind(CheckKind),
    Every(i64),
    After(u32),
}

fn keyboard(rows: Vec<Vec<(String, Choice)>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        rows.into_iter().map(|r| {
            r.into_iter().map(|(label, choice)| InlineKeyboardButton::callback(label, Press::Add(choice).data()))
        }),
    )
}

/// `/add`.
pub async fn start(cx: Cx, _args: String) -> HandlerResult {
    let lang = cx.lang();
    if !within_quota(&cx.deps, &cx.caller).await? {
        let quota = cx.deps.settings.monitor_quota;
        return cx.reply(t(lang, Text::WatchQuota { quota })).await;
    }
    cx.set_state(NAME, &Adding::PickKind).await?;
    let markup = keyboard(vec![vec![
        (t(lang, Text::KindWebsite), Choice::Kind(CheckKind::Http)),
        (t(lang, Text::KindPort), Choice::Kind(CheckKind::Tcp)),
        (t(lang, Text::KindHost), Choice::Kind(CheckKind::Ping)),
    ]]);
    cx.reply_with(t(lang, Text::AddPickKind), markup).await
}

/// Turns what the user typed into a target of the chosen kind.
pub fn parse_target(kind: CheckKind, input: &str) -> Result<Target, WatchError> {
    let input = input.trim();
    let candidate = match kind {
        CheckKind::Http if !input.contains("://") => format!("https://{input}"),
        CheckKind::Tcp if !input.contains("://") => format!("tcp://{input}"),
        _ => input.to_owned(),
    };
    let target = Target::parse(&candidate).map_err(WatchError::Target)?;
    if target.kind() != kind {
        return Err(WatchError::Target(TargetError::WrongKind { input: input.to_owned(), kind }));
    }
    Ok(target)
}

/// A message during `/add`: the typed target or interval; at a button step, a reminder to press one.
pub async fn on_message(cx: Cx, state: Adding) -> HandlerResult {
    let lang = cx.lang();
    let typed = cx.message().and_then(|m| m.text()).unwrap_or("").to_owned();
    match state {
        Adding::ReceiveTarget { kind } => match parse_target(kind, &typed) {
            Err(e) => cx.reply(e.render(lang)).await,
            Ok(target) => {
                cx.set_state(NAME, &Adding::PickInterval { target: target.to_string() }).await?;
                let choices =
                    [30, 60, 300, 900, 3600].into_iter().map(|s| (interval_label(lang, s), Choice::Every(s))).collect();
                cx.reply_with(t(lang, Text::AddPickInterval), keyboard(vec![choices])).await
            }
        },
        Adding::PickInterval { target } => match Interval::parse(&typed) {
            Err(e) => cx.reply(WatchError::Interval(e).render(lang)).await,
            Ok(interval) => ask_threshold(&cx, target, interval).await,
        },
        Adding::PickKind | Adding::PickThreshold { .. } => cx.reply(i18n::t(lang, i18n::Text::PressAButton)).await,
    }
}

fn interval_label(lang: i18n::Lang, secs: i64) -> String {
    duration::format(lang, std::time::Duration::from_secs(secs as u64))
}

async fn ask_threshold(cx: &Cx, target: String, interval: Interval) -> HandlerResult {
    cx.set_state(NAME, &Adding::PickThreshold { target, interval_secs: interval.secs() }).await?;
    let choices = [1, 2, 3, 5].into_iter().map(|n| (n.to_string(), Choice::After(n))).collect();
    cx.reply_with(t(cx.lang(), Text::AddPickThreshold), keyboard(vec![choices])).await
}

/// A button press during `/add`. A button that does not fit the step the dialogue is at (from an
/// earlier, finished or cancelled `/add`, or forged) has expired and changes nothing.
pub async fn on_choice(cx: Cx, choice: Choice) -> HandlerResult {
    let lang = cx.lang();
    let state = cx.state::<Adding>(NAME).await?;
    match (state, choice) {
        (Some(Adding::PickKind), Choice::Kind(kind)) => {
            cx.answer(None).await?;
            cx.set_state(NAME, &Adding::ReceiveTarget { kind }).await?;
            cx.reply(t(lang, Text::AddAskTarget { kind })).await
        }
        (Some(Adding::PickInterval { target }), Choice::Every(secs)) => match Interval::from_secs(secs) {
            Ok(interval) => {
                cx.answer(None).await?;
                ask_threshold(&cx, target, interval).await
            }
            Err(_) => cx.answer(Some(i18n::t(lang, i18n::Text::ButtonExpired))).await,
        },
        (Some(Adding::PickThreshold { target, interval_secs }), Choice::After(n)) if (1..=10).contains(&n) => {
            let (Ok(target), Ok(interval)) = (Target::parse(&target), Interval::from_secs(interval_secs)) else {
                cx.end_dialogue().await?;
                return cx.answer(Some(i18n::t(lang, i18n::Text::ButtonExpired))).await;
            };
            cx.answer(None).await?;
            if !within_quota(&cx.deps, &cx.caller).await? {
                cx.end_dialogue().await?;
                let quota = cx.deps.settings.monitor_quota;
                return cx.reply(t(lang, Text::WatchQuota { quota })).await;
            }
            let th = Thresholds { down_after: n, ..Thresholds::default() };
            let row = create(&cx.deps, &cx.caller, &target, interval, th, cx.now).await?;
            cx.end_dialogue().await?;
            let every = duration::format(lang, interval.duration());
            cx.reply(t(lang, Text::WatchAdded { id: row.id, target: &row.shown_target(SHOWN_MAX), every: &every }))
                .await
        }
        _ => cx.answer(Some(i18n::t(lang, i18n::Text::ButtonExpired))).await,
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
        assert!(matches!(
            parse_target(CheckKind::Ping, "https://x.org"),
            Err(WatchError::Target(TargetError::WrongKind { kind: CheckKind::Ping, .. }))
        ));
        assert!(matches!(
            parse_target(CheckKind::Tcp, "db.example.com"),
            Err(WatchError::Target(TargetError::TcpPort(_)))
        ));
    }
}

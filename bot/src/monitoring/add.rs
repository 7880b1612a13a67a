//! `/add`: a monitor step by step — kind, target, interval and failures before DOWN. Every step
//! takes a typed answer or, where it shows buttons, a press; a finished step's prompt is edited
//! to what it settled ("✅ Website: https://example.com/") and loses its buttons, so only the
//! current step's buttons are live. The state is the slice's typed dialogue state, stored in the
//! database, so it survives restarts; `/cancel` leaves it. A press on an `/add` button when no
//! `/add` runs answers that the dialogue has ended and changes nothing.
//!
//! `/watch` of a target the caller already watches asks first; that question is a one-step
//! dialogue of this module too ([`Adding::ConfirmDuplicate`]).

use shared::crypto::Encrypted;
use shared::duration;
use shared::i18n;
use shared::monitoring::alerts::Thresholds;
use shared::monitoring::schedule::Interval;
use shared::monitoring::target::{CheckKind, SHOWN_MAX, Target, TargetError};
use shared::monitoring::texts::{Text, t};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{NAME, Press, create, within_quota};
use crate::HandlerResult;
use crate::cx::Cx;

/// Where an `/add` stands; each variant is named for what it waits for. Stored, so variants are
/// only appended (and fields only added with a default). A target is kept without its URL
/// password; the password rides along sealed (`Encrypted` serializes to its stored form), so no
/// plaintext secret sits in `dialogue_states`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Adding {
    /// The kind of check (a button or a typed word).
    PickKind,
    /// The target, typed.
    ReceiveTarget { kind: CheckKind },
    /// The interval (a button or a typed duration).
    PickInterval {
        target: String,
        #[serde(default)]
        password: Option<Encrypted<String>>,
    },
    /// How many failures make DOWN (a button or a typed number).
    PickThreshold {
        target: String,
        interval_secs: i64,
        #[serde(default)]
        password: Option<Encrypted<String>>,
    },
    /// `/watch` of a target the caller already watches: add a second monitor or not.
    ConfirmDuplicate {
        target: String,
        interval_secs: i64,
        #[serde(default)]
        password: Option<Encrypted<String>>,
    },
}

/// A button pressed during `/add` (or the `/watch` duplicate question). Sent with buttons, so
/// variants are only appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Choice {
    Kind(CheckKind),
    Every(i64),
    After(u32),
    /// Add a second monitor of a target already watched (true), or leave it (false).
    Duplicate(bool),
}

/// The interval buttons, in seconds.
const INTERVALS: [i64; 5] = [30, 60, 300, 900, 3600];
/// The failure-count buttons; a typed answer may be anything in [`THRESHOLDS`].
const THRESHOLD_BUTTONS: [u32; 4] = [1, 2, 3, 5];
const THRESHOLDS: std::ops::RangeInclusive<u32> = 1..=10;

fn keyboard(rows: Vec<Vec<(String, Choice)>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        rows.into_iter().map(|r| {
            r.into_iter().map(|(label, choice)| InlineKeyboardButton::callback(label, Press::Add(choice).data()))
        }),
    )
}

fn kind_label(lang: i18n::Lang, kind: CheckKind) -> String {
    let text = match kind {
        CheckKind::Http => Text::KindWebsite,
        CheckKind::Tcp => Text::KindPort,
        CheckKind::Ping => Text::KindHost,
    };
    t(lang, text)
}

/// `/add` (chosen from the chooser, or the only thing the caller may add); `/add <target>
/// [interval]` is `/watch`.
pub async fn start(cx: Cx, args: String) -> HandlerResult {
    if !args.trim().is_empty() {
        return super::watch(cx, args).await;
    }
    let lang = cx.lang();
    if !within_quota(&cx.deps, &cx.caller).await? {
        let quota = cx.deps.settings.monitor_quota;
        return cx.reply(t(lang, Text::WatchQuota { quota })).await;
    }
    // A dialogue this one replaces loses its buttons.
    cx.close_prompt(None).await?;
    let kinds = [CheckKind::Http, CheckKind::Tcp, CheckKind::Ping];
    let markup = keyboard(vec![kinds.into_iter().map(|k| (kind_label(lang, k), Choice::Kind(k))).collect()]);
    cx.ask(NAME, &Adding::PickKind, t(lang, Text::AddPickKind), Some(markup)).await
}

/// A kind typed at the first step: its word in either language, its number, or its button label.
pub fn typed_kind(input: &str) -> Option<CheckKind> {
    let word = input.trim().to_lowercase();
    let kinds = [CheckKind::Http, CheckKind::Tcp, CheckKind::Ping];
    if let Some(kind) = kinds
        .into_iter()
        .find(|k| [i18n::Lang::En, i18n::Lang::Ru].iter().any(|l| kind_label(*l, *k).to_lowercase() == word))
    {
        return Some(kind);
    }
    match word.trim_end_matches('.') {
        "1" | "http" | "https" | "web" | "site" | "website" | "сайт" | "веб" => Some(CheckKind::Http),
        "2" | "tcp" | "port" | "tcp port" | "порт" | "tcp-порт" => Some(CheckKind::Tcp),
        "3" | "ping" | "icmp" | "host" | "хост" | "пинг" => Some(CheckKind::Ping),
        _ => None,
    }
}

/// What the user typed at the target step, read as a target of the chosen kind.
#[derive(Debug, PartialEq, Eq)]
pub enum TypedTarget {
    /// Taken as typed.
    Exact(Target),
    /// A website typed without a scheme, taken as `https://`; the reply says so.
    SchemeAssumed(Target),
    /// A website typed as `host:port`: http or https is the user's to say (an https guess at a
    /// plain-HTTP port fails as a TLS error), so the reply asks; the TCP check is named too.
    HostPort { tcp: Target },
    /// Not a target of this kind; the problem, shown with an example.
    Bad(TargetError),
}

/// Reads a typed target for `kind`.
pub fn parse_target(kind: CheckKind, input: &str) -> TypedTarget {
    let input = input.trim();
    let bare = !input.contains("://");
    let candidate = match kind {
        CheckKind::Http if bare => match Target::host_and_port(input) {
            Some(tcp) => return TypedTarget::HostPort { tcp },
            None => format!("https://{input}"),
        },
        CheckKind::Tcp if bare => format!("tcp://{input}"),
        _ => input.to_owned(),
    };
    match Target::parse(&candidate) {
        Err(e) => TypedTarget::Bad(e),
        Ok(target) if target.kind() != kind => {
            TypedTarget::Bad(TargetError::WrongKind { input: input.to_owned(), kind })
        }
        Ok(target) if kind == CheckKind::Http && bare => TypedTarget::SchemeAssumed(target),
        Ok(target) => TypedTarget::Exact(target),
    }
}

fn example(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::Http => "https://example.com/health",
        CheckKind::Tcp => "db.example.com:5432",
        CheckKind::Ping => "192.0.2.10",
    }
}

/// A message during `/add`: the answer to the current step, typed.
pub async fn on_message(cx: Cx, state: Adding) -> HandlerResult {
    let lang = cx.lang();
    let typed = cx.message().and_then(|m| m.text()).unwrap_or("").trim().to_owned();
    match state {
        Adding::PickKind => match typed_kind(&typed) {
            Some(kind) => kind_chosen(&cx, kind).await,
            None => cx.reply(t(lang, Text::AddTypeKind)).await,
        },
        Adding::ReceiveTarget { kind } => {
            let (target, note) = match parse_target(kind, &typed) {
                TypedTarget::Exact(target) => (target, None),
                TypedTarget::SchemeAssumed(target) => {
                    let note = t(lang, Text::AddSchemeAssumed { target: &target.shown(SHOWN_MAX) });
                    (target, Some(note))
                }
                TypedTarget::HostPort { tcp } => {
                    return cx.reply(t(lang, Text::AddHostPort { input: &typed, tcp: &tcp.to_string() })).await;
                }
                TypedTarget::Bad(error) => {
                    let problem = t(lang, Text::BadTarget { error: &error });
                    return cx.reply(t(lang, Text::AddBadTarget { problem: &problem, example: example(kind) })).await;
                }
            };
            target_chosen(&cx, kind, target, note).await
        }
        Adding::PickInterval { target, password } => match Interval::parse(&typed) {
            Err(e) => cx.reply(t(lang, Text::AddBadInterval { problem: &e.render(lang) })).await,
            Ok(interval) => interval_chosen(&cx, Sealed { target, password }, interval).await,
        },
        Adding::PickThreshold { target, interval_secs, password } => match typed.parse::<u32>() {
            Ok(n) if THRESHOLDS.contains(&n) => {
                threshold_chosen(&cx, Sealed { target, password }, interval_secs, n).await
            }
            _ => cx.reply(t(lang, Text::AddTypeThreshold)).await,
        },
        Adding::ConfirmDuplicate { target, interval_secs, password } => match typed.to_lowercase().as_str() {
            "yes" | "y" | "да" => add_duplicate(&cx, Sealed { target, password }, interval_secs).await,
            "no" | "n" | "нет" => keep_one(&cx, &target).await,
            _ => cx.reply(i18n::t(lang, i18n::Text::PressAButton)).await,
        },
    }
}

/// A button press during `/add`. A press when no `/add` runs (it ended, was cancelled, or another
/// dialogue replaced it) says the dialogue has ended; one that does not fit the running step (or
/// is forged) has expired. Neither changes anything.
pub async fn on_choice(cx: Cx, choice: Choice) -> HandlerResult {
    let lang = cx.lang();
    let Some(state) = cx.state::<Adding>(NAME).await? else {
        cx.answer(Some(t(lang, Text::DialogueEnded))).await?;
        // The pressed message is a finished dialogue's: its buttons go.
        return cx.edit_keyboard(InlineKeyboardMarkup::default()).await;
    };
    match (state, choice) {
        (Adding::PickKind, Choice::Kind(kind)) => {
            cx.answer(None).await?;
            kind_chosen(&cx, kind).await
        }
        (Adding::PickInterval { target, password }, Choice::Every(secs)) if INTERVALS.contains(&secs) => {
            let interval = Interval::from_secs(secs)?;
            cx.answer(None).await?;
            interval_chosen(&cx, Sealed { target, password }, interval).await
        }
        (Adding::PickThreshold { target, interval_secs, password }, Choice::After(n)) if THRESHOLDS.contains(&n) => {
            cx.answer(None).await?;
            threshold_chosen(&cx, Sealed { target, password }, interval_secs, n).await
        }
        (Adding::ConfirmDuplicate { target, interval_secs, password }, Choice::Duplicate(yes)) => {
            cx.answer(None).await?;
            let sealed = Sealed { target, password };
            if yes { add_duplicate(&cx, sealed, interval_secs).await } else { keep_one(&cx, &sealed.target).await }
        }
        _ => cx.answer(Some(i18n::t(lang, i18n::Text::ButtonExpired))).await,
    }
}

/// Closes the current step's prompt with what it settled.
async fn settle(cx: &Cx, label: String, value: &str) -> HandlerResult {
    cx.close_prompt(Some(t(cx.lang(), Text::StepDone { label: &label, value }))).await
}

async fn kind_chosen(cx: &Cx, kind: CheckKind) -> HandlerResult {
    let lang = cx.lang();
    settle(cx, t(lang, Text::StepKindLabel), &kind_label(lang, kind)).await?;
    cx.ask(NAME, &Adding::ReceiveTarget { kind }, t(lang, Text::AddAskTarget { kind }), None).await
}

async fn target_chosen(cx: &Cx, kind: CheckKind, target: Target, note: Option<String>) -> HandlerResult {
    let lang = cx.lang();
    settle(cx, t(lang, Text::StepTargetLabel { kind }), &target.shown(SHOWN_MAX)).await?;
    let existing = super::watched_as(&cx.deps, &cx.caller, &target).await?;
    let Sealed { target, password } = Sealed::new(target)?;
    let mut ask = note.map(|n| format!("{n}\n\n")).unwrap_or_default();
    if let Some(id) = existing {
        ask.push_str(&t(lang, Text::AddAlreadyWatched { id }));
        ask.push_str("\n\n");
    }
    ask.push_str(&t(lang, Text::AddPickInterval));
    let choices = INTERVALS.into_iter().map(|s| (interval_label(lang, s), Choice::Every(s))).collect();
    cx.ask(NAME, &Adding::PickInterval { target, password }, ask, Some(keyboard(vec![choices]))).await
}

fn interval_label(lang: i18n::Lang, secs: i64) -> String {
    duration::format(lang, std::time::Duration::from_secs(secs as u64))
}

async fn interval_chosen(cx: &Cx, Sealed { target, password }: Sealed, interval: Interval) -> HandlerResult {
    let lang = cx.lang();
    settle(cx, t(lang, Text::StepIntervalLabel), &duration::format(lang, interval.duration())).await?;
    let choices = THRESHOLD_BUTTONS.into_iter().map(|n| (n.to_string(), Choice::After(n))).collect();
    let state = Adding::PickThreshold { target, interval_secs: interval.secs(), password };
    cx.ask(NAME, &state, t(lang, Text::AddPickThreshold), Some(keyboard(vec![choices]))).await
}

/// The last step: the monitor is created and the dialogue ends.
async fn threshold_chosen(cx: &Cx, target: Sealed, interval_secs: i64, n: u32) -> HandlerResult {
    let lang = cx.lang();
    settle(cx, t(lang, Text::StepThresholdLabel), &t(lang, Text::FailuresInARow { n })).await?;
    finish(cx, target, interval_secs, Thresholds { down_after: n, ..Thresholds::default() }).await
}

/// Creates the monitor the dialogue gathered and ends the dialogue; a state that no longer reads
/// (a release changed the rules) ends it with the "expired" reply.
async fn finish(cx: &Cx, target: Sealed, interval_secs: i64, th: Thresholds) -> HandlerResult {
    let lang = cx.lang();
    cx.end_dialogue().await?;
    let (Ok(target), Ok(interval)) = (target.open(), Interval::from_secs(interval_secs)) else {
        return cx.reply(i18n::t(lang, i18n::Text::DialogueExpired)).await;
    };
    if !within_quota(&cx.deps, &cx.caller).await? {
        let quota = cx.deps.settings.monitor_quota;
        return cx.reply(t(lang, Text::WatchQuota { quota })).await;
    }
    let row = create(&cx.deps, &cx.caller, &target, interval, th, cx.now).await?;
    let every = duration::format(lang, interval.duration());
    cx.reply(t(lang, Text::WatchAdded { id: row.id, target: &row.shown_target(SHOWN_MAX), every: &every })).await
}

/// A target as a dialogue keeps it: without its URL password, which is kept sealed.
struct Sealed {
    target: String,
    password: Option<Encrypted<String>>,
}

impl Sealed {
    fn new(mut target: Target) -> Result<Self, shared::crypto::CryptoError> {
        let password = target.seal_password()?;
        Ok(Self { target: target.to_string(), password })
    }

    /// The whole target again, password included.
    fn open(&self) -> Result<Target, TargetError> {
        Ok(Target::parse(&self.target)?.with_password(self.password.as_ref().map(|p| p.expose().as_str())))
    }
}

/// `/watch` of a target already watched: the question, as a one-step dialogue.
pub(crate) async fn ask_duplicate(cx: &Cx, id: i64, target: &Target, interval: Interval) -> HandlerResult {
    let lang = cx.lang();
    cx.close_prompt(None).await?;
    let shown = target.shown(SHOWN_MAX);
    let Sealed { target, password } = Sealed::new(target.clone())?;
    let markup = keyboard(vec![vec![
        (t(lang, Text::YesAddAnother), Choice::Duplicate(true)),
        (i18n::t(lang, i18n::Text::CancelButton), Choice::Duplicate(false)),
    ]]);
    let question = t(lang, Text::WatchDuplicate { id, target: &shown });
    let state = Adding::ConfirmDuplicate { target, interval_secs: interval.secs(), password };
    cx.ask(NAME, &state, question, Some(markup)).await
}

async fn add_duplicate(cx: &Cx, target: Sealed, interval_secs: i64) -> HandlerResult {
    cx.close_prompt(Some(format!("✅ {}", t(cx.lang(), Text::YesAddAnother)))).await?;
    finish(cx, target, interval_secs, Thresholds::default()).await
}

async fn keep_one(cx: &Cx, target: &str) -> HandlerResult {
    let existing = match Target::parse(target) {
        Ok(target) => super::watched_as(&cx.deps, &cx.caller, &target).await?,
        Err(_) => None,
    };
    let text = match existing {
        Some(id) => t(cx.lang(), Text::NotAdded { id }),
        None => i18n::t(cx.lang(), i18n::Text::Cancelled),
    };
    cx.close_prompt(Some(text)).await?;
    cx.end_dialogue().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: CheckKind, input: &str, expected: &str) {
        let got = match parse_target(kind, input) {
            TypedTarget::Exact(t) => format!("exact {t}"),
            TypedTarget::SchemeAssumed(t) => format!("assumed {t}"),
            TypedTarget::HostPort { tcp } => format!("ask {tcp}"),
            TypedTarget::Bad(error) => format!("bad {}", t(i18n::Lang::En, Text::BadTarget { error: &error })),
        };
        assert!(got.starts_with(expected), "{input}: {got}");
    }

    #[test]
    fn typed_targets_are_read_against_the_kind_and_never_silently_guessed() {
        check(CheckKind::Http, "https://example.com/health", "exact https://example.com/health");
        check(CheckKind::Http, "example.com/health", "assumed https://example.com/health");
        check(CheckKind::Http, "localhost:8080", "ask tcp://localhost:8080");
        check(CheckKind::Http, "tcp://db:5432", "bad \"tcp://db:5432\" is not a");
        check(CheckKind::Tcp, "db.example.com:5432", "exact tcp://db.example.com:5432");
        check(CheckKind::Tcp, "db.example.com", "bad \"tcp://db.example.com\" needs a port");
        check(CheckKind::Ping, "192.0.2.10", "exact 192.0.2.10");
        check(CheckKind::Ping, "https://x.org", "bad \"https://x.org\" is not a");
    }

    #[test]
    fn kinds_may_be_typed_in_either_language() {
        for (input, kind) in [
            ("website", CheckKind::Http),
            ("Сайт", CheckKind::Http),
            ("🌐 Website (HTTP)", CheckKind::Http),
            ("2", CheckKind::Tcp),
            ("порт", CheckKind::Tcp),
            ("ping", CheckKind::Ping),
            ("хост", CheckKind::Ping),
        ] {
            assert_eq!(typed_kind(input), Some(kind), "{input}");
        }
        assert_eq!(typed_kind("4"), None);
    }

    #[test]
    fn the_largest_choice_fits_telegram_limits() {
        for c in [Choice::Every(i64::MAX), Choice::After(u32::MAX), Choice::Duplicate(true)] {
            assert!(Press::Add(c).data().len() <= crate::callback::MAX_LEN);
        }
    }
}

//! The developer commands of the equipment slice, for the people who run the service: `/dev_logs`
//! (the process's last log lines as `logs.txt`), `/dev_export` (every table as CSV in a zip,
//! secrets masked: `shared::dump`), `/dev_purge <category>` (every device of a category, refused
//! while one is taken) and `/dev_wipe` (the export, then all equipment data: `equipment::purge`).
//! To anyone outside `TELEOPS_DEVELOPERS` they do not exist (`Audience::Developer`).
//!
//! Each asks for `TELEOPS_DEVELOPER_CODE` first, in a one-step dialogue ([`State::Code`]). The
//! message holding the code is deleted from the chat; every answer is recorded in
//! `developer_attempts`, and `equipment::devcode` decides from them whether the command is locked
//! (three wrong codes within an hour lock it for an hour) and compares the code in constant time.
//! A locked command is refused before it asks. Each run is audited.
//!
//! The export runs here rather than as a job: it is one read transaction whose rows stream into
//! a zip in memory (200,000 rows took 4.5 s on SQLite and 1.7 s on Postgres in a debug build),
//! the developer waits for the file anyway, only their chat waits meanwhile, and a document cannot
//! travel through the outbox. Telegram takes at most 50 MB from a bot; a
//! larger zip is reported, not sent (and then nothing is wiped).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use shared::audit::Entry;
use shared::entities::{developer_attempt, user};
use shared::equipment::devcode::{self, Attempt, Verdict};
use shared::equipment::press::{DevPress, Press};
use shared::equipment::purge::{self, PurgeError};
use shared::equipment::texts::dev::{Text, t};
use shared::i18n;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile};

use super::NAME;
use crate::HandlerResult;
use crate::cx::Cx;
use crate::reply;
use crate::slice::{Audience, Slice};

/// The most a bot may upload to Telegram.
const MAX_UPLOAD: usize = 50 * 1024 * 1024;

/// Adds `/dev_logs`, `/dev_export`, `/dev_purge` and `/dev_wipe`.
pub fn register(slice: Slice) -> Slice {
    slice
        .command(
            "dev_logs",
            Audience::Developer,
            |l| t(l, Text::HelpLogs),
            |cx, args| ask_code(cx, DevCommand::Logs, args),
        )
        .command(
            "dev_export",
            Audience::Developer,
            |l| t(l, Text::HelpExport),
            |cx, args| ask_code(cx, DevCommand::Export, args),
        )
        .command(
            "dev_purge",
            Audience::Developer,
            |l| t(l, Text::HelpPurge),
            |cx, args| ask_code(cx, DevCommand::Purge, args),
        )
        .command(
            "dev_wipe",
            Audience::Developer,
            |l| t(l, Text::HelpWipe),
            |cx, args| ask_code(cx, DevCommand::Wipe, args),
        )
}

/// A developer command. Stored in the dialogue state, so variants are only appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DevCommand {
    Logs,
    Export,
    Purge,
    Wipe,
}

impl DevCommand {
    /// The command's name, also what `developer_attempts.command` records (so each command
    /// locks on its own).
    pub fn name(self) -> &'static str {
        match self {
            Self::Logs => "dev_logs",
            Self::Export => "dev_export",
            Self::Purge => "dev_purge",
            Self::Wipe => "dev_wipe",
        }
    }

    fn slash(self) -> String {
        format!("/{}", self.name())
    }
}

/// This part's dialogue state. Stored, so variants are only appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Waits for the developer code, to run `command` with `args`.
    Code { command: DevCommand, args: String },
}

/// A developer command: refused when no code is configured or the command is locked, else the
/// code is asked for.
async fn ask_code(cx: Cx, command: DevCommand, args: String) -> HandlerResult {
    let lang = cx.lang();
    if cx.deps.settings.developer_code.is_none() {
        return cx.reply(t(lang, Text::NoCode)).await;
    }
    let args = args.trim().to_owned();
    if command == DevCommand::Purge && args.is_empty() {
        return cx.reply(t(lang, Text::PurgeUsage)).await;
    }
    if let Verdict::Locked { until } = verdict(&cx, command).await? {
        return refuse_locked(&cx, command, until).await;
    }
    let cancel = InlineKeyboardButton::callback(t(lang, Text::CancelButton), Press::Dev(DevPress::Cancel).data());
    let state = super::State::Dev(State::Code { command, args });
    let prompt = t(lang, Text::AskCode { command: &command.slash() });
    cx.ask(NAME, &state, prompt, Some(InlineKeyboardMarkup::new([[cancel]]))).await
}

/// The answer to the code prompt: deleted from the chat, checked, recorded; the command runs on
/// the right code.
pub async fn on_message(cx: Cx, state: State) -> HandlerResult {
    let State::Code { command, args } = state;
    let lang = cx.lang();
    let settings = cx.deps.settings.clone();
    // The role or the code may have gone since the prompt was sent.
    let code = match &settings.developer_code {
        _ if !settings.is_developer(cx.caller.user_id) => {
            end(&cx).await?;
            return cx.reply(i18n::t(lang, i18n::Text::UnknownCommand)).await;
        }
        None => {
            end(&cx).await?;
            return cx.reply(t(lang, Text::NoCode)).await;
        }
        Some(code) => code,
    };
    let Some(message) = cx.message() else { return Ok(()) };
    let Some(typed) = message.text() else { return cx.reply(t(lang, Text::CodeAsText)).await };
    delete_code(&cx, message).await;
    if let Verdict::Locked { until } = verdict(&cx, command).await? {
        end(&cx).await?;
        return refuse_locked(&cx, command, until).await;
    }
    let ok = devcode::matches(code.expose(), typed);
    developer_attempt::ActiveModel {
        user_id: Set(cx.caller.user_id),
        command: Set(command.name().to_owned()),
        at: Set(cx.now),
        ok: Set(ok),
        ..Default::default()
    }
    .insert(&cx.deps.db)
    .await?;
    if !ok {
        tracing::warn!(user_id = cx.caller.user_id, command = command.name(), "wrong developer code");
        return match verdict(&cx, command).await? {
            Verdict::Locked { until } => {
                end(&cx).await?;
                refuse_locked(&cx, command, until).await
            }
            Verdict::Open { tries_left } => {
                cx.reply(t(lang, Text::WrongCode { command: &command.slash(), tries_left })).await
            }
        };
    }
    cx.close_prompt(Some(t(lang, Text::CodeAccepted { command: &command.slash() }))).await?;
    cx.end_dialogue().await?;
    tracing::info!(user_id = cx.caller.user_id, command = command.name(), "developer command runs");
    match command {
        DevCommand::Logs => send_logs(&cx).await,
        DevCommand::Export => export(&cx).await,
        DevCommand::Purge => purge_category(&cx, &args).await,
        DevCommand::Wipe => wipe(&cx).await,
    }
}

/// The prompt's Cancel button.
pub async fn on_press(cx: Cx, press: DevPress) -> HandlerResult {
    let lang = cx.lang();
    match press {
        DevPress::Cancel => match cx.state::<super::State>(NAME).await? {
            Some(super::State::Dev(State::Code { .. })) => {
                cx.answer(None).await?;
                cx.close_prompt(Some(i18n::t(lang, i18n::Text::Cancelled))).await?;
                cx.end_dialogue().await
            }
            _ => {
                cx.answer(Some(t(lang, Text::RequestEnded))).await?;
                cx.edit_keyboard(InlineKeyboardMarkup::default()).await
            }
        },
    }
}

/// Ends the code dialogue, its prompt's button removed.
async fn end(cx: &Cx) -> HandlerResult {
    cx.close_prompt(None).await?;
    cx.end_dialogue().await
}

/// Takes the code out of the chat's history. Telegram may refuse (a message over 48 hours old in
/// a group, missing rights); that is logged, and the command goes on.
async fn delete_code(cx: &Cx, message: &Message) {
    if let Err(e) = cx.bot.delete_message(message.chat.id, message.id).await {
        tracing::info!(chat_id = message.chat.id.0, error.message = %e, "the message with the developer code stays");
    }
}

/// Whether `command` is locked for the caller now.
async fn verdict(cx: &Cx, command: DevCommand) -> anyhow::Result<Verdict> {
    let attempts: Vec<Attempt> = developer_attempt::Entity::find()
        .filter(developer_attempt::Column::UserId.eq(cx.caller.user_id))
        .filter(developer_attempt::Column::Command.eq(command.name()))
        .filter(developer_attempt::Column::At.gt(cx.now - devcode::LOOKBACK))
        .all(&cx.deps.db)
        .await?
        .into_iter()
        .map(|row| Attempt { at: row.at, ok: row.ok })
        .collect();
    Ok(devcode::verdict(&attempts, cx.now))
}

async fn refuse_locked(cx: &Cx, command: DevCommand, until: DateTime<Utc>) -> HandlerResult {
    let until = shared::tz::minute(until, cx.caller.zone);
    cx.reply(t(cx.lang(), Text::Locked { command: &command.slash(), until: &until })).await
}

/// Records a run in the audit log.
async fn audit(cx: &Cx, command: DevCommand, object_id: Option<String>, detail: String) -> HandlerResult {
    cx.audit(Entry {
        action: command.audit_action(),
        object_kind: command.audit_object(),
        object_id,
        detail: Some(detail),
    })
    .await
}

impl DevCommand {
    /// `developer.logs`, …: what the audit log records a run as.
    fn audit_action(self) -> &'static str {
        match self {
            Self::Logs => "developer.logs",
            Self::Export => "developer.export",
            Self::Purge => "developer.purge",
            Self::Wipe => "developer.wipe",
        }
    }

    fn audit_object(self) -> &'static str {
        match self {
            Self::Logs => "logs",
            Self::Export | Self::Wipe => "database",
            Self::Purge => "category",
        }
    }
}

/// `/dev_logs`: the log ring as `logs.txt`.
async fn send_logs(cx: &Cx) -> HandlerResult {
    let text = shared::log_ring::recent();
    let lines = text.lines().count();
    audit(cx, DevCommand::Logs, None, format!("{lines} lines")).await?;
    if lines == 0 {
        return cx.reply(t(cx.lang(), Text::LogsEmpty)).await;
    }
    let file = InputFile::memory(text.into_bytes()).file_name("logs.txt");
    reply::document(&cx.bot, &cx.deps, cx.caller.chat, file, t(cx.lang(), Text::LogsCaption { lines })).await
}

/// `/dev_export`.
async fn export(cx: &Cx) -> HandlerResult {
    send_export(cx).await.map(drop)
}

/// Dumps the database and sends the zip, named for the caller's date; false when it is too large
/// to send.
async fn send_export(cx: &Cx) -> anyhow::Result<bool> {
    let lang = cx.lang();
    let dump = shared::dump::dump(&cx.deps.db).await.context("dumping the database")?;
    let (tables, rows, bytes) = (dump.tables.len(), dump.rows(), dump.zip.len());
    audit(cx, DevCommand::Export, None, format!("{tables} tables, {rows} rows, {bytes} bytes")).await?;
    if bytes > MAX_UPLOAD {
        cx.reply(t(lang, Text::ExportTooLarge { mb: bytes.div_ceil(1024 * 1024) as u64 })).await?;
        return Ok(false);
    }
    let date = cx.now.with_timezone(&cx.caller.zone).format("%Y-%m-%d");
    let file = InputFile::memory(dump.zip).file_name(format!("teleops-export-{date}.zip"));
    reply::document(&cx.bot, &cx.deps, cx.caller.chat, file, t(lang, Text::ExportCaption { tables, rows })).await?;
    Ok(true)
}

/// `/dev_purge <category>`.
async fn purge_category(cx: &Cx, category: &str) -> HandlerResult {
    let lang = cx.lang();
    match purge::category(&cx.deps.db, category).await {
        Ok(purged) if purged.devices == 0 => cx.reply(t(lang, Text::PurgeNone { category })).await,
        Ok(purged) => {
            let detail =
                format!("{} devices, {} loans, {} waitlist entries", purged.devices, purged.loans, purged.waits);
            audit(cx, DevCommand::Purge, Some(category.to_owned()), detail).await?;
            let (devices, loans, waits) = (purged.devices, purged.loans, purged.waits);
            cx.reply(t(lang, Text::Purged { category, devices, loans, waits })).await
        }
        Err(PurgeError::Taken(taken)) => {
            let mut list = Vec::new();
            for (device, loan) in taken {
                let holder = user::Entity::find_by_id(loan.holder_id).one(&cx.deps.db).await?;
                let holder = holder.map_or_else(|| loan.holder_id.to_string(), |u| u.first_name);
                let title = device.title();
                list.push(t(lang, Text::TakenBy { title: &title, holder: &holder }));
            }
            cx.reply(t(lang, Text::PurgeTaken { category, list: &list.join("\n") })).await
        }
        Err(PurgeError::Db(e)) => Err(e.into()),
    }
}

/// `/dev_wipe`: the export first; all equipment data goes only once it was sent.
async fn wipe(cx: &Cx) -> HandlerResult {
    if !send_export(cx).await? {
        return Ok(());
    }
    let wiped = purge::wipe(&cx.deps.db).await?;
    let detail = format!(
        "{} devices, {} loans, {} waitlist entries, {} people, {} imports",
        wiped.devices, wiped.loans, wiped.waits, wiped.people, wiped.imports
    );
    audit(cx, DevCommand::Wipe, None, detail).await?;
    let purge::Wiped { devices, loans, waits, people, imports } = wiped;
    cx.reply(t(cx.lang(), Text::Wiped { devices, loans, waits, people, imports })).await
}

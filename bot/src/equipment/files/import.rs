//! `/import` and `/export`, and the Apply / Cancel buttons of an import's dry-run report.
//!
//! `/import` takes the file as the caption's document or as the next message. Only CSV and
//! spreadsheet files within the Bot API's 20 MB download limit are taken; the handler records the
//! `imports` row (a newer file replaces the admin's import still waiting) and enqueues the dry
//! run. Apply moves a `planned` import to `applying` once, so a second press applies nothing.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use shared::audit::Entry;
use shared::entities::import::{self, ImportKind, ImportStatus};
use shared::equipment::dry_run::Report;
use shared::equipment::jobs::{ApplyImport, ExportDevices, ReadImport};
use shared::equipment::texts::files::{Text, t};
use shared::queue::Enqueue;
use teloxide::types::{Document, InlineKeyboardMarkup};

use super::State;
use crate::HandlerResult;
use crate::cx::Cx;

/// The largest file the Bot API lets a bot download.
const MAX_BYTES: u32 = 20 * 1024 * 1024;
/// File name endings `read_table` reads: text tables and workbooks.
const EXTENSIONS: [&str; 7] = [".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"];

/// `/import [devices|people]`, with the file attached or to come.
pub async fn import(cx: Cx, args: String) -> HandlerResult {
    let lang = cx.lang();
    let Some(kind) = parse_kind(&args) else { return cx.reply(t(lang, Text::ImportUsage)).await };
    match cx.message().and_then(|m| m.document()).cloned() {
        Some(document) => record(&cx, kind, &document).await,
        None => {
            let state = super::super::State::Files(State::ReceiveFile { kind });
            cx.ask(super::super::NAME, &state, t(lang, Text::ImportAsk), None).await
        }
    }
}

/// The message after a bare `/import`: the file, or a reminder of what is awaited.
pub async fn receive_file(cx: Cx, kind: Option<ImportKind>) -> HandlerResult {
    let Some(document) = cx.message().and_then(|m| m.document()).cloned() else {
        return cx.reply(t(cx.lang(), Text::ImportNotAFile)).await;
    };
    cx.close_prompt(None).await?;
    cx.end_dialogue().await?;
    record(&cx, kind, &document).await
}

/// `/export`: every device as CSV and XLSX, made and sent by a job.
pub async fn export(cx: Cx, _args: String) -> HandlerResult {
    let job = ExportDevices { chat_id: cx.caller.chat.0, user_id: cx.caller.user_id };
    cx.deps.queue.enqueue(&job, Enqueue::default()).await?;
    cx.reply(t(cx.lang(), Text::ExportStarted)).await
}

/// Apply pressed under a dry-run report.
pub async fn apply(cx: Cx, import_id: i64) -> HandlerResult {
    let lang = cx.lang();
    let moved = import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(ImportStatus::Applying))
        .filter(import::Column::Id.eq(import_id))
        .filter(import::Column::Status.eq(ImportStatus::Planned))
        .exec(&cx.deps.db)
        .await?;
    cx.edit_keyboard(InlineKeyboardMarkup::default()).await?;
    if moved.rows_affected == 0 {
        return cx.answer(Some(t(lang, Text::NotWaiting))).await;
    }
    let row = import::Entity::find_by_id(import_id).one(&cx.deps.db).await?;
    let report: Option<Report> = row.and_then(|r| r.report).and_then(|r| serde_json::from_str(&r).ok());
    let fingerprint = report.map(|r| r.fingerprint).unwrap_or_default();
    // Keyed by the plan: the same dry run is applied once, a fresh report's Apply again.
    let key = format!("import-apply:{import_id}:{fingerprint}");
    cx.deps.queue.enqueue(&ApplyImport { import_id }, Enqueue::keyed(key)).await?;
    cx.audit(Entry::new("import.apply_pressed", "import", import_id)).await?;
    cx.answer(Some(t(lang, Text::Applying))).await
}

/// Cancel pressed under a dry-run report.
pub async fn drop(cx: Cx, import_id: i64) -> HandlerResult {
    let lang = cx.lang();
    let moved = import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(ImportStatus::Dropped))
        .col_expr(import::Column::Content, Expr::value(Option::<Vec<u8>>::None))
        .col_expr(import::Column::FinishedAt, Expr::value(Some(cx.now)))
        .filter(import::Column::Id.eq(import_id))
        .filter(import::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Planned]))
        .exec(&cx.deps.db)
        .await?;
    cx.edit_keyboard(InlineKeyboardMarkup::default()).await?;
    if moved.rows_affected == 0 {
        return cx.answer(Some(t(lang, Text::NotWaiting))).await;
    }
    cx.answer(None).await?;
    cx.reply(t(lang, Text::Dropped)).await
}

/// What `/import`'s argument asks for: Some(None) to decide from the headers, None when it is
/// neither empty nor a kind.
fn parse_kind(args: &str) -> Option<Option<ImportKind>> {
    match args.trim().to_lowercase().as_str() {
        "" => Some(None),
        "devices" | "device" | "устройства" => Some(Some(ImportKind::Devices)),
        "people" | "staff" | "users" | "сотрудники" | "люди" => Some(Some(ImportKind::People)),
        _ => None,
    }
}

/// Records the import of `document` and enqueues its dry run; refuses what cannot be imported.
async fn record(cx: &Cx, kind: Option<ImportKind>, document: &Document) -> HandlerResult {
    let lang = cx.lang();
    let name = document.file_name.clone().unwrap_or_else(|| "file".to_owned());
    let lower = name.to_lowercase();
    if !EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) {
        return cx.reply(t(lang, Text::ImportWrongType { name: &name })).await;
    }
    if document.file.size > MAX_BYTES {
        return cx.reply(t(lang, Text::ImportTooBig { name: &name })).await;
    }
    let admin_id = cx.caller.user_id;
    let tx = cx.deps.db.begin().await?;
    // A newer file replaces the admin's import still waiting: only the latest report applies.
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(ImportStatus::Dropped))
        .col_expr(import::Column::Content, Expr::value(Option::<Vec<u8>>::None))
        .col_expr(import::Column::FinishedAt, Expr::value(Some(cx.now)))
        .filter(import::Column::AdminId.eq(admin_id))
        .filter(import::Column::Status.is_in([ImportStatus::Queued, ImportStatus::Planned]))
        .exec(&tx)
        .await?;
    let row = import::ActiveModel {
        admin_id: Set(admin_id),
        chat_id: Set(cx.caller.chat.0),
        kind: Set(kind),
        file_id: Set(document.file.id.0.clone()),
        file_name: Set(name.clone()),
        content: Set(None),
        status: Set(ImportStatus::Queued),
        report: Set(None),
        created_at: Set(cx.now),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    cx.deps.queue.enqueue(&ReadImport { import_id: row.id }, Enqueue::keyed(format!("import-read:{}", row.id))).await?;
    cx.audit(Entry::new("import.file", "import", row.id).detail(name.clone())).await?;
    cx.reply(t(lang, Text::Reading { name: &name })).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_argument_names_a_kind_or_nothing() {
        assert_eq!(parse_kind(""), Some(None));
        assert_eq!(parse_kind(" People "), Some(Some(ImportKind::People)));
        assert_eq!(parse_kind("сотрудники"), Some(Some(ImportKind::People)));
        assert_eq!(parse_kind("devices"), Some(Some(ImportKind::Devices)));
        assert_eq!(parse_kind("everything"), None);
    }
}

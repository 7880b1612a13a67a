//! The import jobs. [`read`] downloads the file an admin sent (`imports.file_id`), keeps its
//! bytes in the row, plans it against the database and sends the dry-run report with Apply and
//! Cancel buttons. [`apply`] runs once the admin pressed Apply: in ONE transaction it plans the
//! stored bytes again against the data as it is now, and writes every row only when the plan is
//! the one reported (same [`Report::fingerprint`]); otherwise it writes nothing and sends the
//! fresh report. Any failure rolls everything back and is reported.
//!
//! The status column guards against doing anything twice: the dry run moves `queued` to
//! `planned`, the bot moves `planned` to `applying` on the first Apply, and this job's first
//! statement claims an `applying` row (that write also takes SQLite's write lock before anything
//! is read, see `equipment::loans::lock_device`).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use shared::audit::{self, Actor, Entry};
use shared::crypto::Encrypted;
use shared::entities::import::{self, ImportKind, ImportStatus};
use shared::entities::{device, person};
use shared::equipment::dry_run::{Report, is_staff_list};
use shared::equipment::import::{Table, TableFormat, read_table};
use shared::equipment::jobs::{ApplyImport, ReadImport};
use shared::equipment::person::PersonFields;
use shared::equipment::press::{FilesPress, Press};
use shared::equipment::texts::files::{Text, import_error, reject_reason, t};
use shared::i18n::Lang;
use shared::outbox::{self, Button, Buttons};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;

use super::{Planned, lang_of};
use crate::{Deps, JobError};

/// How many rejections a report lists; the rest are counted.
const LISTED_REJECTIONS: usize = 20;
/// Rows per INSERT: 13 columns × 500 rows stays far below SQLite's and Postgres' bind limits.
const INSERT_BATCH: usize = 500;

/// The dry run: download, plan, report.
#[tracing::instrument(skip_all, fields(import_id = job.import_id))]
pub async fn read(job: ReadImport, deps: Arc<Deps>) -> Result<(), JobError> {
    let db = &deps.db;
    let Some(row) = import::Entity::find_by_id(job.import_id).one(db).await? else {
        return Err(JobError::Permanent(format!("import {} does not exist", job.import_id)));
    };
    if row.status != ImportStatus::Queued {
        return Ok(());
    }
    let lang = lang_of(db, row.admin_id).await?;
    let bytes = match row.content.clone() {
        Some(bytes) => bytes,
        None => match download(&deps, &row.file_id).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(error.cause_chain = ?e, error.message = %e, "import file not downloaded");
                let text = t(lang, Text::DownloadFailed { name: &row.file_name });
                return finish(&deps, &row, ImportStatus::Failed, text).await;
            }
        },
    };
    let started = Instant::now();
    let table = match read_table(&bytes, &row.file_name) {
        Ok(table) => table,
        Err(e) => {
            let text = t(lang, Text::Unreadable { name: &row.file_name, reason: &import_error(lang, &e) });
            return finish(&deps, &row, ImportStatus::Failed, text).await;
        }
    };
    let kind = row.kind.unwrap_or(if is_staff_list(&table.header) { ImportKind::People } else { ImportKind::Devices });
    let planned = match Planned::new(db, kind, &table).await? {
        Ok(planned) => planned,
        Err(e) => {
            let text = t(lang, Text::Unreadable { name: &row.file_name, reason: &import_error(lang, &e) });
            return finish(&deps, &row, ImportStatus::Failed, text).await;
        }
    };
    let report = planned.report();
    tracing::info!(rows = table.rows.len(), ?kind, elapsed_ms = started.elapsed().as_millis() as u64, "import planned");
    let text = report_text(lang, &row.file_name, &table, &planned);
    let tx = db.begin().await?;
    let (status, buttons) = if report.changes_anything() {
        (ImportStatus::Planned, Some(buttons(lang, row.id)))
    } else {
        (ImportStatus::Dropped, None)
    };
    let moved = import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(status))
        .col_expr(import::Column::Kind, Expr::value(Some(kind)))
        .col_expr(import::Column::Report, Expr::value(Some(serde_json::to_string(&report).context("report")?)))
        .col_expr(
            import::Column::Content,
            Expr::value(if status == ImportStatus::Planned { Some(bytes) } else { None }),
        )
        .filter(import::Column::Id.eq(row.id))
        .filter(import::Column::Status.eq(ImportStatus::Queued))
        .exec(&tx)
        .await?;
    if moved.rows_affected == 0 {
        // Dropped meanwhile (cancelled, or a newer file came): nothing to report.
        return Ok(());
    }
    let message = outbox::write(&tx, row.chat_id, text, buttons).await?;
    tx.commit().await?;
    outbox::enqueue(&deps.queue, message).await;
    Ok(())
}

/// Applies an import the admin accepted, all or nothing.
#[tracing::instrument(skip_all, fields(import_id = job.import_id))]
pub async fn apply(job: ApplyImport, deps: Arc<Deps>) -> Result<(), JobError> {
    let started = Instant::now();
    match apply_in_one_transaction(&deps, job.import_id).await {
        Ok(Some(message)) => {
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "import applied or re-planned");
            outbox::enqueue(&deps.queue, message).await;
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => {
            // The transaction was dropped, so rolled back: nothing of the file was written.
            tracing::error!(error.cause_chain = ?e, error.message = %e, "import not applied");
            let db = &deps.db;
            let Some(row) = import::Entity::find_by_id(job.import_id).one(db).await? else { return Ok(()) };
            let lang = lang_of(db, row.admin_id).await?;
            finish(&deps, &row, ImportStatus::Failed, t(lang, Text::ApplyFailed)).await
        }
    }
}

/// Returns the outbox message to enqueue, or None when the import was not waiting for this.
async fn apply_in_one_transaction(deps: &Deps, import_id: i64) -> anyhow::Result<Option<i64>> {
    let now = deps.clock.now();
    let tx = deps.db.begin().await?;
    let claimed = import::Entity::update_many()
        .col_expr(import::Column::FinishedAt, Expr::value(Some(now)))
        .filter(import::Column::Id.eq(import_id))
        .filter(import::Column::Status.eq(ImportStatus::Applying))
        .exec(&tx)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    let row = import::Entity::find_by_id(import_id).one(&tx).await?.context("the claimed import")?;
    let reported: Report = serde_json::from_str(row.report.as_deref().unwrap_or("")).context("the stored report")?;
    let lang = lang_of(&tx, row.admin_id).await?;
    let bytes = row.content.as_deref().context("the stored file")?;
    let table = read_table(bytes, &row.file_name).context("the stored file read before")?;
    let planned = Planned::new(&tx, reported.kind, &table).await?.context("the stored file planned before")?;
    let fresh = planned.report();
    let message = if fresh.fingerprint != reported.fingerprint {
        let status = if fresh.changes_anything() { ImportStatus::Planned } else { ImportStatus::Dropped };
        import::Entity::update_many()
            .col_expr(import::Column::Status, Expr::value(status))
            .col_expr(import::Column::Report, Expr::value(Some(serde_json::to_string(&fresh)?)))
            .col_expr(import::Column::FinishedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(import::Column::Id.eq(import_id))
            .exec(&tx)
            .await?;
        let text = format!("{}\n\n{}", t(lang, Text::PlanChanged), report_text(lang, &row.file_name, &table, &planned));
        let buttons = fresh.changes_anything().then(|| buttons(lang, row.id));
        outbox::write(&tx, row.chat_id, text, buttons).await?
    } else {
        write_rows(&tx, &planned, now).await?;
        if let Planned::People { .. } = planned {
            shared::equipment::people::link_unlinked(&tx, now).await?;
        }
        import::Entity::update_many()
            .col_expr(import::Column::Status, Expr::value(ImportStatus::Applied))
            .col_expr(import::Column::Content, Expr::value(Option::<Vec<u8>>::None))
            .filter(import::Column::Id.eq(import_id))
            .exec(&tx)
            .await?;
        let detail = format!("{:?}: {} added, {} updated", fresh.kind, fresh.add, fresh.update);
        audit::record(
            &tx,
            Actor::telegram(row.admin_id),
            now,
            Entry::new("import.apply", "import", row.id).detail(detail),
        )
        .await?;
        outbox::write(&tx, row.chat_id, t(lang, Text::Applied { add: fresh.add, update: fresh.update }), None).await?
    };
    tx.commit().await?;
    Ok(Some(message))
}

/// Inserts the plan's new rows in batches and updates the changed ones.
async fn write_rows(tx: &DatabaseTransaction, planned: &Planned, now: DateTime<Utc>) -> anyhow::Result<()> {
    match planned {
        Planned::Devices { plan, ids } => {
            for chunk in plan.add.chunks(INSERT_BATCH) {
                let rows = chunk.iter().map(|(_, fields)| device::new_row(fields, now));
                device::Entity::insert_many(rows).exec_without_returning(tx).await?;
            }
            for (_, fields) in &plan.update {
                let id = *ids.get(&fields.inventory_no).context("an updated device exists")?;
                let mut changes = device::ActiveModel::default();
                device::set_fields(&mut changes, fields, now);
                device::Entity::update_many().set(changes).filter(device::Column::Id.eq(id)).exec(tx).await?;
            }
        }
        Planned::People { plan, ids } => {
            for chunk in plan.add.chunks(INSERT_BATCH) {
                let rows = chunk.iter().map(|(_, fields)| new_person(fields, now)).collect::<Result<Vec<_>, _>>()?;
                person::Entity::insert_many(rows).exec_without_returning(tx).await?;
            }
            for (_, update) in &plan.update {
                let id = *ids.get(update.index).context("an updated person exists")?;
                let mut changes = new_person(&update.fields, now)?;
                changes.created_at = ActiveValue::NotSet;
                changes.comment = ActiveValue::NotSet;
                person::Entity::update_many().set(changes).filter(person::Column::Id.eq(id)).exec(tx).await?;
            }
        }
    }
    Ok(())
}

/// A new `people` row from a staff list's validated fields.
fn new_person(fields: &PersonFields, now: DateTime<Utc>) -> anyhow::Result<person::ActiveModel> {
    use sea_orm::ActiveValue::{NotSet, Set};
    let email = (!fields.email.is_empty()).then(|| fields.email.clone());
    let phone = if fields.phone.is_empty() { None } else { Some(Encrypted::new(fields.phone.clone())?) };
    let username = (!fields.username.is_empty()).then(|| fields.username.clone());
    Ok(person::ActiveModel {
        id: NotSet,
        name: Set(fields.name.clone()),
        search: Set(person::search_text(&fields.name, email.as_deref(), username.as_deref())),
        email: Set(email),
        username: Set(username),
        phone: Set(phone),
        department: Set(fields.department.clone()),
        comment: Set(String::new()),
        user_id: NotSet,
        created_at: Set(now),
        updated_at: Set(now),
    })
}

/// The dry-run report: what the file was read as, the counts, the columns left out and the
/// first rejections with their rows and reasons.
fn report_text(lang: Lang, name: &str, table: &Table, planned: &Planned) -> String {
    let report = planned.report();
    let mut lines = vec![t(lang, Text::ReportHeader { name, kind: planned.kind() })];
    lines.push(match &table.format {
        TableFormat::Csv { encoding, delimiter } => t(lang, Text::ReadAsCsv { encoding, delimiter: *delimiter }),
        TableFormat::Workbook { sheet } => t(lang, Text::ReadAsSheet { sheet }),
    });
    lines.push(t(
        lang,
        Text::Counts { add: report.add, update: report.update, unchanged: report.unchanged, rejected: report.rejected },
    ));
    if !planned.ignored_columns().is_empty() {
        lines.push(t(lang, Text::IgnoredColumns { columns: &planned.ignored_columns().join(", ") }));
    }
    let rejected = planned.rejected();
    if !rejected.is_empty() {
        lines.push(String::new());
        for (row, reason) in rejected.iter().take(LISTED_REJECTIONS) {
            lines.push(t(lang, Text::RejectLine { row: *row, reason: &reject_reason(lang, planned.kind(), reason) }));
        }
        if rejected.len() > LISTED_REJECTIONS {
            lines.push(t(lang, Text::MoreRejections { n: rejected.len() - LISTED_REJECTIONS }));
        }
    }
    if !report.changes_anything() {
        lines.push(String::new());
        lines.push(t(lang, Text::NothingToApply));
    }
    lines.join("\n")
}

fn buttons(lang: Lang, import_id: i64) -> Buttons {
    vec![vec![
        Button { text: t(lang, Text::ApplyButton), data: Press::Files(FilesPress::Apply(import_id)).data() },
        Button { text: t(lang, Text::CancelButton), data: Press::Files(FilesPress::Drop(import_id)).data() },
    ]]
}

/// Ends an import that cannot go on (`status`, its bytes dropped) and tells the admin why.
async fn finish(deps: &Deps, row: &import::Model, status: ImportStatus, text: String) -> Result<(), JobError> {
    let tx = deps.db.begin().await?;
    import::Entity::update_many()
        .col_expr(import::Column::Status, Expr::value(status))
        .col_expr(import::Column::Content, Expr::value(Option::<Vec<u8>>::None))
        .col_expr(import::Column::FinishedAt, Expr::value(Some(deps.clock.now())))
        .filter(import::Column::Id.eq(row.id))
        .exec(&tx)
        .await?;
    let message = outbox::write(&tx, row.chat_id, text, None).await?;
    tx.commit().await?;
    outbox::enqueue(&deps.queue, message).await;
    Ok(())
}

/// The file's bytes from Telegram.
async fn download(deps: &Deps, file_id: &str) -> anyhow::Result<Vec<u8>> {
    let bot = deps.bot.as_ref().context("no bot token configured")?;
    let file = bot.get_file(FileId(file_id.to_owned())).await.context("getFile")?;
    let mut bytes = Vec::with_capacity(file.size as usize);
    bot.download_file(&file.path, &mut bytes).await.context("downloading the file")?;
    Ok(bytes)
}

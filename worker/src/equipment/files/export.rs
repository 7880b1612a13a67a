//! The export job: every device as `devices.csv` and `devices.xlsx`, sent as two documents to the
//! admin who asked, with a caption saying how many. A job, so that 100,000 devices never hold up
//! the bot.
//!
//! The outbox carries text, so these documents are sent here, behind the process's send limiter
//! like every message. Delivery is at least once: a retry after the first document went out sends
//! both again.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use sea_orm::{EntityTrait, QueryOrder};
use shared::entities::device;
use shared::equipment::export::{to_csv, to_xlsx};
use shared::equipment::jobs::ExportDevices;
use shared::equipment::texts::files::{Text, t};
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::InputFile;

use super::lang_of;
use crate::{Deps, JobError};

#[tracing::instrument(skip_all, fields(chat_id = job.chat_id))]
pub async fn run(job: ExportDevices, deps: Arc<Deps>) -> Result<(), JobError> {
    let Some(bot) = deps.bot.clone() else {
        return Err(JobError::Transient(anyhow::anyhow!("no bot token configured")));
    };
    let started = Instant::now();
    let rows = device::Entity::find().order_by_asc(device::Column::Id).all(&deps.db).await?;
    let devices: Vec<_> = rows.iter().map(device::Model::fields).collect();
    let (csv, xlsx) = tokio::task::spawn_blocking(move || (to_csv(&devices), to_xlsx(&devices)))
        .await
        .context("writing the export")?;
    let xlsx = xlsx.map_err(|e| JobError::Permanent(format!("the XLSX export cannot be written: {e}")))?;
    tracing::info!(devices = rows.len(), elapsed_ms = started.elapsed().as_millis() as u64, "export written");
    let caption = t(lang_of(&deps.db, job.user_id).await?, Text::ExportCaption { devices: rows.len() });
    for (bytes, name) in [(csv, "devices.csv"), (xlsx, "devices.xlsx")] {
        deps.limiter.acquire(job.chat_id).await;
        let document = InputFile::memory(bytes).file_name(name);
        match bot.send_document(ChatId(job.chat_id), document).caption(caption.clone()).await {
            Ok(_) => {}
            Err(RequestError::RetryAfter(wait)) => {
                deps.limiter.pause_for(wait.duration()).await;
                return Err(JobError::RetryAfter(wait.duration()));
            }
            Err(e) => return Err(JobError::Transient(anyhow::Error::new(e).context("sending the export"))),
        }
    }
    Ok(())
}

//! Housekeeping jobs: the heartbeat (records that scheduler -> queue -> worker is alive) and the
//! purge of finished jobs.

use std::sync::Arc;

use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use shared::entities::system_state::{self, LAST_HEARTBEAT};
use shared::jobs::{Heartbeat, PurgeQueue};

use crate::{Deps, JobError};

/// Stores the heartbeat's slot as the last heartbeat; an older slot never overwrites a newer one.
pub async fn record(job: Heartbeat, deps: Arc<Deps>) -> Result<(), JobError> {
    let current =
        system_state::Entity::find_by_id(LAST_HEARTBEAT.to_owned()).one(&deps.db).await.map_err(anyhow::Error::from)?;
    if current.and_then(|c| c.value.parse::<i64>().ok()).is_some_and(|slot| slot >= job.slot) {
        return Ok(());
    }
    system_state::Entity::insert(system_state::ActiveModel {
        key: Set(LAST_HEARTBEAT.to_owned()),
        value: Set(job.slot.to_string()),
        updated_at: Set(deps.clock.now()),
    })
    .on_conflict(
        OnConflict::column(system_state::Column::Key)
            .update_columns([system_state::Column::Value, system_state::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(&deps.db)
    .await
    .map_err(anyhow::Error::from)?;
    tracing::debug!(slot = job.slot, "heartbeat recorded");
    Ok(())
}

/// Deletes finished jobs past the payload's retention.
pub async fn purge(job: PurgeQueue, deps: Arc<Deps>) -> Result<(), JobError> {
    let before = deps.clock.now() - chrono::Duration::seconds(job.keep_done_secs.max(0));
    let n = deps.queue.purge_done(before, job.keep_done_count).await.map_err(anyhow::Error::from)?;
    if n > 0 {
        tracing::info!(deleted = n, "purged finished jobs");
    }
    Ok(())
}

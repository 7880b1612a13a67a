//! Alerts on their way out: the lines a batch of checks fired wait in `pending_alerts`, and one
//! `alerts` job per chat sends every line waiting for that chat as one message, so a thousand
//! monitors going down together is one readable alert.
//!
//! A flush is keyed by the chat and its oldest waiting line, so every check that adds lines while
//! that line waits shares one flush, and a line added after a flush has read is never stranded:
//! the flush looks again after deleting what it sent and schedules the next one.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait, TryInsertResult};
use shared::entities::{monitor, pending_alert, system_state, user};
use shared::i18n::Lang;
use shared::monitoring::alerts::Alert;
use shared::monitoring::jobs::FlushAlerts;
use shared::monitoring::model::alert_line;
use shared::monitoring::target::SHOWN_IN_LINE;
use shared::monitoring::texts::{Text, t};
use shared::queue::Enqueue;

use crate::{Deps, JobError};

/// A flush runs this long after the first line that scheduled it, so lines of a burst can join.
const ALERT_DELAY_SECS: i64 = 2;

/// The alert lines for `fired` (monitor, alerts), one per alert and chat, in each owner's language.
pub async fn lines(
    deps: &Deps,
    fired: &[(&monitor::Model, Vec<Alert>)],
    at: DateTime<Utc>,
) -> Result<Vec<pending_alert::ActiveModel>, JobError> {
    if fired.is_empty() {
        return Ok(Vec::new());
    }
    let langs = langs(deps, fired.iter().map(|(m, _)| m.owner_id)).await?;
    let mut rows = Vec::new();
    for (m, alerts) in fired {
        let lang = langs.get(&m.owner_id).copied().unwrap_or_default();
        let chats = std::iter::once(m.chat_id).chain(m.notify_chat_id.filter(|c| *c != m.chat_id));
        for chat_id in chats {
            for alert in alerts {
                rows.push(pending_alert::ActiveModel {
                    chat_id: Set(chat_id),
                    monitor_id: Set(m.id),
                    lang: Set(lang.code().to_owned()),
                    text: Set(alert_line(lang, m.id, &m.shown_target(SHOWN_IN_LINE), alert)),
                    created_at: Set(at),
                    ..Default::default()
                });
            }
        }
    }
    Ok(rows)
}

/// The language of each of these users that is registered (others get the default).
async fn langs(deps: &Deps, users: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, Lang>, JobError> {
    let ids: BTreeSet<i64> = users.into_iter().collect();
    let found = user::Entity::find().filter(user::Column::Id.is_in(ids)).all(&deps.db).await?;
    Ok(found.into_iter().map(|u| (u.id, Lang::from_code(Some(&u.language)))).collect())
}

/// Enqueues a flush for every chat with lines waiting from `monitor_ids`. Reading the waiting
/// lines (not only this run's) means a retry after a failed enqueue still sends what an earlier
/// attempt stored.
pub async fn schedule_flushes(deps: &Deps, monitor_ids: &[i64], at: DateTime<Utc>) -> Result<(), JobError> {
    let chats: Vec<i64> = pending_alert::Entity::find()
        .select_only()
        .column(pending_alert::Column::ChatId)
        .distinct()
        .filter(pending_alert::Column::MonitorId.is_in(monitor_ids.iter().copied()))
        .into_tuple()
        .all(&deps.db)
        .await?;
    enqueue_flushes(deps, &chats, at).await
}

/// One flush per chat, keyed by the chat's oldest waiting line.
async fn enqueue_flushes(deps: &Deps, chats: &[i64], at: DateTime<Utc>) -> Result<(), JobError> {
    if chats.is_empty() {
        return Ok(());
    }
    let oldest: Vec<(i64, Option<i64>)> = pending_alert::Entity::find()
        .select_only()
        .column(pending_alert::Column::ChatId)
        .column_as(pending_alert::Column::Id.min(), "oldest")
        .filter(pending_alert::Column::ChatId.is_in(chats.iter().copied()))
        .group_by(pending_alert::Column::ChatId)
        .into_tuple()
        .all(&deps.db)
        .await?;
    let run_at = Some(at + chrono::Duration::seconds(ALERT_DELAY_SECS));
    let jobs: Vec<(FlushAlerts, Enqueue)> = oldest
        .into_iter()
        .filter_map(|(chat_id, oldest)| {
            let key = format!("alerts:{chat_id}:{}", oldest?);
            Some((FlushAlerts { chat_id }, Enqueue { idempotency_key: Some(key), run_at }))
        })
        .collect();
    if !jobs.is_empty() {
        deps.queue.enqueue_many(&jobs).await.map_err(|e| JobError::Transient(e.into()))?;
    }
    Ok(())
}

/// Tells every admin, once for this database, how to allow ICMP.
///
/// "Told" is recorded in the same transaction as the notices' outbox rows, so it is recorded
/// exactly when the notices are on their way (a stored row is sent, by its job or by the outbox
/// sweep), and of two batches that find ICMP off at once only one commits its notices.
pub async fn tell_admins_icmp_is_off(deps: &Deps) -> Result<(), JobError> {
    const KEY: &str = "icmp_unavailable_told";
    let told = system_state::Entity::find_by_id(KEY.to_owned()).one(&deps.db).await?;
    if told.is_some() {
        return Ok(());
    }
    let langs = langs(deps, deps.admins.iter().copied()).await?;
    let tx = deps.db.begin().await?;
    let claimed = system_state::Entity::insert(system_state::ActiveModel {
        key: Set(KEY.into()),
        value: Set("1".into()),
        updated_at: Set(deps.clock.now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(&tx)
    .await?;
    if !matches!(claimed, TryInsertResult::Inserted(n) if n > 0) {
        // Another batch told them since the read above.
        return Ok(());
    }
    let mut notices = Vec::with_capacity(deps.admins.len());
    for admin in &deps.admins {
        let lang = langs.get(admin).copied().unwrap_or_default();
        notices.push(shared::outbox::write(&tx, *admin, t(lang, Text::IcmpNotPermittedAdmin), None).await?);
    }
    tx.commit().await?;
    for id in notices {
        shared::outbox::enqueue(&deps.queue, id).await;
    }
    tracing::warn!("ICMP sockets are not permitted; admins were told how to allow them");
    Ok(())
}

/// Sends the waiting alert lines of one chat as one message (at least once: lines are deleted
/// only after the message is in the outbox).
pub async fn flush(job: FlushAlerts, deps: Arc<Deps>) -> Result<(), JobError> {
    use sea_orm::QueryOrder;
    let waiting = pending_alert::Entity::find()
        .filter(pending_alert::Column::ChatId.eq(job.chat_id))
        .order_by_asc(pending_alert::Column::Id)
        .all(&deps.db)
        .await?;
    let Some(first) = waiting.first() else { return Ok(()) };
    let lang = Lang::from_code(Some(&first.lang));
    let lines: Vec<String> = waiting.iter().map(|a| a.text.clone()).collect();
    let text = shared::monitoring::model::group_lines(lang, &lines);
    shared::outbox::send(&deps.db, &deps.queue, job.chat_id, text, None)
        .await
        .map_err(|e| JobError::Transient(e.into()))?;
    let ids: Vec<i64> = waiting.iter().map(|a| a.id).collect();
    pending_alert::Entity::delete_many().filter(pending_alert::Column::Id.is_in(ids)).exec(&deps.db).await?;
    // Lines that arrived after the read above wait for the next flush.
    enqueue_flushes(&deps, &[job.chat_id], deps.clock.now()).await
}

//! The notify job: sends one outbox message to Telegram behind the shared rate limiter.
//!
//! A 429 pauses every send for its retry-after, and the job returns the retry-after to the runner,
//! which reschedules it without counting the attempt: a flood wait of any length drops nothing.
//! While sends are paused, other notify jobs are rescheduled past the pause the same way instead
//! of waiting it out inside their timeout. A chat that blocked the bot is recorded and not
//! retried; a message Telegram refuses for good is marked failed. A chat whose own turn is far
//! away (a group over its minute budget) does not hold a worker: the job is rescheduled for it.
//!
//! Delivery is at least once, and a second send is rare: as soon as Telegram accepts the message
//! the row is marked sent (one UPDATE, before the job returns to the runner and is acknowledged),
//! and a job delivered again (after a crash, or enqueued twice) finds the row sent and sends
//! nothing. What remains is the window between Telegram's answer and that UPDATE's commit: a crash
//! there (or a database that stays unwritable for the UPDATE's retries) sends the message again.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use shared::entities::chat;
use shared::entities::outbox::{self, OutboxStatus};
use shared::jobs::Notify;
use shared::outbox::Buttons;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::{Deps, JobError};

/// The longest a job waits inside its handler for its chat's turn; a later turn reschedules it.
const MAX_TURN_WAIT: Duration = Duration::from_secs(5);

pub async fn send(job: Notify, deps: Arc<Deps>) -> Result<(), JobError> {
    let Some(bot) = deps.bot.clone() else {
        return Err(JobError::Transient(anyhow::anyhow!("no bot token configured")));
    };
    let Some(row) = outbox::Entity::find_by_id(job.outbox_id).one(&deps.db).await? else {
        return Err(JobError::Permanent(format!("outbox message {} does not exist", job.outbox_id)));
    };
    if row.status != OutboxStatus::Pending {
        tracing::debug!(outbox_id = row.id, status = ?row.status, "outbox message already handled; nothing to send");
        return Ok(());
    }
    let blocked = chat::Entity::find_by_id(row.chat_id).one(&deps.db).await?;
    if blocked.is_some_and(|c| c.blocked_at.is_some()) {
        return finish(&deps, row, OutboxStatus::Blocked, "chat blocked the bot".into()).await;
    }
    let markup = match row.buttons.as_deref().map(serde_json::from_str::<Buttons>) {
        None => None,
        Some(Ok(rows)) => Some(InlineKeyboardMarkup::new(
            rows.into_iter().map(|r| r.into_iter().map(|b| InlineKeyboardButton::callback(b.text, b.data))),
        )),
        Some(Err(e)) => return Err(JobError::Permanent(format!("outbox buttons do not decode: {e}"))),
    };
    if let Some(left) = deps.limiter.paused_for().await {
        return Err(JobError::RetryAfter(left));
    }
    if let Err(wait) = deps.limiter.acquire_within(row.chat_id, MAX_TURN_WAIT).await {
        tracing::debug!(chat_id = row.chat_id, wait = ?wait, "the chat's turn is far away; rescheduling");
        return Err(JobError::RetryAfter(wait));
    }
    let mut request = bot.send_message(ChatId(row.chat_id), shared::text::fit(row.text.expose().clone()));
    if let Some(markup) = markup {
        request = request.reply_markup(markup);
    }
    match request.await {
        Ok(message) => {
            deps.metrics.messages_sent.with_label_values(&["sent"]).inc();
            mark_sent(&deps, row.id, i64::from(message.id.0)).await
        }
        Err(RequestError::RetryAfter(wait)) => {
            deps.metrics.messages_sent.with_label_values(&["retry_after"]).inc();
            tracing::warn!(retry_after = ?wait.duration(), "telegram asked to slow down; holding all sends");
            deps.limiter.pause_for(wait.duration()).await;
            Err(JobError::RetryAfter(wait.duration()))
        }
        Err(RequestError::Api(api)) if chat_is_gone(&api) => {
            deps.metrics.messages_sent.with_label_values(&["blocked"]).inc();
            record_blocked(&deps, row.chat_id, &api.to_string()).await?;
            finish(&deps, row, OutboxStatus::Blocked, api.to_string()).await
        }
        Err(RequestError::Api(api)) => {
            deps.metrics.messages_sent.with_label_values(&["refused"]).inc();
            let reason = api.to_string();
            finish(&deps, row, OutboxStatus::Failed, reason.clone()).await?;
            Err(JobError::Permanent(format!("telegram refused the message: {reason}")))
        }
        Err(other) => {
            deps.metrics.messages_sent.with_label_values(&["error"]).inc();
            Err(JobError::Transient(anyhow::Error::new(other).context("sending to telegram")))
        }
    }
}

fn chat_is_gone(api: &ApiError) -> bool {
    // teloxide knows "Unauthorized: bot can't initiate conversation with a user"; Telegram now
    // says "Forbidden: …", which reaches us as an unknown error.
    if let ApiError::Unknown(text) = api {
        return text.contains("bot can't initiate conversation with a user");
    }
    matches!(
        api,
        ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::GroupDeactivated
    )
}

async fn record_blocked(deps: &Deps, chat_id: i64, reason: &str) -> Result<(), JobError> {
    chat::Entity::insert(chat::ActiveModel {
        chat_id: Set(chat_id),
        blocked_at: Set(Some(Utc::now())),
        reason: Set(Some(reason.to_owned())),
    })
    .on_conflict(
        OnConflict::column(chat::Column::ChatId)
            .update_columns([chat::Column::BlockedAt, chat::Column::Reason])
            .to_owned(),
    )
    .exec(&deps.db)
    .await?;
    tracing::info!(chat_id, reason, "chat is unreachable; no more messages will be sent to it");
    Ok(())
}

/// Records that Telegram accepted outbox row `id`, before the job is acknowledged. One UPDATE,
/// only of a row still pending, retried briefly, on a task of its own so that the job's timeout
/// cannot drop it half-way.
async fn mark_sent(deps: &Deps, id: i64, message_id: i64) -> Result<(), JobError> {
    const RETRIES: [Duration; 3] = [Duration::from_millis(50), Duration::from_millis(250), Duration::from_secs(1)];
    let db = deps.db.clone();
    let sent = outbox::ActiveModel {
        status: Set(OutboxStatus::Sent),
        message_id: Set(Some(message_id)),
        sent_at: Set(Some(deps.clock.now())),
        error: Set(None),
        ..Default::default()
    };
    let write = tokio::spawn(async move {
        let mut retries = RETRIES.into_iter();
        loop {
            let res = outbox::Entity::update_many()
                .set(sent.clone())
                .filter(outbox::Column::Id.eq(id))
                .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
                .exec(&db)
                .await;
            match (res, retries.next()) {
                (Ok(done), _) => return Ok(done.rows_affected),
                (Err(e), Some(delay)) => {
                    tracing::warn!(outbox_id = id, error.message = %e, "could not record a sent message yet; retrying");
                    tokio::time::sleep(delay).await;
                }
                (Err(e), None) => return Err(e),
            }
        }
    });
    match write.await {
        Ok(Ok(0)) => {
            tracing::warn!(outbox_id = id, "another delivery of this message was recorded first; it was sent twice");
            Ok(())
        }
        Ok(Ok(_)) => Ok(()),
        Ok(Err(db)) => Err(JobError::Transient(
            anyhow::Error::new(db).context("recording a message Telegram accepted; a retry sends it again"),
        )),
        Err(join) => Err(JobError::Transient(anyhow::Error::new(join).context("recording a sent message"))),
    }
}

/// Records that the message will not be sent, and why.
async fn finish(deps: &Deps, row: outbox::Model, status: OutboxStatus, error: String) -> Result<(), JobError> {
    let mut active = row.into_active_model();
    active.status = Set(status);
    active.error = Set(Some(error));
    active.update(&deps.db).await?;
    Ok(())
}

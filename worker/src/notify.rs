//! The notify job: sends one outbox message to Telegram behind the shared rate limiter.
//!
//! A 429 pauses every send for its retry-after, and the job returns the retry-after to the runner,
//! which reschedules it without counting the attempt: a flood wait of any length drops nothing.
//! While sends are paused, other notify jobs are rescheduled past the pause the same way instead
//! of waiting it out inside their timeout. A chat that blocked the bot is recorded and not
//! retried; a message Telegram refuses for good is marked failed. Redelivery of an already-sent
//! message sends nothing.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use shared::entities::chat;
use shared::entities::outbox::{self, OutboxStatus};
use shared::jobs::Notify;
use shared::outbox::Buttons;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::{Deps, JobError};

pub async fn send(job: Notify, deps: Arc<Deps>) -> Result<(), JobError> {
    let Some(bot) = deps.bot.clone() else {
        return Err(JobError::Transient(anyhow::anyhow!("no bot token configured")));
    };
    let Some(row) = outbox::Entity::find_by_id(job.outbox_id).one(&deps.db).await? else {
        return Err(JobError::Permanent(format!("outbox message {} does not exist", job.outbox_id)));
    };
    if row.status != OutboxStatus::Pending {
        return Ok(());
    }
    let blocked = chat::Entity::find_by_id(row.chat_id).one(&deps.db).await?;
    if blocked.is_some_and(|c| c.blocked_at.is_some()) {
        return finish(&deps, row, OutboxStatus::Blocked, None, Some("chat blocked the bot".into())).await;
    }
    let markup = match row.buttons.as_deref().map(serde_json::from_str::<Buttons>) {
        None => None,
        Some(Ok(rows)) => Some(InlineKeyboardMarkup::new(
            rows.into_iter().map(|r| r.into_iter().map(|b| InlineKeyboardButton::callback(b.text, b.data))),
        )),
        Some(Err(e)) => return Err(JobError::Permanent(format!("outbox buttons do not decode: {e}"))),
    };
    if let Some(left) = deps.limiter.paused_for() {
        return Err(JobError::RetryAfter(left));
    }
    deps.limiter.acquire(row.chat_id).await;
    let mut request = bot.send_message(ChatId(row.chat_id), shared::text::fit(row.text.expose().clone()));
    if let Some(markup) = markup {
        request = request.reply_markup(markup);
    }
    match request.await {
        Ok(message) => {
            deps.metrics.messages_sent.with_label_values(&["sent"]).inc();
            finish(&deps, row, OutboxStatus::Sent, Some(i64::from(message.id.0)), None).await
        }
        Err(RequestError::RetryAfter(wait)) => {
            deps.metrics.messages_sent.with_label_values(&["retry_after"]).inc();
            tracing::warn!(retry_after = ?wait.duration(), "telegram asked to slow down; holding all sends");
            deps.limiter.pause_for(wait.duration());
            Err(JobError::RetryAfter(wait.duration()))
        }
        Err(RequestError::Api(api)) if chat_is_gone(&api) => {
            deps.metrics.messages_sent.with_label_values(&["blocked"]).inc();
            record_blocked(&deps, row.chat_id, &api.to_string()).await?;
            finish(&deps, row, OutboxStatus::Blocked, None, Some(api.to_string())).await
        }
        Err(RequestError::Api(api)) => {
            deps.metrics.messages_sent.with_label_values(&["refused"]).inc();
            let reason = api.to_string();
            finish(&deps, row, OutboxStatus::Failed, None, Some(reason.clone())).await?;
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

async fn finish(
    deps: &Deps,
    row: outbox::Model,
    status: OutboxStatus,
    message_id: Option<i64>,
    error: Option<String>,
) -> Result<(), JobError> {
    let mut active = row.into_active_model();
    active.status = Set(status);
    active.message_id = Set(message_id);
    active.error = Set(error);
    if status == OutboxStatus::Sent {
        active.sent_at = Set(Some(Utc::now()));
    }
    active.update(&deps.db).await?;
    Ok(())
}

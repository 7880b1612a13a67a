//! Originating a message: write it to the outbox, then enqueue the `notify` job that sends it.
//!
//! This is the only way the system starts a message (alerts, reminders, access decisions), so every
//! such message passes the notify queue and its rate limiter. Once the row is written the message
//! is on its way: the row and the job live in two stores, so the enqueue can fail after the row is
//! committed, and then the scheduler's outbox sweep enqueues the row later. Both enqueue under the
//! same key ([`notify_key`]), so the job exists once whichever comes first.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, Set};

use crate::crypto::{CryptoError, Encrypted};
use crate::entities::outbox::{self, OutboxStatus};
use crate::jobs::Notify;
use crate::queue::{Enqueue, Queue};

/// One inline button: its label and the callback data it sends back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    pub text: String,
    pub data: String,
}

/// Rows of inline buttons.
pub type Buttons = Vec<Vec<Button>>;

/// Why a message could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The outbox row could not be written; nothing will be sent.
    #[error("outbox: {0}")]
    Database(#[from] DbErr),
    /// The body could not be encrypted (no keyring installed).
    #[error("outbox: {0}")]
    Crypto(#[from] CryptoError),
}

/// The idempotency key of the `notify` job that sends outbox row `outbox_id`.
pub fn notify_key(outbox_id: i64) -> String {
    format!("notify:{outbox_id}")
}

/// Queues `text` for `chat_id`; returns the outbox id. Once this returns, the message will be
/// sent: a failed enqueue is logged and left to the outbox sweep. It takes a connection, not a
/// transaction, because the job must not run before the row is committed; see [`write`].
pub async fn send(
    db: &DatabaseConnection,
    queue: &Queue,
    chat_id: i64,
    text: String,
    buttons: Option<Buttons>,
) -> Result<i64, OutboxError> {
    let id = write(db, chat_id, text, buttons).await?;
    enqueue(queue, id).await;
    Ok(id)
}

/// Stores `text` for `chat_id` without enqueueing it, for messages that must be stored in the same
/// transaction as the state change they report: call [`enqueue`] after the commit (or leave the
/// row to the outbox sweep).
pub async fn write<C: ConnectionTrait>(
    conn: &C,
    chat_id: i64,
    text: String,
    buttons: Option<Buttons>,
) -> Result<i64, OutboxError> {
    let row = outbox::ActiveModel {
        chat_id: Set(chat_id),
        text: Set(Encrypted::new(text)?),
        buttons: Set(buttons.map(|b| serde_json::to_string(&b).expect("buttons serialize"))),
        status: Set(OutboxStatus::Pending),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// Enqueues the `notify` job of stored row `outbox_id`. A failure is logged, not returned: the row
/// stays pending and the outbox sweep enqueues it.
pub async fn enqueue(queue: &Queue, outbox_id: i64) {
    if let Err(e) = queue.enqueue(&Notify { outbox_id }, Enqueue::keyed(notify_key(outbox_id))).await {
        tracing::warn!(outbox_id, error.message = %e, "notify job not enqueued; the outbox sweep will send the message");
    }
}

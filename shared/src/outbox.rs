//! Originating a message: write it to the outbox, then enqueue the `notify` job that sends it.
//!
//! This is the only way the system starts a message (alerts, reminders, access decisions), so every
//! such message passes the notify queue and its rate limiter.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, Set};

use crate::crypto::{CryptoError, Encrypted};
use crate::entities::outbox::{self, OutboxStatus};
use crate::jobs::Notify;
use crate::queue::{Enqueue, Queue, QueueError};

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
    /// The outbox row could not be written.
    #[error("outbox: {0}")]
    Database(#[from] DbErr),
    /// The notify job could not be enqueued; the row stays pending.
    #[error("outbox: {0}")]
    Queue(#[from] QueueError),
    /// The body could not be encrypted (no keyring installed).
    #[error("outbox: {0}")]
    Crypto(#[from] CryptoError),
}

/// Queues `text` for `chat_id`; returns the outbox id.
pub async fn send(
    db: &DatabaseConnection,
    queue: &Queue,
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
    .insert(db)
    .await?;
    queue.enqueue(&Notify { outbox_id: row.id }, Enqueue::keyed(format!("notify:{}", row.id))).await?;
    Ok(row.id)
}

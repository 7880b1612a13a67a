//! `outbox`: every message the system originates, written before its `notify` job is enqueued, so
//! the job payload carries only the row id and a message is never lost while it waits. The body is
//! encrypted at rest.

use sea_orm::entity::prelude::*;

use crate::crypto::Encrypted;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chat_id: i64,
    /// The message body, encrypted at rest: messages carry personal data (an access request
    /// shows the requester's phone to the admins).
    #[sea_orm(column_type = "Text")]
    pub text: Encrypted<String>,
    /// Inline keyboard as JSON (`[[{"text":..,"data":..}]]`), if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub buttons: Option<String>,
    pub status: OutboxStatus,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The Telegram message id once sent.
    pub message_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutboxStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// The chat blocked the bot; not retried.
    #[sea_orm(string_value = "blocked")]
    Blocked,
    /// Telegram refused the message for good (bad request).
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `users`: everyone who sent `/start`, keyed by Telegram user id, with their access status.

use sea_orm::entity::prelude::*;

use crate::crypto::Encrypted;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// The Telegram user id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// `en` or `ru`, from Telegram's language_code at the last `/start`.
    pub language: String,
    /// Set only from the user's own shared contact. Personal data: encrypted at rest.
    pub phone: Option<Encrypted<String>>,
    pub status: AccessStatus,
    pub created_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    /// An IANA zone name set with `/timezone`; None for `TELEOPS_TIMEZONE`.
    pub time_zone: Option<String>,
}

/// Whether a user may use the bot. Admins (from the configuration) are always approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AccessStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `reminder_log`: equipment reminder digests already sent, by digest key (m0012).
//!
//! Invariants: a row is written in the transaction that writes the digest's outbox message (or
//! decides there is nothing left to send), so a key is logged exactly when its day's digest is
//! settled; `day` is the local day of the key. Rows older than a week are pruned by the scan.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_log")]
pub struct Model {
    /// `equipment-remind:<holder>:<day>` or `equipment-escalate:<day>` (`equipment::calendar`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The holder; None for the admins' digest.
    pub holder_id: Option<i64>,
    pub day: Date,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

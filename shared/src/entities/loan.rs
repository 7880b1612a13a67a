//! `loans`: one holder's hold of one device, from taking to returning (m0011).
//!
//! Invariants: at most one open loan (`returned_at` null) per device, by the partial unique index
//! `loans_open_device`; `holder_id` is a Telegram user id (`users.id`); `due_on` is the last local
//! day of the loan in the holder's zone. Closed loans are the device's history and are kept.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "loans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub device_id: i64,
    pub holder_id: i64,
    pub taken_at: DateTimeUtc,
    pub due_on: Option<Date>,
    pub returned_at: Option<DateTimeUtc>,
    /// The admin who assigned the device; None when the holder took it.
    pub assigned_by: Option<i64>,
    /// Who returned it (the holder or an admin).
    pub returned_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

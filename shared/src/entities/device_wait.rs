//! `device_waits`: the waitlist of a taken device, in order of `id` (m0011).
//!
//! Invariants: a user is in a device's line once (`device_waits_device_user`). At most one row
//! per device has `hold_until` set: the device was returned and is held for that user until then;
//! passing, claiming or the hold lapsing deletes the row and offers the device to the next.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_waits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub device_id: i64,
    pub user_id: i64,
    pub joined_at: DateTimeUtc,
    pub offered_at: Option<DateTimeUtc>,
    pub hold_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

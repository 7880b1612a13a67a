//! `audit_log`: one row per state-changing action, written by [`crate::audit::record`]. Rows are
//! only ever added.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub source: Source,
    /// The Telegram user id (or dashboard token holder's id); None for the system itself.
    pub actor_id: Option<i64>,
    /// What was done, `noun.verb`: `monitor.create`, `access.approve`.
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    /// A short human-readable note (the new value, the target); never a secret.
    pub detail: Option<String>,
}

/// Where an action came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Source {
    #[sea_orm(string_value = "telegram")]
    Telegram,
    #[sea_orm(string_value = "dashboard")]
    Dashboard,
    #[sea_orm(string_value = "system")]
    System,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

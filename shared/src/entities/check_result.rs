//! `check_results`: raw results, kept 48 hours; older ones live on as hourly rollups. Keyed by
//! (monitor, time); the time is in Unix seconds to keep the largest table small.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "check_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub monitor_id: i64,
    /// When the check finished, in Unix seconds.
    #[sea_orm(primary_key, auto_increment = false)]
    pub at: i64,
    pub ok: bool,
    pub latency_ms: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

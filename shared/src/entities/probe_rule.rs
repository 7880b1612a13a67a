//! `probe_rules`: the admins' allow and deny networks for monitor targets.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "probe_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `allow` or `deny`.
    pub action: String,
    /// A CIDR, as normalized by `monitoring::policy::parse_network`.
    pub network: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

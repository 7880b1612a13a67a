//! `developer_attempts`: each confirmation code typed for a developer command, right or wrong
//! (m0011). Three wrong codes for a command within an hour, with no right one since, lock it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "developer_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub command: String,
    pub at: DateTimeUtc,
    pub ok: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

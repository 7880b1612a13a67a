//! Batched checks: `monitors.last_slot` is the slot a monitor last recorded, so a batch that runs
//! twice (a retry, or a re-scan after a crash) never records the same slot twice.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table("monitors").add_column(ColumnDef::new("last_slot").big_integer().null()).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("monitors").drop_column("last_slot").to_owned()).await
    }
}

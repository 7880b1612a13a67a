//! `monitors.last_address`: the address the last check probed (or was refused by the probe
//! policy), so `/probes` can say how many monitors a new rule blocks without resolving anything.
//! Existing rows start empty and are filled in by their next check. The "blocked by policy" state
//! itself needs no schema: it is the text `blocked` in `monitors.last_status`, a column of 16
//! characters since m0008.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // 45 characters hold the longest IPv6 text (a v4-mapped address written out in full).
        m.alter_table(
            Table::alter()
                .table("monitors")
                .add_column(ColumnDef::new("last_address").string_len(45).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("monitors").drop_column("last_address").to_owned()).await
    }
}

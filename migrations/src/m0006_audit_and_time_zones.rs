//! The audit log (who did what to which object, from Telegram or the dashboard) and each user's
//! own time zone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_log")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("source").string_len(16).not_null())
                .col(ColumnDef::new("actor_id").big_integer().null())
                .col(ColumnDef::new("action").string_len(64).not_null())
                .col(ColumnDef::new("object_kind").string_len(32).not_null())
                .col(ColumnDef::new("object_id").string_len(64).null())
                .col(ColumnDef::new("detail").text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("audit_log_at").table("audit_log").col("at").to_owned()).await?;
        m.create_index(
            Index::create().name("audit_log_object").table("audit_log").col("object_kind").col("object_id").to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table("users").add_column(ColumnDef::new("time_zone").string_len(64).null()).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("users").drop_column("time_zone").to_owned()).await?;
        m.drop_table(Table::drop().table("audit_log").to_owned()).await
    }
}

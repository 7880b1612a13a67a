//! The core tables: users, dialogues, outbox, chats, system_state, leases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("users")
                .col(ColumnDef::new("id").big_integer().not_null().primary_key())
                .col(ColumnDef::new("first_name").string().not_null())
                .col(ColumnDef::new("last_name").string().null())
                .col(ColumnDef::new("username").string().null())
                .col(ColumnDef::new("language").string_len(8).not_null())
                .col(ColumnDef::new("phone").string_len(32).null())
                .col(ColumnDef::new("status").string_len(16).not_null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("decided_by").big_integer().null())
                .col(ColumnDef::new("decided_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("users_status").table("users").col("status").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("dialogues")
                .col(ColumnDef::new("chat_id").big_integer().not_null().primary_key())
                .col(ColumnDef::new("state").text().not_null())
                .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("outbox")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("chat_id").big_integer().not_null())
                .col(ColumnDef::new("text").text().not_null())
                .col(ColumnDef::new("buttons").text().null())
                .col(ColumnDef::new("status").string_len(16).not_null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("sent_at").timestamp_with_time_zone().null())
                .col(ColumnDef::new("message_id").big_integer().null())
                .col(ColumnDef::new("error").text().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("chats")
                .col(ColumnDef::new("chat_id").big_integer().not_null().primary_key())
                .col(ColumnDef::new("blocked_at").timestamp_with_time_zone().null())
                .col(ColumnDef::new("reason").text().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("system_state")
                .col(ColumnDef::new("key").string_len(64).not_null().primary_key())
                .col(ColumnDef::new("value").text().not_null())
                .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("leases")
                .col(ColumnDef::new("name").string_len(64).not_null().primary_key())
                .col(ColumnDef::new("holder").string().not_null())
                .col(ColumnDef::new("expires_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["leases", "system_state", "chats", "outbox", "dialogues", "users"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

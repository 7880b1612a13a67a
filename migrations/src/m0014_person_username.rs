//! `people.username`: a person's Telegram username from a staff list (lower case, without `@`),
//! so an imported person is linked to the Telegram user with that username when that user starts
//! the bot or when the list is imported after they did. Unique: a username is one account.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table("people").add_column(ColumnDef::new("username").string_len(32).null()).to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("people_username").table("people").col("username").unique().to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("people_username").table("people").to_owned()).await?;
        m.alter_table(Table::alter().table("people").drop_column("username").to_owned()).await
    }
}

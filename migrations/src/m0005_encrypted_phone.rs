//! `users.phone` holds an encrypted value (`v1:<key id>:<base64>`, about 90 characters), longer
//! than the 32 characters m0001 gave it: Postgres widens it to TEXT; SQLite does not enforce
//! lengths and needs nothing.
//!
//! A migration has no key, so it does not encrypt the phones already stored: `teleops migrate` and
//! `teleops up` seal the remaining plaintext with `TELEOPS_SECRET_KEY` right after migrating.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        phone_column(m, ColumnDef::new("phone").text().null().to_owned()).await
    }

    /// Fails on Postgres while encrypted phones are stored: they do not fit 32 characters.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        phone_column(m, ColumnDef::new("phone").string_len(32).null().to_owned()).await
    }
}

async fn phone_column(m: &SchemaManager<'_>, column: ColumnDef) -> Result<(), DbErr> {
    match m.get_database_backend() {
        DatabaseBackend::Sqlite => Ok(()),
        _ => m.alter_table(Table::alter().table("users").modify_column(column).to_owned()).await,
    }
}

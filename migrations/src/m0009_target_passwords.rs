//! `monitors.password`: the password of an http(s) target's URL, apart from the target, so it can
//! be encrypted at rest and never shown. The target keeps the user name (`https://user@host/`).
//!
//! Targets stored before this migration still hold their password: it is moved here (the URL is
//! parsed as the `url` crate does, so the stored target is what the bot would store today). A
//! migration has no key, so the moved value is plaintext for a moment: `teleops migrate` and
//! `teleops up` seal it with `TELEOPS_SECRET_KEY` right after migrating, as for `users.phone`.
//! `down` puts passwords back into the targets (while still plaintext, i.e. before sealing).
//!
//! Each direction runs on one transaction, so on one connection: a SQLite pool connection other
//! than the one that added the column may still hold the old schema and refuse the new column.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    target: String,
    password: Option<String>,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let m = m.begin().await?;
        m.alter_table(Table::alter().table("monitors").add_column(ColumnDef::new("password").text().null()).to_owned())
            .await?;
        for row in rows(&m, Expr::col("target").like("%://%@%")).await? {
            let Ok(mut url) = url::Url::parse(&row.target) else { continue };
            let Some(password) = url.password().map(str::to_owned) else { continue };
            let _ = url.set_password(None);
            update(&m, row.id, url.as_str(), Some(password)).await?;
        }
        m.commit().await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let m = m.begin().await?;
        for row in rows(&m, Expr::col("password").is_not_null()).await? {
            let Ok(mut url) = url::Url::parse(&row.target) else { continue };
            if url.set_password(row.password.as_deref()).is_ok() {
                update(&m, row.id, url.as_str(), None).await?;
            }
        }
        m.alter_table(Table::alter().table("monitors").drop_column("password").to_owned()).await?;
        m.commit().await
    }
}

async fn rows(m: &SchemaManager<'_>, condition: SimpleExpr) -> Result<Vec<Row>, DbErr> {
    let select = Query::select()
        .columns(["id", "target"])
        .expr_as(Expr::col("password"), "password")
        .from("monitors")
        .and_where(condition)
        .to_owned();
    let db = m.get_connection();
    let rows = db.query_all(&select).await?;
    rows.iter().map(|r| Row::from_query_result(r, "")).collect()
}

async fn update(m: &SchemaManager<'_>, id: i64, target: &str, password: Option<String>) -> Result<(), DbErr> {
    let update = Query::update()
        .table("monitors")
        .value("target", target)
        .value("password", password)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    m.get_connection().execute(&update).await.map(drop)
}

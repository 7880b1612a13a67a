//! `monitors.last_status`: how the last check ended (`up`, `down`, `unavailable`), so the bot
//! shows a probe that cannot run here from a typed column instead of matching the reason's text.
//!
//! Existing rows are filled in from what they already hold: the reason "ICMP not permitted here"
//! (the text `Reason::IcmpUnavailable` has always stored) is `unavailable`, any other reason
//! `down`, a check without a reason `up`; a monitor never checked stays NULL. The same statements
//! run on SQLite and Postgres.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table("monitors").add_column(ColumnDef::new("last_status").string_len(16).null()).to_owned(),
        )
        .await?;
        let fill = |status: &str, condition: Condition| {
            Query::update()
                .table("monitors")
                .value("last_status", status)
                .cond_where(condition.add(Expr::col("last_status").is_null()))
                .to_owned()
        };
        m.exec_stmt(fill("unavailable", Condition::all().add(Expr::col("last_reason").eq("ICMP not permitted here"))))
            .await?;
        m.exec_stmt(fill("down", Condition::all().add(Expr::col("last_reason").is_not_null()))).await?;
        m.exec_stmt(fill("up", Condition::all().add(Expr::col("last_checked_at").is_not_null()))).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("monitors").drop_column("last_status").to_owned()).await
    }
}

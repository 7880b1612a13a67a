//! Compact raw check results: `check_results` is keyed by (monitor, time) with the time in Unix
//! seconds, and has no surrogate id. At 100,000 monitors the table takes most of the database,
//! and a text timestamp, a row id and a second (monitor, time) index tripled its size.
//!
//! On SQLite the table is `WITHOUT ROWID`, so the key is the table and only the `at` index (for
//! roll-ups and retention) is extra. Existing rows are copied over.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE check_results RENAME TO check_results_old").await?;
        match m.get_database_backend() {
            DatabaseBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE TABLE check_results (
                        monitor_id INTEGER NOT NULL,
                        at INTEGER NOT NULL,
                        ok BOOLEAN NOT NULL,
                        latency_ms INTEGER,
                        reason TEXT,
                        PRIMARY KEY (monitor_id, at)
                    ) WITHOUT ROWID",
                )
                .await?;
                db.execute_unprepared(
                    "INSERT OR IGNORE INTO check_results
                     SELECT monitor_id, CAST(strftime('%s', at) AS INTEGER), ok, latency_ms, reason
                     FROM check_results_old",
                )
                .await?;
            }
            _ => {
                // Postgres keeps index names on a rename: free the primary key's name.
                db.execute_unprepared("ALTER INDEX check_results_pkey RENAME TO check_results_old_pkey").await?;
                m.create_table(
                    Table::create()
                        .table("check_results")
                        .col(ColumnDef::new("monitor_id").big_integer().not_null())
                        .col(ColumnDef::new("at").big_integer().not_null())
                        .col(ColumnDef::new("ok").boolean().not_null())
                        .col(ColumnDef::new("latency_ms").integer().null())
                        .col(ColumnDef::new("reason").text().null())
                        .primary_key(Index::create().col("monitor_id").col("at"))
                        .to_owned(),
                )
                .await?;
                db.execute_unprepared(
                    "INSERT INTO check_results
                     SELECT monitor_id, CAST(FLOOR(EXTRACT(EPOCH FROM at)) AS BIGINT), ok, latency_ms, reason
                     FROM check_results_old ON CONFLICT DO NOTHING",
                )
                .await?;
            }
        }
        m.drop_table(Table::drop().table("check_results_old").to_owned()).await?;
        // A new name: the old table's `check_results_at` went with it, but SQLite refused to
        // create an index of that name again in the same migration run.
        m.create_index(Index::create().name("check_results_by_time").table("check_results").col("at").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Back to the m0002 shape, without the rows (their timestamps would need converting back).
        m.drop_table(Table::drop().table("check_results").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("check_results")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("monitor_id").big_integer().not_null())
                .col(ColumnDef::new("at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("ok").boolean().not_null())
                .col(ColumnDef::new("latency_ms").integer().null())
                .col(ColumnDef::new("reason").text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("check_results_monitor_at")
                .table("check_results")
                .col("monitor_id")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("check_results_at").table("check_results").col("at").to_owned()).await
    }
}

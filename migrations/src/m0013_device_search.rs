//! A trigram index on `devices.search`, so `/find` answers in milliseconds at 100,000 devices
//! instead of scanning every row with `LIKE '%text%'`.
//!
//! - SQLite: an FTS5 table `devices_search` with the `trigram` tokenizer over the `devices` table
//!   (external content: it stores the index only), kept current by three triggers. A phrase query
//!   `"text"` on it matches exactly the rows whose `search` contains `text`, for texts of three
//!   characters or more; shorter texts are matched with `LIKE` on `devices`.
//! - Postgres: the `pg_trgm` extension (shipped with Postgres, trusted since 13) and a GIN index
//!   with `gin_trgm_ops`, which the planner uses for the same `LIKE '%text%'` query.
//!
//! Invariant (SQLite): every row of `devices` has exactly its `search` text in `devices_search`;
//! anything that writes `devices.search` goes through SQL the triggers see.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE devices_search USING fts5(search, content='devices', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER devices_search_insert AFTER INSERT ON devices BEGIN \
       INSERT INTO devices_search(rowid, search) VALUES (new.id, new.search); END",
    "CREATE TRIGGER devices_search_delete AFTER DELETE ON devices BEGIN \
       INSERT INTO devices_search(devices_search, rowid, search) VALUES ('delete', old.id, old.search); END",
    "CREATE TRIGGER devices_search_update AFTER UPDATE OF search ON devices BEGIN \
       INSERT INTO devices_search(devices_search, rowid, search) VALUES ('delete', old.id, old.search); \
       INSERT INTO devices_search(rowid, search) VALUES (new.id, new.search); END",
    "INSERT INTO devices_search(devices_search) VALUES ('rebuild')",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS devices_search_update",
    "DROP TRIGGER IF EXISTS devices_search_delete",
    "DROP TRIGGER IF EXISTS devices_search_insert",
    "DROP TABLE IF EXISTS devices_search",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX devices_search_trgm ON devices USING gin (search gin_trgm_ops)",
];

// The extension stays: other schemas in the database may use it.
const POSTGRES_DOWN: &[&str] = &["DROP INDEX IF EXISTS devices_search_trgm"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_UP, POSTGRES_UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_DOWN, POSTGRES_DOWN).await
    }
}

async fn run(m: &SchemaManager<'_>, sqlite: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let statements = match m.get_database_backend() {
        DbBackend::Sqlite => sqlite,
        _ => postgres,
    };
    for sql in statements {
        m.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

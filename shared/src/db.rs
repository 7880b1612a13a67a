//! Opening the database (SQLite by default, Postgres by URL) for every role, and reading rows one
//! by one where a single undecodable row must not hide the others.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryTrait,
    Select,
};

/// Connects; for SQLite, creates the file's directory first.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("create {}: {e}", dir.display())))?;
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 4 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Per connection, so every connection of the pool gets them: WAL (readers never wait for
        // the writer), no fsync per commit (a crash may lose the last commits, never corrupt),
        // and waiting up to 10 s for the write lock.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
        });
    Database::connect(options).await
}

/// A row that does not decode into its model, such as a stored text outside an enum column.
#[derive(Debug, thiserror::Error)]
#[error("row {id:?} does not decode: {source}")]
pub struct BadRow {
    /// The row's `id` column, if that much can be read.
    pub id: Option<i64>,
    #[source]
    pub source: DbErr,
}

/// Every row `select` finds, each decoded on its own. sea-orm's `all` fails the whole read when
/// one row does not decode (an unknown text in an enum column is a `DbErr::Type`, not a panic);
/// here that row is an `Err` beside the others, so a listing or a batch reports it and carries on.
pub async fn all_each<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
) -> Result<Vec<Result<E::Model, BadRow>>, DbErr> {
    let rows = db.query_all_raw(select.build(db.get_database_backend())).await?;
    Ok(rows
        .iter()
        .map(|row| {
            E::Model::from_query_result(row, "").map_err(|source| BadRow { id: row.try_get("", "id").ok(), source })
        })
        .collect())
}

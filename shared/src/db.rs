//! Opening the database (SQLite by default, Postgres by URL) for every role, and reading rows one
//! by one where a single undecodable row must not hide the others.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryTrait,
    Select,
};

/// Connections a process opens at most unless told otherwise: SQLite has one writer, so more
/// would only wait; for Postgres, enough for a worker's check batches, while four workers and the
/// other roles stay under Postgres' default of 100 connections in all.
fn default_pool(url: &str) -> u32 {
    if url.starts_with("sqlite") { 4 } else { 16 }
}

/// Connects with the default pool size; for SQLite, first makes the file private
/// ([`private_sqlite_file`]).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, None).await
}

/// Connects with a pool of at most `pool` connections (by default, [`default_pool`]'s), as
/// [`connect`] otherwise.
pub async fn connect_with(url: &str, pool: Option<u32>) -> Result<DatabaseConnection, DbErr> {
    private_sqlite_file(url).map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool.unwrap_or_else(|| default_pool(url)))
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

/// For a `sqlite://` URL naming a file: creates its directory (mode 0700) and the file (mode 0600)
/// when missing, and takes group and other access away from an existing file. SQLite gives the
/// `-wal` and `-shm` files the database file's mode, so they stay private too: the files hold
/// phone numbers' ciphertext, monitored URLs and the job queue. Other URLs are left alone.
pub fn private_sqlite_file(url: &str) -> std::io::Result<()> {
    let Some(path) = url.strip_prefix("sqlite://") else { return Ok(()) };
    let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
    if path.as_os_str().is_empty() || path.to_str().is_some_and(|p| p.starts_with(':')) {
        return Ok(());
    }
    let with_path = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(with_path)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(with_path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(with_path)?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(with_path)?;
            tracing::info!(path = %path.display(), "took group and other access away from a database file");
        }
    }
    Ok(())
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

/// Whether `e` says the database could not be reached (connection refused or lost, the pool
/// timed out, the server shutting down or starting up), as opposed to a statement it refused.
/// Work that fails so is worth doing again once the database is back, without counting it as a
/// failed attempt.
pub fn unreachable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let sqlx = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return true,
        _ => return false,
    };
    match sqlx.as_ref() {
        sea_orm::sqlx::Error::Io(_)
        | sea_orm::sqlx::Error::PoolTimedOut
        | sea_orm::sqlx::Error::PoolClosed
        | sea_orm::sqlx::Error::WorkerCrashed
        | sea_orm::sqlx::Error::Tls(_) => true,
        // SQLSTATE class 08 (connection exception) and 57P01-57P03 (admin shutdown, crash
        // shutdown, cannot connect now).
        sea_orm::sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod unreachable_tests {
    use std::sync::Arc;

    use sea_orm::{DbErr, RuntimeErr};

    use super::unreachable;

    #[test]
    fn a_lost_connection_is_unreachable_and_a_refused_statement_is_not() {
        let io = sea_orm::sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(unreachable(&DbErr::Exec(RuntimeErr::SqlxError(Arc::new(io)))));
        assert!(unreachable(&DbErr::Query(RuntimeErr::SqlxError(Arc::new(sea_orm::sqlx::Error::PoolTimedOut)))));
        assert!(!unreachable(&DbErr::Query(RuntimeErr::SqlxError(Arc::new(sea_orm::sqlx::Error::RowNotFound)))));
        assert!(!unreachable(&DbErr::RecordNotFound("user 7".into())));
        assert!(!unreachable(&DbErr::Custom("constraint".into())));
    }
}

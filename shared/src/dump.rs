//! The whole application database as CSV files in one zip, for the developers' `/dev_export`
//! (and the export `/dev_wipe` sends before it deletes).
//!
//! The tables and their columns come from the database's own catalogue (`pragma_table_list` and
//! `pragma_table_info` on SQLite, `information_schema` on Postgres), so a table a later migration
//! adds is in the next dump without a line here. Every column is written as the database prints
//! it as text (`CAST(column AS TEXT)`): a dump is for developers and machines, so values are kept
//! as they are, where the people-facing `/export` makes formula-like cells inert. Three kinds of
//! value are never written:
//!
//! - columns in [`crate::crypto::SECRET_COLUMNS`] are [`MASKED`] (NULL stays empty): the SELECT
//!   itself replaces them, so not even ciphertext is read, and nothing is decrypted;
//! - binary columns (the content of a downloaded import) are their size, `[412 bytes]`;
//! - NULL is an empty cell.
//!
//! All tables are read in one read-only transaction (REPEATABLE READ on Postgres; one WAL
//! snapshot on SQLite), so the files agree with each other. Each table is one SELECT whose rows
//! are streamed from the database and compressed as they come, so only the zip is held in
//! memory, never a table. The queue's own database (apalis' jobs, which carry ids only) is not
//! part of the dump.

use std::io::{Cursor, Write};

use futures::StreamExt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, IsolationLevel, Statement, StreamTrait,
    TransactionTrait,
};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use crate::crypto::SECRET_COLUMNS;

/// What an encrypted value is written as.
pub const MASKED: &str = "[encrypted]";

/// A finished dump.
#[derive(Debug)]
pub struct Dump {
    /// The zip: one `<table>.csv` per table.
    pub zip: Vec<u8>,
    /// Each table's name and the rows written, in the zip's order (by name).
    pub tables: Vec<(String, u64)>,
}

impl Dump {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, rows)| rows).sum()
    }
}

/// Why a dump could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error(transparent)]
    Db(#[from] DbErr),
    /// Writing the zip in memory failed.
    #[error("the zip cannot be written: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing a CSV row failed.
    #[error("a CSV file cannot be written: {0}")]
    Csv(#[from] csv::Error),
}

/// Dumps every table of the database `db` into a zip of CSV files.
pub async fn dump(db: &DatabaseConnection) -> Result<Dump, DumpError> {
    let backend = db.get_database_backend();
    let tx = match backend {
        // SQLite reads one snapshot in any transaction and would only warn about the options.
        DbBackend::Sqlite => db.begin().await?,
        _ => db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?,
    };
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut tables = Vec::new();
    for table in catalogue(&tx).await? {
        zip.start_file(format!("{}.csv", table.name), options)?;
        let rows = write_table(&tx, &table, &mut zip).await?;
        tables.push((table.name, rows));
    }
    // Read only: nothing to keep, and a rollback ends a Postgres snapshot as well as a commit.
    tx.rollback().await?;
    let zip = zip.finish()?.into_inner();
    tracing::info!(tables = tables.len(), bytes = zip.len(), "database dumped");
    Ok(Dump { zip, tables })
}

/// A table and its columns, in the order the table declares them.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    binary: bool,
}

/// Every table of the application's schema, by name.
async fn catalogue(db: &impl ConnectionTrait) -> Result<Vec<Table>, DbErr> {
    let backend = db.get_database_backend();
    let (tables_sql, columns_sql) = match backend {
        DbBackend::Sqlite => (
            // Ordinary tables only: not the FTS5 search index (`virtual`) nor its `shadow` tables.
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            "SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
        ),
        // information_schema's names are `sql_identifier`, cast to text for the driver.
        _ => (
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
            "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        ),
    };
    let mut tables = Vec::new();
    for row in db.query_all_raw(Statement::from_string(backend, tables_sql)).await? {
        let name: String = row.try_get_by_index(0)?;
        let columns = db
            .query_all_raw(Statement::from_sql_and_values(backend, columns_sql, [name.clone().into()]))
            .await?
            .iter()
            .map(|row| {
                let (name, kind): (String, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
                let kind = kind.to_ascii_lowercase();
                Ok(Column { name, binary: kind.contains("blob") || kind == "bytea" })
            })
            .collect::<Result<_, DbErr>>()?;
        tables.push(Table { name, columns });
    }
    Ok(tables)
}

/// Writes `table` as CSV (a header of column names, then every row) into the zip's open file;
/// returns the rows written.
async fn write_table<C, W>(db: &C, table: &Table, out: &mut W) -> Result<u64, DumpError>
where
    C: ConnectionTrait + StreamTrait,
    W: Write + Send,
{
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    let statement = Statement::from_string(ConnectionTrait::get_database_backend(db), select(table));
    let mut stream = std::pin::pin!(db.stream_raw(statement).await?);
    let mut rows = 0;
    let mut record = csv::StringRecord::with_capacity(256, table.columns.len());
    while let Some(row) = stream.next().await {
        let row = row?;
        record.clear();
        for i in 0..table.columns.len() {
            let value: Option<String> = row.try_get_by_index(i)?;
            record.push_field(value.as_deref().unwrap_or(""));
        }
        csv.write_record(&record)?;
        rows += 1;
        // Rows arrive faster than they are compressed: let the runtime's other tasks in now and
        // then, so a large table does not hold a worker thread for seconds.
        if rows % 1_000 == 0 {
            tokio::task::yield_now().await;
        }
    }
    csv.flush().map_err(csv::Error::from)?;
    Ok(rows)
}

/// The SELECT of every column of `table` as text, secrets masked and binary values sized.
fn select(table: &Table) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let column = quote(&c.name);
            let secret = SECRET_COLUMNS.iter().any(|s| s.table == table.name && s.column == c.name);
            if secret {
                format!("CASE WHEN {column} IS NULL THEN NULL ELSE '{MASKED}' END")
            } else if c.binary {
                format!(
                    "CASE WHEN {column} IS NULL THEN NULL ELSE '[' || CAST(length({column}) AS TEXT) || ' bytes]' END"
                )
            } else {
                format!("CAST({column} AS TEXT)")
            }
        })
        .collect();
    format!("SELECT {} FROM {}", columns.join(", "), quote(&table.name))
}

/// An identifier quoted the way both databases read it.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_in_the_select_and_binary_values_sized() {
        let column = |name: &str, binary: bool| Column { name: name.into(), binary };
        let table = Table { name: "people".into(), columns: vec![column("id", false), column("phone", false)] };
        assert_eq!(
            select(&table),
            "SELECT CAST(\"id\" AS TEXT), CASE WHEN \"phone\" IS NULL THEN NULL ELSE '[encrypted]' END FROM \"people\""
        );
        let table = Table { name: "odd\"name".into(), columns: vec![column("content", true)] };
        assert_eq!(
            select(&table),
            "SELECT CASE WHEN \"content\" IS NULL THEN NULL ELSE '[' || CAST(length(\"content\") AS TEXT) || ' bytes]' \
             END FROM \"odd\"\"name\""
        );
    }
}

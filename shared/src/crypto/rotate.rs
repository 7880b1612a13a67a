//! Every encrypted column in one list, and the two passes over them: [`seal_plaintext`] (run by
//! `migrate` and `up` after the migrations, for values stored before a column was encrypted) and
//! [`rotate`] (`teleops rotate-key`: everything under the current key, so the old key can go).
//!
//! Both walk a column in primary-key order, a batch at a time, and write each value back only if
//! it is still the one they read (`UPDATE … WHERE key = ? AND column = old`), so a value the
//! application changes meanwhile is left as the application wrote it. They take the keyring
//! explicitly rather than the installed one.

use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};

use super::{Keyring, VERSION};

/// A column that holds [`super::Encrypted`] values, in a table with an integer primary key.
#[derive(Debug, Clone, Copy)]
pub struct SecretColumn {
    pub table: &'static str,
    pub key: &'static str,
    pub column: &'static str,
}

/// Every encrypted column. A slice that adds one adds its line here, and `rotate-key` covers it.
pub const SECRET_COLUMNS: &[SecretColumn] = &[
    SecretColumn { table: "users", key: "id", column: "phone" },
    SecretColumn { table: "outbox", key: "id", column: "text" },
    SecretColumn { table: "monitors", key: "id", column: "password" },
    SecretColumn { table: "people", key: "id", column: "phone" },
];

/// Rows read and written per batch by `teleops rotate-key`.
pub const ROTATE_BATCH: u64 = 500;

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten {
    /// Values now sealed under the current key.
    pub sealed: u64,
    /// Values that could not be opened with this keyring (logged one by one, left as they were).
    pub failed: u64,
}

/// Seals every plaintext value left in [`SECRET_COLUMNS`] (from before the column was encrypted)
/// with the current key. Values already sealed, under any key, are left alone.
pub async fn seal_plaintext(db: &impl ConnectionTrait, keyring: &Keyring) -> Result<Rewritten, DbErr> {
    rewrite_all(db, keyring, &format!("{VERSION}:%"), ROTATE_BATCH).await
}

/// Re-encrypts every value in [`SECRET_COLUMNS`] that is not sealed under the current key
/// (opening it with the current or the old key; plaintext is sealed as well), `batch` rows at a time.
pub async fn rotate(db: &impl ConnectionTrait, keyring: &Keyring, batch: u64) -> Result<Rewritten, DbErr> {
    rewrite_all(db, keyring, &format!("{VERSION}:{}:%", keyring.current_id()), batch).await
}

/// Rewrites, in every secret column, the values that do not match `keep` (a LIKE pattern).
async fn rewrite_all(db: &impl ConnectionTrait, keyring: &Keyring, keep: &str, batch: u64) -> Result<Rewritten, DbErr> {
    let mut total = Rewritten::default();
    for column in SECRET_COLUMNS {
        let done = rewrite(db, keyring, column, keep, batch).await?;
        if done != Rewritten::default() {
            tracing::info!(
                table = column.table,
                column = column.column,
                sealed = done.sealed,
                failed = done.failed,
                "secret column rewritten"
            );
        }
        total.sealed += done.sealed;
        total.failed += done.failed;
    }
    Ok(total)
}

async fn rewrite(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    col: &SecretColumn,
    keep: &str,
    batch: u64,
) -> Result<Rewritten, DbErr> {
    let mut done = Rewritten::default();
    let mut after = i64::MIN;
    loop {
        let select = Query::select()
            .columns([col.key, col.column])
            .from(col.table)
            .and_where(Expr::col(col.column).is_not_null())
            .and_where(Expr::col(col.column).not_like(keep))
            .and_where(Expr::col(col.key).gt(after))
            .order_by(col.key, Order::Asc)
            .limit(batch)
            .to_owned();
        let rows = db.query_all(&select).await?;
        for row in &rows {
            let key: i64 = row.try_get("", col.key)?;
            let stored: String = row.try_get("", col.column)?;
            after = key;
            // Plaintext from before encryption is sealed as it is; a sealed value is opened first.
            let plaintext = if stored.starts_with(&format!("{VERSION}:")) {
                match keyring.open(&stored) {
                    Ok(plaintext) => plaintext,
                    Err(e) => {
                        tracing::error!(table = col.table, column = col.column, key, error.message = %e, "secret not re-encrypted");
                        done.failed += 1;
                        continue;
                    }
                }
            } else {
                stored.clone().into_bytes()
            };
            let update = Query::update()
                .table(col.table)
                .value(col.column, keyring.seal(&plaintext))
                .and_where(Expr::col(col.key).eq(key))
                .and_where(Expr::col(col.column).eq(stored))
                .to_owned();
            done.sealed += db.execute(&update).await?.rows_affected();
        }
        if (rows.len() as u64) < batch {
            return Ok(done);
        }
    }
}

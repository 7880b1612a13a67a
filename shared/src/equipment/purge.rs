//! Bulk deletes of equipment data, for the developers' `/dev_purge <category>` and `/dev_wipe`.
//! Each is one transaction whose first statement writes, so it queues behind a device changing
//! hands (`loans`) rather than failing on SQLite's lock upgrade.
//!
//! A purge refuses while any device of the category is taken: it is cleanup of a category no
//! longer in use, and deleting a device someone holds would leave them with a loan nobody can
//! see or return. Their open loans are listed so they can be returned first. A wipe deletes every
//! device, loan, waitlist entry, person and import, taken or not: it follows an export.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

use crate::entities::{device, device_wait, import, loan, person};

/// What a purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub devices: u64,
    pub loans: u64,
    pub waits: u64,
}

/// Why a purge deleted nothing.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    /// Devices of the category are taken: each with its open loan, by device id.
    #[error("{} devices of the category are taken", .0.len())]
    Taken(Vec<(device::Model, loan::Model)>),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Deletes every device whose category is exactly `category`, with its loans (history included)
/// and waitlist, unless one of them is taken.
pub async fn category(db: &DatabaseConnection, category: &str) -> Result<Purged, PurgeError> {
    let tx = db.begin().await?;
    // The write first: it locks the rows (Postgres) or the database (SQLite) before anything is read.
    device::Entity::update_many()
        .col_expr(device::Column::UpdatedAt, Expr::col(device::Column::UpdatedAt))
        .filter(device::Column::Category.eq(category))
        .exec(&tx)
        .await?;
    let in_category = || {
        Query::select()
            .column(device::Column::Id)
            .from(device::Entity)
            .and_where(device::Column::Category.eq(category))
            .to_owned()
    };
    let open = loan::Entity::find()
        .filter(Expr::col(loan::Column::DeviceId).in_subquery(in_category()))
        .filter(loan::Column::ReturnedAt.is_null())
        .order_by_asc(loan::Column::DeviceId)
        .all(&tx)
        .await?;
    if !open.is_empty() {
        let ids: Vec<i64> = open.iter().map(|l| l.device_id).collect();
        let devices = device::Entity::find().filter(device::Column::Id.is_in(ids)).all(&tx).await?;
        let taken = open
            .into_iter()
            .filter_map(|loan| devices.iter().find(|d| d.id == loan.device_id).map(|d| (d.clone(), loan)))
            .collect();
        return Err(PurgeError::Taken(taken));
    }
    let waits = device_wait::Entity::delete_many()
        .filter(Expr::col(device_wait::Column::DeviceId).in_subquery(in_category()))
        .exec(&tx)
        .await?
        .rows_affected;
    let loans = loan::Entity::delete_many()
        .filter(Expr::col(loan::Column::DeviceId).in_subquery(in_category()))
        .exec(&tx)
        .await?
        .rows_affected;
    let devices =
        device::Entity::delete_many().filter(device::Column::Category.eq(category)).exec(&tx).await?.rows_affected;
    tx.commit().await?;
    Ok(Purged { devices, loans, waits })
}

/// What a wipe deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Wiped {
    pub devices: u64,
    pub loans: u64,
    pub waits: u64,
    pub people: u64,
    pub imports: u64,
}

/// Deletes all equipment data: devices, loans, waitlists, the people directory and imports.
pub async fn wipe(db: &DatabaseConnection) -> Result<Wiped, DbErr> {
    let tx = db.begin().await?;
    let waits = device_wait::Entity::delete_many().exec(&tx).await?.rows_affected;
    let loans = loan::Entity::delete_many().exec(&tx).await?.rows_affected;
    let devices = device::Entity::delete_many().exec(&tx).await?.rows_affected;
    let people = person::Entity::delete_many().exec(&tx).await?.rows_affected;
    let imports = import::Entity::delete_many().exec(&tx).await?.rows_affected;
    tx.commit().await?;
    Ok(Wiped { devices, loans, waits, people, imports })
}

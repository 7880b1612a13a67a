//! Leader leases on the database: one scheduler replica runs the due-scans; a lost leader is
//! replaced once its lease expires (seconds).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::lease;

/// Takes or renews `name` for `holder` until `now + ttl`. True when `holder` holds it afterwards.
pub async fn acquire(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<bool, DbErr> {
    let expires_at = now + ttl;
    // Insert when absent; otherwise update only if we hold it or it has expired.
    lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(expires_at),
    })
    .on_conflict_do_nothing_on([lease::Column::Name])
    .exec(db)
    .await?;
    lease::Entity::update_many()
        .col_expr(lease::Column::Holder, holder.into())
        .col_expr(lease::Column::ExpiresAt, expires_at.into())
        .filter(lease::Column::Name.eq(name))
        .filter(Condition::any().add(lease::Column::Holder.eq(holder)).add(lease::Column::ExpiresAt.lt(now)))
        .exec(db)
        .await?;
    let current = lease::Entity::find_by_id(name.to_owned()).one(db).await?;
    Ok(current.is_some_and(|l| l.holder == holder))
}

/// Gives the lease up, so another replica takes over at once.
pub async fn release(db: &DatabaseConnection, name: &str, holder: &str) -> Result<(), DbErr> {
    lease::Entity::delete_many()
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// This machine's name (the container's, in Docker), for naming leaseholders and workers; "host"
/// when it cannot be read.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

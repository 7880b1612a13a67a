//! Leases: one bot polls Telegram and one scheduler replica runs the due-scans; a lost holder is
//! replaced once its lease expires (seconds).
//!
//! [`Leases`] keeps them where the queue is: in Redis (with fencing tokens, which the Redis
//! queue checks on fenced enqueues) when the queue is there, else in the database's `lease`
//! table (the embedded default, one machine).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::lease;
use crate::queue::redis::{RedisQueue, RedisQueueError};
use crate::queue::{Queue, Store};

/// A holder's term of a lease: `token` grows with every new taking of lease `name`. Writes
/// fenced by a term are refused once a later term has begun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub name: String,
    pub token: u64,
}

/// A lease store failed.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("lease in the database: {0}")]
    Database(#[from] DbErr),
    #[error("lease in redis: {0}")]
    Redis(#[from] RedisQueueError),
}

/// Where leases are kept; cheap to clone.
#[derive(Clone, Debug)]
pub enum Leases {
    Database(DatabaseConnection),
    Redis(RedisQueue),
}

impl Leases {
    /// Redis when `queue` is kept there, else the database.
    pub fn beside(queue: &Queue, db: &DatabaseConnection) -> Self {
        match queue.store() {
            Store::Redis(q) => Leases::Redis(q.clone()),
            Store::Sqlite(_) => Leases::Database(db.clone()),
        }
    }

    /// Takes or renews `name` for `holder` for `ttl`; the term's [`Fence`] when `holder` holds it
    /// afterwards. `now` times database leases (the app's clock); Redis times its own. Database
    /// leases have no fencing (token 0): they serve one machine.
    pub async fn acquire(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<Option<Fence>, LeaseError> {
        match self {
            Leases::Redis(q) => Ok(q.lease(name, holder, ttl).await?),
            Leases::Database(db) => {
                let ttl = Duration::from_std(ttl).unwrap_or(Duration::MAX);
                let held = acquire(db, name, holder, now, ttl).await?;
                Ok(held.then(|| Fence { name: name.to_owned(), token: 0 }))
            }
        }
    }

    /// Gives `name` up if `holder` has it, so another holder takes over at once.
    pub async fn release(&self, name: &str, holder: &str) -> Result<(), LeaseError> {
        match self {
            Leases::Redis(q) => Ok(q.release_lease(name, holder).await?),
            Leases::Database(db) => Ok(release(db, name, holder).await?),
        }
    }

    /// Who holds `name` now (an expired database lease still names its last holder).
    pub async fn holder(&self, name: &str) -> Result<Option<String>, LeaseError> {
        match self {
            Leases::Redis(q) => Ok(q.lease_holder(name).await?),
            Leases::Database(db) => Ok(lease::Entity::find_by_id(name.to_owned()).one(db).await?.map(|l| l.holder)),
        }
    }

    /// `"redis"` or `"database"`, for logs.
    pub fn kept_in(&self) -> &'static str {
        match self {
            Leases::Redis(_) => "redis",
            Leases::Database(_) => "database",
        }
    }
}

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

//! The audit log: the one call a handler makes to record who did what to which object.
//!
//! Every state-changing command of every slice records one [`Entry`], from Telegram or from the
//! dashboard; an admin view reads them back. The detail is for people and never holds a secret.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

pub use crate::entities::audit::Source;
use crate::entities::audit::{self};

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub source: Source,
    /// The Telegram user id; None for the system.
    pub id: Option<i64>,
}

impl Actor {
    pub fn telegram(user_id: i64) -> Self {
        Self { source: Source::Telegram, id: Some(user_id) }
    }

    pub fn dashboard() -> Self {
        Self { source: Source::Dashboard, id: None }
    }
}

/// One action: `action` is `noun.verb` (`monitor.create`), the object a kind and an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub action: &'static str,
    pub object_kind: &'static str,
    pub object_id: Option<String>,
    pub detail: Option<String>,
}

impl Entry {
    pub fn new(action: &'static str, object_kind: &'static str, object_id: impl ToString) -> Self {
        Self { action, object_kind, object_id: Some(object_id.to_string()), detail: None }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Records `entry` by `actor` at `at`; on the caller's connection or transaction, so the record
/// and the change commit together.
pub async fn record(db: &impl ConnectionTrait, actor: Actor, at: DateTime<Utc>, entry: Entry) -> Result<(), DbErr> {
    audit::ActiveModel {
        at: Set(at),
        source: Set(actor.source),
        actor_id: Set(actor.id),
        action: Set(entry.action.to_owned()),
        object_kind: Set(entry.object_kind.to_owned()),
        object_id: Set(entry.object_id),
        detail: Set(entry.detail),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::debug!(action = entry.action, object = entry.object_kind, actor = ?actor.id, "audited");
    Ok(())
}

//! `monitors`: what to check, how often, where alerts go, and the alert state between checks.
//!
//! Invariants: `interval_secs` is within `Interval::MIN..=MAX`; `timeout_ms` is below the interval;
//! `next_run_at` is the slot the scheduler enqueues next (moved on only by the due-scan).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monitors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    /// The chat where it was added; alerts go here.
    pub chat_id: i64,
    /// A group chat that also gets the alerts (`/notify_here`).
    pub notify_chat_id: Option<i64>,
    /// `http`, `tcp` or `ping`.
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub target: String,
    pub interval_secs: i32,
    pub timeout_ms: i32,
    pub http_method: String,
    pub expect_min: i32,
    pub expect_max: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub keyword: Option<String>,
    pub keyword_must_contain: bool,
    pub down_after: i32,
    pub up_after: i32,
    pub repeat_secs: Option<i32>,
    pub cert_warn_days: i32,
    pub paused: bool,
    pub muted_until: Option<DateTimeUtc>,
    /// `pending`, `up` or `down`.
    pub health: String,
    pub fail_streak: i32,
    pub ok_streak: i32,
    pub failing_since: Option<DateTimeUtc>,
    pub last_alert_at: Option<DateTimeUtc>,
    pub cert_warned_days: Option<i32>,
    pub last_checked_at: Option<DateTimeUtc>,
    pub last_latency_ms: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_reason: Option<String>,
    pub next_run_at: DateTimeUtc,
    pub skipped_slots: i64,
    /// The slot this monitor last recorded a result for (a batch run twice records it once).
    pub last_slot: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

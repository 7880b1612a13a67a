//! `monitors`: what to check, how often, where alerts go, and the alert state between checks.
//!
//! Invariants: `interval_secs` is within `Interval::MIN..=MAX`; `timeout_ms` is below the interval;
//! `next_run_at` is the slot the scheduler enqueues next (moved on only by the due-scan).
//!
//! `kind`, `http_method`, `health` and `last_status` are the domain's own enums, stored as the
//! short texts their `string_value`s name. A stored text outside the enum makes sea-orm fail the
//! read with `DbErr::Type`; readers of many rows use `db::all_each` so such a row is reported
//! instead of failing the rest.

use sea_orm::entity::prelude::*;

use crate::crypto::Encrypted;
use crate::monitoring::alerts::{CheckStatus, Health};
use crate::monitoring::options::HttpMethod;
use crate::monitoring::target::CheckKind;

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
    pub kind: CheckKind,
    /// As typed, less the password of an http(s) URL: safe to show (see `shown_target`).
    #[sea_orm(column_type = "Text")]
    pub target: String,
    /// The password of an http(s) target's URL (percent-encoded as in the URL), encrypted at rest.
    pub password: Option<Encrypted<String>>,
    pub interval_secs: i32,
    pub timeout_ms: i32,
    pub http_method: HttpMethod,
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
    /// The alert state: changes only after `down_after` failures or `up_after` successes.
    pub health: Health,
    pub fail_streak: i32,
    pub ok_streak: i32,
    pub failing_since: Option<DateTimeUtc>,
    pub last_alert_at: Option<DateTimeUtc>,
    pub cert_warned_days: Option<i32>,
    pub last_checked_at: Option<DateTimeUtc>,
    pub last_latency_ms: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_reason: Option<String>,
    /// How the last check ended; None before the first one.
    pub last_status: Option<CheckStatus>,
    /// The address the last check probed or was refused (m0009); None when it did not get that
    /// far (the name did not resolve) or before the first check. `/probes` counts by it the
    /// monitors a new rule blocks.
    #[sea_orm(column_type = "String(StringLen::N(45))", nullable)]
    pub last_address: Option<String>,
    pub next_run_at: DateTimeUtc,
    pub skipped_slots: i64,
    /// The slot this monitor last recorded a result for (a batch run twice records it once).
    pub last_slot: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The target as users see it: its password masked, at most `max` UTF-16 units long.
    pub fn shown_target(&self, max: usize) -> String {
        crate::monitoring::target::masked(&self.target, self.password.is_some(), max)
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// The texts of every variant, checked to fit the column (Postgres refuses longer ones).
    fn texts<E: ActiveEnum<Value = String> + Iterable>(column_len: usize) -> Vec<String> {
        let texts: Vec<String> = E::iter().map(|e| e.to_value()).collect();
        assert!(texts.iter().all(|t| t.len() <= column_len), "{texts:?} longer than {column_len}");
        texts
    }

    /// Rows already hold these texts: changing one needs a data migration.
    #[test]
    fn enum_columns_keep_the_texts_rows_already_hold() {
        assert_eq!(texts::<CheckKind>(8), ["http", "tcp", "ping"]);
        assert_eq!(texts::<HttpMethod>(8), ["GET", "HEAD"]);
        assert_eq!(texts::<Health>(8), ["pending", "up", "down"]);
        assert_eq!(texts::<CheckStatus>(16), ["up", "down", "unavailable", "blocked"]);
    }

    #[test]
    fn a_text_outside_the_enum_reads_as_an_error_not_a_panic() {
        let err = Health::try_from_value(&"sideways".to_owned()).unwrap_err();
        assert!(matches!(&err, DbErr::Type(m) if m.contains("sideways")), "{err}");
        assert!(CheckKind::try_from_value(&"HTTP".to_owned()).is_err(), "texts are case-sensitive");
        assert!(HttpMethod::try_from_value(&"get".to_owned()).is_err(), "texts are case-sensitive");
        assert!(CheckStatus::try_from_value(&String::new()).is_err());
    }
}

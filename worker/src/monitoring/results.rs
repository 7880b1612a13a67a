//! Keeping check results bounded: finished hours of raw results become one rollup row per monitor
//! and hour (count, failures, latency p50/p95/max); raw results past retention and rollups older
//! than a year are deleted, in chunks.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use shared::entities::{check_result, check_rollup};
use shared::monitoring::jobs::MaintainResults;
use shared::monitoring::rollup::{hour_of, summarize};

use crate::{Deps, JobError};

/// Hours rolled up per run, so a long backlog is worked off over several runs.
const HOURS_PER_RUN: i64 = 48;

pub async fn maintain(job: MaintainResults, deps: Arc<Deps>) -> Result<(), JobError> {
    let now = deps.clock.now();
    let rolled = roll_up(&deps, now).await?;
    let keep_raw = Duration::seconds(job.keep_raw_secs.max(3600));
    // Never delete raw results of an hour that is not rolled up yet.
    let raw_before = (now - keep_raw).min(rolled.unwrap_or(now));
    let deleted_raw = delete_raw_before(&deps, raw_before).await?;
    let deleted_rollups = check_rollup::Entity::delete_many()
        .filter(check_rollup::Column::Hour.lt(now - Duration::days(366)))
        .exec(&deps.db)
        .await?
        .rows_affected;
    if deleted_raw + deleted_rollups > 0 {
        tracing::info!(deleted_raw, deleted_rollups, "check results maintained");
    }
    Ok(())
}

/// Rolls up every finished hour after the last rolled one (at most [`HOURS_PER_RUN`]). Returns the
/// start of the first hour not rolled up yet.
async fn roll_up(deps: &Deps, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, sea_orm::DbErr> {
    let current_hour = hour_of(now);
    let last_rolled: Option<DateTime<Utc>> = check_rollup::Entity::find()
        .select_only()
        .column(check_rollup::Column::Hour)
        .order_by_desc(check_rollup::Column::Hour)
        .limit(1)
        .into_tuple()
        .one(&deps.db)
        .await?;
    let first_raw = first_raw_at(deps).await?;
    let Some(mut hour) = last_rolled.map(|h| h + Duration::hours(1)).or(first_raw.map(hour_of)) else {
        return Ok(None);
    };
    let mut n = 0;
    while hour < current_hour && n < HOURS_PER_RUN {
        roll_up_hour(deps, hour).await?;
        hour += Duration::hours(1);
        n += 1;
    }
    Ok(Some(hour))
}

async fn roll_up_hour(deps: &Deps, hour: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    let rows: Vec<(i64, bool, Option<i32>)> = check_result::Entity::find()
        .select_only()
        .column(check_result::Column::MonitorId)
        .column(check_result::Column::Ok)
        .column(check_result::Column::LatencyMs)
        .filter(check_result::Column::At.gte(hour.timestamp()))
        .filter(check_result::Column::At.lt((hour + Duration::hours(1)).timestamp()))
        .into_tuple()
        .all(&deps.db)
        .await?;
    let mut by_monitor: BTreeMap<i64, Vec<(bool, Option<u32>)>> = BTreeMap::new();
    for (monitor_id, ok, latency) in rows {
        by_monitor.entry(monitor_id).or_default().push((ok, latency.map(|l| l.max(0) as u32)));
    }
    let models: Vec<check_rollup::ActiveModel> = by_monitor
        .into_iter()
        .map(|(monitor_id, samples)| {
            let r = summarize(samples);
            check_rollup::ActiveModel {
                monitor_id: Set(monitor_id),
                hour: Set(hour),
                count: Set(r.count as i32),
                failures: Set(r.failures as i32),
                p50_ms: Set(r.p50_ms.map(|v| v as i32)),
                p95_ms: Set(r.p95_ms.map(|v| v as i32)),
                max_ms: Set(r.max_ms.map(|v| v as i32)),
            }
        })
        .collect();
    if models.is_empty() {
        return Ok(());
    }
    // Batched: one statement per 500 monitors.
    for chunk in models.chunks(500) {
        check_rollup::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([check_rollup::Column::MonitorId, check_rollup::Column::Hour])
                    .update_columns([
                        check_rollup::Column::Count,
                        check_rollup::Column::Failures,
                        check_rollup::Column::P50Ms,
                        check_rollup::Column::P95Ms,
                        check_rollup::Column::MaxMs,
                    ])
                    .to_owned(),
            )
            .exec(&deps.db)
            .await?;
    }
    Ok(())
}

/// The time of the oldest raw result (by the `at` index).
async fn first_raw_at(deps: &Deps) -> Result<Option<DateTime<Utc>>, sea_orm::DbErr> {
    let first: Option<i64> = check_result::Entity::find()
        .select_only()
        .column(check_result::Column::At)
        .order_by_asc(check_result::Column::At)
        .limit(1)
        .into_tuple()
        .one(&deps.db)
        .await?;
    Ok(first.and_then(|at| DateTime::from_timestamp(at, 0)))
}

/// Seconds of results deleted per statement: at 100,000 monitors a minute is ~100,000 rows, so
/// no single statement holds the write lock for long.
const DELETE_STEP_SECS: i64 = 60;

async fn delete_raw_before(deps: &Deps, before: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
    let mut total = 0;
    while let Some(first) = first_raw_at(deps).await?.filter(|first| *first < before) {
        let upto = (first + Duration::seconds(DELETE_STEP_SECS)).min(before);
        total += check_result::Entity::delete_many()
            .filter(check_result::Column::At.lt(upto.timestamp()))
            .exec(&deps.db)
            .await?
            .rows_affected;
    }
    Ok(total)
}

//! The monitoring tables: monitors (with their alert state and next run), raw check results,
//! hourly rollups, probe rules and alerts waiting to be grouped into one message per chat.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("monitors")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("owner_id").big_integer().not_null())
                .col(ColumnDef::new("chat_id").big_integer().not_null())
                .col(ColumnDef::new("notify_chat_id").big_integer().null())
                .col(ColumnDef::new("kind").string_len(8).not_null())
                .col(ColumnDef::new("target").text().not_null())
                .col(ColumnDef::new("interval_secs").integer().not_null())
                .col(ColumnDef::new("timeout_ms").integer().not_null())
                .col(ColumnDef::new("http_method").string_len(8).not_null())
                .col(ColumnDef::new("expect_min").integer().not_null())
                .col(ColumnDef::new("expect_max").integer().not_null())
                .col(ColumnDef::new("keyword").text().null())
                .col(ColumnDef::new("keyword_must_contain").boolean().not_null())
                .col(ColumnDef::new("down_after").integer().not_null())
                .col(ColumnDef::new("up_after").integer().not_null())
                .col(ColumnDef::new("repeat_secs").integer().null())
                .col(ColumnDef::new("cert_warn_days").integer().not_null())
                .col(ColumnDef::new("paused").boolean().not_null())
                .col(ColumnDef::new("muted_until").timestamp_with_time_zone().null())
                .col(ColumnDef::new("health").string_len(8).not_null())
                .col(ColumnDef::new("fail_streak").integer().not_null())
                .col(ColumnDef::new("ok_streak").integer().not_null())
                .col(ColumnDef::new("failing_since").timestamp_with_time_zone().null())
                .col(ColumnDef::new("last_alert_at").timestamp_with_time_zone().null())
                .col(ColumnDef::new("cert_warned_days").integer().null())
                .col(ColumnDef::new("last_checked_at").timestamp_with_time_zone().null())
                .col(ColumnDef::new("last_latency_ms").integer().null())
                .col(ColumnDef::new("last_reason").text().null())
                .col(ColumnDef::new("next_run_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("skipped_slots").big_integer().not_null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("monitors_owner").table("monitors").col("owner_id").to_owned()).await?;
        // The due-scan: unpaused monitors by next run.
        m.create_index(
            Index::create().name("monitors_due").table("monitors").col("paused").col("next_run_at").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("check_results")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("monitor_id").big_integer().not_null())
                .col(ColumnDef::new("at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("ok").boolean().not_null())
                .col(ColumnDef::new("latency_ms").integer().null())
                .col(ColumnDef::new("reason").text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("check_results_monitor_at")
                .table("check_results")
                .col("monitor_id")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("check_results_at").table("check_results").col("at").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("check_rollups")
                .col(ColumnDef::new("monitor_id").big_integer().not_null())
                .col(ColumnDef::new("hour").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("count").integer().not_null())
                .col(ColumnDef::new("failures").integer().not_null())
                .col(ColumnDef::new("p50_ms").integer().null())
                .col(ColumnDef::new("p95_ms").integer().null())
                .col(ColumnDef::new("max_ms").integer().null())
                .primary_key(Index::create().col("monitor_id").col("hour"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("probe_rules")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("action").string_len(8).not_null())
                .col(ColumnDef::new("network").string_len(64).not_null())
                .col(ColumnDef::new("created_by").big_integer().not_null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("pending_alerts")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("chat_id").big_integer().not_null())
                .col(ColumnDef::new("monitor_id").big_integer().not_null())
                .col(ColumnDef::new("lang").string_len(8).not_null())
                .col(ColumnDef::new("text").text().not_null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("pending_alerts_chat").table("pending_alerts").col("chat_id").to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["pending_alerts", "probe_rules", "check_rollups", "check_results", "monitors"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

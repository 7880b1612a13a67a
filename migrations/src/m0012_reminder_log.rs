//! `reminder_log`: the equipment reminder digests already sent, one row per digest key
//! (`equipment-remind:<holder>:<day>`, `equipment-escalate:<day>`), written in the transaction that
//! writes the digest's outbox message. The queue forgets finished jobs after
//! `TELEOPS_QUEUE_KEEP_DONE`, so this row, not the job's idempotency key, is what makes a digest go
//! out once per person per local day; the reminder scan skips holders logged for their day, and
//! prunes rows a week old.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("reminder_log")
                .col(ColumnDef::new("key").string_len(80).not_null().primary_key())
                // The holder the digest was for; None for the admins' digest.
                .col(ColumnDef::new("holder_id").big_integer().null())
                // The local day the digest is for (the holder's, or the admin zone's).
                .col(ColumnDef::new("day").date().not_null())
                .col(ColumnDef::new("sent_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        // The scan's "not yet logged on their day" (day and holder) and the pruning (day).
        m.create_index(
            Index::create()
                .name("reminder_log_day_holder")
                .table("reminder_log")
                .col("day")
                .col("holder_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("reminder_log").to_owned()).await
    }
}

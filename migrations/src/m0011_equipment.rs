//! The equipment tables: devices, loans (one row per hold of a device, open while `returned_at` is
//! null), the waitlists, the people directory (staff lists imported before everyone has pressed
//! /start), imports waiting for their Apply, and the developer commands' confirmation attempts.
//!
//! At most one open loan per device is an index (`loans_open_device`, partial on
//! `returned_at IS NULL`), so two takes at once cannot both win. Partial indexes have the same
//! syntax on SQLite and Postgres, so they are written as SQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One-line texts: `shared::equipment::device::MAX_FIELD_CHARS` is 200 characters; 800 bytes
/// hold 200 characters of any script in Postgres' `varchar`, which counts characters anyway.
const LINE: u32 = 200;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let text = |name: &'static str| ColumnDef::new(name).string_len(LINE).not_null().to_owned();
        m.create_table(
            Table::create()
                .table("devices")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(text("name"))
                .col(text("category"))
                .col(text("inventory_no"))
                .col(text("serial_no"))
                .col(text("model"))
                .col(text("location"))
                .col(ColumnDef::new("description").text().not_null())
                .col(text("condition"))
                .col(ColumnDef::new("state").string_len(16).not_null())
                // Lower-case name, inventory and serial numbers: what `/find` matches, alike on
                // both databases and in any script.
                .col(ColumnDef::new("search").text().not_null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("devices_inventory").table("devices").col("inventory_no").unique().to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("devices_category").table("devices").col("category").col("id").to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table("loans")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("device_id").big_integer().not_null())
                .col(ColumnDef::new("holder_id").big_integer().not_null())
                .col(ColumnDef::new("taken_at").timestamp_with_time_zone().not_null())
                // The last local day of the loan in the holder's zone; None: no due date.
                .col(ColumnDef::new("due_on").date().null())
                .col(ColumnDef::new("returned_at").timestamp_with_time_zone().null())
                // The admin who assigned it (None: the holder took it) and who returned it.
                .col(ColumnDef::new("assigned_by").big_integer().null())
                .col(ColumnDef::new("returned_by").big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("loans_device").table("loans").col("device_id").col("taken_at").to_owned())
            .await?;
        m.create_index(
            Index::create().name("loans_holder").table("loans").col("holder_id").col("returned_at").to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("CREATE UNIQUE INDEX loans_open_device ON loans (device_id) WHERE returned_at IS NULL")
            .await?;
        // The reminder scan: open loans with a due date.
        db.execute_unprepared("CREATE INDEX loans_open_due ON loans (due_on) WHERE returned_at IS NULL").await?;

        m.create_table(
            Table::create()
                .table("device_waits")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("device_id").big_integer().not_null())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("joined_at").timestamp_with_time_zone().not_null())
                // Set when the device was offered to this user: held for them until `hold_until`.
                .col(ColumnDef::new("offered_at").timestamp_with_time_zone().null())
                .col(ColumnDef::new("hold_until").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("device_waits_device_user")
                .table("device_waits")
                .col("device_id")
                .col("user_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("device_waits_user").table("device_waits").col("user_id").to_owned())
            .await?;
        m.create_index(Index::create().name("device_waits_hold").table("device_waits").col("hold_until").to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table("people")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(text("name"))
                .col(ColumnDef::new("email").string_len(254).null())
                // Personal data: `Encrypted`, like `users.phone`.
                .col(ColumnDef::new("phone").text().null())
                .col(text("department"))
                .col(ColumnDef::new("comment").text().not_null())
                // The Telegram user this person is, once linked.
                .col(ColumnDef::new("user_id").big_integer().null())
                // Lower-case name and email: what `/users` and `/find` match.
                .col(ColumnDef::new("search").text().not_null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("people_email").table("people").col("email").unique().to_owned()).await?;
        m.create_index(Index::create().name("people_user").table("people").col("user_id").unique().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("imports")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("admin_id").big_integer().not_null())
                .col(ColumnDef::new("chat_id").big_integer().not_null())
                // `devices` or `people`; null until the dry run decides it from the headers.
                .col(ColumnDef::new("kind").string_len(16).null())
                .col(ColumnDef::new("file_id").text().not_null())
                .col(ColumnDef::new("file_name").text().not_null())
                // The file as downloaded, kept until applied or dropped, so Apply applies what
                // the dry run read.
                .col(ColumnDef::new("content").blob().null())
                // `queued`, `planned`, `applying`, `applied`, `failed`, `dropped`.
                .col(ColumnDef::new("status").string_len(16).not_null())
                // The dry run's counts as JSON, which Apply compares against before writing.
                .col(ColumnDef::new("report").text().null())
                .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("finished_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("developer_attempts")
                .col(ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("command").string_len(32).not_null())
                .col(ColumnDef::new("at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("ok").boolean().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("developer_attempts_user")
                .table("developer_attempts")
                .col("user_id")
                .col("command")
                .col("at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["developer_attempts", "imports", "people", "device_waits", "loans", "devices"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

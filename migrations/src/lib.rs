//! Database schema migrations (sea-orm-migration). Every migration runs on SQLite and Postgres.
//!
//! The queue database has its own schema, migrated by `shared::queue::Queue::migrate`.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m0001_core;
mod m0002_monitoring;
mod m0003_check_batches;
mod m0004_compact_results;
mod m0005_encrypted_phone;
mod m0006_audit_and_time_zones;
mod m0007_dialogues_per_user;
mod m0008_last_status;
mod m0009_target_passwords;
mod m0010_blocked_by_policy;
mod m0011_equipment;
mod m0012_reminder_log;
mod m0013_device_search;
mod m0014_person_username;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_core::Migration),
            Box::new(m0002_monitoring::Migration),
            Box::new(m0003_check_batches::Migration),
            Box::new(m0004_compact_results::Migration),
            Box::new(m0005_encrypted_phone::Migration),
            Box::new(m0006_audit_and_time_zones::Migration),
            Box::new(m0007_dialogues_per_user::Migration),
            Box::new(m0008_last_status::Migration),
            Box::new(m0009_target_passwords::Migration),
            Box::new(m0010_blocked_by_policy::Migration),
            Box::new(m0011_equipment::Migration),
            Box::new(m0012_reminder_log::Migration),
            Box::new(m0013_device_search::Migration),
            Box::new(m0014_person_username::Migration),
        ]
    }
}

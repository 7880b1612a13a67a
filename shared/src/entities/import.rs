//! `imports`: a CSV or XLSX file an admin sent, from its dry run to its Apply (m0011).
//!
//! Invariants: `content` holds the downloaded file while the import is `planned`, so Apply reads
//! the same bytes the dry run read; it is cleared once applied or dropped. `report` is the dry
//! run's counts and fingerprint (`equipment::dry_run::Report`), which Apply compares with a fresh
//! plan before writing anything.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub admin_id: i64,
    pub chat_id: i64,
    /// What the file imports: asked for with `/import people` or `/import devices`, else
    /// decided from the headers by the dry run (None until then).
    pub kind: Option<ImportKind>,
    #[sea_orm(column_type = "Text")]
    pub file_id: String,
    #[sea_orm(column_type = "Text")]
    pub file_name: String,
    pub content: Option<Vec<u8>>,
    pub status: ImportStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub report: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// What a file imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize, serde::Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ImportKind {
    #[sea_orm(string_value = "devices")]
    Devices,
    #[sea_orm(string_value = "people")]
    People,
}

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ImportStatus {
    /// Waiting for its dry-run job.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// The dry run was reported; waiting for Apply.
    #[sea_orm(string_value = "planned")]
    Planned,
    /// Apply was pressed; waiting for the apply job.
    #[sea_orm(string_value = "applying")]
    Applying,
    #[sea_orm(string_value = "applied")]
    Applied,
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Cancelled by the admin, or replaced by a newer file.
    #[sea_orm(string_value = "dropped")]
    Dropped,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

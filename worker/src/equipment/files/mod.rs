//! Imports and exports of the equipment slice in the worker: [`import`] downloads a file an admin
//! sent, reports its dry run and applies it all or nothing; [`export`] sends every device as CSV
//! and XLSX. What both need to plan a file against the database is here: [`Planned`].

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use shared::entities::import::ImportKind;
use shared::entities::{device, person, user};
use shared::equipment::device::DeviceFields;
use shared::equipment::dry_run::{Report, guard_loans};
use shared::equipment::import::{ImportError, ImportPlan, RejectReason, Table};
use shared::equipment::jobs::{ApplyImport, ExportDevices, ReadImport};
use shared::equipment::person::{PersonFields, PersonUpdate, plan_people};
use shared::i18n::Lang;

use crate::registry::{Registry, Width};

pub mod export;
pub mod import;

/// Binds the import and export jobs.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    let deps = r.deps().clone();
    let d = deps.clone();
    r.job::<ReadImport, _, _>(Width::Default, move |job| import::read(job, d.clone()))?;
    // One import applies at a time: each is one write transaction over many rows.
    let d = deps.clone();
    r.job::<ApplyImport, _, _>(Width::One, move |job| import::apply(job, d.clone()))?;
    r.job::<ExportDevices, _, _>(Width::One, move |job| export::run(job, deps.clone()))?;
    Ok(())
}

/// A file planned against the database: the plan, and the ids of the rows it would update.
pub(crate) enum Planned {
    Devices {
        plan: ImportPlan<DeviceFields>,
        /// Device ids by inventory number.
        ids: HashMap<String, i64>,
    },
    People {
        plan: ImportPlan<PersonFields, PersonUpdate>,
        /// Person ids, in the order of the `existing` slice planned against (`PersonUpdate::index`).
        ids: Vec<i64>,
    },
}

impl Planned {
    /// Plans `table` as `kind` against what `conn` holds now.
    pub(crate) async fn new(
        conn: &impl ConnectionTrait,
        kind: ImportKind,
        table: &Table,
    ) -> Result<Result<Planned, ImportError>, DbErr> {
        Ok(match kind {
            ImportKind::Devices => {
                let rows = device::Entity::find().all(conn).await?;
                let ids = rows.iter().map(|d| (d.inventory_no.clone(), d.id)).collect();
                let existing: HashMap<String, DeviceFields> =
                    rows.iter().map(|d| (d.inventory_no.clone(), d.fields())).collect();
                shared::equipment::import::plan(table, &existing).map(|mut plan| {
                    guard_loans(&mut plan, &existing);
                    Planned::Devices { plan, ids }
                })
            }
            ImportKind::People => {
                let rows = person::Entity::find().all(conn).await?;
                let ids = rows.iter().map(|p| p.id).collect();
                let existing: Vec<PersonFields> = rows.iter().map(person_fields).collect();
                plan_people(table, &existing).map(|plan| Planned::People { plan, ids })
            }
        })
    }

    pub(crate) fn kind(&self) -> ImportKind {
        match self {
            Planned::Devices { .. } => ImportKind::Devices,
            Planned::People { .. } => ImportKind::People,
        }
    }

    pub(crate) fn report(&self) -> Report {
        match self {
            Planned::Devices { plan, .. } => Report::of(ImportKind::Devices, plan),
            Planned::People { plan, .. } => Report::of(ImportKind::People, plan),
        }
    }

    pub(crate) fn rejected(&self) -> &[(usize, RejectReason)] {
        match self {
            Planned::Devices { plan, .. } => &plan.reject,
            Planned::People { plan, .. } => &plan.reject,
        }
    }

    pub(crate) fn ignored_columns(&self) -> &[String] {
        match self {
            Planned::Devices { plan, .. } => &plan.ignored_columns,
            Planned::People { plan, .. } => &plan.ignored_columns,
        }
    }
}

/// A person row as a staff list sees it (the phone decrypted).
pub(crate) fn person_fields(row: &person::Model) -> PersonFields {
    PersonFields {
        name: row.name.clone(),
        email: row.email.clone().unwrap_or_default(),
        phone: row.phone.as_ref().map(|p| p.expose().clone()).unwrap_or_default(),
        department: row.department.clone(),
        username: row.username.clone().unwrap_or_default(),
    }
}

/// The language a user reads, from their `users` row (English when they have none).
pub(crate) async fn lang_of(conn: &impl ConnectionTrait, user_id: i64) -> Result<Lang, DbErr> {
    let row = user::Entity::find_by_id(user_id).one(conn).await?;
    Ok(Lang::from_code(row.as_ref().map(|u| u.language.as_str())))
}

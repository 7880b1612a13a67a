//! `devices`: the equipment an office lends out (m0011).
//!
//! Invariants: `inventory_no` is unique; texts are validated by `equipment::device::DeviceFields`
//! (trimmed, within their caps); `search` is [`search_text`] of the row, rewritten with every
//! change of a name or number; `state` is `taken` exactly while the device has an open loan.

use sea_orm::entity::prelude::*;

use crate::equipment::device::{DeviceFields, DeviceState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub category: String,
    pub inventory_no: String,
    pub serial_no: String,
    pub model: String,
    pub location: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub condition: String,
    pub state: DeviceState,
    #[sea_orm(column_type = "Text")]
    pub search: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What `/find` matches a device on: name, inventory and serial numbers, lower-cased.
pub fn search_text(name: &str, inventory_no: &str, serial_no: &str) -> String {
    format!("{}\n{}\n{}", name.to_lowercase(), inventory_no.to_lowercase(), serial_no.to_lowercase())
}

impl Model {
    /// How texts name the device: `#12 Move/5000 (INV-0042)`.
    pub fn title(&self) -> String {
        crate::equipment::texts::common::title(self.id, &self.name, &self.inventory_no)
    }

    /// The row's fields as the domain and the files see them.
    pub fn fields(&self) -> DeviceFields {
        DeviceFields {
            name: self.name.clone(),
            category: self.category.clone(),
            inventory_no: self.inventory_no.clone(),
            serial_no: self.serial_no.clone(),
            model: self.model.clone(),
            location: self.location.clone(),
            description: self.description.clone(),
            condition: self.condition.clone(),
            state: self.state,
        }
    }
}

/// A new row from validated fields.
pub fn new_row(fields: &DeviceFields, now: DateTimeUtc) -> ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    ActiveModel {
        id: NotSet,
        name: Set(fields.name.clone()),
        category: Set(fields.category.clone()),
        inventory_no: Set(fields.inventory_no.clone()),
        serial_no: Set(fields.serial_no.clone()),
        model: Set(fields.model.clone()),
        location: Set(fields.location.clone()),
        description: Set(fields.description.clone()),
        condition: Set(fields.condition.clone()),
        state: Set(fields.state),
        search: Set(search_text(&fields.name, &fields.inventory_no, &fields.serial_no)),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Sets every field of `row` (and its `search`) from validated fields; the state too.
pub fn set_fields(row: &mut ActiveModel, fields: &DeviceFields, now: DateTimeUtc) {
    use sea_orm::ActiveValue::Set;
    row.name = Set(fields.name.clone());
    row.category = Set(fields.category.clone());
    row.inventory_no = Set(fields.inventory_no.clone());
    row.serial_no = Set(fields.serial_no.clone());
    row.model = Set(fields.model.clone());
    row.location = Set(fields.location.clone());
    row.description = Set(fields.description.clone());
    row.condition = Set(fields.condition.clone());
    row.state = Set(fields.state);
    row.search = Set(search_text(&fields.name, &fields.inventory_no, &fields.serial_no));
    row.updated_at = Set(now);
}

//! A device's fields ([`DeviceFields`]) and state ([`DeviceState`]) with the rules every way of
//! entering them shares (a dialogue, `/add` in one message, an imported file): texts trimmed,
//! name and inventory number required, each text capped, and the state read from an English or
//! Russian word. The columns a device file has are [`DeviceColumn`].

use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};
use serde::{Deserialize, Serialize};

use crate::equipment::field::{Column, ColumnName, FieldError, trimmed};

/// The longest text accepted in a one-line field, in characters. By default a field is one line.
pub const MAX_FIELD_CHARS: usize = 200;
/// The longest description accepted, in characters: a description may be a paragraph or two.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Where a device is in its life. Stored as the short English word ([`DeviceState::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, EnumIter, DeriveActiveEnum)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeviceState {
    /// On the shelf, anyone may take it.
    #[default]
    #[sea_orm(string_value = "available")]
    Available,
    /// Someone has it.
    #[sea_orm(string_value = "taken")]
    Taken,
    /// Out of order until repaired.
    #[sea_orm(string_value = "broken")]
    Broken,
    /// Written off, kept for its history.
    #[sea_orm(string_value = "retired")]
    Retired,
}

/// A device as the admin describes it. Values from [`DeviceFields::validated`] (and so every
/// import plan) are trimmed, within their caps, with a name and an inventory number. Also what the
/// `/add` dialogue has gathered so far, stored in the dialogue: fields are only added, with
/// defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceFields {
    pub name: String,
    pub category: String,
    /// Unique among devices; the key an import matches rows on.
    pub inventory_no: String,
    pub serial_no: String,
    pub model: String,
    pub location: String,
    pub description: String,
    /// A note on the device's condition ("scratched screen"), unlike `state`.
    pub condition: String,
    pub state: DeviceState,
}

/// A column of a device file, in the order an export writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceColumn {
    Name,
    Category,
    InventoryNo,
    SerialNo,
    Model,
    Location,
    Description,
    Condition,
    State,
}

impl DeviceState {
    /// Every state, in the order lists show them.
    pub const ALL: [DeviceState; 4] =
        [DeviceState::Available, DeviceState::Taken, DeviceState::Broken, DeviceState::Retired];

    /// The English word, which exports write and the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Available => "available",
            DeviceState::Taken => "taken",
            DeviceState::Broken => "broken",
            DeviceState::Retired => "retired",
        }
    }

    /// Reads a state word in English or Russian, in any case and with spaces around it. Russian
    /// accepts the neuter word a list shows ("выдано") and the masculine one people type about a
    /// device ("выдан"), and the usual alternatives ("свободно", "неисправно").
    pub fn parse(word: &str) -> Option<DeviceState> {
        let state = match word.trim().to_lowercase().as_str() {
            "available" | "free" | "доступно" | "доступен" | "свободно" | "свободен" | "в наличии" => {
                DeviceState::Available
            }
            "taken" | "in use" | "выдано" | "выдан" | "занято" | "занят" => DeviceState::Taken,
            "broken" | "сломано" | "сломан" | "неисправно" | "неисправен" => {
                DeviceState::Broken
            }
            "retired" | "списано" | "списан" => DeviceState::Retired,
            _ => return None,
        };
        Some(state)
    }
}

impl DeviceFields {
    /// The fields trimmed and checked: name and inventory number required, each text within its
    /// cap ([`MAX_FIELD_CHARS`], [`MAX_DESCRIPTION_CHARS`]).
    pub fn validated(self) -> Result<DeviceFields, FieldError> {
        let fields = DeviceFields {
            name: trimmed(DeviceColumn::Name, &self.name)?,
            category: trimmed(DeviceColumn::Category, &self.category)?,
            inventory_no: trimmed(DeviceColumn::InventoryNo, &self.inventory_no)?,
            serial_no: trimmed(DeviceColumn::SerialNo, &self.serial_no)?,
            model: trimmed(DeviceColumn::Model, &self.model)?,
            location: trimmed(DeviceColumn::Location, &self.location)?,
            description: trimmed(DeviceColumn::Description, &self.description)?,
            condition: trimmed(DeviceColumn::Condition, &self.condition)?,
            state: self.state,
        };
        if fields.name.is_empty() {
            return Err(FieldError::MissingName);
        }
        if fields.inventory_no.is_empty() {
            return Err(FieldError::MissingInventoryNo);
        }
        Ok(fields)
    }

    /// The value of one column as an export writes it.
    pub fn value(&self, column: DeviceColumn) -> &str {
        match column {
            DeviceColumn::Name => &self.name,
            DeviceColumn::Category => &self.category,
            DeviceColumn::InventoryNo => &self.inventory_no,
            DeviceColumn::SerialNo => &self.serial_no,
            DeviceColumn::Model => &self.model,
            DeviceColumn::Location => &self.location,
            DeviceColumn::Description => &self.description,
            DeviceColumn::Condition => &self.condition,
            DeviceColumn::State => self.state.as_str(),
        }
    }

    /// Sets one column from a file's cell, unchecked until [`DeviceFields::validated`]. An empty
    /// state cell leaves the state as it is: a file cannot say "no state".
    pub fn set(&mut self, column: DeviceColumn, cell: &str) -> Result<(), FieldError> {
        match self.text_mut(column) {
            Some(text) => cell.clone_into(text),
            None if cell.trim().is_empty() => {}
            None => self.state = DeviceState::parse(cell).ok_or_else(|| FieldError::UnknownState(cell.to_owned()))?,
        }
        Ok(())
    }

    /// The text of a column; None for the state, which is not text.
    pub fn text_mut(&mut self, column: DeviceColumn) -> Option<&mut String> {
        Some(match column {
            DeviceColumn::Name => &mut self.name,
            DeviceColumn::Category => &mut self.category,
            DeviceColumn::InventoryNo => &mut self.inventory_no,
            DeviceColumn::SerialNo => &mut self.serial_no,
            DeviceColumn::Model => &mut self.model,
            DeviceColumn::Location => &mut self.location,
            DeviceColumn::Description => &mut self.description,
            DeviceColumn::Condition => &mut self.condition,
            DeviceColumn::State => return None,
        })
    }
}

impl Column for DeviceColumn {
    const ALL: &'static [DeviceColumn] = &[
        DeviceColumn::Name,
        DeviceColumn::Category,
        DeviceColumn::InventoryNo,
        DeviceColumn::SerialNo,
        DeviceColumn::Model,
        DeviceColumn::Location,
        DeviceColumn::Description,
        DeviceColumn::Condition,
        DeviceColumn::State,
    ];

    fn headers(self) -> &'static [&'static str] {
        match self {
            DeviceColumn::Name => &["Name", "Наименование", "Название", "Device", "Device name", "Устройство"],
            DeviceColumn::Category => &["Category", "Категория", "Type", "Тип", "Группа"],
            DeviceColumn::InventoryNo => &[
                "Inventory number",
                "Инвентарный номер",
                "Inventory No",
                "Inv. No",
                "Inv No",
                "Inventory",
                "Asset tag",
                "Инв. №",
                "Инв. номер",
                "Инвентарный №",
            ],
            DeviceColumn::SerialNo => &[
                "Serial number",
                "Серийный номер",
                "Serial",
                "Serial No",
                "S/N",
                "SN",
                "Серийный №",
                "Заводской номер",
                "Зав. №",
            ],
            DeviceColumn::Model => &["Model", "Модель"],
            DeviceColumn::Location => &["Location", "Расположение", "Место", "Местонахождение", "Место хранения"],
            DeviceColumn::Description => &["Description", "Описание"],
            DeviceColumn::Condition => &["Condition", "Состояние", "Condition note", "Техническое состояние"],
            DeviceColumn::State => &["State", "Статус", "Status"],
        }
    }

    fn required(self) -> bool {
        matches!(self, DeviceColumn::Name | DeviceColumn::InventoryNo)
    }

    fn max_chars(self) -> usize {
        match self {
            DeviceColumn::Description => MAX_DESCRIPTION_CHARS,
            _ => MAX_FIELD_CHARS,
        }
    }

    fn name(self) -> ColumnName {
        ColumnName::Device(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_words_are_read_in_english_and_russian() {
        let check =
            |word: &str, expected: Option<DeviceState>| assert_eq!(DeviceState::parse(word), expected, "{word}");
        check("available", Some(DeviceState::Available));
        check(" Доступно ", Some(DeviceState::Available));
        check("TAKEN", Some(DeviceState::Taken));
        check("выдано", Some(DeviceState::Taken));
        check("выдан", Some(DeviceState::Taken));
        check("broken", Some(DeviceState::Broken));
        check("Сломано", Some(DeviceState::Broken));
        check("retired", Some(DeviceState::Retired));
        check("списано", Some(DeviceState::Retired));
        check("lost", None);
        check("", None);
    }

    #[test]
    fn every_state_reads_back_from_its_english_word_and_serde_form() {
        for state in DeviceState::ALL {
            assert_eq!(DeviceState::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_string(&state).unwrap(), format!("\"{}\"", state.as_str()));
        }
    }

    #[test]
    fn validation_trims_and_requires_name_and_inventory_number() {
        let raw =
            DeviceFields { name: "  Ноутбук ".into(), inventory_no: "\tINV-1 ".into(), ..Default::default() };
        let fields = raw.clone().validated().unwrap();
        assert_eq!((fields.name.as_str(), fields.inventory_no.as_str()), ("Ноутбук", "INV-1"));

        let no_name = DeviceFields { name: "   ".into(), ..raw.clone() };
        assert_eq!(no_name.validated(), Err(FieldError::MissingName));
        let no_inventory = DeviceFields { inventory_no: String::new(), ..raw.clone() };
        assert_eq!(no_inventory.validated(), Err(FieldError::MissingInventoryNo));
    }

    #[test]
    fn a_description_may_be_longer_than_a_name() {
        let base = DeviceFields { name: "Phone".into(), inventory_no: "1".into(), ..Default::default() };
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        let described = DeviceFields { description: long.clone(), ..base.clone() };
        assert!(described.validated().is_ok());
        let modelled = DeviceFields { model: long, ..base };
        assert!(matches!(
            modelled.validated(),
            Err(FieldError::TooLong { column: ColumnName::Device(DeviceColumn::Model), chars: 201, max: 200 })
        ));
    }

    #[test]
    fn set_reads_a_state_and_keeps_it_for_an_empty_cell() {
        let mut fields = DeviceFields { state: DeviceState::Broken, ..Default::default() };
        fields.set(DeviceColumn::State, "  ").unwrap();
        assert_eq!(fields.state, DeviceState::Broken);
        fields.set(DeviceColumn::State, "списано").unwrap();
        assert_eq!(fields.state, DeviceState::Retired);
        assert_eq!(fields.set(DeviceColumn::State, "lost"), Err(FieldError::UnknownState("lost".into())));
        for column in DeviceColumn::ALL.iter().filter(|c| **c != DeviceColumn::State) {
            fields.set(*column, "v").unwrap();
            assert_eq!(fields.value(*column), "v");
        }
    }
}

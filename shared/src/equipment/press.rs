//! The equipment slice's buttons, one enum for every message that carries them: those the bot
//! sends and those workers send through the outbox (reminder digests with Return buttons, the
//! waitlist's Claim / Pass offer). Encoded with [`crate::callback::data`] under the slice's name
//! [`NAME`].
//!
//! Buttons already sent outlive a release: variants are only appended, in every enum here. Data
//! comes back from the client and can be forged: handlers check that the device exists and that
//! the caller may do what the button says.

use serde::{Deserialize, Serialize};

/// The slice's name: the prefix of its callback data and the owner tag of its dialogue state.
pub const NAME: &str = "equipment";

/// Every button of the slice, by the part of the slice that handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Press {
    /// Lists, cards, taking, returning and the waitlist.
    Device(DevicePress),
    /// Admin edits of a device.
    Edit(EditPress),
    /// Imports, exports and the people directory.
    Files(FilesPress),
    /// Developer commands.
    Dev(DevPress),
}

impl Press {
    /// The callback data of this button.
    pub fn data(self) -> String {
        crate::callback::data(NAME, &self)
    }
}

/// Buttons on lists, cards and the waitlist; ids are device ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DevicePress {
    /// Open a device's card.
    Open(i64),
    Take(i64),
    Return(i64),
    History(i64),
    JoinWaitlist(i64),
    LeaveWaitlist(i64),
    /// Take the device held for the caller.
    Claim(i64),
    /// Let the device held for the caller go to the next in line.
    Pass(i64),
    /// Catalog: page `page` (from 1) of `/all`, or of one category's devices: the category of
    /// device `category_of` (a category has no id; any of its devices names it).
    Page {
        category_of: Option<i64>,
        page: u32,
    },
    /// Catalog: page `page` (from 1) of `/categories`.
    Categories(u32),
}

/// Buttons of `/edit`; ids are device ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EditPress {
    /// Reopen the edit menu of a device.
    Menu(i64),
    /// Ask for a new value of one field.
    Field(i64, EditField),
    /// Ask whom to assign the device to.
    Assign(i64),
    /// Return the device for its holder.
    Unassign(i64),
    /// Mark the device available, broken or retired (never taken: that is `Assign`).
    Mark(i64, crate::equipment::device::DeviceState),
    /// Ask to confirm deleting the device.
    Delete(i64),
    DeleteConfirmed(i64),
    /// During an assignment: no due date.
    NoDueDate(i64),
    /// During `/add`: the category of device `of`.
    AddCategory {
        of: i64,
    },
    /// During `/add`: leave the asked optional field empty.
    AddSkip,
    /// During `/add`: leave every remaining optional field empty and add the device.
    AddFinish,
}

/// A field `/edit` changes by a typed value (the state has buttons of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EditField {
    Name,
    Category,
    InventoryNo,
    SerialNo,
    Model,
    Location,
    Description,
    Condition,
}

impl EditField {
    /// Every field, in the order the edit menu shows them.
    pub const ALL: [EditField; 8] = [
        EditField::Name,
        EditField::Category,
        EditField::InventoryNo,
        EditField::SerialNo,
        EditField::Model,
        EditField::Location,
        EditField::Description,
        EditField::Condition,
    ];

    /// The device column this field is.
    pub fn column(self) -> crate::equipment::device::DeviceColumn {
        use crate::equipment::device::DeviceColumn as C;
        match self {
            EditField::Name => C::Name,
            EditField::Category => C::Category,
            EditField::InventoryNo => C::InventoryNo,
            EditField::SerialNo => C::SerialNo,
            EditField::Model => C::Model,
            EditField::Location => C::Location,
            EditField::Description => C::Description,
            EditField::Condition => C::Condition,
        }
    }

    /// Whether the field may be left empty.
    pub fn optional(self) -> bool {
        !matches!(self, EditField::Name | EditField::InventoryNo)
    }
}

/// Buttons of imports and the people directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilesPress {
    /// Apply the import with this id, as its dry run reported it.
    Apply(i64),
    /// Drop the import with this id.
    Drop(i64),
    /// Open a person's card; ids below are person ids.
    Person(i64),
    /// Ask for a person's new email address.
    Email(i64),
    /// Ask for a comment on a person.
    Comment(i64),
    /// Ask which Telegram user a person is.
    Link(i64),
    Unlink(i64),
    /// Ask to confirm deleting a person.
    Delete(i64),
    ConfirmDelete(i64),
}

/// Buttons of the developer commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DevPress {
    /// Drop the developer command waiting for its code.
    Cancel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_buttons_fit_telegrams_64_bytes() {
        for press in [
            Press::Device(DevicePress::Claim(i64::MAX)),
            Press::Edit(EditPress::Menu(i64::MIN)),
            Press::Edit(EditPress::Field(i64::MIN, EditField::Condition)),
            Press::Device(DevicePress::Page { category_of: Some(i64::MIN), page: u32::MAX }),
            Press::Files(FilesPress::Apply(i64::MAX)),
        ] {
            let data = press.data();
            assert!(data.len() <= crate::callback::MAX_LEN, "{data}");
            let (slice, payload) = crate::callback::split(&data).expect("slice:payload");
            assert_eq!(slice, NAME);
            assert_eq!(crate::callback::decode::<Press>(payload), Some(press));
        }
    }
}

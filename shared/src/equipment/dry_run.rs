//! What an import's dry run keeps between its report and Apply, and the rules the file rules in
//! [`crate::equipment::import`] leave to the database's state: pure, no I/O.
//!
//! The dry run stores a [`Report`] (`imports.report`, JSON): the counts the admin read and a
//! [`fingerprint`] of the whole plan. Apply plans again from the stored bytes against the data as
//! it is then, and writes only when the fingerprint is the same: any change in between (another
//! admin's edit, a device taken) sends a fresh report instead of applying what nobody read.
//!
//! A device's `taken` state belongs to its loans: [`guard_loans`] turns rows that would change it
//! into rejections. [`is_staff_list`] tells a staff list from a device file by its header.

use std::collections::HashMap;
use std::fmt::{self, Debug, Write as _};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::entities::import::ImportKind;
use crate::equipment::device::{DeviceColumn, DeviceFields, DeviceState};
use crate::equipment::field::{Column, header_key};
use crate::equipment::import::{ImportPlan, RejectReason};
use crate::equipment::person::{CONTACT_COLUMNS, PersonColumn};

/// A dry run as stored in `imports.report`. Stored JSON: fields are only added, with defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub kind: ImportKind,
    pub add: usize,
    pub update: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// [`fingerprint`] of the plan reported.
    pub fingerprint: String,
}

impl Report {
    /// The report of `plan`.
    pub fn of<A: Debug, U: Debug>(kind: ImportKind, plan: &ImportPlan<A, U>) -> Report {
        Report {
            kind,
            add: plan.add.len(),
            update: plan.update.len(),
            unchanged: plan.unchanged,
            rejected: plan.reject.len(),
            fingerprint: fingerprint(plan),
        }
    }

    /// Whether applying it would change anything.
    pub fn changes_anything(&self) -> bool {
        self.add + self.update > 0
    }
}

/// A digest of everything a plan would write and reject (SHA-256 of its `Debug` form, in hex):
/// two plans with the same fingerprint write the same rows.
pub fn fingerprint<A: Debug, U: Debug>(plan: &ImportPlan<A, U>) -> String {
    struct Hashing(Sha256);
    impl fmt::Write for Hashing {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    // Writing to a hasher cannot fail.
    let _ = write!(hashing, "{:?}|{:?}|{}|{:?}", plan.add, plan.update, plan.unchanged, plan.reject);
    hex::encode(hashing.0.finalize())
}

/// Rejects the rows that would change what only loans change: a taken device given another state
/// ([`RejectReason::TakenDevice`]: return it first), and a device made taken that nobody holds,
/// new or existing ([`RejectReason::NotTaken`]). `existing` is what [`crate::equipment::import::plan`]
/// planned against; rejections stay in row order.
pub fn guard_loans(plan: &mut ImportPlan<DeviceFields>, existing: &HashMap<String, DeviceFields>) {
    let was_taken =
        |fields: &DeviceFields| existing.get(&fields.inventory_no).map(|old| old.state == DeviceState::Taken);
    let verdict = |fields: &DeviceFields| match (was_taken(fields).unwrap_or(false), fields.state == DeviceState::Taken)
    {
        (true, false) => Some(RejectReason::TakenDevice),
        (false, true) => Some(RejectReason::NotTaken),
        _ => None,
    };
    let mut moved = false;
    for rows in [&mut plan.add, &mut plan.update] {
        rows.retain(|(row, fields)| match verdict(fields) {
            Some(reason) => {
                plan.reject.push((*row, reason));
                moved = true;
                false
            }
            None => true,
        });
    }
    if moved {
        plan.reject.sort_by_key(|(row, _)| *row);
    }
}

/// Whether a header is a staff list's rather than a device file's: a name column, an email, phone
/// or Telegram column, and no inventory number.
pub fn is_staff_list(header: &[String]) -> bool {
    let has = |headers: &[&str]| header.iter().any(|h| headers.iter().any(|c| header_key(c) == header_key(h)));
    has(PersonColumn::Name.headers())
        && CONTACT_COLUMNS.iter().any(|c| has(c.headers()))
        && !has(DeviceColumn::InventoryNo.headers())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equipment::import::{plan, read_table};

    fn device(name: &str, inventory_no: &str, state: DeviceState) -> DeviceFields {
        DeviceFields { name: name.into(), inventory_no: inventory_no.into(), state, ..Default::default() }
    }

    #[test]
    fn only_loans_make_a_device_taken_or_not() {
        let existing = HashMap::from([
            ("T-1".to_owned(), device("Held", "T-1", DeviceState::Taken)),
            ("T-2".to_owned(), device("Held too", "T-2", DeviceState::Taken)),
            ("A-1".to_owned(), device("Shelf", "A-1", DeviceState::Available)),
        ]);
        let text = "Name;Inventory number;State;Location\n\
                    Held;T-1;available;\n\
                    Held too;T-2;taken;Desk 4\n\
                    Shelf;A-1;выдано;\n\
                    New;N-1;taken;\n\
                    Newer;N-2;broken;\n";
        let mut plan = plan(&read_table(text.as_bytes(), "d.csv").unwrap(), &existing).unwrap();

        guard_loans(&mut plan, &existing);

        assert_eq!(
            plan.reject,
            [(2, RejectReason::TakenDevice), (4, RejectReason::NotTaken), (5, RejectReason::NotTaken)]
        );
        let updated: Vec<(usize, &str)> = plan.update.iter().map(|(row, d)| (*row, d.location.as_str())).collect();
        assert_eq!(updated, [(3, "Desk 4")], "a taken device's other fields still update");
        assert_eq!(plan.add.iter().map(|(row, _)| *row).collect::<Vec<_>>(), [6]);
    }

    #[test]
    fn a_fingerprint_changes_with_any_row() {
        let table = read_table("Name;Inventory number\nA;1\nB;2\n".as_bytes(), "d.csv").unwrap();
        let empty = plan(&table, &HashMap::new()).unwrap();
        let one_exists =
            plan(&table, &HashMap::from([("1".to_owned(), device("A", "1", DeviceState::Available))])).unwrap();
        assert_eq!(fingerprint(&empty), fingerprint(&empty.clone()));
        assert_ne!(fingerprint(&empty), fingerprint(&one_exists));
        assert_eq!(Report::of(ImportKind::Devices, &one_exists).unchanged, 1);
    }

    #[test]
    fn staff_lists_are_told_from_device_files_by_their_header() {
        let header = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(is_staff_list(&header(&["ФИО", "Эл. почта", "Отдел"])));
        assert!(is_staff_list(&header(&["Name", "Phone"])));
        assert!(is_staff_list(&header(&["ФИО", "Telegram"])));
        assert!(!is_staff_list(&header(&["Name", "Inventory number", "Phone"])));
        assert!(!is_staff_list(&header(&["Наименование", "Инв. №"])));
        assert!(!is_staff_list(&header(&["Name", "Department"])));
    }
}

//! What devices and people have in common as rows of a file: named columns recognized by their
//! header in English or Russian ([`Column`], [`ColumnName`]), the length cap of each, and the
//! typed [`FieldError`] a bad value gets, the same whether it came from a file or from a dialogue.

use std::fmt;

use crate::equipment::device::DeviceColumn;
use crate::equipment::person::PersonColumn;

/// A column of a device or staff list, for errors and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnName {
    Device(DeviceColumn),
    Person(PersonColumn),
}

/// What a column's value can get wrong. Display is English for logs; users read it in their
/// language from the slice's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The name is empty (or only spaces).
    #[error("the name is empty")]
    MissingName,
    /// The inventory number is empty (or only spaces).
    #[error("the inventory number is empty")]
    MissingInventoryNo,
    /// A value is longer than its column accepts, counted in characters.
    #[error("{column} is {chars} characters long; at most {max} are accepted")]
    TooLong { column: ColumnName, chars: usize, max: usize },
    /// The state is none of the English or Russian state words.
    #[error("{0:?} is not a device state (available, taken, broken, retired)")]
    UnknownState(String),
    /// A person has neither an email address, a phone number nor a Telegram username.
    #[error("neither an email address, a phone number nor a Telegram username is given")]
    MissingContact,
    /// The email address does not have the shape `name@domain.tld`.
    #[error("{0:?} is not an email address")]
    InvalidEmail(String),
    /// The phone number is not 7 to 15 digits with optional `+`, spaces, dashes, dots or brackets.
    #[error("{0:?} is not a phone number")]
    InvalidPhone(String),
    /// The Telegram username is not 4 to 32 letters, digits and underscores, starting with a letter.
    #[error("{0:?} is not a Telegram username")]
    InvalidUsername(String),
}

/// A column a file may have. Implemented by the column enums of devices and people, so that
/// header matching and reading rows are written once.
pub trait Column: Copy + Eq + 'static {
    /// Every column, in the order an export writes them.
    const ALL: &'static [Self];

    /// The header texts this column is recognized by: the English one first (exports write it),
    /// the Russian one second, then synonyms. Matching ignores case, spaces and punctuation.
    fn headers(self) -> &'static [&'static str];

    /// Whether a file without this column cannot be read at all.
    fn required(self) -> bool;

    /// The longest value accepted, in characters.
    fn max_chars(self) -> usize;

    /// The column for errors and reports.
    fn name(self) -> ColumnName;

    /// The header an export writes.
    fn english(self) -> &'static str {
        self.headers()[0]
    }
}

impl fmt::Display for ColumnName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = match *self {
            ColumnName::Device(c) => c.english(),
            ColumnName::Person(c) => c.english(),
        };
        f.write_str(header)
    }
}

/// The characters that make a spreadsheet read a cell as a formula.
pub(crate) const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The value trimmed, or [`FieldError::TooLong`] when it exceeds the column's cap. A leading `'`
/// that marks a would-be formula as text (as the CSV export writes it) is dropped.
pub(crate) fn trimmed<C: Column>(column: C, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    let value = match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => value,
    };
    let chars = value.chars().count();
    if chars > column.max_chars() {
        return Err(FieldError::TooLong { column: column.name(), chars, max: column.max_chars() });
    }
    Ok(value.to_owned())
}

/// A header reduced to what identifies it: lower case, `ё` read as `е`, `№` and `#` read as
/// `no`, and everything but letters and digits dropped, so "Inv. No", "inv no" and "INV #" are one.
pub(crate) fn header_key(header: &str) -> String {
    let mut key = String::with_capacity(header.len());
    for c in header.chars().flat_map(char::to_lowercase) {
        match c {
            'ё' => key.push('е'),
            '№' | '#' => key.push_str("no"),
            c if c.is_alphanumeric() => key.push(c),
            _ => {}
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_ignore_case_spaces_and_punctuation() {
        assert_eq!(header_key(" Inv. No "), "invno");
        assert_eq!(header_key("INV #"), "invno");
        assert_eq!(header_key("Инв. №"), "инвno");
        assert_eq!(header_key("Инв №"), header_key("инв.№"));
        assert_eq!(header_key("E-mail"), "email");
        assert_eq!(header_key("Серийный\u{a0}номер"), "серийныйномер");
    }

    #[test]
    fn a_value_is_trimmed_and_capped_in_characters() {
        assert_eq!(trimmed(DeviceColumn::Name, "  Ноутбук \n"), Ok("Ноутбук".to_owned()));
        // 200 Cyrillic letters are 400 bytes but within the 200-character cap.
        let at_cap = "ж".repeat(200);
        assert_eq!(trimmed(DeviceColumn::Name, &at_cap), Ok(at_cap.clone()));
        assert_eq!(
            trimmed(DeviceColumn::Name, &format!("{at_cap}ж")),
            Err(FieldError::TooLong { column: ColumnName::Device(DeviceColumn::Name), chars: 201, max: 200 })
        );
    }
}

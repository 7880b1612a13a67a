//! A person from a staff list ([`PersonFields`]: name, email, phone, department), so a directory
//! exists before everyone has pressed /start: the field rules (a name, and an email address or a
//! phone number of a plausible shape) and [`plan_people`], the dry run of a staff-list import,
//! read by the same path as devices ([`crate::equipment::import`]) and keyed by email or phone.

use std::collections::HashMap;

use crate::equipment::field::{Column, ColumnName, FieldError, trimmed};
use crate::equipment::import::{Columns, ImportError, ImportPlan, Record, RejectReason, Table};

/// The longest email address accepted, in characters (the limit of a forward path in SMTP).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The fewest and most digits a phone number may have (E.164 allows at most 15).
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// A person as a staff list describes them. Values from [`PersonFields::validated`] are trimmed,
/// with a name, and with an email address (lower case), a phone number (digits, with a leading `+`
/// when it had one) or both; an absent one is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonFields {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
}

/// A row that changes an existing person: which one (an index into the `existing` slice given
/// to [`plan_people`]) and their fields after the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonUpdate {
    pub index: usize,
    pub fields: PersonFields,
}

/// A column of a staff list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonColumn {
    Name,
    Email,
    Phone,
    Department,
}

impl PersonFields {
    /// The fields trimmed, checked and put in their stored form: a name is required, and an
    /// email address or a phone number.
    pub fn validated(self) -> Result<PersonFields, FieldError> {
        let name = trimmed(PersonColumn::Name, &self.name)?;
        let email = trimmed(PersonColumn::Email, &self.email)?.to_lowercase();
        let phone = trimmed(PersonColumn::Phone, &self.phone)?;
        let department = trimmed(PersonColumn::Department, &self.department)?;
        if name.is_empty() {
            return Err(FieldError::MissingName);
        }
        if email.is_empty() && phone.is_empty() {
            return Err(FieldError::MissingContact);
        }
        if !email.is_empty() && !is_email(&email) {
            return Err(FieldError::InvalidEmail(email));
        }
        let phone =
            if phone.is_empty() { phone } else { stored_phone(&phone).ok_or(FieldError::InvalidPhone(phone))? };
        Ok(PersonFields { name, email, phone, department })
    }

    /// The value of one column.
    pub fn value(&self, column: PersonColumn) -> &str {
        match column {
            PersonColumn::Name => &self.name,
            PersonColumn::Email => &self.email,
            PersonColumn::Phone => &self.phone,
            PersonColumn::Department => &self.department,
        }
    }
}

/// Plans a staff-list import against the people that exist. A row matches the person with its
/// email address (in any case) or, failing that, its phone number (same digits); a row whose
/// email is one person's and phone another's is rejected, and so is a row repeating an earlier
/// row's email or phone.
pub fn plan_people(
    table: &Table,
    existing: &[PersonFields],
) -> Result<ImportPlan<PersonFields, PersonUpdate>, ImportError> {
    let columns = Columns::<PersonColumn>::match_header(&table.header)?;
    if !columns.has(PersonColumn::Email) && !columns.has(PersonColumn::Phone) {
        return Err(ImportError::MissingColumn(PersonColumn::Email.name()));
    }
    let mut by_email = HashMap::new();
    let mut by_phone = HashMap::new();
    for (idx, person) in existing.iter().enumerate() {
        by_email.insert(email_key(&person.email), idx);
        by_phone.insert(phone_key(&person.phone), idx);
    }
    by_email.remove("");
    by_phone.remove("");

    let mut plan = ImportPlan::new(columns.ignored().to_vec());
    let mut first_email_rows: HashMap<String, usize> = HashMap::new();
    let mut first_phone_rows: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        let email = email_key(columns.cell(row, PersonColumn::Email));
        let phone = phone_key(columns.cell(row, PersonColumn::Phone));
        let earlier = [
            (PersonColumn::Email, &email, &mut first_email_rows),
            (PersonColumn::Phone, &phone, &mut first_phone_rows),
        ]
        .into_iter()
        .filter(|(_, key, _)| !key.is_empty())
        .find_map(|(column, key, first_rows)| match first_rows.get(key.as_str()) {
            Some(&first_row) => Some(RejectReason::DuplicateInFile { column: column.name(), first_row }),
            None => {
                first_rows.insert(key.clone(), row.number);
                None
            }
        });
        if let Some(reason) = earlier {
            plan.reject.push((row.number, reason));
            continue;
        }
        let fields = match columns.apply(PersonFields::default(), row) {
            Ok(fields) => fields,
            Err(e) => {
                plan.reject.push((row.number, e.into()));
                continue;
            }
        };
        let (by_email, by_phone) = (by_email.get(email.as_str()), by_phone.get(phone.as_str()));
        match (by_email, by_phone) {
            (Some(a), Some(b)) if a != b => plan.reject.push((row.number, RejectReason::ContactConflict)),
            (None, None) => plan.add.push((row.number, fields)),
            (Some(&index), _) | (None, Some(&index)) => {
                let old = &existing[index];
                plan.compare(row.number, old, columns.apply(old.clone(), row), |fields| PersonUpdate { index, fields });
            }
        }
    }
    Ok(plan)
}

impl Record for PersonFields {
    type Column = PersonColumn;

    fn set(&mut self, column: PersonColumn, cell: &str) -> Result<(), FieldError> {
        let text = match column {
            PersonColumn::Name => &mut self.name,
            PersonColumn::Email => &mut self.email,
            PersonColumn::Phone => &mut self.phone,
            PersonColumn::Department => &mut self.department,
        };
        cell.clone_into(text);
        Ok(())
    }

    fn validated(self) -> Result<Self, FieldError> {
        PersonFields::validated(self)
    }
}

impl Column for PersonColumn {
    const ALL: &'static [PersonColumn] =
        &[PersonColumn::Name, PersonColumn::Email, PersonColumn::Phone, PersonColumn::Department];

    fn headers(self) -> &'static [&'static str] {
        match self {
            PersonColumn::Name => &["Name", "ФИО", "Full name", "Employee", "Имя", "Сотрудник", "Ф.И.О."],
            PersonColumn::Email => &["Email", "Эл. почта", "E-mail", "Mail", "Почта", "Электронная почта"],
            PersonColumn::Phone => {
                &["Phone", "Телефон", "Phone number", "Mobile", "Тел.", "Мобильный", "Номер телефона"]
            }
            PersonColumn::Department => &["Department", "Отдел", "Dept", "Подразделение"],
        }
    }

    fn required(self) -> bool {
        self == PersonColumn::Name
    }

    fn max_chars(self) -> usize {
        match self {
            PersonColumn::Email => MAX_EMAIL_CHARS,
            PersonColumn::Phone => 32,
            PersonColumn::Name | PersonColumn::Department => crate::equipment::device::MAX_FIELD_CHARS,
        }
    }

    fn name(self) -> ColumnName {
        ColumnName::Person(self)
    }
}

/// `local@domain.tld`: one `@`, no spaces, a dot inside the domain. Deliberately loose: the
/// address is for people to read and for matching rows, not for sending mail.
fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    let dot_inside = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
    !local.is_empty() && !domain.contains('@') && dot_inside && !email.chars().any(char::is_whitespace)
}

/// A phone number's stored form: its digits, after a `+` when it began with one; `None` unless it
/// has [`PHONE_DIGITS`] digits and nothing but spaces, dashes, dots and brackets between them.
fn stored_phone(phone: &str) -> Option<String> {
    let (plus, rest) = match phone.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", phone),
    };
    if !rest.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')')) {
        return None;
    }
    let digits = phone_key(rest);
    PHONE_DIGITS.contains(&digits.len()).then(|| format!("{plus}{digits}"))
}

fn email_key(cell: &str) -> String {
    cell.trim().to_lowercase()
}

fn phone_key(cell: &str) -> String {
    cell.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equipment::import::read_table;

    fn person(name: &str, email: &str, phone: &str) -> PersonFields {
        PersonFields { name: name.into(), email: email.into(), phone: phone.into(), department: String::new() }
    }

    #[test]
    fn contacts_are_checked_and_stored_in_one_form() {
        let fields = person(" Иван Петров ", " Ivan@Example.COM ", "+7 (912) 345-67-89").validated().unwrap();
        assert_eq!(fields, person("Иван Петров", "ivan@example.com", "+79123456789"));
        assert_eq!(person("A", "", "8 912 345 67 89").validated().unwrap().phone, "89123456789");

        let check = |p: PersonFields, expected: FieldError| assert_eq!(p.validated(), Err(expected));
        check(person("", "a@b.cd", ""), FieldError::MissingName);
        check(person("A", " ", ""), FieldError::MissingContact);
        check(person("A", "not-an-address", ""), FieldError::InvalidEmail("not-an-address".into()));
        check(person("A", "a@localhost", ""), FieldError::InvalidEmail("a@localhost".into()));
        check(person("A", "a b@c.de", ""), FieldError::InvalidEmail("a b@c.de".into()));
        check(person("A", "", "12345"), FieldError::InvalidPhone("12345".into()));
        check(person("A", "", "call 9123456789"), FieldError::InvalidPhone("call 9123456789".into()));
        check(person("A", "", "1234567890123456"), FieldError::InvalidPhone("1234567890123456".into()));
    }

    #[test]
    fn a_russian_staff_list_plans_against_people_by_email_or_phone() {
        // Arrange: Анна is known by email, Борис by phone, Вера and Глеб are one person each.
        let existing = vec![
            PersonFields { department: "Склад".into(), ..person("Анна", "anna@example.com", "") },
            person("Борис", "", "+79990000001"),
            person("Вера", "vera@example.com", ""),
            person("Глеб", "", "+79990000002"),
        ];
        let csv = "ФИО;Эл. почта;Телефон;Отдел\n\
                   Анна;ANNA@example.com;;Склад\n\
                   Борис Б.;;+7 999 000-00-01;\n\
                   Дарья;darya@example.com;;Бухгалтерия\n\
                   Ева;eva@;;\n\
                   Дарья 2;Darya@Example.com;;\n\
                   Конфликт;vera@example.com;+79990000002;\n";

        // Act
        let table = read_table(csv.as_bytes(), "staff.csv").unwrap();
        let plan = plan_people(&table, &existing).unwrap();

        // Assert
        assert_eq!(plan.unchanged, 1, "Анна matches by email in another case");
        assert_eq!(plan.update, vec![(3, PersonUpdate { index: 1, fields: person("Борис Б.", "", "+79990000001") })]);
        assert_eq!(
            plan.add,
            vec![(
                4,
                PersonFields {
                    department: "Бухгалтерия".into(), ..person("Дарья", "darya@example.com", "")
                }
            )]
        );
        assert_eq!(
            plan.reject,
            vec![
                (5, RejectReason::Invalid(FieldError::InvalidEmail("eva@".into()))),
                (6, RejectReason::DuplicateInFile { column: PersonColumn::Email.name(), first_row: 4 }),
                (7, RejectReason::ContactConflict),
            ]
        );
    }

    #[test]
    fn a_staff_list_needs_a_name_column_and_a_contact_column() {
        let no_contact = read_table("Full name;Dept\nA;B\n".as_bytes(), "staff.csv").unwrap();
        assert_eq!(plan_people(&no_contact, &[]), Err(ImportError::MissingColumn(PersonColumn::Email.name())));
        let no_name = read_table("E-mail;Mobile\na@b.cd;+79990000001\n".as_bytes(), "staff.csv").unwrap();
        assert_eq!(plan_people(&no_name, &[]), Err(ImportError::MissingColumn(PersonColumn::Name.name())));
    }
}

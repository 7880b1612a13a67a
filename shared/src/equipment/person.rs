//! A person from a staff list ([`PersonFields`]: name, email, phone, department, Telegram
//! username), so a directory exists before everyone has pressed /start: the field rules (a name,
//! and an email address, a phone number or a username of a plausible shape) and [`plan_people`],
//! the dry run of a staff-list import, read by the same path as devices
//! ([`crate::equipment::import`]) and keyed by email, phone or username.

use std::collections::HashMap;

use crate::equipment::field::{Column, ColumnName, FieldError, trimmed};
use crate::equipment::import::{Columns, ImportError, ImportPlan, Record, RejectReason, Table};

/// The longest email address accepted, in characters (the limit of a forward path in SMTP).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The fewest and most digits a phone number may have (E.164 allows at most 15).
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// A person as a staff list describes them. Values from [`PersonFields::validated`] are trimmed,
/// with a name, and with at least one of an email address (lower case), a phone number (digits,
/// with a leading `+` when it had one) and a Telegram username (lower case, without `@`); an absent
/// one is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonFields {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub username: String,
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
    Username,
}

impl PersonFields {
    /// The fields trimmed, checked and put in their stored form: a name is required, and an
    /// email address or a phone number.
    pub fn validated(self) -> Result<PersonFields, FieldError> {
        let name = trimmed(PersonColumn::Name, &self.name)?;
        let email = trimmed(PersonColumn::Email, &self.email)?.to_lowercase();
        let phone = trimmed(PersonColumn::Phone, &self.phone)?;
        let department = trimmed(PersonColumn::Department, &self.department)?;
        let username = trimmed(PersonColumn::Username, &self.username)?;
        if name.is_empty() {
            return Err(FieldError::MissingName);
        }
        if email.is_empty() && phone.is_empty() && username.is_empty() {
            return Err(FieldError::MissingContact);
        }
        if !email.is_empty() && !is_email(&email) {
            return Err(FieldError::InvalidEmail(email));
        }
        let phone =
            if phone.is_empty() { phone } else { stored_phone(&phone).ok_or(FieldError::InvalidPhone(phone))? };
        let username = if username.is_empty() {
            username
        } else {
            stored_username(&username).ok_or(FieldError::InvalidUsername(username))?
        };
        Ok(PersonFields { name, email, phone, department, username })
    }

    /// The value of one column.
    pub fn value(&self, column: PersonColumn) -> &str {
        match column {
            PersonColumn::Name => &self.name,
            PersonColumn::Email => &self.email,
            PersonColumn::Phone => &self.phone,
            PersonColumn::Department => &self.department,
            PersonColumn::Username => &self.username,
        }
    }
}

/// Plans a staff-list import against the people that exist. A row matches the person with its
/// email address (in any case), its phone number (same digits) or its Telegram username (in any
/// case, with or without `@`); a row whose keys name two different people is rejected, and so is a
/// row repeating an earlier row's email, phone or username.
pub fn plan_people(
    table: &Table,
    existing: &[PersonFields],
) -> Result<ImportPlan<PersonFields, PersonUpdate>, ImportError> {
    let columns = Columns::<PersonColumn>::match_header(&table.header)?;
    if !CONTACT_COLUMNS.iter().any(|&column| columns.has(column)) {
        return Err(ImportError::MissingColumn(PersonColumn::Email.name()));
    }
    // Per key column: the existing person with each key, and the first row of the file with it.
    let mut known: [HashMap<String, usize>; 3] = Default::default();
    for (idx, person) in existing.iter().enumerate() {
        for (k, column) in CONTACT_COLUMNS.iter().enumerate() {
            known[k].insert(key(*column, person.value(*column)), idx);
        }
    }
    known.iter_mut().for_each(|m| {
        m.remove("");
    });
    let mut first_rows: [HashMap<String, usize>; 3] = Default::default();

    let mut plan = ImportPlan::new(columns.ignored().to_vec());
    for row in &table.rows {
        let keys = CONTACT_COLUMNS.map(|column| key(column, columns.cell(row, column)));
        let earlier =
            CONTACT_COLUMNS.iter().zip(&keys).zip(first_rows.iter_mut()).filter(|((_, k), _)| !k.is_empty()).find_map(
                |((column, k), first_rows)| match first_rows.get(k.as_str()) {
                    Some(&first_row) => Some(RejectReason::DuplicateInFile { column: column.name(), first_row }),
                    None => {
                        first_rows.insert(k.clone(), row.number);
                        None
                    }
                },
            );
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
        let mut matched: Vec<usize> = keys.iter().zip(&known).filter_map(|(k, known)| known.get(k).copied()).collect();
        matched.sort_unstable();
        matched.dedup();
        match matched.as_slice() {
            [] => plan.add.push((row.number, fields)),
            [index] => {
                let (index, old) = (*index, &existing[*index]);
                plan.compare(row.number, old, columns.apply(old.clone(), row), |fields| PersonUpdate { index, fields });
            }
            _ => plan.reject.push((row.number, RejectReason::ContactConflict)),
        }
    }
    Ok(plan)
}

/// The columns a row is matched to a person by; a staff list has at least one of them.
pub const CONTACT_COLUMNS: [PersonColumn; 3] = [PersonColumn::Email, PersonColumn::Phone, PersonColumn::Username];

/// A cell's matching key in `column`: what two spellings of one contact have in common.
fn key(column: PersonColumn, cell: &str) -> String {
    match column {
        PersonColumn::Email => email_key(cell),
        PersonColumn::Phone => phone_key(cell),
        PersonColumn::Username => username_key(cell),
        PersonColumn::Name | PersonColumn::Department => String::new(),
    }
}

impl Record for PersonFields {
    type Column = PersonColumn;

    fn set(&mut self, column: PersonColumn, cell: &str) -> Result<(), FieldError> {
        let text = match column {
            PersonColumn::Name => &mut self.name,
            PersonColumn::Email => &mut self.email,
            PersonColumn::Phone => &mut self.phone,
            PersonColumn::Department => &mut self.department,
            PersonColumn::Username => &mut self.username,
        };
        cell.clone_into(text);
        Ok(())
    }

    fn validated(self) -> Result<Self, FieldError> {
        PersonFields::validated(self)
    }
}

impl Column for PersonColumn {
    const ALL: &'static [PersonColumn] = &[
        PersonColumn::Name,
        PersonColumn::Email,
        PersonColumn::Phone,
        PersonColumn::Department,
        PersonColumn::Username,
    ];

    fn headers(self) -> &'static [&'static str] {
        match self {
            PersonColumn::Name => &["Name", "ФИО", "Full name", "Employee", "Имя", "Сотрудник", "Ф.И.О."],
            PersonColumn::Email => &["Email", "Эл. почта", "E-mail", "Mail", "Почта", "Электронная почта"],
            PersonColumn::Phone => {
                &["Phone", "Телефон", "Phone number", "Mobile", "Тел.", "Мобильный", "Номер телефона"]
            }
            PersonColumn::Department => &["Department", "Отдел", "Dept", "Подразделение"],
            PersonColumn::Username => &[
                "Telegram",
                "Телеграм",
                "Telegram username",
                "Имя в Telegram",
                "Ник в Telegram",
                "Логин Telegram",
                "Telegram ник",
            ],
        }
    }

    fn required(self) -> bool {
        self == PersonColumn::Name
    }

    fn max_chars(self) -> usize {
        match self {
            PersonColumn::Email => MAX_EMAIL_CHARS,
            PersonColumn::Phone => 32,
            PersonColumn::Username => 64,
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

/// A username's stored form: lower case, without a leading `@` or a `t.me/` link around it; `None`
/// unless it is 4 to 32 ASCII letters, digits and underscores starting with a letter (Telegram's
/// rule; four-letter names are sold as collectibles).
pub fn stored_username(cell: &str) -> Option<String> {
    let name = username_key(cell);
    let valid = (4..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

/// A username as written in a list, a link or a message, lower-cased and bare.
pub fn username_key(cell: &str) -> String {
    let bare = cell.trim();
    let bare = ["https://", "http://"].iter().find_map(|p| bare.strip_prefix(p)).unwrap_or(bare);
    let bare = ["t.me/", "telegram.me/"].iter().find_map(|p| bare.strip_prefix(p)).unwrap_or(bare);
    bare.trim_start_matches('@').trim_end_matches('/').to_lowercase()
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
        PersonFields { name: name.into(), email: email.into(), phone: phone.into(), ..Default::default() }
    }

    fn with_username(name: &str, username: &str) -> PersonFields {
        PersonFields { name: name.into(), username: username.into(), ..Default::default() }
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

        // A username alone is a contact, in any of the forms people write it.
        for written in ["@Ivan_P", "ivan_p", "https://t.me/ivan_p", "t.me/Ivan_P/", " @ivan_p "] {
            assert_eq!(with_username("A", written).validated(), Ok(with_username("A", "ivan_p")), "{written}");
        }
        check(with_username("A", "@iv"), FieldError::InvalidUsername("@iv".into()));
        check(with_username("A", "1van_p"), FieldError::InvalidUsername("1van_p".into()));
        check(with_username("A", "иван_п"), FieldError::InvalidUsername("иван_п".into()));
        check(with_username("A", "ivan p"), FieldError::InvalidUsername("ivan p".into()));
        check(with_username("A", &"a".repeat(33)), FieldError::InvalidUsername("a".repeat(33)));
    }

    #[test]
    fn a_staff_list_matches_people_by_username_too() {
        // Arrange: Анна and Глеб are known by their usernames only, Борис by email and a username.
        let existing = vec![
            with_username("Анна", "anna_k"),
            PersonFields { username: "boris_b".into(), ..person("Борис", "boris@example.com", "") },
            with_username("Глеб", "gleb_g"),
        ];
        let csv = "ФИО;Эл. почта;Telegram;Отдел
                   Анна К.;;@Anna_K;
                   Вера;;t.me/vera_v;Склад
                   Вера снова;;@VERA_V;
                   Конфликт;boris@example.com;@gleb_g;
                   Плохой ник;;@no;
";

        // Act
        let table = read_table(csv.as_bytes(), "staff.csv").unwrap();
        let plan = plan_people(&table, &existing).unwrap();

        // Assert
        assert_eq!(plan.update, vec![(2, PersonUpdate { index: 0, fields: with_username("Анна К.", "anna_k") })]);
        let vera = PersonFields { department: "Склад".into(), ..with_username("Вера", "vera_v") };
        assert_eq!(plan.add, vec![(3, vera)]);
        assert_eq!(
            plan.reject,
            vec![
                (4, RejectReason::DuplicateInFile { column: PersonColumn::Username.name(), first_row: 3 }),
                (5, RejectReason::ContactConflict),
                (6, RejectReason::Invalid(FieldError::InvalidUsername("@no".into()))),
            ]
        );
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

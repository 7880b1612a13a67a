//! `people`: the staff directory, from staff lists and from Telegram users who were linked (m0011).
//!
//! Invariants: `email` is lower case and unique; `phone` is personal data, encrypted at rest
//! (listed in `crypto::SECRET_COLUMNS`), in the stored form of `equipment::person`; `user_id`
//! links one Telegram user at most once; `username` (m0014) is a Telegram username in lower case
//! without `@`, unique; `search` is [`search_text`] of the row.

use sea_orm::entity::prelude::*;

use crate::crypto::Encrypted;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<Encrypted<String>>,
    pub department: String,
    #[sea_orm(column_type = "Text")]
    pub comment: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub search: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What `/users` and `/find` match a person on without decrypting: name, email and username,
/// lower-cased.
pub fn search_text(name: &str, email: Option<&str>, username: Option<&str>) -> String {
    let [email, username] = [email, username].map(|v| v.unwrap_or("").to_lowercase());
    format!("{}\n{email}\n{username}", name.to_lowercase())
}

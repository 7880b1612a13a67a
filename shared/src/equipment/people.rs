//! The people directory on the database: linking a person to the Telegram user they are, and the
//! rule a link or a deletion follows. Phones are encrypted at rest, so they are compared here, in
//! memory, after decryption ([`same_phone`]: the same digits, with Russia's trunk `8` read as `+7`).
//!
//! - A person links one Telegram user at most, and a user one person (`people_user` is unique).
//! - A user who shares their own contact is linked to the one unlinked person with that phone
//!   ([`link_by_phone`]); a user who starts the bot, to the unlinked person with their username
//!   ([`link_by_username`]); an imported staff list links its people to users who shared their
//!   phone or have their username ([`link_unlinked`]). Two people with one phone link nobody: a
//!   guess is worse than a gap. Usernames are unique on both sides, compared in lower case.
//! - A person whose linked user holds devices is not deleted ([`PeopleError::HoldsDevices`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entities::{loan, person, user};
use crate::equipment::person::username_key;

/// Why a person was not changed.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("there is no person {0}")]
    NoPerson(i64),
    /// Their linked user still holds this many devices.
    #[error("the person's user holds {0} devices")]
    HoldsDevices(u64),
    /// The user is linked to another person already.
    #[error("the user is linked to person {0}")]
    UserTaken(i64),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Whether two phone numbers in any of their written forms are one number.
pub fn same_phone(a: &str, b: &str) -> bool {
    let (a, b) = (comparable(a), comparable(b));
    !a.is_empty() && a == b
}

/// Links `user_id` to the unlinked person with `phone`, when exactly one has it and the user is
/// not linked yet; returns that person's id.
pub async fn link_by_phone(
    conn: &impl ConnectionTrait,
    user_id: i64,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    if person::Entity::find().filter(person::Column::UserId.eq(user_id)).one(conn).await?.is_some() {
        return Ok(None);
    }
    let unlinked = person::Entity::find()
        .filter(person::Column::UserId.is_null())
        .filter(person::Column::Phone.is_not_null())
        .all(conn)
        .await?;
    let matching: Vec<&person::Model> =
        unlinked.iter().filter(|p| p.phone.as_ref().is_some_and(|own| same_phone(own.expose(), phone))).collect();
    let [found] = matching.as_slice() else { return Ok(None) };
    set_user(conn, found.id, Some(user_id), now).await?;
    Ok(Some(found.id))
}

/// Links `user_id` to the unlinked person with `username` (any case, without `@`), when the user
/// is not linked yet; returns that person's id.
pub async fn link_by_username(
    conn: &impl ConnectionTrait,
    user_id: i64,
    username: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let username = username_key(username);
    if username.is_empty()
        || person::Entity::find().filter(person::Column::UserId.eq(user_id)).one(conn).await?.is_some()
    {
        return Ok(None);
    }
    let Some(found) = person::Entity::find()
        .filter(person::Column::Username.eq(username))
        .filter(person::Column::UserId.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    set_user(conn, found.id, Some(user_id), now).await?;
    Ok(Some(found.id))
}

/// Links every unlinked person to the unlinked user who shared the person's phone (when that
/// phone is one person's and one user's) or, failing that, who has the person's username;
/// returns how many were linked.
pub async fn link_unlinked(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let people = person::Entity::find().all(conn).await?;
    let mut linked: HashSet<i64> = people.iter().filter_map(|p| p.user_id).collect();
    let users = user::Entity::find()
        .filter(Condition::any().add(user::Column::Phone.is_not_null()).add(user::Column::Username.is_not_null()))
        .all(conn)
        .await?;
    let by_username: HashMap<String, i64> =
        users.iter().filter_map(|u| u.username.as_ref().map(|n| (username_key(n), u.id))).collect();
    let phones: Vec<(i64, String)> =
        users.into_iter().filter_map(|u| u.phone.map(|p| (u.id, p.expose().clone()))).collect();
    let mut n = 0;
    for person in people.iter().filter(|p| p.user_id.is_none()) {
        let by_phone = person.phone.as_ref().map(|p| p.expose().as_str()).and_then(|phone| {
            let same_people = people.iter().filter(|p| p.phone.as_ref().is_some_and(|o| same_phone(o.expose(), phone)));
            let same_users: Vec<i64> = phones
                .iter()
                .filter(|(id, p)| !linked.contains(id) && same_phone(p, phone))
                .map(|(id, _)| *id)
                .collect();
            match (same_users.as_slice(), same_people.count()) {
                ([user_id], 1) => Some(*user_id),
                _ => None,
            }
        });
        let by_username =
            || person.username.as_ref().and_then(|n| by_username.get(n)).copied().filter(|id| !linked.contains(id));
        if let Some(user_id) = by_phone.or_else(by_username) {
            set_user(conn, person.id, Some(user_id), now).await?;
            linked.insert(user_id);
            n += 1;
        }
    }
    Ok(n)
}

/// Links a person to a user by hand (an admin's choice), or unlinks them with None.
pub async fn link(
    conn: &impl ConnectionTrait,
    person_id: i64,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), PeopleError> {
    if let Some(user_id) = user_id
        && let Some(other) = person::Entity::find().filter(person::Column::UserId.eq(user_id)).one(conn).await?
        && other.id != person_id
    {
        return Err(PeopleError::UserTaken(other.id));
    }
    if set_user(conn, person_id, user_id, now).await? == 0 {
        return Err(PeopleError::NoPerson(person_id));
    }
    Ok(())
}

/// Deletes a person, refused while their linked user holds devices (return or reassign them first).
pub async fn delete(conn: &impl ConnectionTrait, person_id: i64) -> Result<person::Model, PeopleError> {
    let row = person::Entity::find_by_id(person_id).one(conn).await?.ok_or(PeopleError::NoPerson(person_id))?;
    if let Some(user_id) = row.user_id {
        let held = loan::Entity::find()
            .filter(loan::Column::HolderId.eq(user_id))
            .filter(loan::Column::ReturnedAt.is_null())
            .count(conn)
            .await?;
        if held > 0 {
            return Err(PeopleError::HoldsDevices(held));
        }
    }
    person::Entity::delete_by_id(person_id).exec(conn).await?;
    Ok(row)
}

async fn set_user(
    conn: &impl ConnectionTrait,
    person_id: i64,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = person::Entity::update_many()
        .col_expr(person::Column::UserId, Expr::value(user_id))
        .col_expr(person::Column::UpdatedAt, Expr::value(now))
        .filter(person::Column::Id.eq(person_id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// A phone's digits, with an 11-digit Russian number's trunk `8` read as the country code `7`.
fn comparable(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix('8') {
        Some(rest) if digits.len() == 11 && !phone.trim_start().starts_with('+') => format!("7{rest}"),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_in_its_written_forms_is_the_same_phone() {
        assert!(same_phone("+7 (912) 345-67-89", "79123456789"));
        assert!(same_phone("8 912 345 67 89", "+79123456789"));
        assert!(!same_phone("+8 912 345 67 89", "+79123456789"), "a + means a country code, not a trunk prefix");
        assert!(!same_phone("+79123456789", "+79123456780"));
        assert!(!same_phone("", ""));
    }
}

//! `/users`: the people directory for admins. It finds people (staff lists imported, see
//! [`super::import`]) by name, email, phone or their linked user's username, and Telegram users
//! by name or username. A person's card edits their email, keeps a comment, links them to a
//! Telegram user or unlinks them, and deletes them (refused while their user holds devices,
//! `shared::equipment::people`). Phones are encrypted, so a phone query is matched in memory.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use shared::audit::Entry;
use shared::entities::import::ImportKind;
use shared::entities::{person, user};
use shared::equipment::people::{self as directory, PeopleError};
use shared::equipment::person::PersonFields;
use shared::equipment::press::{FilesPress, Press};
use shared::equipment::texts::files::{PeopleText, field_error, people};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::State;
use crate::HandlerResult;
use crate::cx::Cx;

/// The most people (and users) one search lists.
const LISTED: usize = 20;
/// The longest comment kept, in characters.
const MAX_COMMENT_CHARS: usize = 1000;

/// `/users <text>`.
pub async fn users(cx: Cx, args: String) -> HandlerResult {
    let lang = cx.lang();
    let query = args.trim();
    if query.is_empty() {
        return cx.reply(people(lang, PeopleText::UsersUsage)).await;
    }
    let users = find_users(&cx, query).await?;
    let found = find_people(&cx, query, &users).await?;
    if found.is_empty() && users.is_empty() {
        return cx.reply(people(lang, PeopleText::NoneFound { query })).await;
    }
    let mut lines = Vec::new();
    if !found.is_empty() {
        lines.push(people(lang, PeopleText::PeopleFound { n: found.len() }));
        for p in &found {
            let contact = p.email.as_deref().unwrap_or(&p.department);
            lines.push(if contact.is_empty() {
                format!("• {}", p.name)
            } else {
                format!("• {} — {contact}", p.name)
            });
        }
    }
    if !users.is_empty() {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(people(lang, PeopleText::UsersFound { n: users.len() }));
        let linked = person::Entity::find()
            .filter(person::Column::UserId.is_in(users.iter().map(|u| u.id)))
            .all(&cx.deps.db)
            .await?;
        for u in &users {
            let person = linked.iter().find(|p| p.user_id == Some(u.id)).map(|p| p.name.as_str());
            lines.push(people(lang, PeopleText::UserLine { name: &user_name(u), id: u.id, person }));
        }
    }
    let buttons = found.iter().map(|p| [button(shared::text::shorten(&p.name, 40), FilesPress::Person(p.id))]);
    cx.reply_with(lines.join("\n"), InlineKeyboardMarkup::new(buttons)).await
}

/// A button of a person's card or list.
pub async fn on_press(cx: Cx, press: FilesPress) -> HandlerResult {
    let lang = cx.lang();
    let id = match press {
        FilesPress::Person(id)
        | FilesPress::Email(id)
        | FilesPress::Comment(id)
        | FilesPress::Link(id)
        | FilesPress::Unlink(id)
        | FilesPress::Delete(id)
        | FilesPress::ConfirmDelete(id) => id,
        FilesPress::Apply(_) | FilesPress::Drop(_) => unreachable!("import buttons go to super::import"),
    };
    let Some(row) = person::Entity::find_by_id(id).one(&cx.deps.db).await? else {
        return cx.answer(Some(people(lang, PeopleText::PersonGone))).await;
    };
    let name = row.name.as_str();
    let (ask, state) = match press {
        FilesPress::Email(_) => (PeopleText::AskEmail { name }, State::ReceiveEmail { person_id: id }),
        FilesPress::Comment(_) => (PeopleText::AskComment { name }, State::ReceiveComment { person_id: id }),
        FilesPress::Link(_) => (PeopleText::AskUser { name }, State::ReceiveUser { person_id: id }),
        FilesPress::Unlink(_) => {
            directory::link(&cx.deps.db, id, None, cx.now).await?;
            cx.audit(Entry::new("person.unlink", "person", id)).await?;
            cx.answer(None).await?;
            cx.reply(people(lang, PeopleText::Unlinked { name })).await?;
            return send_card(&cx, id).await;
        }
        FilesPress::Delete(_) => {
            let confirm = button(people(lang, PeopleText::ConfirmDeleteButton), FilesPress::ConfirmDelete(id));
            let markup = InlineKeyboardMarkup::new([[confirm]]);
            return cx.reply_with(people(lang, PeopleText::ConfirmDelete { name }), markup).await;
        }
        FilesPress::ConfirmDelete(_) => return delete(&cx, &row).await,
        _ => return send_card(&cx, id).await,
    };
    let state = super::super::State::Files(state);
    cx.ask(super::super::NAME, &state, people(lang, ask), None).await
}

/// The answer to a card's question: an email, a comment or a Telegram user.
pub async fn on_message(cx: Cx, state: State) -> HandlerResult {
    let lang = cx.lang();
    if !cx.caller.is_admin() {
        cx.end_dialogue().await?;
        return cx.reply(shared::i18n::t(lang, shared::i18n::Text::AdminsOnly)).await;
    }
    let text = cx.message().and_then(|m| m.text()).unwrap_or("").trim().to_owned();
    let (State::ReceiveEmail { person_id } | State::ReceiveComment { person_id } | State::ReceiveUser { person_id }) =
        state
    else {
        unreachable!("import states go to super::import")
    };
    let Some(row) = person::Entity::find_by_id(person_id).one(&cx.deps.db).await? else {
        cx.end_dialogue().await?;
        return cx.reply(people(lang, PeopleText::PersonGone)).await;
    };
    let name = row.name.as_str();
    let done = match state {
        State::ReceiveEmail { .. } => {
            let email = if text == "-" { None } else { Some(text.clone()) };
            if let Some(email) = &email {
                let check = PersonFields { name: name.to_owned(), email: email.clone(), ..Default::default() };
                if let Err(e) = check.validated() {
                    return cx.reply(field_error(lang, ImportKind::People, &e)).await;
                }
            }
            let email = email.map(|e| e.to_lowercase());
            let taken = match &email {
                Some(email) => person::Entity::find()
                    .filter(person::Column::Email.eq(email.as_str()))
                    .filter(person::Column::Id.ne(person_id))
                    .one(&cx.deps.db)
                    .await?
                    .is_some(),
                None => false,
            };
            if let (true, Some(email)) = (taken, &email) {
                return cx.reply(people(lang, PeopleText::EmailInUse { email })).await;
            }
            person::Entity::update_many()
                .col_expr(person::Column::Email, Expr::value(email.clone()))
                .col_expr(
                    person::Column::Search,
                    Expr::value(person::search_text(name, email.as_deref(), row.username.as_deref())),
                )
                .col_expr(person::Column::UpdatedAt, Expr::value(cx.now))
                .filter(person::Column::Id.eq(person_id))
                .exec(&cx.deps.db)
                .await?;
            cx.audit(Entry::new("person.email", "person", person_id)).await?;
            people(lang, PeopleText::EmailSaved { name })
        }
        State::ReceiveComment { .. } => {
            let comment = if text == "-" { String::new() } else { text.chars().take(MAX_COMMENT_CHARS).collect() };
            person::Entity::update_many()
                .col_expr(person::Column::Comment, Expr::value(comment))
                .col_expr(person::Column::UpdatedAt, Expr::value(cx.now))
                .filter(person::Column::Id.eq(person_id))
                .exec(&cx.deps.db)
                .await?;
            cx.audit(Entry::new("person.comment", "person", person_id)).await?;
            people(lang, PeopleText::CommentSaved { name })
        }
        State::ReceiveUser { .. } => {
            let Some(found) = user_by_handle(&cx, &text).await? else {
                return cx.reply(people(lang, PeopleText::UnknownUser { input: &text })).await;
            };
            let shown = user_name(&found);
            match directory::link(&cx.deps.db, person_id, Some(found.id), cx.now).await {
                Ok(()) => {}
                Err(PeopleError::UserTaken(_)) => {
                    cx.close_prompt(None).await?;
                    cx.end_dialogue().await?;
                    return cx.reply(people(lang, PeopleText::UserTaken { user: &shown })).await;
                }
                Err(e) => return Err(e.into()),
            }
            cx.audit(Entry::new("person.link", "person", person_id).detail(format!("user {}", found.id))).await?;
            people(lang, PeopleText::Linked { name, user: &shown })
        }
        State::ReceiveFile { .. } => unreachable!("import states go to super::import"),
    };
    cx.close_prompt(None).await?;
    cx.end_dialogue().await?;
    cx.reply(done).await?;
    send_card(&cx, person_id).await
}

/// Sends a person's card with its buttons.
async fn send_card(cx: &Cx, person_id: i64) -> HandlerResult {
    let lang = cx.lang();
    let Some(row) = person::Entity::find_by_id(person_id).one(&cx.deps.db).await? else {
        return cx.reply(people(lang, PeopleText::PersonGone)).await;
    };
    let dash = |s: &str| if s.is_empty() { "—".to_owned() } else { s.to_owned() };
    let phone = row.phone.as_ref().map(|p| p.expose().clone()).unwrap_or_default();
    let mut text = people(
        lang,
        PeopleText::Card {
            name: &row.name,
            email: &dash(row.email.as_deref().unwrap_or("")),
            phone: &dash(&phone),
            username: &row.username.as_ref().map(|u| format!("@{u}")).unwrap_or_else(|| dash("")),
            department: &dash(&row.department),
            comment: &dash(&row.comment),
        },
    );
    let linked = match row.user_id {
        Some(id) => user::Entity::find_by_id(id).one(&cx.deps.db).await?.map(|u| (id, user_name(&u))),
        None => None,
    };
    text.push('\n');
    text.push_str(&match &linked {
        Some((id, shown)) => people(lang, PeopleText::LinkedTo { user: shown, id: *id }),
        None => people(lang, PeopleText::NotLinked),
    });
    let link = match row.user_id {
        Some(_) => button(people(lang, PeopleText::UnlinkButton), FilesPress::Unlink(row.id)),
        None => button(people(lang, PeopleText::LinkButton), FilesPress::Link(row.id)),
    };
    let markup = InlineKeyboardMarkup::new([
        [
            button(people(lang, PeopleText::EmailButton), FilesPress::Email(row.id)),
            button(people(lang, PeopleText::CommentButton), FilesPress::Comment(row.id)),
        ],
        [link, button(people(lang, PeopleText::DeleteButton), FilesPress::Delete(row.id))],
    ]);
    cx.reply_with(text, markup).await
}

async fn delete(cx: &Cx, row: &person::Model) -> HandlerResult {
    let lang = cx.lang();
    let name = row.name.as_str();
    match directory::delete(&cx.deps.db, row.id).await {
        Ok(_) => {
            cx.audit(Entry::new("person.delete", "person", row.id).detail(name.to_owned())).await?;
            cx.edit(people(lang, PeopleText::Deleted { name }), None).await
        }
        Err(PeopleError::HoldsDevices(n)) => {
            cx.answer(None).await?;
            cx.reply(people(lang, PeopleText::HoldsDevices { name, n })).await
        }
        Err(PeopleError::NoPerson(_)) => cx.answer(Some(people(lang, PeopleText::PersonGone))).await,
        Err(e) => Err(e.into()),
    }
}

/// People whose name or email contains the query, whose phone contains its digits (a query of
/// five digits or more), or whose linked user is among `users`.
async fn find_people(cx: &Cx, query: &str, users: &[user::Model]) -> anyhow::Result<Vec<person::Model>> {
    let db = &cx.deps.db;
    let needle = query.trim_start_matches('@').to_lowercase();
    let mut found = person::Entity::find()
        .filter(person::Column::Search.contains(needle.as_str()))
        .limit(LISTED as u64)
        .all(db)
        .await?;
    let digits: String = query.chars().filter(char::is_ascii_digit).collect();
    let phone_like = digits.len() >= 5 && query.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c));
    if phone_like {
        let with_phone = person::Entity::find().filter(person::Column::Phone.is_not_null()).all(db).await?;
        found.extend(with_phone.into_iter().filter(|p| {
            p.phone.as_ref().is_some_and(|phone| {
                phone.expose().chars().filter(char::is_ascii_digit).collect::<String>().contains(&digits)
            })
        }));
    }
    if !users.is_empty() {
        let linked =
            person::Entity::find().filter(person::Column::UserId.is_in(users.iter().map(|u| u.id))).all(db).await?;
        found.extend(linked);
    }
    found.sort_by_key(|p| p.id);
    found.dedup_by_key(|p| p.id);
    found.truncate(LISTED);
    Ok(found)
}

/// Telegram users whose name or username contains the query (in any case, in any script).
async fn find_users(cx: &Cx, query: &str) -> anyhow::Result<Vec<user::Model>> {
    let needle = query.trim_start_matches('@').to_lowercase();
    let all = user::Entity::find().all(&cx.deps.db).await?;
    let matches = |u: &user::Model| {
        [Some(u.first_name.as_str()), u.last_name.as_deref(), u.username.as_deref()]
            .into_iter()
            .flatten()
            .any(|s| s.to_lowercase().contains(&needle))
    };
    Ok(all.into_iter().filter(matches).take(LISTED).collect())
}

/// The user an admin means by `@username`, `username` or a numeric id.
async fn user_by_handle(cx: &Cx, handle: &str) -> anyhow::Result<Option<user::Model>> {
    let db = &cx.deps.db;
    if let Ok(id) = handle.parse::<i64>() {
        return Ok(user::Entity::find_by_id(id).one(db).await?);
    }
    let wanted = handle.trim_start_matches('@').to_lowercase();
    if wanted.is_empty() {
        return Ok(None);
    }
    let all = user::Entity::find().filter(user::Column::Username.is_not_null()).all(db).await?;
    Ok(all.into_iter().find(|u| u.username.as_deref().is_some_and(|n| n.to_lowercase() == wanted)))
}

/// How a Telegram user is named: first (and last) name, and `@username` when they have one.
fn user_name(u: &user::Model) -> String {
    let mut shown = u.first_name.clone();
    if let Some(last) = &u.last_name {
        shown.push(' ');
        shown.push_str(last);
    }
    if let Some(username) = &u.username {
        shown.push_str(&format!(" @{username}"));
    }
    shown
}

fn button(label: impl Into<String>, press: FilesPress) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label.into(), Press::Files(press).data())
}

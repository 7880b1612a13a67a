//! Registration and access: `/start`, optional phone verification, and the pending state until an
//! admin approves.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use shared::crypto::Encrypted;
use shared::entities::chat;
use shared::entities::user::{self, AccessStatus};
use shared::i18n::{Lang, Text, t};
use shared::tz::{self, Tz};
use teloxide::types::{ButtonRequest, KeyboardButton, KeyboardMarkup, ReplyMarkup, User};

use crate::cx::Cx;
use crate::{BotDeps, HandlerResult, admin};
use shared::audit::Entry;

/// What a Telegram user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Listed in `TELEOPS_ADMINS`: always allowed.
    Admin,
    Approved,
    Pending,
    Rejected,
    /// Never sent `/start`.
    Unregistered,
}

impl Access {
    pub fn allowed(self) -> bool {
        matches!(self, Access::Admin | Access::Approved)
    }

    pub fn is_admin(self) -> bool {
        self == Access::Admin
    }

    /// The one reply every command but /start and /help gets while not allowed.
    pub fn refusal(self, lang: Lang) -> String {
        match self {
            Access::Rejected => t(lang, Text::AccessRejectedBefore),
            Access::Unregistered => t(lang, Text::NotRegistered),
            _ => t(lang, Text::WaitingForApproval),
        }
    }
}

/// What the user may do, and the zone their times are shown in (theirs, else the default).
pub async fn of(deps: &BotDeps, user: &User) -> anyhow::Result<(Access, Tz)> {
    let id = user.id.0 as i64;
    let row = user::Entity::find_by_id(id).one(&deps.db).await?;
    let zone = row.as_ref().and_then(|u| u.time_zone.as_deref()).and_then(|z| tz::parse(z).ok());
    let access = match row.map(|u| u.status) {
        _ if deps.settings.is_admin(id) => Access::Admin,
        None => Access::Unregistered,
        Some(AccessStatus::Approved) => Access::Approved,
        Some(AccessStatus::Pending) => Access::Pending,
        Some(AccessStatus::Rejected) => Access::Rejected,
    };
    Ok((access, zone.unwrap_or(deps.settings.timezone)))
}

/// The core slice's dialogue: `/start` asked for the user's own contact (phone verification).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Waiting {
    Contact,
}

/// `/start`: records the user, asks for the phone where required, then welcomes them or files an
/// access request with the admins.
pub async fn start(cx: Cx, args: String) -> HandlerResult {
    let from = cx.message().and_then(|m| m.from.as_ref()).context("a command has a sender")?;
    let lang = cx.lang();
    // `t.me/<bot>?start=<parameter>`: a registered user goes straight where the link points.
    let registry = cx.deps.registry.clone();
    if cx.caller.access.allowed()
        && let Some((run, rest)) = registry.deep_link(args.trim())
    {
        return run(cx.clone(), rest).await;
    }
    let (row, created) = upsert_user(&cx.deps.db, from, initial_status(&cx.deps, from), cx.now).await?;
    if created {
        cx.audit(Entry::new("user.register", "user", row.id)).await?;
    }
    // The staff directory's person with this username is this user (equipment's people directory).
    if let Some(username) = &row.username
        && let Some(person) = shared::equipment::people::link_by_username(&cx.deps.db, row.id, username, cx.now).await?
    {
        cx.audit(Entry::new("person.link", "person", person).detail(format!("user {}", row.id))).await?;
    }
    if row.status != AccessStatus::Approved {
        crate::router::set_waiting_menu(&cx.bot, &cx.deps.registry, row.id, lang).await;
    }
    if cx.deps.settings.require_phone && row.phone.is_none() {
        cx.set_state(crate::core::NAME, &Waiting::Contact).await?;
        let button = KeyboardButton::new(t(lang, Text::SharePhoneButton)).request(ButtonRequest::Contact);
        let markup = ReplyMarkup::Keyboard(KeyboardMarkup::new([[button]]).resize_keyboard().one_time_keyboard());
        return cx.reply_with(t(lang, Text::AskPhone), markup).await;
    }
    after_registration(&cx, &row, created).await
}

/// Waits for the user's own contact; anything else gets a reply and the dialogue stays put.
pub async fn receive_contact(cx: Cx, _waiting: Waiting) -> HandlerResult {
    let lang = cx.lang();
    let msg = cx.message().context("a dialogue step has a message")?;
    let from = msg.from.as_ref().context("a dialogue step has a sender")?;
    let Some(contact) = msg.contact() else {
        return cx.reply(t(lang, Text::SendContactPlease)).await;
    };
    if contact.user_id != Some(from.id) || msg.forward_origin().is_some() {
        return cx.reply(t(lang, Text::NotOwnContact)).await;
    }
    let (row, _) = upsert_user(&cx.deps.db, from, initial_status(&cx.deps, from), cx.now).await?;
    let mut active = row.into_active_model();
    active.phone = Set(Some(Encrypted::new(normalize_phone(&contact.phone_number))?));
    let row = active.update(&cx.deps.db).await?;
    cx.audit(Entry::new("user.phone", "user", row.id)).await?;
    // The staff directory's person with this phone is this user (equipment's people directory).
    let phone = normalize_phone(&contact.phone_number);
    if let Some(person) = shared::equipment::people::link_by_phone(&cx.deps.db, row.id, &phone, cx.now).await? {
        cx.audit(Entry::new("person.link", "person", person).detail(format!("user {}", row.id))).await?;
    }
    cx.end_dialogue().await?;
    cx.reply_with(t(lang, Text::PhoneSaved), ReplyMarkup::kb_remove()).await?;
    // The access request (if any) is filed only now that the phone is verified.
    after_registration(&cx, &row, true).await
}

async fn after_registration(cx: &Cx, row: &user::Model, newly_complete: bool) -> HandlerResult {
    let (deps, lang) = (&cx.deps, cx.lang());
    let name = row.first_name.as_str();
    let text = match row.status {
        AccessStatus::Approved if newly_complete => t(lang, Text::Welcome { name }),
        AccessStatus::Approved => t(lang, Text::WelcomeBack { name }),
        AccessStatus::Rejected => t(lang, Text::AccessRejectedBefore),
        AccessStatus::Pending if !newly_complete => t(lang, Text::AccessStillPending),
        AccessStatus::Pending if deps.settings.admins.is_empty() => {
            tracing::warn!(user_id = row.id, "access request with no admin configured (TELEOPS_ADMINS)");
            t(lang, Text::RegistrationClosed)
        }
        AccessStatus::Pending => {
            admin::file_request(deps, row).await?;
            t(lang, Text::AccessRequested)
        }
    };
    cx.reply(text).await
}

fn initial_status(deps: &BotDeps, user: &User) -> AccessStatus {
    if deps.settings.open_registration || deps.settings.is_admin(user.id.0 as i64) {
        AccessStatus::Approved
    } else {
        AccessStatus::Pending
    }
}

/// Inserts or refreshes the user's names and language; returns the row and whether it is new.
async fn upsert_user(
    db: &DatabaseConnection,
    from: &User,
    status: AccessStatus,
    now: DateTime<Utc>,
) -> anyhow::Result<(user::Model, bool)> {
    let id = from.id.0 as i64;
    let lang = Lang::from_code(from.language_code.as_deref()).code().to_owned();
    match user::Entity::find_by_id(id).one(db).await? {
        Some(existing) => {
            let mut active = existing.into_active_model();
            active.first_name = Set(from.first_name.clone());
            active.last_name = Set(from.last_name.clone());
            active.username = Set(from.username.clone());
            active.language = Set(lang);
            // An admin added to TELEOPS_ADMINS later is approved on their next /start.
            if status == AccessStatus::Approved && active.status.as_ref() == &AccessStatus::Pending {
                active.status = Set(AccessStatus::Approved);
            }
            Ok((active.update(db).await?, false))
        }
        None => {
            let row = user::ActiveModel {
                id: Set(id),
                first_name: Set(from.first_name.clone()),
                last_name: Set(from.last_name.clone()),
                username: Set(from.username.clone()),
                language: Set(lang),
                phone: Set(None),
                status: Set(status),
                created_at: Set(now),
                decided_by: Set(None),
                decided_at: Set(None),
                time_zone: Set(None),
            }
            .insert(db)
            .await?;
            Ok((row, true))
        }
    }
}

/// A chat that writes again (any message or button) may be messaged again. A read first, so the
/// common case — a chat that never blocked the bot — costs no write.
pub async fn unblock_chat(db: &DatabaseConnection, chat_id: i64) -> anyhow::Result<()> {
    if chat::Entity::find_by_id(chat_id).one(db).await?.is_some() {
        chat::Entity::delete_by_id(chat_id).exec(db).await?;
        tracing::info!(chat_id, "a blocked chat wrote again; it is messaged again");
    }
    Ok(())
}

/// Phone numbers as digits with a leading `+`, the way Telegram sends them without it.
fn normalize_phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized() {
        assert_eq!(normalize_phone("79001234567"), "+79001234567");
        assert_eq!(normalize_phone("+1 (555) 010-9999"), "+15550109999");
    }

    #[test]
    fn only_admins_and_approved_are_allowed() {
        assert!(Access::Admin.allowed() && Access::Approved.allowed());
        assert!(!Access::Pending.allowed() && !Access::Rejected.allowed() && !Access::Unregistered.allowed());
        assert!(Access::Pending.refusal(Lang::En).contains("waiting"));
    }
}

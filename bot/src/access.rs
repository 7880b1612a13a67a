//! Registration and access: `/start`, optional phone verification, and the pending state until an
//! admin approves.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use shared::crypto::Encrypted;
use shared::entities::chat;
use shared::entities::user::{self, AccessStatus};
use shared::i18n::{Lang, Text, t};
use teloxide::prelude::*;
use teloxide::types::{ButtonRequest, KeyboardButton, KeyboardMarkup, ReplyMarkup, User};

use crate::{BotDeps, BotDialogue, HandlerResult, State, admin, reply};

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

pub async fn of(deps: &BotDeps, user: &User) -> anyhow::Result<Access> {
    let id = user.id.0 as i64;
    if deps.settings.is_admin(id) {
        return Ok(Access::Admin);
    }
    Ok(match user::Entity::find_by_id(id).one(&deps.db).await?.map(|u| u.status) {
        None => Access::Unregistered,
        Some(AccessStatus::Approved) => Access::Approved,
        Some(AccessStatus::Pending) => Access::Pending,
        Some(AccessStatus::Rejected) => Access::Rejected,
    })
}

/// `/start`: records the user, asks for the phone where required, then welcomes them or files an
/// access request with the admins.
pub async fn start(bot: &Bot, dialogue: &BotDialogue, msg: &Message, deps: &BotDeps) -> HandlerResult {
    let from = msg.from.as_ref().expect("filtered on from");
    let lang = Lang::from_code(from.language_code.as_deref());
    let (row, created) = upsert_user(&deps.db, from, initial_status(deps, from)).await?;
    unblock_chat(&deps.db, msg.chat.id.0).await?;
    if deps.settings.require_phone && row.phone.is_none() {
        dialogue.update(State::ReceiveContact).await.map_err(|e| anyhow::anyhow!(e))?;
        let button = KeyboardButton::new(t(lang, Text::SharePhoneButton)).request(ButtonRequest::Contact);
        let markup = ReplyMarkup::Keyboard(KeyboardMarkup::new([[button]]).resize_keyboard().one_time_keyboard());
        return reply::send(bot, deps, msg.chat.id, t(lang, Text::AskPhone), Some(markup)).await;
    }
    after_registration(bot, deps, msg.chat.id, &row, lang, created).await
}

/// Waits for the user's own contact; anything else gets a reply and the dialogue stays put.
pub async fn receive_contact(bot: Bot, dialogue: BotDialogue, msg: Message, deps: BotDeps) -> HandlerResult {
    let from = msg.from.as_ref().expect("filtered on from");
    let lang = Lang::from_code(from.language_code.as_deref());
    let Some(contact) = msg.contact() else {
        return reply::text(&bot, &deps, msg.chat.id, t(lang, Text::SendContactPlease)).await;
    };
    if contact.user_id != Some(from.id) || msg.forward_origin().is_some() {
        return reply::text(&bot, &deps, msg.chat.id, t(lang, Text::NotOwnContact)).await;
    }
    let (row, _) = upsert_user(&deps.db, from, initial_status(&deps, from)).await?;
    let mut active = row.into_active_model();
    active.phone = Set(Some(Encrypted::new(normalize_phone(&contact.phone_number))?));
    let row = active.update(&deps.db).await?;
    dialogue.exit().await.map_err(|e| anyhow::anyhow!(e))?;
    reply::send(&bot, &deps, msg.chat.id, t(lang, Text::PhoneSaved), Some(ReplyMarkup::kb_remove())).await?;
    // The access request (if any) is filed only now that the phone is verified.
    after_registration(&bot, &deps, msg.chat.id, &row, lang, true).await
}

async fn after_registration(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    row: &user::Model,
    lang: Lang,
    newly_complete: bool,
) -> HandlerResult {
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
    reply::text(bot, deps, chat, text).await
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
                created_at: Set(Utc::now()),
                decided_by: Set(None),
                decided_at: Set(None),
            }
            .insert(db)
            .await?;
            Ok((row, true))
        }
    }
}

/// A chat that writes again may be messaged again.
async fn unblock_chat(db: &DatabaseConnection, chat_id: i64) -> anyhow::Result<()> {
    chat::Entity::delete_by_id(chat_id).exec(db).await?;
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

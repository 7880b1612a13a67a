//! Admin work in the bot: access requests (filed to every admin with Approve/Reject buttons,
//! decided by a button press) and `/requests`, the list of pending ones.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use shared::entities::user::{self, AccessStatus};
use shared::i18n::{Lang, Text, t};
use shared::outbox::{self, Button};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use crate::{BotDeps, HandlerResult, reply};

/// A decision on an access request, carried in callback data as `access:approve:<user id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve(i64),
    Reject(i64),
}

impl Decision {
    pub fn parse(data: &str) -> Option<Self> {
        let rest = data.strip_prefix("access:")?;
        let (verb, id) = rest.split_once(':')?;
        let id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
        match verb {
            "approve" => Some(Decision::Approve(id)),
            "reject" => Some(Decision::Reject(id)),
            _ => None,
        }
    }

    pub fn data(self) -> String {
        match self {
            Decision::Approve(id) => format!("access:approve:{id}"),
            Decision::Reject(id) => format!("access:reject:{id}"),
        }
    }
}

/// Sends every admin the request with Approve/Reject buttons (through the outbox: the system
/// originates these messages).
pub async fn file_request(deps: &BotDeps, requester: &user::Model) -> anyhow::Result<()> {
    for admin in &deps.settings.admins {
        let lang = admin_lang(deps, *admin).await;
        let buttons = vec![vec![
            Button { text: t(lang, Text::ApproveButton), data: Decision::Approve(requester.id).data() },
            Button { text: t(lang, Text::RejectButton), data: Decision::Reject(requester.id).data() },
        ]];
        outbox::send(&deps.db, &deps.queue, *admin, request_text(lang, requester), Some(buttons)).await?;
    }
    tracing::info!(user_id = requester.id, n_admins = deps.settings.admins.len(), "access request filed");
    Ok(())
}

/// `/requests`: the oldest pending requests, each with its buttons.
pub async fn list_requests(bot: &Bot, deps: &BotDeps, chat: ChatId, lang: Lang) -> HandlerResult {
    const PAGE: u64 = 10;
    let pending = user::Entity::find().filter(user::Column::Status.eq(AccessStatus::Pending));
    let total = pending.clone().count(&deps.db).await?;
    if total == 0 {
        return reply::text(bot, deps, chat, t(lang, Text::NoPendingRequests)).await;
    }
    let rows = pending.order_by_asc(user::Column::CreatedAt).limit(PAGE).all(&deps.db).await?;
    reply::text(bot, deps, chat, t(lang, Text::PendingRequestsHeader { count: total as usize })).await?;
    for row in rows {
        let markup = InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback(t(lang, Text::ApproveButton), Decision::Approve(row.id).data()),
            InlineKeyboardButton::callback(t(lang, Text::RejectButton), Decision::Reject(row.id).data()),
        ]]);
        reply::send(bot, deps, chat, request_text(lang, &row), Some(ReplyMarkup::InlineKeyboard(markup))).await?;
    }
    Ok(())
}

/// A press on Approve or Reject.
pub async fn on_decision(bot: Bot, query: CallbackQuery, deps: BotDeps) -> HandlerResult {
    let lang = Lang::from_code(query.from.language_code.as_deref());
    let Some(decision) = query.data.as_deref().and_then(Decision::parse) else {
        bot.answer_callback_query(query.id.clone()).await?;
        return Ok(());
    };
    let admin_id = query.from.id.0 as i64;
    if !deps.settings.is_admin(admin_id) {
        bot.answer_callback_query(query.id.clone()).text(t(lang, Text::AdminsOnly)).await?;
        return Ok(());
    }
    let (user_id, status) = match decision {
        Decision::Approve(id) => (id, AccessStatus::Approved),
        Decision::Reject(id) => (id, AccessStatus::Rejected),
    };
    let Some(row) = user::Entity::find_by_id(user_id).one(&deps.db).await? else {
        bot.answer_callback_query(query.id.clone()).text(t(lang, Text::RequestAlreadyDecided)).await?;
        return Ok(());
    };
    if row.status != AccessStatus::Pending {
        bot.answer_callback_query(query.id.clone()).text(t(lang, Text::RequestAlreadyDecided)).await?;
        return Ok(());
    }
    let mut active = row.clone().into_active_model();
    active.status = Set(status);
    active.decided_by = Set(Some(admin_id));
    active.decided_at = Set(Some(Utc::now()));
    active.update(&deps.db).await?;
    tracing::info!(user_id, admin_id, ?status, "access request decided");

    let admin_name = query.from.first_name.as_str();
    let name = row.first_name.as_str();
    let summary = match status {
        AccessStatus::Approved => t(lang, Text::RequestApprovedBy { name, admin: admin_name }),
        _ => t(lang, Text::RequestRejectedBy { name, admin: admin_name }),
    };
    bot.answer_callback_query(query.id.clone()).text(summary.clone()).await?;
    if let Some(message) = query.message.as_ref() {
        deps.limiter.acquire(message.chat().id.0).await;
        if let Err(e) = bot.edit_message_text(message.chat().id, message.id(), summary).await {
            tracing::warn!(error.message = %e, "could not update the request message");
        }
    }
    let user_lang = Lang::from_code(Some(&row.language));
    let verdict = match status {
        AccessStatus::Approved => t(user_lang, Text::AccessApproved),
        _ => t(user_lang, Text::AccessRejected),
    };
    outbox::send(&deps.db, &deps.queue, row.id, verdict, None).await?;
    Ok(())
}

fn request_text(lang: Lang, row: &user::Model) -> String {
    let full_name = match &row.last_name {
        Some(last) => format!("{} {last}", row.first_name),
        None => row.first_name.clone(),
    };
    let username = row.username.as_ref().map(|u| format!("@{u}")).unwrap_or_else(|| "no username".into());
    let mut text = t(lang, Text::NewAccessRequest { name: &full_name, username: &username, user_id: row.id });
    if let Some(phone) = &row.phone {
        text.push_str(&format!(" {}", phone.expose()));
    }
    text
}

async fn admin_lang(deps: &BotDeps, admin: i64) -> Lang {
    match user::Entity::find_by_id(admin).one(&deps.db).await {
        Ok(Some(row)) => Lang::from_code(Some(&row.language)),
        _ => Lang::En,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_round_trip_and_reject_garbage() {
        for d in [Decision::Approve(42), Decision::Reject(7)] {
            assert_eq!(Decision::parse(&d.data()), Some(d));
        }
        for bad in ["", "access:", "access:approve:", "access:approve:-1", "access:delete:5", "other:approve:5"] {
            assert_eq!(Decision::parse(bad), None, "{bad}");
        }
    }
}

//! The access slice: access requests (filed to every admin with Approve/Reject buttons, decided
//! by a button press) and `/requests`, the list of pending ones.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use shared::entities::user::{self, AccessStatus};
use shared::i18n::{Lang, Text, t};
use shared::outbox::{self, Button};
use shared::tz::{self, Tz};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::cx::Cx;
use crate::slice::{Audience, Slice};
use crate::{BotDeps, HandlerResult, callback};
use shared::audit::Entry;

/// The slice's name: the prefix of its buttons.
pub const NAME: &str = "access";

pub fn slice() -> Slice {
    Slice::new(NAME)
        .command("requests", Audience::Admin, |l| t(l, Text::CmdRequests), list_requests)
        .callbacks(Audience::Admin, on_decision)
}

/// A decision on an access request, carried in callback data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    Approve(i64),
    Reject(i64),
}

impl Decision {
    pub fn data(self) -> String {
        callback::data(NAME, &self)
    }
}

/// Sends every admin the request with Approve/Reject buttons (through the outbox: the system
/// originates these messages).
pub async fn file_request(deps: &BotDeps, requester: &user::Model) -> anyhow::Result<()> {
    for admin in &deps.settings.admins {
        let (lang, zone) = admin_lang_and_zone(deps, *admin).await;
        let buttons = vec![vec![
            Button { text: t(lang, Text::ApproveButton), data: Decision::Approve(requester.id).data() },
            Button { text: t(lang, Text::RejectButton), data: Decision::Reject(requester.id).data() },
        ]];
        outbox::send(&deps.db, &deps.queue, *admin, request_text(lang, zone, requester), Some(buttons)).await?;
    }
    tracing::info!(user_id = requester.id, n_admins = deps.settings.admins.len(), "access request filed");
    Ok(())
}

/// `/requests`: the oldest pending requests, each with its buttons.
async fn list_requests(cx: Cx, _args: String) -> HandlerResult {
    const PAGE: u64 = 10;
    let (deps, lang) = (&cx.deps, cx.lang());
    let pending = user::Entity::find().filter(user::Column::Status.eq(AccessStatus::Pending));
    let total = pending.clone().count(&deps.db).await?;
    if total == 0 {
        return cx.reply(t(lang, Text::NoPendingRequests)).await;
    }
    let rows = pending.order_by_asc(user::Column::CreatedAt).limit(PAGE).all(&deps.db).await?;
    cx.reply(t(lang, Text::PendingRequestsHeader { count: total as usize })).await?;
    for row in rows {
        let markup = InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback(t(lang, Text::ApproveButton), Decision::Approve(row.id).data()),
            InlineKeyboardButton::callback(t(lang, Text::RejectButton), Decision::Reject(row.id).data()),
        ]]);
        cx.reply_with(request_text(lang, cx.caller.zone, &row), markup).await?;
    }
    Ok(())
}

/// A press on Approve or Reject (the router let only admins through).
async fn on_decision(cx: Cx, decision: Decision) -> HandlerResult {
    let (deps, lang) = (&cx.deps, cx.lang());
    let admin_id = cx.caller.user_id;
    let (user_id, status) = match decision {
        Decision::Approve(id) => (id, AccessStatus::Approved),
        Decision::Reject(id) => (id, AccessStatus::Rejected),
    };
    let Some(row) = user::Entity::find_by_id(user_id).one(&deps.db).await? else {
        return cx.answer(Some(t(lang, Text::RequestAlreadyDecided))).await;
    };
    if row.status != AccessStatus::Pending {
        return cx.answer(Some(t(lang, Text::RequestAlreadyDecided))).await;
    }
    let mut active = row.clone().into_active_model();
    active.status = Set(status);
    active.decided_by = Set(Some(admin_id));
    active.decided_at = Set(Some(cx.now));
    active.update(&deps.db).await?;
    tracing::info!(user_id, admin_id, ?status, "access request decided");
    let action = if status == AccessStatus::Approved { "access.approve" } else { "access.reject" };
    cx.audit(Entry::new(action, "user", user_id)).await?;

    let admin_name = cx.caller.first_name.as_str();
    let name = row.first_name.as_str();
    let summary = match status {
        AccessStatus::Approved => t(lang, Text::RequestApprovedBy { name, admin: admin_name }),
        _ => t(lang, Text::RequestRejectedBy { name, admin: admin_name }),
    };
    cx.answer(Some(summary.clone())).await?;
    if let Err(e) = cx.edit(summary, None).await {
        tracing::warn!(error.message = %e, "could not update the request message");
    }
    let user_lang = Lang::from_code(Some(&row.language));
    match status {
        AccessStatus::Approved => crate::router::clear_menu(&cx.bot, row.id).await,
        _ => crate::router::set_waiting_menu(&cx.bot, &deps.registry, row.id, user_lang).await,
    }
    let verdict = match status {
        AccessStatus::Approved => t(user_lang, Text::AccessApproved),
        _ => t(user_lang, Text::AccessRejected),
    };
    outbox::send(&deps.db, &deps.queue, row.id, verdict, None).await?;
    Ok(())
}

/// Who asks, and when, in the admin's language and zone.
fn request_text(lang: Lang, zone: Tz, row: &user::Model) -> String {
    let full_name = match &row.last_name {
        Some(last) => format!("{} {last}", row.first_name),
        None => row.first_name.clone(),
    };
    let username = row.username.as_ref().map(|u| format!("@{u}")).unwrap_or_else(|| t(lang, Text::NoUsername));
    let mut text = t(lang, Text::NewAccessRequest { name: &full_name, username: &username, user_id: row.id });
    if let Some(phone) = &row.phone {
        text.push_str(&format!(" {}", phone.expose()));
    }
    text.push(' ');
    text.push_str(&t(lang, Text::RequestedAt { at: &tz::minute(row.created_at, zone) }));
    text
}

/// An admin's language and zone, from their row if they have one.
async fn admin_lang_and_zone(deps: &BotDeps, admin: i64) -> (Lang, Tz) {
    match user::Entity::find_by_id(admin).one(&deps.db).await {
        Ok(Some(row)) => (
            Lang::from_code(Some(&row.language)),
            row.time_zone.as_deref().and_then(|z| tz::parse(z).ok()).unwrap_or(deps.settings.timezone),
        ),
        _ => (Lang::En, deps.settings.timezone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_round_trip_and_forgeries_do_not_decode() {
        for d in [Decision::Approve(42), Decision::Reject(i64::MAX)] {
            let data = d.data();
            let (slice, payload) = callback::split(&data).unwrap();
            assert_eq!(slice, NAME);
            assert_eq!(callback::decode::<Decision>(payload), Some(d));
        }
        for bad in ["", "approve:5", "Ag", "AAAAAAAAAAAA"] {
            assert_eq!(callback::decode::<Decision>(bad), None, "{bad}");
        }
    }
}

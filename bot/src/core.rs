//! The core slice: `/start` (registration, optional phone verification, and `t.me/<bot>?start=`
//! deep links into the slices), `/help`, `/cancel`, `/timezone`, and `/add`, the one entry point
//! for adding anything: each slice registers what it can add ([`crate::slice::Adder`]).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shared::audit::Entry;
use shared::entities::user;
use shared::i18n::{Text, t};
use shared::tz;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use crate::HandlerResult;
use crate::access;
use crate::cx::Cx;
use crate::slice::{Audience, Slice};

/// The slice's name: the owner tag of its dialogue state.
pub const NAME: &str = "core";

pub fn slice() -> Slice {
    Slice::new(NAME)
        .command("start", Audience::Everyone, |l| t(l, Text::CmdStart), access::start)
        .command("help", Audience::Everyone, |l| t(l, Text::CmdHelp), help)
        .command(CANCEL, Audience::Member, |l| t(l, Text::CmdCancel), cancel)
        .command("timezone", Audience::Member, |l| t(l, Text::CmdTimezone), timezone)
        .command("add", Audience::Member, |l| t(l, Text::CmdAdd), add)
        .callbacks(Audience::Member, on_press)
        .dialogue(Audience::Everyone, access::receive_contact)
}

/// The core's buttons. Sent with messages, so variants are only appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Press {
    /// An entry of the `/add` chooser, by its index among every slice's adders.
    Add(u8),
}

/// Whether the caller may use something meant for `audience` (the router has let them in as a
/// member already).
fn may(cx: &Cx, audience: Audience) -> bool {
    match audience {
        Audience::Everyone | Audience::Member => true,
        Audience::Admin => cx.caller.is_admin(),
        Audience::Developer => cx.deps.settings.is_developer(cx.caller.user_id),
    }
}

/// `/add`: the chooser of everything the caller may add (with one entry, that one at once);
/// `/add <args>` goes to the first entry whose one-message form the arguments are.
async fn add(cx: Cx, args: String) -> HandlerResult {
    let lang = cx.lang();
    let registry = cx.deps.registry.clone();
    let mine: Vec<(usize, &crate::slice::Adder)> =
        registry.adders().enumerate().filter(|(_, a)| may(&cx, a.audience)).collect();
    let args = args.trim();
    if !args.is_empty() {
        return match mine.iter().find(|(_, a)| (a.takes)(args)) {
            Some((_, adder)) => adder.run(cx.clone(), args.to_owned()).await,
            None => {
                let forms: Vec<String> = mine.iter().map(|(_, a)| (a.usage)(lang)).collect();
                cx.reply(t(lang, Text::AddUsage { forms: &forms.join("\n") })).await
            }
        };
    }
    match mine.as_slice() {
        [] => cx.reply(t(lang, Text::AddNothing)).await,
        [(_, only)] => only.run(cx.clone(), String::new()).await,
        many => {
            let buttons = many.iter().map(|(i, a)| {
                InlineKeyboardButton::callback((a.label)(lang), crate::callback::data(NAME, &Press::Add(*i as u8)))
            });
            cx.reply_with(t(lang, Text::AddWhat), InlineKeyboardMarkup::new([buttons])).await
        }
    }
}

async fn on_press(cx: Cx, press: Press) -> HandlerResult {
    let lang = cx.lang();
    match press {
        Press::Add(index) => {
            let registry = cx.deps.registry.clone();
            let Some(adder) = registry.adders().nth(usize::from(index)).filter(|a| may(&cx, a.audience)) else {
                return cx.answer(Some(t(lang, Text::ButtonExpired))).await;
            };
            cx.answer(None).await?;
            cx.edit(format!("{} {}", t(lang, Text::AddWhat), (adder.label)(lang)), None).await?;
            adder.run(cx.clone(), String::new()).await
        }
    }
}

/// `/help`: what the caller's role may use, from the registry of every slice.
async fn help(cx: Cx, _args: String) -> HandlerResult {
    let registry = cx.deps.registry.clone();
    let developer = cx.deps.settings.is_developer(cx.caller.user_id);
    cx.reply(crate::router::help(&registry, cx.lang(), cx.caller.access, developer)).await
}

/// `/timezone [name]`: shows the caller's zone, or sets it (an IANA name).
async fn timezone(cx: Cx, args: String) -> HandlerResult {
    let lang = cx.lang();
    if args.trim().is_empty() {
        let zone = cx.caller.zone;
        return cx.reply(t(lang, Text::TimezoneIs { zone: zone.name(), now: &tz::minute(cx.now, zone) })).await;
    }
    let zone = match tz::parse(&args) {
        Ok(zone) => zone,
        Err(tz::ZoneError::Unknown(name)) => {
            let problem = t(lang, Text::UnknownZone { name: &name });
            return cx.reply(t(lang, Text::TimezoneBad { problem: &problem })).await;
        }
    };
    let updated = user::Entity::update_many()
        .col_expr(user::Column::TimeZone, Expr::value(zone.name()))
        .filter(user::Column::Id.eq(cx.caller.user_id))
        .exec(&cx.deps.db)
        .await?;
    if updated.rows_affected == 0 {
        // Admins may never have sent /start: they have no row to keep a zone in.
        return cx.reply(t(lang, Text::NotRegistered)).await;
    }
    cx.audit(Entry::new("user.timezone", "user", cx.caller.user_id).detail(zone.name())).await?;
    cx.reply(t(lang, Text::TimezoneSet { zone: zone.name(), now: &tz::minute(cx.now, zone) })).await
}

/// `/cancel` leaves any dialogue in any state, before any access check (the router calls
/// [`leave_dialogue`] first); what reaches the command is a `/cancel` with nothing to leave.
pub const CANCEL: &str = "cancel";

async fn cancel(cx: Cx, _args: String) -> HandlerResult {
    cx.reply(t(cx.lang(), Text::NothingToCancel)).await
}

/// Ends the chat's dialogue, if there is one, and says so; false when there was none.
pub(crate) async fn leave_dialogue(cx: &Cx) -> anyhow::Result<bool> {
    if !cx.in_dialogue().await? {
        return Ok(false);
    }
    // The step's buttons go with the dialogue: a press on them could only say it has ended.
    cx.close_prompt(None).await?;
    cx.end_dialogue().await?;
    cx.reply_with(t(cx.lang(), Text::Cancelled), ReplyMarkup::kb_remove()).await?;
    Ok(true)
}

/// Registry for tests of the help text.
#[cfg(test)]
pub(crate) fn test_registry() -> crate::slice::Registry {
    crate::slice::Registry::new(vec![slice(), crate::admin::slice(), crate::monitoring::slice()]).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Access;
    use shared::i18n::Lang;

    #[test]
    fn help_lists_what_the_role_may_use() {
        let registry = test_registry();
        let help = |lang, access| crate::router::help(&registry, lang, access, false);
        let user = help(Lang::En, Access::Approved);
        assert!(user.contains("/start") && user.contains("/cancel") && user.contains("/watch"));
        assert!(!user.contains("/requests"));
        let admin = help(Lang::En, Access::Admin);
        assert!(admin.contains("/requests"));
        let pending = help(Lang::Ru, Access::Pending);
        assert!(pending.contains("/help") && pending.contains("одобрения"));
        assert!(!pending.contains("/watch") && !pending.contains("/cancel"));
    }
}

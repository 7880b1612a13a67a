//! The router: every update passes here. It resolves the caller's access once, applies the one
//! refusal per audience, hands the update to the slice that owns the command, button or dialogue,
//! and runs every handler under [`guard`], so an unexpected error is logged once and the user is
//! never left without an answer.

use std::time::Instant;

use shared::i18n::{Lang, Text, t};
use shared::ratelimit::CommandVerdict;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Me, Recipient, User};

use crate::access::{self, Access};
use crate::cx::{Caller, Cx, Stored};
use crate::slice::{Audience, Registry};
use crate::{BotDeps, HandlerResult, callback, reply};

/// The full update handler; needs `BotDeps` and the dialogue storage as dependencies.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
}

/// What the text of a message is to this bot.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// `/name args` (or `/name@this_bot args`).
    Command {
        name: String,
        args: &'a str,
    },
    /// `/name@other_bot`: addressed to another bot in a group.
    OtherBot,
    NotACommand,
}

/// Splits `/name@bot args`; names are case-insensitive, the bot's username too.
pub fn parse<'a>(text: &'a str, username: &str) -> Parsed<'a> {
    let Some(rest) = text.strip_prefix('/') else { return Parsed::NotACommand };
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (name, addressee) = match head.split_once('@') {
        Some((name, bot)) => (name, Some(bot)),
        None => (head, None),
    };
    if addressee.is_some_and(|bot| !bot.eq_ignore_ascii_case(username)) {
        return Parsed::OtherBot;
    }
    if name.is_empty() {
        return Parsed::NotACommand;
    }
    Parsed::Command { name: name.to_ascii_lowercase(), args: args.trim() }
}

async fn on_message(bot: Bot, msg: Message, me: Me, deps: BotDeps) -> HandlerResult {
    let Some(user) = msg.from.clone() else { return Ok(()) };
    let lang = Lang::from_code(user.language_code.as_deref());
    // A document's caption is its text: `/import` may come as the caption of the file it imports.
    let parsed = parse(msg.text().or(msg.caption()).unwrap_or(""), me.username());
    if speaks_for_others(&msg, &user) {
        // Anonymous admins, channels and Telegram itself share one identity across groups: a
        // command from them is answered with how to send it, anything else is ignored.
        if matches!(parsed, Parsed::Command { .. }) {
            reply::text(&bot, &deps, msg.chat.id, t(lang, Text::WriteAsYourself)).await?;
        }
        return Ok(());
    }
    // Group chatter is not addressed to the bot and is not counted; everything else is.
    let counted = matches!(parsed, Parsed::Command { .. }) || msg.chat.is_private();
    if parsed == Parsed::OtherBot || (counted && !within_rate_limit(&bot, &deps, &msg, &user).await) {
        return Ok(());
    }
    let chat = msg.chat.id;
    let registry = deps.registry.clone();
    let work = async {
        let caller = caller(&deps, &user, chat, msg.chat.is_group() || msg.chat.is_supergroup(), lang).await?;
        let cx = Cx::new(bot.clone(), deps.clone(), caller, Some(msg.clone()), None);
        match parsed {
            Parsed::Command { name, args } => command(cx, &registry, &name, args).await,
            _ => message(cx, &registry).await,
        }
    };
    if let Err(e) = work.await {
        tracing::error!(error.cause_chain = ?e, error.message = %e, chat_id = chat.0, "bot handler failed");
        let _ = reply::text(&bot, &deps, chat, t(lang, Text::InternalError)).await;
    }
    Ok(())
}

async fn command(cx: Cx, registry: &Registry, name: &str, args: &str) -> HandlerResult {
    let lang = cx.lang();
    if name == crate::core::CANCEL && crate::core::leave_dialogue(&cx).await? {
        return Ok(());
    }
    let Some(command) = registry.command(name) else { return cx.reply(t(lang, Text::UnknownCommand)).await };
    if let Some(refusal) = refusal(&cx, command.audience) {
        return cx.reply(refusal).await;
    }
    command.run(cx, args.to_owned()).await
}

/// Not a command: a step of the chat's dialogue, or a hint in a private chat.
async fn message(cx: Cx, registry: &Registry) -> HandlerResult {
    let lang = cx.lang();
    let stored = cx.dialogue.get().await?;
    let Some(Stored { slice, state, .. }) = stored else {
        // Chatter in groups is not addressed to the bot.
        return if cx.caller.in_group { Ok(()) } else { cx.reply(t(lang, Text::NotACommand)).await };
    };
    let Some((audience, run)) = registry.dialogue(&slice) else {
        cx.end_dialogue().await?;
        return cx.reply(t(lang, Text::DialogueExpired)).await;
    };
    if let Some(refusal) = refusal(&cx, audience) {
        return cx.reply(refusal).await;
    }
    match run(cx.clone(), state) {
        Some(step) => step.await,
        None => {
            cx.end_dialogue().await?;
            cx.reply(t(lang, Text::DialogueExpired)).await
        }
    }
}

async fn on_callback(bot: Bot, query: CallbackQuery, deps: BotDeps) -> HandlerResult {
    let registry = deps.registry.clone();
    let lang = Lang::from_code(query.from.language_code.as_deref());
    if SERVICE_ACCOUNTS.contains(&query.from.id.0) {
        bot.answer_callback_query(query.id.clone()).text(t(lang, Text::WriteAsYourself)).await?;
        return Ok(());
    }
    match throttle(&deps, &query.from) {
        CommandVerdict::Allow => {}
        verdict => {
            let mut answer = bot.answer_callback_query(query.id.clone());
            if verdict == CommandVerdict::SlowDown {
                answer = answer.text(t(lang, Text::SlowDown));
            }
            answer.await?;
            return Ok(());
        }
    }
    let (chat, in_group) = match query.message.as_ref() {
        Some(m) => (m.chat().id, !m.chat().is_private()),
        None => (ChatId(query.from.id.0 as i64), false),
    };
    let caller = match caller(&deps, &query.from, chat, in_group, lang).await {
        Ok(caller) => caller,
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, error.message = %e, chat_id = chat.0, "button handler failed");
            bot.answer_callback_query(query.id.clone()).text(t(lang, Text::InternalError)).await?;
            return Ok(());
        }
    };
    let cx = Cx::new(bot, deps, caller, None, Some(query.clone()));
    let work = async {
        let data = query.data.as_deref().unwrap_or("");
        let Some((slice, payload)) = callback::split(data) else {
            return cx.answer(Some(t(lang, Text::ButtonExpired))).await;
        };
        let Some((audience, run)) = registry.callbacks(slice) else {
            return cx.answer(Some(t(lang, Text::ButtonExpired))).await;
        };
        // An admin's button pressed by anyone else says so, whatever their own status.
        if audience == Audience::Admin && !cx.caller.is_admin() {
            return cx.answer(Some(t(lang, Text::AdminsOnly))).await;
        }
        if let Some(refusal) = refusal(&cx, audience) {
            return cx.answer(Some(refusal)).await;
        }
        match run(cx.clone(), payload.to_owned()) {
            Some(press) => press.await,
            None => {
                tracing::info!(data, user_id = cx.caller.user_id, "a button that does not decode");
                cx.answer(Some(t(lang, Text::ButtonExpired))).await
            }
        }
    };
    if let Err(e) = work.await {
        tracing::error!(error.cause_chain = ?e, error.message = %e, chat_id = chat.0, "button handler failed");
        if cx.was_answered() {
            let _ = cx.reply(t(lang, Text::InternalError)).await;
        } else {
            let _ = cx.answer(Some(t(lang, Text::InternalError))).await;
        }
    }
    if !cx.was_answered() {
        cx.answer(None).await?;
    }
    Ok(())
}

/// Telegram's shared service accounts: anonymous group admins (GroupAnonymousBot), channels
/// posting into groups (Channel_Bot) and Telegram's own service messages.
const SERVICE_ACCOUNTS: [u64; 3] = [1_087_968_824, 136_817_688, 777_000];

/// A message sent on behalf of a chat, or by a shared service account: its sender is not one
/// person, so it must not act as one.
fn speaks_for_others(msg: &Message, user: &User) -> bool {
    msg.sender_chat.is_some() || SERVICE_ACCOUNTS.contains(&user.id.0)
}

/// The one refusal for each audience the caller is not in; None when they may go on.
fn refusal(cx: &Cx, audience: Audience) -> Option<String> {
    let caller = &cx.caller;
    match audience {
        Audience::Everyone => None,
        Audience::Developer if !cx.deps.settings.is_developer(caller.user_id) => {
            Some(t(caller.lang, Text::UnknownCommand))
        }
        _ if !caller.access.allowed() => Some(caller.access.refusal(caller.lang)),
        Audience::Admin if !caller.is_admin() => Some(t(caller.lang, Text::AdminsOnly)),
        _ => None,
    }
}

/// Who is asking, resolved once per update; a chat that writes again is unblocked on the way.
async fn caller(deps: &BotDeps, user: &User, chat: ChatId, in_group: bool, lang: Lang) -> anyhow::Result<Caller> {
    access::unblock_chat(&deps.db, chat.0).await?;
    let (access, zone) = access::of(deps, user).await?;
    Ok(Caller { user_id: user.id.0 as i64, first_name: user.first_name.clone(), access, zone, chat, in_group, lang })
}

/// At most 20 commands, messages and presses a minute per user: the first one over gets one
/// polite reply, the rest are ignored until the minute has passed.
fn throttle(deps: &BotDeps, user: &User) -> CommandVerdict {
    deps.throttle.lock().expect("throttle lock").check(user.id.0 as i64, Instant::now())
}

async fn within_rate_limit(bot: &Bot, deps: &BotDeps, msg: &Message, user: &User) -> bool {
    match throttle(deps, user) {
        CommandVerdict::Allow => true,
        CommandVerdict::Ignore => false,
        CommandVerdict::SlowDown => {
            let lang = Lang::from_code(user.language_code.as_deref());
            if let Err(e) = reply::text(bot, deps, msg.chat.id, t(lang, Text::SlowDown)).await {
                tracing::warn!(error.message = %e, "could not send the slow-down reply");
            }
            false
        }
    }
}

/// The commands this user may use, in their language, slice by slice.
pub fn help(registry: &Registry, lang: Lang, access: Access, developer: bool) -> String {
    let mut out = t(lang, Text::HelpHeader);
    let line = |out: &mut String, name: &str, about: String| out.push_str(&format!("\n/{name} — {about}"));
    let visible = |a: Audience| a == Audience::Everyone || (access.allowed() && a == Audience::Member);
    for c in registry.commands().filter(|c| visible(c.audience)) {
        line(&mut out, c.name, (c.help)(lang));
    }
    if access.is_admin() {
        out.push_str(&format!("\n\n{}", t(lang, Text::HelpAdminHeader)));
        for c in registry.commands().filter(|c| c.audience == Audience::Admin) {
            line(&mut out, c.name, (c.help)(lang));
        }
    }
    if developer && access.allowed() {
        for c in registry.commands().filter(|c| c.audience == Audience::Developer) {
            line(&mut out, c.name, (c.help)(lang));
        }
    }
    if !access.allowed() {
        out.push_str(&format!("\n\n{}", access.refusal(lang)));
    }
    out
}

/// Sets the command menus: members' in English and Russian, admins' with the admin commands too.
/// Developer commands stay out of every menu.
pub async fn set_menus(bot: &Bot, registry: &Registry, settings: &shared::config::Settings) {
    let menu = |lang: Lang, admin: bool| -> Vec<BotCommand> {
        registry
            .commands()
            .filter(|c| {
                matches!(c.audience, Audience::Everyone | Audience::Member) || (admin && c.audience == Audience::Admin)
            })
            .map(|c| BotCommand::new(c.name, (c.help)(lang)))
            .collect()
    };
    for lang in [Lang::En, Lang::Ru] {
        let mut request = bot.set_my_commands(menu(lang, false));
        if lang != Lang::En {
            request = request.language_code(lang.code());
        }
        if let Err(e) = request.await {
            tracing::warn!(error.message = %e, lang = lang.code(), "could not set the command menu");
        }
        for admin in &settings.admins {
            let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(*admin)) };
            let mut request = bot.set_my_commands(menu(lang, true)).scope(scope);
            if lang != Lang::En {
                request = request.language_code(lang.code());
            }
            // An admin who never opened the bot has no chat yet; their menu is set next start.
            let _ = request.await;
        }
    }
}

/// The menu of someone who may not use the bot yet or any more (pending or rejected): `/start` and
/// `/help` only, in their language, scoped to their private chat so it replaces the members' menu
/// there. [`clear_menu`] takes it away on approval. A failure is logged: the refusal still
/// answers any other command.
pub async fn set_waiting_menu(bot: &Bot, registry: &Registry, user_id: i64, lang: Lang) {
    let commands: Vec<BotCommand> = registry
        .commands()
        .filter(|c| c.audience == Audience::Everyone)
        .map(|c| BotCommand::new(c.name, (c.help)(lang)))
        .collect();
    let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(user_id)) };
    if let Err(e) = bot.set_my_commands(commands).scope(scope).await {
        tracing::warn!(error.message = %e, user_id, "could not set the waiting user's menu");
    }
}

/// Removes the menu scoped to a user's private chat, so the members' menu shows again.
pub async fn clear_menu(bot: &Bot, user_id: i64) {
    let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(user_id)) };
    if let Err(e) = bot.delete_my_commands().scope(scope).await {
        tracing::warn!(error.message = %e, user_id, "could not remove the user's own menu");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(name: &str, args: &str) -> Parsed<'static> {
        Parsed::Command { name: name.to_owned(), args: Box::leak(args.to_owned().into_boxed_str()) }
    }

    #[test]
    fn commands_parse_with_and_without_the_bot_name() {
        assert_eq!(parse("/start", "teleops_bot"), cmd("start", ""));
        assert_eq!(parse("/help@teleops_bot", "teleops_bot"), cmd("help", ""));
        assert_eq!(parse("/HELP@Teleops_Bot", "teleops_bot"), cmd("help", ""));
        assert_eq!(parse("/help@other_bot", "teleops_bot"), Parsed::OtherBot);
        assert_eq!(parse("/watch https://x.org 5m", "b"), cmd("watch", "https://x.org 5m"));
        assert_eq!(parse("/watch\nhttps://x.org", "b"), cmd("watch", "https://x.org"));
        assert_eq!(parse("/notify_here 3", "b"), cmd("notify_here", "3"));
        assert_eq!(parse("hello", "b"), Parsed::NotACommand);
        assert_eq!(parse("/", "b"), Parsed::NotACommand);
    }
}

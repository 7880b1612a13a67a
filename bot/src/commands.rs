//! The command set, the per-user rate limit, `/help`, `/cancel` and the fallbacks.

use std::time::Instant;

use shared::i18n::{Lang, Text, t};
use shared::ratelimit::CommandVerdict;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};
use teloxide::utils::command::BotCommands;

use crate::access::{self, Access};
use crate::{BotDeps, BotDialogue, HandlerResult, State, admin, monitoring, reply};

/// Every command; help texts come from the message catalogue, in the user's language.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "snake_case")]
pub enum Command {
    /// Register, or show your status.
    Start,
    /// The commands you may use.
    Help,
    /// Stop the current dialogue.
    Cancel,
    /// Admins: access requests waiting for approval.
    Requests,
    /// Watch a site, host or port.
    Watch(String),
    /// Add a monitor step by step.
    Add,
    /// Stop watching.
    Unwatch(String),
    /// Your monitors.
    Monitors(String),
    /// A monitor's last results and uptime.
    Status(String),
    /// Hold a monitor's alerts for a while.
    Mute(String),
    /// In a group: send a monitor's alerts here too.
    NotifyHere(String),
    /// Show or change a monitor's options.
    Set(String),
    /// Admins: which networks monitors may probe.
    Probes(String),
}

impl Command {
    /// Who may use it.
    fn admin_only(&self) -> bool {
        matches!(self, Command::Requests | Command::Probes(_))
    }

    /// Answered before the user is approved.
    fn open_to_everyone(&self) -> bool {
        matches!(self, Command::Start | Command::Help)
    }

    fn describe(&self, lang: Lang) -> (&'static str, String) {
        match self {
            Command::Start => ("start", t(lang, Text::CmdStart)),
            Command::Help => ("help", t(lang, Text::CmdHelp)),
            Command::Cancel => ("cancel", t(lang, Text::CmdCancel)),
            Command::Requests => ("requests", t(lang, Text::CmdRequests)),
            Command::Watch(_) => ("watch", t(lang, Text::CmdWatch)),
            Command::Add => ("add", t(lang, Text::CmdAdd)),
            Command::Unwatch(_) => ("unwatch", t(lang, Text::CmdUnwatch)),
            Command::Monitors(_) => ("monitors", t(lang, Text::CmdMonitors)),
            Command::Status(_) => ("status", t(lang, Text::CmdStatus)),
            Command::Mute(_) => ("mute", t(lang, Text::CmdMute)),
            Command::NotifyHere(_) => ("notify_here", t(lang, Text::CmdNotifyHere)),
            Command::Set(_) => ("set", t(lang, Text::CmdSet)),
            Command::Probes(_) => ("probes", t(lang, Text::CmdProbes)),
        }
    }
}

const USER_COMMANDS: [Command; 11] = [
    Command::Start,
    Command::Help,
    Command::Watch(String::new()),
    Command::Add,
    Command::Monitors(String::new()),
    Command::Status(String::new()),
    Command::Mute(String::new()),
    Command::Set(String::new()),
    Command::Unwatch(String::new()),
    Command::NotifyHere(String::new()),
    Command::Cancel,
];
const ADMIN_COMMANDS: [Command; 2] = [Command::Requests, Command::Probes(String::new())];

/// At most 20 commands a minute per user: the first one over gets one polite reply, the rest
/// are ignored until the minute has passed.
pub async fn within_rate_limit(bot: Bot, msg: Message, deps: BotDeps) -> bool {
    let Some(user) = msg.from.as_ref() else { return false };
    if !msg.text().is_some_and(|text| text.starts_with('/')) {
        return true;
    }
    let verdict = deps.throttle.lock().expect("throttle lock").check(user.id.0 as i64, Instant::now());
    match verdict {
        CommandVerdict::Allow => true,
        CommandVerdict::Ignore => false,
        CommandVerdict::SlowDown => {
            let lang = Lang::from_code(user.language_code.as_deref());
            if let Err(e) = reply::text(&bot, &deps, msg.chat.id, t(lang, Text::SlowDown)).await {
                tracing::warn!(error.message = %e, "could not send the slow-down reply");
            }
            false
        }
    }
}

pub async fn on_command(bot: Bot, dialogue: BotDialogue, msg: Message, cmd: Command, deps: BotDeps) -> HandlerResult {
    guard(&bot, &deps, &msg, run_command(&bot, &dialogue, &msg, cmd, &deps)).await
}

async fn run_command(bot: &Bot, dialogue: &BotDialogue, msg: &Message, cmd: Command, deps: &BotDeps) -> HandlerResult {
    let user = msg.from.as_ref().expect("filtered on from");
    let lang = Lang::from_code(user.language_code.as_deref());
    let access = access::of(deps, user).await?;
    let in_dialogue = dialogue.get().await.map_err(|e| anyhow::anyhow!(e))?.is_some_and(|s| s != State::Start);
    match cmd {
        Command::Start => access::start(bot, dialogue, msg, deps).await,
        Command::Help => reply::text(bot, deps, msg.chat.id, help(lang, &access)).await,
        Command::Cancel if in_dialogue => {
            dialogue.exit().await.map_err(|e| anyhow::anyhow!(e))?;
            let markup = teloxide::types::ReplyMarkup::kb_remove();
            reply::send(bot, deps, msg.chat.id, t(lang, Text::Cancelled), Some(markup)).await
        }
        cmd if !access.allowed() && !cmd.open_to_everyone() => {
            reply::text(bot, deps, msg.chat.id, access.refusal(lang)).await
        }
        Command::Cancel => reply::text(bot, deps, msg.chat.id, t(lang, Text::NothingToCancel)).await,
        cmd if cmd.admin_only() && !deps.settings.is_admin(user.id.0 as i64) => {
            reply::text(bot, deps, msg.chat.id, t(lang, Text::AdminsOnly)).await
        }
        Command::Requests => admin::list_requests(bot, deps, msg.chat.id, lang).await,
        cmd => {
            let caller =
                monitoring::Caller { user_id: user.id.0 as i64, is_admin: access.is_admin(), chat: msg.chat.id, lang };
            match cmd {
                Command::Watch(args) => monitoring::watch(bot, deps, &caller, &args).await,
                Command::Add => monitoring::add::start(bot, deps, dialogue, &caller).await,
                Command::Unwatch(args) => monitoring::unwatch(bot, deps, &caller, &args).await,
                Command::Monitors(args) => monitoring::list(bot, deps, &caller, &args).await,
                Command::Status(args) => monitoring::status(bot, deps, &caller, &args).await,
                Command::Mute(args) => monitoring::mute(bot, deps, &caller, &args).await,
                Command::Set(args) => monitoring::settings::set(bot, deps, &caller, &args).await,
                Command::NotifyHere(args) => {
                    let in_group = msg.chat.is_group() || msg.chat.is_supergroup();
                    monitoring::notify_here(bot, deps, &caller, &args, in_group).await
                }
                Command::Probes(args) => monitoring::probes(bot, deps, &caller, &args).await,
                Command::Start | Command::Help | Command::Cancel | Command::Requests => unreachable!("handled above"),
            }
        }
    }
}

/// Anything that is not a known command: an unknown `/command` gets a hint to `/help`.
pub async fn on_other_message(bot: Bot, msg: Message, deps: BotDeps) -> HandlerResult {
    let user = msg.from.as_ref().expect("filtered on from");
    let lang = Lang::from_code(user.language_code.as_deref());
    let text = match msg.text() {
        Some(text) if text.starts_with('/') => t(lang, Text::UnknownCommand),
        _ if msg.chat.is_private() => t(lang, Text::NotACommand),
        // Chatter in groups is not addressed to the bot.
        _ => return Ok(()),
    };
    guard(&bot, &deps, &msg, reply::text(&bot, &deps, msg.chat.id, text)).await
}

/// The commands this user may use, in their language.
pub fn help(lang: Lang, access: &Access) -> String {
    let mut out = t(lang, Text::HelpHeader);
    let line = |out: &mut String, cmd: &Command| {
        let (name, about) = cmd.describe(lang);
        out.push_str(&format!("\n/{name} — {about}"));
    };
    for cmd in USER_COMMANDS.iter().filter(|c| access.allowed() || c.open_to_everyone()) {
        line(&mut out, cmd);
    }
    if access.is_admin() {
        out.push_str(&format!("\n\n{}", t(lang, Text::HelpAdminHeader)));
        for cmd in &ADMIN_COMMANDS {
            line(&mut out, cmd);
        }
    }
    if !access.allowed() {
        out.push_str(&format!("\n\n{}", access.refusal(lang)));
    }
    out
}

/// Runs a handler body; an unexpected error is logged once with its cause chain and the user gets
/// a generic reply instead of silence.
async fn guard(bot: &Bot, deps: &BotDeps, msg: &Message, work: impl Future<Output = HandlerResult>) -> HandlerResult {
    if let Err(e) = work.await {
        tracing::error!(error.cause_chain = ?e, error.message = %e, chat_id = msg.chat.id.0, "bot handler failed");
        let lang = Lang::from_code(msg.from.as_ref().and_then(|u| u.language_code.as_deref()));
        let _ = reply::text(bot, deps, msg.chat.id, t(lang, Text::InternalError)).await;
    }
    Ok(())
}

/// Sets the command menus: users' in English and Russian, admins' with the admin commands too.
pub async fn set_menus(bot: &Bot, settings: &shared::config::Settings) {
    let menu = |lang: Lang, cmds: &[Command]| -> Vec<BotCommand> {
        cmds.iter()
            .map(|c| {
                let (name, about) = c.describe(lang);
                BotCommand::new(name, about)
            })
            .collect()
    };
    let all: Vec<Command> = USER_COMMANDS.iter().chain(ADMIN_COMMANDS.iter()).cloned().collect();
    for lang in [Lang::En, Lang::Ru] {
        let mut request = bot.set_my_commands(menu(lang, &USER_COMMANDS));
        if lang != Lang::En {
            request = request.language_code(lang.code());
        }
        if let Err(e) = request.await {
            tracing::warn!(error.message = %e, lang = lang.code(), "could not set the command menu");
        }
        for admin in &settings.admins {
            let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(*admin)) };
            let mut request = bot.set_my_commands(menu(lang, &all)).scope(scope);
            if lang != Lang::En {
                request = request.language_code(lang.code());
            }
            // An admin who never opened the bot has no chat yet; their menu is set next start.
            let _ = request.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<Command> {
        Command::parse(text, "teleops_bot").ok()
    }

    #[test]
    fn commands_parse_with_and_without_the_bot_name() {
        assert_eq!(parse("/start"), Some(Command::Start));
        assert_eq!(parse("/help@teleops_bot"), Some(Command::Help));
        assert_eq!(parse("/requests"), Some(Command::Requests));
        assert_eq!(parse("/frobnicate"), None);
        assert_eq!(parse("/help@other_bot"), None);
        assert_eq!(parse("/watch https://x.org 5m"), Some(Command::Watch("https://x.org 5m".into())));
        assert_eq!(parse("/notify_here 3"), Some(Command::NotifyHere("3".into())));
        assert_eq!(parse("/monitors"), Some(Command::Monitors(String::new())));
    }

    #[test]
    fn help_lists_what_the_role_may_use() {
        let user = help(Lang::En, &Access::Approved);
        assert!(user.contains("/start") && user.contains("/cancel") && user.contains("/watch"));
        assert!(!user.contains("/requests"));
        let admin = help(Lang::En, &Access::Admin);
        assert!(admin.contains("/requests"));
        let pending = help(Lang::Ru, &Access::Pending);
        assert!(pending.contains("/help") && !pending.contains("/cancel") && pending.contains("одобрения"));
    }
}

//! The core slice: `/start` (registration, optional phone verification), `/help` and `/cancel`.

use shared::i18n::{Text, t};
use teloxide::types::ReplyMarkup;

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
        .dialogue(Audience::Everyone, access::receive_contact)
}

/// `/help`: what the caller's role may use, from the registry of every slice.
async fn help(cx: Cx, _args: String) -> HandlerResult {
    let registry = cx.deps.registry.clone();
    let developer = cx.deps.settings.is_developer(cx.caller.user_id);
    cx.reply(crate::router::help(&registry, cx.lang(), cx.caller.access, developer)).await
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

//! Replying to a user: every direct reply waits on the shared send limiter first, and sits out a
//! 429 rather than dropping the reply.

use teloxide::RequestError;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::types::ReplyMarkup;

use crate::BotDeps;

/// Sends `text` to `chat` within the rate limits.
pub async fn send(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    text: String,
    markup: Option<ReplyMarkup>,
) -> anyhow::Result<()> {
    for _ in 0..3 {
        deps.limiter.acquire(chat.0).await;
        let mut request = bot.send_message(chat, text.clone());
        if let Some(markup) = markup.clone() {
            request = request.reply_markup(markup);
        }
        match request.await {
            Ok(_) => return Ok(()),
            Err(RequestError::RetryAfter(wait)) => deps.limiter.pause_for(wait.duration()),
            Err(e) => return Err(anyhow::Error::new(e).context("replying to a user")),
        }
    }
    anyhow::bail!("telegram kept asking to retry later")
}

/// Sends plain text.
pub async fn text(bot: &Bot, deps: &BotDeps, chat: ChatId, text: String) -> anyhow::Result<()> {
    send(bot, deps, chat, text, None).await
}

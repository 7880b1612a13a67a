//! Replying to a user: every direct reply, edit, photo and document waits on the shared send
//! limiter first; a reply sits out a 429 rather than being dropped. Texts over Telegram's length limits are
//! shortened here (`shared::text::fit`) rather than refused.

use anyhow::Context as _;
use teloxide::RequestError;
use teloxide::payloads::{
    EditMessageReplyMarkupSetters, EditMessageTextSetters, SendDocumentSetters, SendMessageSetters, SendPhotoSetters,
};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, InputFile, MessageId, ReplyMarkup};

use crate::BotDeps;

/// Sends `text` to `chat` within the rate limits.
pub async fn send(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    text: String,
    markup: Option<ReplyMarkup>,
) -> anyhow::Result<()> {
    sent(bot, deps, chat, text, markup).await.map(drop)
}

/// [`send`], returning the id of the message sent (a dialogue's prompt, edited when its step ends).
pub async fn sent(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    text: String,
    markup: Option<ReplyMarkup>,
) -> anyhow::Result<MessageId> {
    let text = shared::text::fit(text);
    for _ in 0..3 {
        deps.limiter.acquire(chat.0).await;
        let mut request = bot.send_message(chat, text.clone());
        if let Some(markup) = markup.clone() {
            request = request.reply_markup(markup);
        }
        match request.await {
            Ok(message) => return Ok(message.id),
            Err(RequestError::RetryAfter(wait)) => deps.limiter.pause_for(wait.duration()).await,
            Err(e) => return Err(anyhow::Error::new(e).context("replying to a user")),
        }
    }
    anyhow::bail!("telegram kept asking to retry later")
}

/// Sends plain text.
pub async fn text(bot: &Bot, deps: &BotDeps, chat: ChatId, text: String) -> anyhow::Result<()> {
    send(bot, deps, chat, text, None).await
}

/// Replaces a message's text and inline keyboard, within the rate limits.
pub async fn edit_text(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    message: MessageId,
    text: String,
    markup: Option<InlineKeyboardMarkup>,
) -> anyhow::Result<()> {
    deps.limiter.acquire(chat.0).await;
    let mut request = bot.edit_message_text(chat, message, shared::text::fit(text));
    if let Some(markup) = markup {
        request = request.reply_markup(markup);
    }
    request.await.map(drop).or_else(not_modified).context("editing a message")
}

/// Replaces a message's inline keyboard, within the rate limits.
pub async fn edit_markup(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    message: MessageId,
    markup: InlineKeyboardMarkup,
) -> anyhow::Result<()> {
    deps.limiter.acquire(chat.0).await;
    bot.edit_message_reply_markup(chat, message)
        .reply_markup(markup)
        .await
        .map(drop)
        .or_else(not_modified)
        .context("editing a keyboard")
}

/// Sends a photo with a caption, within the rate limits.
pub async fn photo(bot: &Bot, deps: &BotDeps, chat: ChatId, photo: InputFile, caption: String) -> anyhow::Result<()> {
    deps.limiter.acquire(chat.0).await;
    bot.send_photo(chat, photo).caption(shared::text::fit_caption(caption)).await.context("sending a photo")?;
    Ok(())
}

/// Sends a document (a file the user downloads) with a caption, within the rate limits.
pub async fn document(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    document: InputFile,
    caption: String,
) -> anyhow::Result<()> {
    deps.limiter.acquire(chat.0).await;
    bot.send_document(chat, document)
        .caption(shared::text::fit_caption(caption))
        .await
        .context("sending a document")?;
    Ok(())
}

/// Telegram refuses an edit that changes nothing; for a redraw that is success.
fn not_modified(e: RequestError) -> Result<(), RequestError> {
    match e {
        RequestError::Api(teloxide::ApiError::MessageNotModified) => Ok(()),
        e => Err(e),
    }
}

//! `Cx`: what a slice's handler gets — who is asking and where, the time of the update from the
//! clock, and the ways to answer (reply, answer a button press, edit the pressed message, keep a
//! dialogue's state).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::i18n::Lang;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ReplyMarkup};

use crate::access::Access;
use crate::storage::Dialogue;
use crate::{BotDeps, HandlerResult, reply};

/// A user's dialogue state in a chat: which slice owns it and that slice's own typed state, as JSON.
/// Stored in the `dialogue_states` table, so it is an API boundary.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stored {
    pub slice: String,
    pub state: serde_json::Value,
    /// The message that asked for the current step (see [`Cx::ask`]): edited to what the step
    /// settled when it ends, and stripped of its buttons when the dialogue is cancelled, so no
    /// keyboard of a finished step stays live. None in states stored before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<i32>,
}

/// Who is asking, and where.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub first_name: String,
    pub access: Access,
    /// The zone the caller reads times in (`/timezone`, else `TELEOPS_TIMEZONE`).
    pub zone: shared::tz::Tz,
    pub chat: ChatId,
    /// A group or supergroup (not a private chat).
    pub in_group: bool,
    pub lang: Lang,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.access.is_admin()
    }
}

/// One update's context, handed to a slice's handler.
#[derive(Clone)]
pub struct Cx {
    pub bot: Bot,
    pub deps: BotDeps,
    pub caller: Caller,
    /// When the update was handled, from the clock (handlers never read the system time).
    pub now: DateTime<Utc>,
    pub(crate) dialogue: Dialogue,
    pub(crate) message: Option<Message>,
    pub(crate) query: Option<CallbackQuery>,
    answered: Arc<AtomicBool>,
}

impl Cx {
    pub(crate) fn new(
        bot: Bot,
        deps: BotDeps,
        caller: Caller,
        message: Option<Message>,
        query: Option<CallbackQuery>,
    ) -> Self {
        let now = deps.clock.now();
        let dialogue = Dialogue::new(deps.db.clone(), deps.clock.clone(), caller.chat.0, caller.user_id);
        Self { bot, deps, caller, now, dialogue, message, query, answered: Arc::new(AtomicBool::new(false)) }
    }

    /// The message that carried a command or a dialogue step.
    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// The lang of the caller.
    pub fn lang(&self) -> Lang {
        self.caller.lang
    }

    /// Sends `text` to the caller's chat.
    pub async fn reply(&self, text: String) -> HandlerResult {
        reply::send(&self.bot, &self.deps, self.caller.chat, text, None).await
    }

    /// Sends `text` with a keyboard.
    pub async fn reply_with(&self, text: String, markup: impl Into<ReplyMarkup>) -> HandlerResult {
        reply::send(&self.bot, &self.deps, self.caller.chat, text, Some(markup.into())).await
    }

    /// Answers the button press (a toast with `text`, or silently). A press is answered once;
    /// the router answers silently for a handler that did not.
    pub async fn answer(&self, text: Option<String>) -> HandlerResult {
        let Some(query) = &self.query else { return Ok(()) };
        if self.answered.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let mut request = self.bot.answer_callback_query(query.id.clone());
        if let Some(text) = text {
            request = request.text(text);
        }
        request.await?;
        Ok(())
    }

    /// Records an action of the caller's in the audit log.
    pub async fn audit(&self, entry: shared::audit::Entry) -> HandlerResult {
        shared::audit::record(&self.deps.db, shared::audit::Actor::telegram(self.caller.user_id), self.now, entry)
            .await?;
        Ok(())
    }

    pub(crate) fn was_answered(&self) -> bool {
        self.answered.load(Ordering::SeqCst)
    }

    /// The message whose button was pressed.
    pub fn pressed(&self) -> Option<MessageId> {
        self.query.as_ref().and_then(|q| q.message.as_ref()).map(|m| m.id())
    }

    /// Replaces the text (and keyboard) of the message whose button was pressed.
    pub async fn edit(&self, text: String, markup: Option<InlineKeyboardMarkup>) -> HandlerResult {
        let Some(id) = self.pressed() else { return Ok(()) };
        reply::edit_text(&self.bot, &self.deps, self.caller.chat, id, text, markup).await
    }

    /// Replaces only the keyboard of the message whose button was pressed.
    pub async fn edit_keyboard(&self, markup: InlineKeyboardMarkup) -> HandlerResult {
        let Some(id) = self.pressed() else { return Ok(()) };
        reply::edit_markup(&self.bot, &self.deps, self.caller.chat, id, markup).await
    }

    /// Makes `state` the chat's dialogue state, owned by `slice`.
    pub async fn set_state<S: Serialize>(&self, slice: &str, state: &S) -> HandlerResult {
        let stored = Stored { slice: slice.to_owned(), state: serde_json::to_value(state)?, prompt: None };
        Ok(self.dialogue.update(stored).await?)
    }

    /// Asks for a dialogue step: sends `text` (with `markup`'s buttons) and makes `state` the
    /// chat's dialogue state, owned by `slice`, with that message as the step's prompt.
    pub async fn ask<S: Serialize>(
        &self,
        slice: &str,
        state: &S,
        text: String,
        markup: Option<InlineKeyboardMarkup>,
    ) -> HandlerResult {
        let markup = markup.map(ReplyMarkup::InlineKeyboard);
        let prompt = reply::sent(&self.bot, &self.deps, self.caller.chat, text, markup).await?;
        let stored = Stored { slice: slice.to_owned(), state: serde_json::to_value(state)?, prompt: Some(prompt.0) };
        Ok(self.dialogue.update(stored).await?)
    }

    /// Closes the running step's prompt: edits it to `text` (what the step settled, without
    /// buttons), or with None only removes its buttons. The prompt may be too old to edit or
    /// deleted by the user; that is logged, never an error, since the dialogue goes on.
    pub async fn close_prompt(&self, text: Option<String>) -> HandlerResult {
        let Some(id) = self.dialogue.get().await?.and_then(|s| s.prompt) else { return Ok(()) };
        let (chat, id) = (self.caller.chat, MessageId(id));
        let edited = match text {
            Some(text) => reply::edit_text(&self.bot, &self.deps, chat, id, text, None).await,
            None => reply::edit_markup(&self.bot, &self.deps, chat, id, InlineKeyboardMarkup::default()).await,
        };
        if let Err(e) = edited {
            tracing::info!(chat_id = chat.0, message_id = id.0, error.message = %format!("{e:#}"), "prompt not edited");
        }
        Ok(())
    }

    /// The chat's dialogue state when `slice` owns it and it decodes as `S`.
    pub async fn state<S: DeserializeOwned>(&self, slice: &str) -> anyhow::Result<Option<S>> {
        let stored = self.dialogue.get().await?;
        Ok(stored.filter(|s| s.slice == slice).and_then(|s| serde_json::from_value(s.state).ok()))
    }

    /// Whether any slice has a dialogue going in this chat.
    pub async fn in_dialogue(&self) -> anyhow::Result<bool> {
        Ok(self.dialogue.get().await?.is_some())
    }

    /// Ends the chat's dialogue.
    pub async fn end_dialogue(&self) -> HandlerResult {
        Ok(self.dialogue.exit().await?)
    }
}

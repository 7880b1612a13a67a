//! (being built) The dev part of the equipment slice; see `super`.

use serde::{Deserialize, Serialize};

use crate::HandlerResult;
use crate::cx::Cx;
use crate::slice::Slice;

/// Adds this part's commands.
pub fn register(slice: Slice) -> Slice {
    slice
}

/// This part's dialogue state (none yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {}

pub async fn on_message(_cx: Cx, state: State) -> HandlerResult {
    match state {}
}

pub async fn on_press(cx: Cx, _press: shared::equipment::press::DevPress) -> HandlerResult {
    cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await
}

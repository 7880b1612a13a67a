//! (being built) The loans part of the equipment slice; see `super`.

use crate::slice::Slice;

/// Adds this part's commands.
pub fn register(slice: Slice) -> Slice {
    slice
}

pub async fn on_press(cx: crate::cx::Cx, _press: shared::equipment::press::DevicePress) -> crate::HandlerResult {
    cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::ButtonExpired))).await
}

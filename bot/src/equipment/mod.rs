//! The equipment slice in the bot: who has which device. [`loans`] takes, returns and keeps the
//! waitlists; [`catalog`] adds, lists, finds, shows and edits devices (and opens a device from a
//! `t.me/<bot>?start=dev_<id>` link); [`labels`] makes QR-code label sheets; [`files`] imports
//! and exports devices and staff lists and keeps the people directory; [`dev`] holds the hidden
//! developer commands. Slow work (parsing a file, rendering many labels) is a job.

use serde::{Deserialize, Serialize};
use shared::equipment::press::{DevicePress, Press};

use crate::HandlerResult;
use crate::cx::Cx;
use crate::slice::{Audience, Slice};

pub mod catalog;
pub mod dev;
pub mod files;
pub mod labels;
pub mod loans;

pub use shared::equipment::press::NAME;

/// The commands, buttons and dialogues of equipment.
pub fn slice() -> Slice {
    let slice = Slice::new(NAME);
    let slice = catalog::register(slice);
    let slice = loans::register(slice);
    let slice = labels::register(slice);
    let slice = files::register(slice);
    let slice = dev::register(slice);
    slice.callbacks(Audience::Member, on_press).dialogue(Audience::Member, on_message)
}

/// The slice's dialogue state, by the part that owns the dialogue. Stored, so variants are only
/// appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Catalog(catalog::State),
    Files(files::State),
    Dev(dev::State),
}

async fn on_press(cx: Cx, press: Press) -> HandlerResult {
    match press {
        Press::Device(
            p
            @ (DevicePress::Open(_) | DevicePress::History(_) | DevicePress::Page { .. } | DevicePress::Categories(_)),
        ) => catalog::on_press(cx, p).await,
        Press::Device(p) => loans::on_press(cx, p).await,
        Press::Edit(p) => catalog::on_edit(cx, p).await,
        Press::Files(p) => files::on_press(cx, p).await,
        Press::Dev(p) => dev::on_press(cx, p).await,
    }
}

async fn on_message(cx: Cx, state: State) -> HandlerResult {
    match state {
        State::Catalog(s) => catalog::on_message(cx, s).await,
        State::Files(s) => files::on_message(cx, s).await,
        State::Dev(s) => dev::on_message(cx, s).await,
    }
}

/// Stores `state` as the chat's dialogue, owned by this slice.
pub async fn set_state(cx: &Cx, state: State) -> HandlerResult {
    cx.set_state(NAME, &state).await
}

//! The files part of the equipment slice: `/import` of devices or a staff list from CSV or XLSX
//! and `/export` of every device ([`import`]). The handlers only record the import and enqueue
//! jobs; downloading, parsing, the dry-run report and applying are the worker's
//! (`worker::equipment::files`).

use serde::{Deserialize, Serialize};
use shared::entities::import::ImportKind;
use shared::equipment::press::FilesPress;
use shared::equipment::texts::files::{PeopleText, Text, people as people_t, t};

use crate::HandlerResult;
use crate::cx::Cx;
use crate::slice::{Audience, Slice};

pub mod import;
pub mod people;

/// Adds this part's commands.
pub fn register(slice: Slice) -> Slice {
    slice
        .command("import", Audience::Admin, |l| t(l, Text::CmdImport), import::import)
        .command("export", Audience::Admin, |l| t(l, Text::CmdExport), import::export)
        .command("users", Audience::Admin, |l| people_t(l, PeopleText::CmdUsers), people::users)
}

/// This part's dialogue state. Stored, so variants are only appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// `/import` was sent without a file: the next message should be it. `kind` as asked for
    /// (None: decided from the headers).
    ReceiveFile { kind: Option<ImportKind> },
    /// A person's card asked for their new email address.
    ReceiveEmail { person_id: i64 },
    /// A person's card asked for a comment.
    ReceiveComment { person_id: i64 },
    /// A person's card asked which Telegram user they are.
    ReceiveUser { person_id: i64 },
}

pub async fn on_message(cx: Cx, state: State) -> HandlerResult {
    match state {
        State::ReceiveFile { kind } => import::receive_file(cx, kind).await,
        s @ (State::ReceiveEmail { .. } | State::ReceiveComment { .. } | State::ReceiveUser { .. }) => {
            people::on_message(cx, s).await
        }
    }
}

pub async fn on_press(cx: Cx, press: FilesPress) -> HandlerResult {
    if !cx.caller.is_admin() {
        return cx.answer(Some(shared::i18n::t(cx.lang(), shared::i18n::Text::AdminsOnly))).await;
    }
    match press {
        FilesPress::Apply(id) => import::apply(cx, id).await,
        FilesPress::Drop(id) => import::drop(cx, id).await,
        p => people::on_press(cx, p).await,
    }
}

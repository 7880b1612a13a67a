//! The dialogue state: each variant is named for what it waits for.

/// Where a chat's conversation stands; stored as JSON, so it is an API boundary.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum State {
    #[default]
    Start,
    /// `/start` asked for the user's own contact (phone verification).
    ReceiveContact,
    /// `/add`: waiting for the kind of check (a button).
    AddPickKind,
    /// `/add`: waiting for the target, typed. The kind is stored as its word (`"http"`), as
    /// when it was a string.
    AddReceiveTarget { kind: shared::monitoring::target::CheckKind },
    /// `/add`: waiting for the interval (a button or a typed duration).
    AddPickInterval { target: String },
    /// `/add`: waiting for how many failures make DOWN (a button).
    AddPickThreshold { target: String, interval_secs: i64 },
}

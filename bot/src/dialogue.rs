//! The dialogue state: each variant is named for what it waits for.

/// Where a chat's conversation stands; stored as JSON, so it is an API boundary.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum State {
    #[default]
    Start,
    /// `/start` asked for the user's own contact (phone verification).
    ReceiveContact,
}

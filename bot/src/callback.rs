//! Callback data, shared with the workers (which send buttons in outbox messages): see
//! [`shared::callback`].

pub use shared::callback::*;

//! sea-orm entities: the tables the core owns. Each table's module documents its invariants.

pub mod chat;
pub mod dialogue;
pub mod lease;
pub mod outbox;
pub mod system_state;
pub mod user;

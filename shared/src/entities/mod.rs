//! sea-orm entities: the tables the core owns. Each table's module documents its invariants.

pub mod audit;
pub mod chat;
pub mod check_result;
pub mod check_rollup;
pub mod dialogue;
pub mod lease;
pub mod monitor;
pub mod outbox;
pub mod pending_alert;
pub mod probe_rule;
pub mod system_state;
pub mod user;

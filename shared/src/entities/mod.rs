//! sea-orm entities: the tables the core owns. Each table's module documents its invariants.

pub mod audit;
pub mod chat;
pub mod check_result;
pub mod check_rollup;
pub mod developer_attempt;
pub mod device;
pub mod device_wait;
pub mod dialogue;
pub mod import;
pub mod lease;
pub mod loan;
pub mod monitor;
pub mod outbox;
pub mod pending_alert;
pub mod person;
pub mod probe_rule;
pub mod reminder_log;
pub mod system_state;
pub mod user;

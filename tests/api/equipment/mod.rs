//! The equipment slice, end to end and against its database rules.

mod dev; // the hidden developer commands: the code and its lock, logs, export, purge and wipe
mod fake_files; // the fake Bot API takes and serves documents, as the import and export tests need
mod store; // taking, returning and the waitlist as database transactions

//! The equipment slice's pure rules, clock-free: when a holder is reminded of a device they have to
//! return and when the admins hear of an overdue one ([`calendar`]); a device's fields and state
//! ([`device`]), a person from a staff list ([`person`]), the columns and field errors both share
//! ([`field`]), reading a CSV or XLSX file into a dry-run import plan ([`import`]), what a dry
//! run keeps until Apply ([`dry_run`]) and writing devices out as files ([`export`]); a loan's due
//! date as a taker types it (`2026-12-24`, `24.12.2026`, `2w`: [`due`]); linking the people
//! directory to Telegram users ([`people`]) and lending ([`loans`]) on the database. The slice's
//! entities, bot commands and jobs build on these and live in their own crates' `equipment`
//! modules.

pub mod calendar;
pub mod devcode;
pub mod device;
pub mod dry_run;
pub mod due;
pub mod export;
pub mod field;
pub mod import;
pub mod jobs;
pub mod loans;
pub mod people;
pub mod person;
pub mod press;
pub mod purge;
pub mod texts;

#[cfg(test)]
mod tests;

//! The equipment slice's pure rules: a device's fields and state ([`device`]), a person from a
//! staff list ([`person`]), the columns and field errors both share ([`field`]), reading a CSV or
//! XLSX file into a dry-run import plan ([`import`]) and writing devices out as files ([`export`]).

pub mod device;
pub mod export;
pub mod field;
pub mod import;
pub mod person;

#[cfg(test)]
mod tests;

//! The equipment slice, end to end and against its database rules.

mod fake_files; // the fake Bot API takes and serves documents, as the import and export tests need
mod import;
mod people;
mod store; // taking, returning and the waitlist as database transactions // /import (a cp1251 file, dry run, Apply once, all or nothing) and /export read back unchanged // a staff list imported, linked by a shared contact, found and edited with /users

//! The equipment slice, end to end and against its database rules.

mod catalog; // adding, showing, listing, finding and editing devices through the bot
mod dev; // the hidden developer commands: the code and its lock, logs, export, purge and wipe
mod fake_files; // the fake Bot API takes and serves documents, as the import and export tests need
mod import; // /import (a cp1251 file, dry run, Apply once, all or nothing) and /export read back unchanged
mod labels; // /labels: the PDF sheet's QR codes decode to the devices' deep links
mod loans; // /take, /return, /mine and the waitlist through the fake Bot API, with a manual clock for holds
mod people; // staff lists, /users, linking people to Telegram users
mod reminders; // holders' daily digests at their local hour, the admins' overdue digest, with a moved clock
mod store; // taking, returning and the waitlist as database transactions

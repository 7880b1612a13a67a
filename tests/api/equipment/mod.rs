//! The equipment slice, end to end and against its database rules.

mod catalog; // adding, showing, listing, finding and editing devices through the bot
mod fake_files; // the fake Bot API takes and serves documents, as the import and export tests need
mod labels; // /labels: the PDF sheet's QR codes decode to the devices' deep links
mod store; // taking, returning and the waitlist as database transactions

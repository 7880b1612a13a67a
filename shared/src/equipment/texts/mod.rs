//! The equipment slice's catalogue, in English and Russian, one module per part of the slice so
//! each part's texts sit together: [`common`] (states, a device's title, dates), [`loans`]
//! (taking, returning, the waitlist), [`catalog`] (adding, cards, lists, search, editing, labels),
//! [`reminders`], [`files`] (import, export, the people directory) and [`dev`] (developer
//! commands). Every module follows `crate::i18n`: a `Text` enum and `t(lang, text)`, whose
//! `match` makes a missing translation a compile error.

pub mod catalog;
pub mod common;
pub mod dev;
pub mod files;
pub mod loans;
pub mod reminders;

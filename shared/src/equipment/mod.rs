//! Equipment rules, pure and clock-free: when a holder is reminded of a device they have to
//! return and when the admins hear of an overdue one ([`calendar`]). The slice's entities, bot
//! commands and jobs build on these and live in their own crates' `equipment` modules.

pub mod calendar;

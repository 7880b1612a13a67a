//! The monitoring slice in the worker: network probes ([`http`], [`tcp`], [`ping`]) and the check
//! job that runs a batch of them and turns outcomes into state and alerts ([`check`], [`alerting`]),
//! and keeping stored results bounded ([`results`]).

pub mod alerting;
pub mod check;
pub mod http;
pub mod ping;
pub mod probes;
pub mod results;
pub mod tcp;

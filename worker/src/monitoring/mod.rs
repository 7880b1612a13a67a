//! The monitoring slice in the worker: network probes ([`http`], [`tcp`], [`ping`]) and the check
//! job that runs them and turns outcomes into state and alerts.

pub mod check;
pub mod http;
pub mod ping;
pub mod results;
pub mod tcp;

//! Monitoring rules, pure and clock-free: what a target is ([`target`]), how often and when it is
//! checked ([`schedule`]), when a result becomes an alert ([`alerts`]), how results are summarized
//! ([`rollup`]) and which addresses may be probed ([`policy`]).

pub mod alerts;
pub mod model;
pub mod policy;
pub mod rollup;
pub mod schedule;
pub mod target;

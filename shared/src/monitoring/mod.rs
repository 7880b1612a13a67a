//! Monitoring rules, pure and clock-free: what a target is ([`target`]), how often and when it is
//! checked ([`schedule`]), when a result becomes an alert ([`alerts`]), how a failure's reason is
//! stored and put into words ([`reason`]), how results are summarized ([`rollup`]), which
//! addresses may be probed ([`policy`]) and the options a user may set ([`options`]), the slice's
//! job kinds ([`jobs`]) and its texts in English and Russian ([`texts`]).

pub mod alerts;
pub mod jobs;
pub mod model;
pub mod options;
pub mod policy;
pub mod reason;
pub mod rollup;
pub mod schedule;
pub mod target;
pub mod texts;

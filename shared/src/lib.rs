//! What every teleops role shares: settings, domain rules, job payloads, entities and the queue.
//!
//! Brief overview: [`config::Settings`] is read once at start. Domain rules ([`backoff`],
//! [`ratelimit`], [`i18n`]) are pure and take time as an argument or through [`clock::Clock`].
//! [`jobs`] defines the job kinds; [`queue::Queue`] enqueues them and feeds workers;
//! [`outbox::send`] is how the system originates a message. [`entities`] are the sea-orm tables.

pub mod audit;
pub mod backoff;
pub mod callback;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod docker;
pub mod dump;
pub mod duration;
pub mod entities;
pub mod equipment;
pub mod i18n;
pub mod jobs;
pub mod lease;
pub mod log_ring;
pub mod metrics;
pub mod monitoring;
pub mod outbox;
pub mod queue;
pub mod ratelimit;
pub mod telemetry;
pub mod text;
pub mod tz;

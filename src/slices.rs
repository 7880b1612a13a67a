//! The slices teleops runs, registered in one place: each entry names what the slice brings to
//! every role (its job kinds, bot commands, buttons and dialogue, worker handlers, scans and
//! schedules). The runtime derives its lists — queues to serve and show, scans to run, commands
//! for `/help` and the Telegram menus — from these entries only.
//!
//! Adding a slice: write its modules (`shared::<slice>`, `bot::<slice>`, `worker::<slice>`,
//! `scheduler::<slice>`, its migrations) and add one entry to [`all`].

use std::sync::Arc;

use shared::jobs::JobKind;

use crate::StartOptions;

/// What one slice brings to each role. A role that does not run ignores its part.
#[derive(Clone)]
pub struct Slice {
    pub name: &'static str,
    /// The job kinds the slice declares; the worker refuses handlers for undeclared kinds.
    pub jobs: &'static [JobKind],
    pub bot: Option<fn() -> bot::Slice>,
    pub worker: Option<worker::WorkerSlice>,
    pub scheduler: Option<scheduler::SchedulerSlice>,
}

/// Every slice, in `/help` order.
pub fn all(options: &StartOptions) -> Vec<Slice> {
    let heartbeat_cron = options.heartbeat_cron.clone();
    let icmp = options.icmp;
    vec![
        Slice {
            name: "core",
            jobs: shared::jobs::JOBS,
            bot: Some(bot::core::slice),
            worker: Some(Arc::new(worker::core::register)),
            scheduler: Some(Arc::new(move |r| scheduler::heartbeat::register(r, &heartbeat_cron))),
        },
        Slice { name: "access", jobs: &[], bot: Some(bot::admin::slice), worker: None, scheduler: None },
        Slice {
            name: "monitoring",
            jobs: shared::monitoring::jobs::JOBS,
            bot: Some(bot::monitoring::slice),
            worker: Some(Arc::new(move |r| worker::monitoring::register(r, icmp))),
            scheduler: Some(Arc::new(scheduler::monitoring::register)),
        },
        Slice {
            name: "equipment",
            jobs: shared::equipment::jobs::JOBS,
            bot: Some(bot::equipment::slice),
            worker: Some(Arc::new(worker::equipment::register)),
            scheduler: Some(Arc::new(scheduler::equipment::register)),
        },
    ]
}

/// Every queue the slices declare.
pub fn queues(slices: &[Slice]) -> Vec<&'static str> {
    slices.iter().flat_map(|s| s.jobs.iter().map(|k| k.queue)).collect()
}

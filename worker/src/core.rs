//! The core's job kinds bound to their handlers: the heartbeat, the queue purge ([`crate::heartbeat`])
//! and sending the outbox ([`crate::notify`]).

use shared::jobs::{Heartbeat, Notify, PurgeQueue};

use crate::registry::{Registry, Width};
use crate::{heartbeat, notify};

pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    let deps = r.deps().clone();
    let d = deps.clone();
    r.job::<Heartbeat, _, _>(Width::Default, move |job| heartbeat::record(job, d.clone()))?;
    let d = deps.clone();
    r.job::<PurgeQueue, _, _>(Width::One, move |job| heartbeat::purge(job, d.clone()))?;
    if deps.bot.is_some() {
        r.job::<Notify, _, _>(Width::Default, move |job| notify::send(job, deps.clone()))?;
    } else {
        tracing::info!("no bot token: notify jobs wait in their queue until a bot is configured");
    }
    Ok(())
}

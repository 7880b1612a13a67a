//! The monitoring slice in the worker: network probes ([`http`], [`tcp`], [`ping`]) and the check
//! job that runs a batch of them and turns outcomes into state and alerts ([`check`], [`alerting`]),
//! and keeping stored results bounded ([`results`]); [`register`] binds the slice's job kinds.

pub mod alerting;
pub mod check;
pub mod http;
pub mod ping;
pub mod probes;
pub mod results;
pub mod tcp;

use std::sync::Arc;

use shared::monitoring::jobs::{Check, FlushAlerts, MaintainResults};

use crate::registry::{Registry, Width};

/// Binds the slice's job kinds. The probes are the slice's own dependency: built here, from
/// `TELEOPS_CA_FILE`, and captured by the check handler. `icmp: false` runs as if ICMP sockets
/// were not permitted (tests).
pub fn register(r: &mut Registry, icmp: bool) -> anyhow::Result<()> {
    let extra_ca = match &r.settings().ca_file {
        Some(path) => {
            Some(std::fs::read(path).map_err(|e| anyhow::anyhow!("TELEOPS_CA_FILE {}: {e}", path.display()))?)
        }
        None => None,
    };
    let probes = Arc::new(probes::Probes::new(extra_ca.as_deref(), icmp)?);
    if !probes.pinger.available() {
        tracing::warn!("ICMP sockets are not permitted: ping monitors will show \"ICMP not permitted here\"");
    }
    let deps = r.deps().clone();
    // A check job is a batch whose probes run at once and mostly wait on the network.
    let (d, p) = (deps.clone(), probes);
    r.job::<Check, _, _>(Width::Times(4), move |job| check::run(job, d.clone(), p.clone()))?;
    let d = deps.clone();
    r.job::<FlushAlerts, _, _>(Width::Default, move |job| alerting::flush(job, d.clone()))?;
    r.job::<MaintainResults, _, _>(Width::One, move |job| results::maintain(job, deps.clone()))?;
    Ok(())
}

//! Lapsed waitlist holds: a device returned and held for the first in its line, who neither
//! claimed nor passed it in time, moves on to the next (`shared::equipment::loans::expire_holds`,
//! which also tells both through the outbox). The scheduler's `HoldScan` enqueues the job.

use std::sync::Arc;

use shared::equipment::jobs::ExpireHolds;
use shared::equipment::loans::{self, Rules};

use crate::registry::{Registry, Width};
use crate::{Deps, JobError};

/// Binds [`ExpireHolds`] to [`expire`], with the waitlist rules from the settings.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    let settings = r.settings();
    let rules = Rules { hold: settings.wishlist_hold, default_zone: settings.timezone };
    let deps = r.deps().clone();
    // One at a time: two runs would only race for the same rows.
    r.job::<ExpireHolds, _, _>(Width::One, move |job| expire(job, deps.clone(), rules))?;
    Ok(())
}

/// Moves on every hold lapsed by the clock's now.
pub async fn expire(_job: ExpireHolds, deps: Arc<Deps>, rules: Rules) -> Result<(), JobError> {
    // Only the database or the outbox can fail here: worth another attempt.
    let moved = loans::expire_holds(&deps.db, &deps.queue, rules, deps.clock.now())
        .await
        .map_err(|e| JobError::Transient(e.into()))?;
    if moved > 0 {
        tracing::info!(moved, "lapsed waitlist holds moved on");
    }
    Ok(())
}

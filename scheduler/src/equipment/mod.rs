//! The equipment slice in the scheduler: see the parts below. [`register`] binds them.

pub mod holds;
pub mod reminders;

use crate::registry::Registry;

/// Binds the slice's parts.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    r.scan(holds::HoldScan::new(r.db.clone()));
    reminders::register(r)?;
    Ok(())
}

//! The equipment slice in the worker: see the parts below. [`register`] binds them.

pub mod files;
pub mod holds;
pub mod reminders;

use crate::registry::Registry;

/// Binds the slice's parts.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    holds::register(r)?;
    reminders::register(r)?;
    files::register(r)?;
    Ok(())
}

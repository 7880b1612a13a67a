//! The equipment slice in the worker: see the parts below. [`register`] binds them.

pub mod holds;

use crate::registry::Registry;

/// Binds the slice's parts.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    holds::register(r)?;
    Ok(())
}

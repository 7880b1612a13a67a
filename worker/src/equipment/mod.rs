//! The equipment slice in the worker: see the parts below. [`register`] binds them.

use crate::registry::Registry;

/// Binds the slice's parts.
pub fn register(_r: &mut Registry) -> anyhow::Result<()> {
    Ok(())
}

//! The equipment slice in the worker: see the parts below. [`register`] binds them.

use crate::registry::Registry;

pub mod files;

/// Binds the slice's parts.
pub fn register(r: &mut Registry) -> anyhow::Result<()> {
    files::register(r)?;
    Ok(())
}

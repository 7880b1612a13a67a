//! (being built) The labels part of the equipment slice; see `super`.

use crate::slice::Slice;

/// Adds this part's commands.
pub fn register(slice: Slice) -> Slice {
    slice
}

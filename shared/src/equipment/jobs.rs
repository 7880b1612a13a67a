//! The equipment slice's job kinds.

use crate::jobs::JobKind;

/// The slice's job kinds, for the listings that must cover every queue.
pub const JOBS: &[JobKind] = &[];

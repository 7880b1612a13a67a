//! The catalog texts of the equipment slice (see `super`).

//! The dev texts of the equipment slice (see `super`).

//! The files texts of the equipment slice (see `super`).

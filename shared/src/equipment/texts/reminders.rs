//! The reminders texts of the equipment slice (see `super`).

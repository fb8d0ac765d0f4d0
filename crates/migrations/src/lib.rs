//! migrations crate.

//! records crate.

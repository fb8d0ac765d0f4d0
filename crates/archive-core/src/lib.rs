//! archive-core crate.

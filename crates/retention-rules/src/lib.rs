//! retention-rules crate.

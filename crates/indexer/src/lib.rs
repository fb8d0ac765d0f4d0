//! indexer crate.

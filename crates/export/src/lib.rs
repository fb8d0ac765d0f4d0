//! Kho exports: what leaves the archive for other tools and other archives.
//!
//! - [`parquet`]: the journal and the records as Parquet tables (`records`,
//!   `files`, `events`, `fixity_checks`, `dispositions`, `backups`), zstd
//!   compressed, partitioned by year where it helps, incremental by journal
//!   position. Column names are stable; `docs/parquet-schema.md` documents them.
//! - [`bagit`]: BagIt (RFC 8493) transfer packages with SHA-256 and SHA-512
//!   manifests, as a directory or a tar file.
//! - [`ocfl`]: an OCFL 1.1 storage root with one object per record.
//!
//! Every export writes to a temporary name beside its destination and renames it
//! at the end, so a failed or interrupted export leaves no partial output under
//! the destination name. Original bytes are streamed from the store and re-hashed
//! on the way out; a blob that no longer matches its name stops the export.

pub mod bagit;
pub mod destination;
pub mod digest;
pub mod error;
pub mod ocfl;
pub mod parquet;
pub mod selection;
pub mod table;

pub use error::{ExportError, Result};

/// Called with the number of bytes (or rows) done since the last call, for progress bars.
pub type Progress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// A progress callback that does nothing.
pub fn no_progress() -> Progress {
    std::sync::Arc::new(|_| {})
}

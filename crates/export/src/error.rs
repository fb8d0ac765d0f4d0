//! The error type of exports.

use std::path::PathBuf;

use archive_core::{ArchiveError, ErrorClass};

/// Errors of exports. Every variant says what to do; none leaves partial output
/// under the destination name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The archive failed (store unreachable, damaged manifest, unknown record…).
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The destination already holds something.
    #[error(
        "destination {} is not empty: choose a new or empty directory (nothing was written)",
        path.display()
    )]
    DestinationNotEmpty {
        /// The destination.
        path: PathBuf,
    },
    /// The destination exists and is not of the kind the export writes.
    #[error("destination {} already exists: choose a new file name (nothing was written)", path.display())]
    DestinationExists {
        /// The destination.
        path: PathBuf,
    },
    /// The destination cannot be created or written.
    #[error(
        "cannot write to {}: {source}; choose a writable destination (nothing was written)",
        path.display()
    )]
    DestinationUnwritable {
        /// The destination (or the first path that could not be created).
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Writing the export failed part way (disk full, I/O error).
    #[error("i/o error while {what}: {source}; the partial export was removed")]
    Io {
        /// What was being done.
        what: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The Parquet or Arrow writer refused the data.
    #[error("cannot write parquet table {table}: {detail}; the partial export was removed")]
    Parquet {
        /// Table name.
        table: String,
        /// What the writer said.
        detail: String,
    },
    /// A stored blob no longer matches what its manifest says.
    #[error(
        "record {record}, file {filename:?}: {detail}; run `kho verify` and `kho repair` (the partial export was removed)"
    )]
    Damaged {
        /// Record id.
        record: String,
        /// File name in the record.
        filename: String,
        /// What did not match.
        detail: String,
    },
    /// The request cannot be carried out as given.
    #[error("{0}")]
    InvalidInput(String),
    /// A background task failed (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ExportError {
    /// How the error should be reported (exit code, HTTP status).
    pub fn class(&self) -> ErrorClass {
        match self {
            ExportError::Archive(e) => e.class(),
            ExportError::DestinationNotEmpty { .. }
            | ExportError::DestinationExists { .. }
            | ExportError::DestinationUnwritable { .. }
            | ExportError::InvalidInput(_) => ErrorClass::Input,
            ExportError::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::StorageFull
                | std::io::ErrorKind::QuotaExceeded
                | std::io::ErrorKind::FileTooLarge
                | std::io::ErrorKind::PermissionDenied
                | std::io::ErrorKind::ReadOnlyFilesystem => ErrorClass::Unavailable,
                _ => ErrorClass::Internal,
            },
            ExportError::Damaged { .. } => ErrorClass::Damage,
            ExportError::Parquet { .. } | ExportError::Internal(_) => ErrorClass::Internal,
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        ExportError::Io {
            what: what.into(),
            source,
        }
    }
}

/// Result alias of exports.
pub type Result<T, E = ExportError> = std::result::Result<T, E>;

//! The error type of the archive core.

use std::path::PathBuf;

/// How an error should be reported to an operator: the CLI maps it to an exit code
/// and the HTTP API to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Stored data is damaged or inconsistent (exit code 1).
    Damage,
    /// The request or its input is wrong (exit code 2).
    Input,
    /// The store cannot be reached or refuses service (exit code 3).
    Unavailable,
    /// Another writer holds the store (exit code 4).
    Conflict,
    /// Anything else (exit code 5).
    Internal,
}

/// Errors of the archive core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The store URL or configuration cannot be used.
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// No store has been initialised at this location.
    #[error("no Kho store at {location}: run `kho init` first")]
    NotInitialised {
        /// Store location.
        location: String,
    },
    /// `kho init` on a location that already holds a store.
    #[error("a Kho store already exists at {location}")]
    AlreadyInitialised {
        /// Store location.
        location: String,
    },
    /// The store was written by a newer Kho.
    #[error("{object} has format version {found}, this Kho reads up to {supported}: upgrade Kho")]
    UnsupportedFormat {
        /// Object name.
        object: String,
        /// Version found.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// Another process holds the writer lease.
    #[error(
        "store is locked by another writer: {holder}; wait for it to finish (or, if it died, for the lease to expire at {expires_at})"
    )]
    LeaseHeld {
        /// Who holds it.
        holder: String,
        /// When the lease expires.
        expires_at: String,
    },
    /// A local input file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    InputFile {
        /// File path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The input is not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// Deposit metadata is invalid.
    #[error("invalid metadata:\n{}", problems.join("\n"))]
    InvalidMetadata {
        /// Every problem found, one per line, each starting with the field path.
        problems: Vec<String>,
    },
    /// The deposit was refused by a rule (e.g. secret documents).
    #[error("deposit refused: {0}")]
    Refused(String),
    /// No such record.
    #[error("no record {0}")]
    UnknownRecord(String),
    /// A deletion (disposition) was refused: a legal hold, unmet retention, or
    /// the dossier's state. Nothing was deleted.
    #[error("{message}")]
    DeletionRefused {
        /// The strongest reason.
        block: DeletionBlock,
        /// Every reason, for people.
        message: String,
    },
    /// The record was destroyed (or is being destroyed) by a disposition; its
    /// metadata and the decision are kept.
    #[error("{0}")]
    Disposed(String),
    /// Stored data failed a check.
    #[error("damaged object {object}: {detail}")]
    Damaged {
        /// Object name.
        object: String,
        /// What is wrong.
        detail: String,
    },
    /// A create-only write found a different object already there.
    #[error("object {0} already exists with different content")]
    Collision(String),
    /// The object store failed.
    #[error("store error on {object}: {source}")]
    Store {
        /// Object name (or operation).
        object: String,
        /// Cause.
        source: object_store::Error,
    },
    /// Local I/O failed.
    #[error("i/o error on {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A stored JSON object cannot be parsed.
    #[error("cannot parse {object}: {source}")]
    Json {
        /// Object name.
        object: String,
        /// Cause.
        source: serde_json::Error,
    },
    /// Internal invariant broken (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a deletion was refused, strongest first: a hold outweighs retention,
/// which outweighs the dossier's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeletionBlock {
    /// The dossier is open, has no rule, is in another disposition, or the
    /// disposition is not in a state that allows the step.
    State,
    /// Retention has not ended, or the dossier is permanent (transferred, never
    /// destroyed), or its conditional trigger is not recorded.
    Retention,
    /// A legal hold covers it.
    Held,
}

impl ArchiveError {
    /// The class of this error, for exit codes and HTTP statuses.
    pub fn class(&self) -> ErrorClass {
        use ArchiveError::*;
        match self {
            Damaged { .. } | Json { .. } | Collision(_) => ErrorClass::Damage,
            Config(_)
            | NotInitialised { .. }
            | AlreadyInitialised { .. }
            | UnsupportedFormat { .. }
            | InputFile { .. }
            | InvalidInput(_)
            | InvalidMetadata { .. }
            | Refused(_)
            | UnknownRecord(_)
            | DeletionRefused { .. }
            | Disposed(_) => ErrorClass::Input,
            LeaseHeld { .. } => ErrorClass::Conflict,
            Store { source, .. } => match source {
                object_store::Error::NotFound { .. } => ErrorClass::Damage,
                object_store::Error::InvalidPath { .. } => ErrorClass::Input,
                _ => ErrorClass::Unavailable,
            },
            Io { source, .. } => match source.kind() {
                std::io::ErrorKind::StorageFull
                | std::io::ErrorKind::QuotaExceeded
                | std::io::ErrorKind::FileTooLarge
                | std::io::ErrorKind::PermissionDenied
                | std::io::ErrorKind::ReadOnlyFilesystem
                | std::io::ErrorKind::NotADirectory
                | std::io::ErrorKind::NotFound => ErrorClass::Unavailable,
                _ => ErrorClass::Internal,
            },
            Internal(_) => ErrorClass::Internal,
        }
    }

    pub(crate) fn store(object: impl Into<String>, source: object_store::Error) -> Self {
        ArchiveError::Store {
            object: object.into(),
            source,
        }
    }

    pub(crate) fn json(object: impl Into<String>, source: serde_json::Error) -> Self {
        ArchiveError::Json {
            object: object.into(),
            source,
        }
    }
}

/// Result alias of the archive core.
pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

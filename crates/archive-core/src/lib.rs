//! Kho archive core: the content-addressed store of original records.
//!
//! Blobs are named by the BLAKE3 of their bytes and written create-only; record
//! manifests are immutable versions; a hash-chained journal commits every change
//! and is the only thing that makes a record visible. Everything else (search
//! index, exports) is derived from the store. See `ARCHITECTURE.md`.

pub mod archive;
pub mod backup;
pub mod blob;
pub mod canary;
pub mod dossier;
pub mod error;
pub mod format;
pub mod hash;
pub mod import;
pub mod journal;
pub mod layout;
pub mod lease;
pub mod model;
pub mod report;
pub mod retention;
pub mod rules;
pub mod scrub;
pub mod signing;
pub mod store;
pub mod verify;

pub use archive::{
    Archive, ArchiveOptions, DepositFile, DepositReceipt, DepositRequest, FileSource,
};
pub use error::{ArchiveError, DeletionBlock, ErrorClass, Result};
pub use hash::{BlobHash, Sha256Digest};
pub use model::{FileEntry, FileRole, RecordId, RecordManifest};
pub use store::Store;
/// The pure records-law model and retention rules, for callers of this crate.
pub use {records, retention_rules};

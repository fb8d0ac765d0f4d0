//! Stored objects: store descriptor, record manifests and their files.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::hash::{BlobHash, Sha256Digest};
use crate::layout::Encoding;

/// Format version written into every JSON object this build creates.
pub const FORMAT_VERSION: u32 = 1;

/// Time-ordered record identifier (UUIDv7). A document number is metadata, not an id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(uuid::Uuid);

impl RecordId {
    /// A new id ordered by creation time.
    pub fn new() -> Self {
        RecordId(uuid::Uuid::now_v7())
    }
}

impl Default for RecordId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

/// The text is not a record id.
#[derive(Debug, thiserror::Error)]
#[error("not a record id (expected a UUID such as 0192f3a0-7c1e-7d2a-9b1e-3f5c2a1b0c9d): {0:?}")]
pub struct BadRecordId(pub String);

impl FromStr for RecordId {
    type Err = BadRecordId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim())
            .map(RecordId)
            .map_err(|_| BadRecordId(s.to_string()))
    }
}

/// `kho.json`: identity and algorithms of a store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreDescriptor {
    /// Format version of the store layout.
    pub format_version: u32,
    /// Random store id.
    pub store_id: uuid::Uuid,
    /// When the store was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Content digest naming blobs.
    pub content_digest: String,
    /// Interchange digest kept beside it.
    pub interchange_digest: String,
    /// Digest of journal batch chaining.
    pub journal_chain_digest: String,
    /// Digest of checkpoint Merkle trees.
    pub checkpoint_digest: String,
    /// Every blob is re-hashed at least once in this many days.
    pub coverage_period_days: u32,
}

/// Role of a file within a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    /// The document itself (văn bản chính).
    Main,
    /// An attachment (phụ lục, tài liệu kèm theo).
    Attachment,
    /// A digitised copy of a paper original (bản số hoá).
    DigitisedCopy,
    /// A detached signature of another file.
    Signature,
}

/// One file of a record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Role in the record.
    pub role: FileRole,
    /// Original file name (NFC), for display and download only.
    pub filename: String,
    /// Media type identified from the bytes.
    pub media_type: String,
    /// Size of the original bytes.
    pub size: u64,
    /// BLAKE3 of the original bytes: the blob's name.
    pub blake3: BlobHash,
    /// SHA-256 of the original bytes.
    pub sha256: Sha256Digest,
    /// How the blob is stored.
    pub encoding: Encoding,
    /// Size of the stored object (differs from `size` when compressed).
    pub stored_size: u64,
}

/// One immutable version of a record: `records/<id>/v000001.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordManifest {
    /// Format version.
    pub format_version: u32,
    /// Record id.
    pub record_id: RecordId,
    /// Version number, from 1.
    pub version: u32,
    /// BLAKE3 of the previous version's bytes (none for version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<BlobHash>,
    /// When this version was written (system time, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who wrote it.
    pub actor: String,
    /// When the record was first received by the archive (system time, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Descriptive metadata (records-law fields).
    pub metadata: serde_json::Value,
    /// Files.
    pub files: Vec<FileEntry>,
    /// Signature checks made at deposit (preservation metadata with evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature_reports: Vec<crate::signing::FileSignatureReport>,
}

/// Checks that a stored object's format version is one this build reads.
pub(crate) fn check_format(object: &str, found: u32) -> crate::Result<()> {
    if found > FORMAT_VERSION || found == 0 {
        return Err(crate::ArchiveError::UnsupportedFormat {
            object: object.to_string(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    Ok(())
}

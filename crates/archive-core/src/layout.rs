//! Object names of a store (DESIGN §3). Every name a store holds is built here.

use object_store::path::Path;

use crate::hash::BlobHash;
use crate::model::RecordId;

/// Store descriptor.
pub const STORE_DESCRIPTOR: &str = "kho.json";
/// Writer lease.
pub const LEASE: &str = "lease.json";
/// Prefix of blobs.
pub const BLOBS: &str = "blobs/blake3";
/// Prefix of record manifests.
pub const RECORDS: &str = "records";
/// Prefix of journal batches.
pub const JOURNAL: &str = "journal";
/// Prefix of checkpoints.
pub const CHECKPOINTS: &str = "checkpoints";
/// Prefix of canary objects.
pub const CANARY: &str = "canary";
/// Prefix of in-flight uploads of large blobs (removed after publishing; leftovers are orphans).
pub const STAGING: &str = "staging";
/// Prefix of damaged blobs moved aside when a good copy replaces them.
pub const QUARANTINE: &str = "quarantine";

/// How a blob's bytes are stored.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Original bytes as they are.
    Identity,
    /// One zstd frame of the original bytes.
    Zstd,
}

impl Encoding {
    fn suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Zstd => ".zst",
        }
    }
}

/// `blobs/blake3/ab/cd/<hex>[.zst]`.
pub fn blob(hash: &BlobHash, encoding: Encoding) -> Path {
    let hex = hash.to_hex();
    Path::from(format!(
        "{BLOBS}/{}/{}/{hex}{}",
        &hex[..2],
        &hex[2..4],
        encoding.suffix()
    ))
}

/// Parses a blob object name back into its hash and encoding.
pub fn parse_blob(path: &Path) -> Option<(BlobHash, Encoding)> {
    let s = path.as_ref();
    let rest = s.strip_prefix(BLOBS)?.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let (a, b, name) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (hex, enc) = match name.strip_suffix(".zst") {
        Some(h) => (h, Encoding::Zstd),
        None => (name, Encoding::Identity),
    };
    if hex.len() != 64 || &hex[..2] != a || &hex[2..4] != b {
        return None;
    }
    Some((hex.parse().ok()?, enc))
}

/// `records/<id>/v000001.json`.
pub fn manifest(id: &RecordId, version: u32) -> Path {
    Path::from(format!("{RECORDS}/{id}/v{version:06}.json"))
}

/// Parses a manifest object name.
pub fn parse_manifest(path: &Path) -> Option<(RecordId, u32)> {
    let rest = path.as_ref().strip_prefix(RECORDS)?.strip_prefix('/')?;
    let (id, file) = rest.split_once('/')?;
    let v = file.strip_prefix('v')?.strip_suffix(".json")?;
    if v.len() != 6 {
        return None;
    }
    Some((id.parse().ok()?, v.parse().ok()?))
}

/// `journal/<20-digit seq>.json`.
pub fn journal_batch(seq: u64) -> Path {
    Path::from(format!("{JOURNAL}/{seq:020}.json"))
}

/// Parses a journal batch name.
pub fn parse_journal_batch(path: &Path) -> Option<u64> {
    let rest = path.as_ref().strip_prefix(JOURNAL)?.strip_prefix('/')?;
    let n = rest.strip_suffix(".json")?;
    if n.len() != 20 {
        return None;
    }
    n.parse().ok()
}

/// `checkpoints/<20-digit seq>.json`.
pub fn checkpoint(seq: u64) -> Path {
    Path::from(format!("{CHECKPOINTS}/{seq:020}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_names_round_trip() {
        let h = BlobHash::of(b"x");
        for enc in [Encoding::Identity, Encoding::Zstd] {
            let p = blob(&h, enc);
            assert_eq!(parse_blob(&p), Some((h, enc)));
        }
        assert_eq!(parse_blob(&Path::from("blobs/blake3/00/00/abc")), None);
    }

    #[test]
    fn journal_names_sort_in_sequence_order() {
        assert!(journal_batch(9).as_ref() < journal_batch(10).as_ref());
        assert_eq!(parse_journal_batch(&journal_batch(42)), Some(42));
    }
}

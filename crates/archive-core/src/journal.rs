//! The hash-chained journal of events (PREMIS-like) and its checkpoints.
//!
//! Each batch `journal/<seq>.json` holds events and the BLAKE3 of the previous
//! batch's exact bytes, so changing or removing a past batch breaks the chain at
//! a place `kho verify` names. Checkpoints hold a SHA-256 Merkle root (RFC 6962
//! tree hashing) over batch bytes, for external timestamping.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use time::OffsetDateTime;

use crate::error::{ArchiveError, Result};
use crate::hash::BlobHash;
use crate::layout;
use crate::model::{FORMAT_VERSION, check_format};
use crate::store::Store;

/// Outcome of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It worked / the check passed.
    Success,
    /// It failed / the check found damage.
    Failure,
    /// It worked with something to note.
    Warning,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Event id (UUIDv7).
    pub id: uuid::Uuid,
    /// When it happened (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Who did it (account name, or `system`).
    pub actor: String,
    /// Event type, e.g. `record.deposited`, `fixity.checked`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Object concerned (record id, blob hash, store id…).
    pub object: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Type-specific detail.
    #[serde(default)]
    pub detail: serde_json::Value,
}

impl Event {
    /// A new event happening now.
    pub fn new(
        actor: &str,
        kind: &str,
        object: impl Into<String>,
        outcome: Outcome,
        detail: serde_json::Value,
    ) -> Self {
        Event {
            id: uuid::Uuid::now_v7(),
            time: OffsetDateTime::now_utc(),
            actor: actor.to_string(),
            kind: kind.to_string(),
            object: object.into(),
            outcome,
            detail,
        }
    }
}

/// One journal batch as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    /// Format version.
    pub format_version: u32,
    /// Sequence number, from 1, without gaps.
    pub seq: u64,
    /// BLAKE3 of the previous batch's bytes; none for batch 1.
    pub prev: Option<BlobHash>,
    /// Events.
    pub events: Vec<Event>,
}

/// A batch read back with its exact bytes' digests.
#[derive(Debug, Clone)]
pub struct ReadBatch {
    /// The parsed batch.
    pub batch: Batch,
    /// BLAKE3 of its bytes (the next batch's `prev`).
    pub blake3: BlobHash,
    /// RFC 6962 leaf hash of its bytes (for checkpoints).
    pub leaf: [u8; 32],
}

/// A break in the journal found while reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// Object name.
    pub object: String,
    /// What is wrong.
    pub detail: String,
}

/// Everything read from the journal: the intact prefix and any problems after it.
#[derive(Debug, Default)]
pub struct JournalRead {
    /// Batches in order, up to the first break.
    pub batches: Vec<ReadBatch>,
    /// Problems found (chain breaks, gaps, unparsable batches).
    pub problems: Vec<ChainProblem>,
    /// Highest batch number present in the store (even after a break).
    pub last_present: u64,
}

fn leaf_hash(bytes: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update([0u8]);
    h.update(bytes);
    h.finalize().into()
}

/// RFC 6962 Merkle tree hash over leaf hashes.
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha2::Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            let (l, r) = leaves.split_at(k);
            let mut h = sha2::Sha256::new();
            h.update([1u8]);
            h.update(merkle_root(l));
            h.update(merkle_root(r));
            h.finalize().into()
        }
    }
}

/// Reads and checks the whole journal.
pub async fn read_all(store: &Store) -> Result<JournalRead> {
    let listed = store.list(layout::JOURNAL).await?;
    let mut out = JournalRead::default();
    let mut seqs = Vec::with_capacity(listed.len());
    for m in &listed {
        match layout::parse_journal_batch(&m.location) {
            Some(seq) => seqs.push(seq),
            None => {
                if !m.location.as_ref().contains('#') {
                    out.problems.push(ChainProblem {
                        object: m.location.to_string(),
                        detail: "unexpected object in journal/".into(),
                    });
                }
            }
        }
    }
    seqs.sort_unstable();
    out.last_present = seqs.last().copied().unwrap_or(0);
    let fetched = futures::stream::iter(seqs.iter().copied())
        .map(|seq| async move {
            let path = layout::journal_batch(seq);
            store.get(&path).await.map(|b| (seq, b))
        })
        .buffered(16);
    let fetched: Vec<(u64, Bytes)> = fetched.try_collect().await?;
    let mut prev: Option<BlobHash> = None;
    for (expect_seq, (seq, bytes)) in (1u64..).zip(fetched) {
        let name = layout::journal_batch(seq).to_string();
        if seq != expect_seq {
            out.problems.push(ChainProblem {
                object: layout::journal_batch(expect_seq).to_string(),
                detail: format!("journal batch {expect_seq} is missing (next present is {seq})"),
            });
            break;
        }
        let batch: Batch = match serde_json::from_slice(&bytes) {
            Ok(b) => b,
            Err(e) => {
                out.problems.push(ChainProblem {
                    object: name,
                    detail: format!("cannot parse journal batch: {e}"),
                });
                break;
            }
        };
        check_format(&name, batch.format_version)?;
        if batch.seq != seq {
            out.problems.push(ChainProblem {
                object: name,
                detail: format!("batch says seq {} but is stored as {seq}", batch.seq),
            });
            break;
        }
        if batch.prev != prev {
            out.problems.push(ChainProblem {
                object: name,
                detail: format!(
                    "chain broken: prev is {} but the previous batch hashes to {}",
                    batch
                        .prev
                        .map(|h| h.to_hex())
                        .unwrap_or_else(|| "none".into()),
                    prev.map(|h| h.to_hex()).unwrap_or_else(|| "none".into())
                ),
            });
            break;
        }
        let blake3 = BlobHash::of(&bytes);
        prev = Some(blake3);
        out.batches.push(ReadBatch {
            batch,
            blake3,
            leaf: leaf_hash(&bytes),
        });
    }
    Ok(out)
}

/// Appends batches after a known head. Only the lease holder appends.
#[derive(Debug)]
pub struct JournalWriter {
    next_seq: u64,
    prev: Option<BlobHash>,
    leaves: Vec<[u8; 32]>,
}

impl JournalWriter {
    /// Continues after the batches read.
    pub fn after(read: &JournalRead) -> Self {
        JournalWriter {
            next_seq: read.batches.len() as u64 + 1,
            prev: read.batches.last().map(|b| b.blake3),
            leaves: read.batches.iter().map(|b| b.leaf).collect(),
        }
    }

    /// Sequence number of the last batch written (0 when none).
    pub fn head(&self) -> u64 {
        self.next_seq - 1
    }

    /// Writes one batch of events; returns its sequence number.
    pub async fn append(&mut self, store: &Store, events: Vec<Event>) -> Result<u64> {
        let seq = self.next_seq;
        let batch = Batch {
            format_version: FORMAT_VERSION,
            seq,
            prev: self.prev,
            events,
        };
        let bytes = Bytes::from(
            serde_json::to_vec(&batch).map_err(|e| ArchiveError::Internal(e.to_string()))?,
        );
        let path = layout::journal_batch(seq);
        store.put_create(&path, bytes.clone()).await.map_err(|e| match e {
            ArchiveError::Collision(_) => ArchiveError::Damaged {
                object: path.to_string(),
                detail: "another writer appended to the journal at the same position; the store has two writers".into(),
            },
            other => other,
        })?;
        self.prev = Some(BlobHash::of(&bytes));
        self.leaves.push(leaf_hash(&bytes));
        self.next_seq += 1;
        Ok(seq)
    }

    /// Writes a checkpoint over every batch so far; returns its root.
    pub async fn checkpoint(&self, store: &Store) -> Result<Option<Checkpoint>> {
        let seq = self.head();
        if seq == 0 {
            return Ok(None);
        }
        let cp = Checkpoint {
            format_version: FORMAT_VERSION,
            seq,
            tree: "rfc6962-sha256".into(),
            root: hex::encode(merkle_root(&self.leaves)),
            created_at: OffsetDateTime::now_utc(),
        };
        let bytes =
            serde_json::to_vec_pretty(&cp).map_err(|e| ArchiveError::Internal(e.to_string()))?;
        let path = layout::checkpoint(seq);
        match store.put_create(&path, Bytes::from(bytes)).await {
            // A checkpoint at this position exists already (same tree, earlier time).
            Ok(()) | Err(ArchiveError::Collision(_)) => Ok(Some(cp)),
            Err(e) => Err(e),
        }
    }
}

/// `checkpoints/<seq>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version.
    pub format_version: u32,
    /// Last batch covered.
    pub seq: u64,
    /// Tree hashing scheme.
    pub tree: String,
    /// Merkle root, hex.
    pub root: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Checks every stored checkpoint against the batches read.
pub async fn verify_checkpoints(store: &Store, read: &JournalRead) -> Result<Vec<ChainProblem>> {
    let mut problems = Vec::new();
    let leaves: Vec<[u8; 32]> = read.batches.iter().map(|b| b.leaf).collect();
    for m in store.list(layout::CHECKPOINTS).await? {
        let name = m.location.to_string();
        let bytes = store.get(&m.location).await?;
        let cp: Checkpoint = match serde_json::from_slice(&bytes) {
            Ok(c) => c,
            Err(e) => {
                problems.push(ChainProblem {
                    object: name,
                    detail: format!("cannot parse checkpoint: {e}"),
                });
                continue;
            }
        };
        if cp.seq as usize > leaves.len() {
            problems.push(ChainProblem {
                object: name,
                detail: format!(
                    "checkpoint covers batch {} but the intact journal ends at {}",
                    cp.seq,
                    leaves.len()
                ),
            });
            continue;
        }
        let root = hex::encode(merkle_root(&leaves[..cp.seq as usize]));
        if root != cp.root {
            problems.push(ChainProblem {
                object: name,
                detail: format!(
                    "Merkle root {} does not match the journal ({root})",
                    cp.root
                ),
            });
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_root_follows_rfc6962_shape() {
        let l: Vec<[u8; 32]> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
        // Root of 5 leaves = H(1 || root(first 4) || leaf 5).
        let mut h = sha2::Sha256::new();
        h.update([1u8]);
        h.update(merkle_root(&l[..4]));
        h.update(l[4]);
        let expect: [u8; 32] = h.finalize().into();
        assert_eq!(merkle_root(&l), expect);
        assert_ne!(merkle_root(&l[..4]), merkle_root(&l[..3]));
    }
}

//! Backups: copies of the store on other object stores (DESIGN §9).
//!
//! A target holds the same object names as the primary (`kho.json`, `canary/`,
//! `blobs/`, `records/`, `journal/`, `checkpoints/`), so it is itself a readable
//! store, plus one run manifest per completed run under `backup/runs/`.
//!
//! - [`run`] copies what the target lacks, consistent at the journal position the
//!   primary had when the run started: blobs and manifests committed up to that
//!   position first, then journal batches, then checkpoints and `kho.json`, and
//!   last the run manifest. Every object is re-hashed while it is copied, so damage
//!   on the primary is reported instead of copied. A killed run leaves whole objects
//!   only; the next run copies what is still missing.
//! - [`verify`] checks a target at its last run's journal position against the
//!   primary's journal and manifests (never against the target's own claims) and
//!   re-hashes its blobs, all of them or a rotating sample ([`sample`]).
//! - [`restore`] rebuilds a new store from a target.
//! - [`repair`] replaces damaged or missing primary blobs and manifests with copies
//!   that re-hash correctly.
//!
//! Each of them yields a [`BackupRunRecord`], kept as the detail of its journal event
//! and shaped as a row of the `backups` table.

mod check;
mod copy;
mod prune;
mod repair;
mod restore;
mod run;
pub mod sample;

use std::time::{Duration, Instant};

use bytes::Bytes;
use object_store::path::Path;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::archive::{Archive, ArchiveOptions};
use crate::error::{ArchiveError, Result};
use crate::hash::BlobHash;
use crate::journal::{Event, Outcome};
use crate::model::{FORMAT_VERSION, check_format};
use crate::store::Store;
use crate::verify::{Finding, Severity};

pub use check::{BackupVerifyReport, VerifyMode, VerifyOptions, previous_sample, verify};
pub use prune::{PruneReport, apply_prune, plan_prune};
pub use repair::{RepairReport, Repaired, repair};
pub use restore::{RestoreReport, restore};
pub use run::{BackupRunReport, RunOptions, run};

/// Prefix of run manifests on a target.
pub const RUNS: &str = "backup/runs";

/// Event types written by backup, restore and repair.
pub mod event_types {
    /// A backup run ended (detail: a [`super::BackupRunRecord`]).
    pub const BACKUP_RUN: &str = "backup.run";
    /// A backup verification ended (detail: a [`super::BackupRunRecord`]).
    pub const BACKUP_VERIFY: &str = "backup.verify";
    /// A store was rebuilt from a backup target (written into the new store).
    pub const STORE_RESTORED: &str = "store.restored";
    /// A damaged or missing object of the primary was replaced by a verified copy.
    pub const OBJECT_REPAIRED: &str = "object.repaired";
    /// A damaged or missing object could not be repaired: no target holds a good copy.
    pub const REPAIR_FAILED: &str = "object.repair_failed";
    /// A repair run ended (detail: a [`super::BackupRunRecord`]).
    pub const REPAIR_RUN: &str = "repair.run";
    /// Blobs the primary destroyed were deleted from a target (detail: a
    /// [`super::PruneReport`]).
    pub const BACKUP_PRUNED: &str = "backup.pruned";
}

/// A backup target: a name (from `kho.toml`) and its store.
#[derive(Debug, Clone)]
pub struct Target {
    /// Name used in reports and events.
    pub name: String,
    /// The target store.
    pub store: Store,
}

/// `backup/runs/<20-digit journal seq>-<run id>.json`: written last by a complete run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunManifest {
    /// Format version.
    pub format_version: u32,
    /// Run id (UUIDv7).
    pub run: String,
    /// Store id of the primary.
    pub store_id: uuid::Uuid,
    /// Journal position the run is consistent at: batches 1..=journal_seq and
    /// everything they commit are on the target.
    pub journal_seq: u64,
    /// BLAKE3 of journal batch `journal_seq`.
    pub journal_blake3: Option<BlobHash>,
    /// When the run started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// Objects copied by this run.
    pub objects_copied: u64,
    /// Bytes copied by this run.
    pub bytes_copied: u64,
    /// Objects already on the target.
    pub objects_present: u64,
}

/// One row of the `backups` table: what a backup run, verification, restore or
/// repair did. Kept as the detail of its journal event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BackupRunRecord {
    /// Run id (UUIDv7).
    pub run: String,
    /// `run`, `verify`, `restore` or `repair`.
    pub kind: String,
    /// Target name (for repair: the targets tried, comma-separated).
    pub target: String,
    /// Target location (URL).
    pub target_location: String,
    /// `full` or `sample` for verifications.
    #[serde(default)]
    pub mode: Option<String>,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// How long it took.
    pub duration_seconds: f64,
    /// Journal position it is consistent at (run, verify, restore) or the primary's head (repair).
    pub journal_seq: u64,
    /// Objects copied (run, restore), checked (verify) or repaired (repair).
    pub objects: u64,
    /// Bytes copied or re-hashed.
    pub bytes: u64,
    /// Objects already present on the target (run).
    pub objects_present: u64,
    /// Damage found (each one is named in the report).
    pub errors: u64,
    /// Share of the objects due that this run covered: for a run, the share present on
    /// the target afterwards; for a sampled verify, the share of blobs re-hashed.
    pub coverage: f64,
    /// Sampled verify: the rotation window ends here (unix seconds).
    #[serde(default)]
    pub sample_until: Option<i64>,
    /// Why the run stopped, when it did.
    #[serde(default)]
    pub error: Option<String>,
}

impl BackupRunRecord {
    pub(crate) fn start(kind: &str, target: &str, location: &str) -> (Self, Instant) {
        (
            BackupRunRecord {
                run: uuid::Uuid::now_v7().to_string(),
                kind: kind.into(),
                target: target.into(),
                target_location: location.into(),
                mode: None,
                started_at: OffsetDateTime::now_utc(),
                duration_seconds: 0.0,
                journal_seq: 0,
                objects: 0,
                bytes: 0,
                objects_present: 0,
                errors: 0,
                coverage: 0.0,
                sample_until: None,
                error: None,
            },
            Instant::now(),
        )
    }

    /// A record of a run that stopped with `error` (store unavailable, target full…).
    pub fn failed(kind: &str, target: &Target, error: &ArchiveError) -> Self {
        let (mut r, _) = Self::start(kind, &target.name, target.store.location());
        r.error = Some(error.to_string());
        r
    }

    /// The journal event of this record (`object` is the target name).
    pub fn event(&self, actor: &str, kind: &str) -> Event {
        let outcome = if self.error.is_some() || self.errors > 0 {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        Event::new(
            actor,
            kind,
            self.target.clone(),
            outcome,
            serde_json::to_value(self).unwrap_or_default(),
        )
    }
}

/// Appends events to the primary's journal, waiting up to `wait` for the writer
/// lease when another writer (a deposit) holds it.
pub async fn record(
    store: &Store,
    options: &ArchiveOptions,
    events: Vec<Event>,
    wait: Duration,
) -> Result<u64> {
    let deadline = Instant::now() + wait;
    loop {
        match Archive::open_writer(store.clone(), options.clone(), "backup").await {
            Ok(mut a) => {
                let res = a.append_events(events).await;
                let closed = a.close().await;
                let seq = res?;
                closed?;
                return Ok(seq);
            }
            Err(ArchiveError::LeaseHeld { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The latest run manifest on a target (by journal position, then run id).
pub async fn latest_run(target: &Store) -> Result<Option<(Path, RunManifest)>> {
    let listed = target.list(RUNS).await?;
    for m in listed.iter().rev() {
        let Some(bytes) = target.get_opt(&m.location).await? else {
            continue;
        };
        match serde_json::from_slice::<RunManifest>(&bytes) {
            Ok(r) => {
                check_format(m.location.as_ref(), r.format_version)?;
                return Ok(Some((m.location.clone(), r)));
            }
            Err(e) => {
                tracing::warn!(object = %m.location, "unreadable run manifest skipped: {e}");
            }
        }
    }
    Ok(None)
}

/// `archive` itself when its journal view is current (opened read-only), else a
/// fresh read-only snapshot of its store: an archive open for writing keeps the
/// journal as it was read at open while its catalog moves on.
async fn snapshot(archive: &Archive) -> Result<View<'_>> {
    if archive.journal_head() == archive.journal().batches.len() as u64 {
        return Ok(View::Same(archive));
    }
    let fresh = Archive::open(archive.store().clone(), archive.options().clone()).await?;
    Ok(View::Fresh(Box::new(fresh)))
}

enum View<'a> {
    Same(&'a Archive),
    Fresh(Box<Archive>),
}

impl std::ops::Deref for View<'_> {
    type Target = Archive;
    fn deref(&self) -> &Archive {
        match self {
            View::Same(a) => a,
            View::Fresh(a) => a,
        }
    }
}

fn run_manifest_path(seq: u64, run: &str) -> Path {
    Path::from(format!("{RUNS}/{seq:020}-{run}.json"))
}

async fn write_run_manifest(target: &Store, m: &RunManifest) -> Result<Path> {
    let path = run_manifest_path(m.journal_seq, &m.run);
    let bytes = serde_json::to_vec_pretty(m).map_err(|e| ArchiveError::Internal(e.to_string()))?;
    target.put_create(&path, Bytes::from(bytes)).await?;
    Ok(path)
}

fn new_run_manifest(
    rec: &BackupRunRecord,
    store_id: uuid::Uuid,
    journal_blake3: Option<BlobHash>,
) -> RunManifest {
    RunManifest {
        format_version: FORMAT_VERSION,
        run: rec.run.clone(),
        store_id,
        journal_seq: rec.journal_seq,
        journal_blake3,
        started_at: rec.started_at,
        finished_at: OffsetDateTime::now_utc(),
        objects_copied: rec.objects,
        bytes_copied: rec.bytes,
        objects_present: rec.objects_present,
    }
}

fn damage(object: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Damage,
        object: object.into(),
        detail: detail.into(),
    }
}

/// Parses `checkpoints/<20-digit seq>.json`.
fn parse_checkpoint(path: &Path) -> Option<u64> {
    let rest = path
        .as_ref()
        .strip_prefix(crate::layout::CHECKPOINTS)?
        .strip_prefix('/')?;
    let n = rest.strip_suffix(".json")?;
    if n.len() != 20 {
        return None;
    }
    n.parse().ok()
}

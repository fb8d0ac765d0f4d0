//! `kho backup prune`: a destruction covers every copy. Blobs that the primary
//! deleted lawfully (an executed disposition, or orphan collection) are deleted
//! from a backup target too — unless a legal hold covers them now, for example a
//! hold ordered after the primary's copy was destroyed, when the backup holds the
//! last copy.
//!
//! A target blob is deleted only when all of these hold:
//! - no committed record of the primary references its hash;
//! - the primary no longer has it (in any encoding);
//! - no active record or dossier hold covers a record whose manifests, in any
//!   version, name it (query holds cannot be decided for destroyed records, so
//!   any active query hold stops pruning altogether);
//! - the target's latest complete run is at or after the last deletion on the
//!   primary, so that `kho backup verify` of that run does not expect the blob.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Target, latest_run};
use crate::archive::Archive;
use crate::error::{ArchiveError, DeletionBlock, Result};
use crate::hash::BlobHash;
use crate::layout::{self, Encoding};
use crate::retention::event_types::{DISPOSITION_EXECUTED, ORPHANS_COLLECTED};
use crate::retention_rules::HoldScope;

/// What a prune did (or would do, in a dry run).
#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    /// Target name.
    pub target: String,
    /// Nothing was deleted.
    pub dry_run: bool,
    /// Blob objects deleted from the target (or to delete, in a dry run).
    pub deleted: Vec<String>,
    /// Blob objects the primary destroyed that a hold keeps on the target.
    pub kept_held: Vec<String>,
    /// Blob objects of the target checked.
    pub checked: u64,
}

/// Finds the blobs of `target` that the primary destroyed and no hold covers.
/// Nothing is deleted here: the caller journals the report (the `backup.pruned`
/// event comes first, so no deletion is ever unrecorded) and then calls
/// [`apply_prune`]. A prune interrupted after its event is finished by the next
/// one, which finds the blobs left.
pub async fn plan_prune(primary: &Archive, target: &Target, dry_run: bool) -> Result<PruneReport> {
    let view = super::snapshot(primary).await?;
    let primary: &Archive = &view;
    let refuse = |message: String| ArchiveError::DeletionRefused {
        block: DeletionBlock::State,
        message,
    };
    if let Some(p) = primary.journal().problems.first() {
        return Err(refuse(format!(
            "the primary's journal is damaged ({}: {}): what it references is unknown, so nothing is pruned; run `kho verify`",
            p.object, p.detail
        )));
    }
    if let Some(d) = primary.retention_book().incomplete().next() {
        let id = d.disposition.id();
        return Err(refuse(format!(
            "disposition {id} is half-executed: run `kho dispose execute {id}` first; nothing was pruned"
        )));
    }
    let holds = primary.retention_book().active_holds();
    if let Some(h) = holds
        .iter()
        .find(|h| matches!(h.scope, HoldScope::Query(_)))
    {
        return Err(ArchiveError::DeletionRefused {
            block: DeletionBlock::Held,
            message: format!(
                "query hold {} is active: a query cannot be decided for destroyed records, so backups are not pruned while it holds; nothing was deleted",
                h.id
            ),
        });
    }
    let Some((_, run)) = latest_run(&target.store).await? else {
        return Err(refuse(format!(
            "target {} holds no complete backup run: run `kho backup run {}` first; nothing was pruned",
            target.name, target.name
        )));
    };
    if run.store_id != primary.descriptor().store_id {
        return Err(ArchiveError::InvalidInput(format!(
            "target {} holds a backup of store {}, not of this store {}; nothing was pruned",
            target.name,
            run.store_id,
            primary.descriptor().store_id
        )));
    }
    let last_deletion = primary
        .journal()
        .batches
        .iter()
        .rev()
        .find(|b| {
            b.batch
                .events
                .iter()
                .any(|e| e.kind == DISPOSITION_EXECUTED || e.kind == ORPHANS_COLLECTED)
        })
        .map(|b| b.batch.seq)
        .unwrap_or(0);
    if run.journal_seq < last_deletion {
        return Err(refuse(format!(
            "the latest run on target {} is at journal position {}, before the deletion at {last_deletion}: run `kho backup run {}` first so the run no longer lists what was destroyed; nothing was pruned",
            target.name, run.journal_seq, target.name
        )));
    }

    let live: BTreeSet<BlobHash> = primary
        .catalog()
        .records
        .values()
        .flat_map(|r| &r.versions)
        .flat_map(|v| v.files.iter().map(|(h, _, _)| *h))
        .collect();
    let held = held_blobs(primary, &holds).await?;
    let mut rep = PruneReport {
        target: target.name.clone(),
        dry_run,
        deleted: Vec::new(),
        kept_held: Vec::new(),
        checked: 0,
    };
    for m in target.store.list(layout::BLOBS).await? {
        let Some((h, _)) = layout::parse_blob(&m.location) else {
            continue;
        };
        rep.checked += 1;
        if live.contains(&h) || on_primary(primary, &h).await? {
            continue;
        }
        if held.contains(&h) {
            rep.kept_held.push(m.location.to_string());
            continue;
        }
        rep.deleted.push(m.location.to_string());
    }
    Ok(rep)
}

/// Deletes from the target what a journaled [`plan_prune`] report lists.
pub async fn apply_prune(target: &Target, report: &PruneReport) -> Result<()> {
    if report.dry_run {
        return Ok(());
    }
    for p in &report.deleted {
        let path = object_store::path::Path::from(p.as_str());
        // Only blobs: a report never names anything else.
        if layout::parse_blob(&path).is_none() {
            return Err(ArchiveError::Internal(format!(
                "prune report names {p}, which is not a blob"
            )));
        }
        target.store.delete(&path).await?;
    }
    Ok(())
}

async fn on_primary(primary: &Archive, h: &BlobHash) -> Result<bool> {
    for enc in [Encoding::Identity, Encoding::Zstd] {
        if primary.store().head(&layout::blob(h, enc)).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Blobs named by any manifest version of a record under an active record or
/// dossier hold, destroyed records included (their manifests are kept).
async fn held_blobs(
    primary: &Archive,
    holds: &[retention_rules::Hold],
) -> Result<BTreeSet<BlobHash>> {
    let records = primary.records_held_by(holds);
    let mut out = BTreeSet::new();
    for id in records {
        let Some(entry) = primary.catalog().records.get(&id) else {
            continue;
        };
        for v in &entry.versions {
            let m = primary.manifest(&id, Some(v.version)).await?;
            out.extend(m.files.iter().map(|f| f.blake3));
        }
    }
    Ok(out)
}

//! `backup restore`: rebuild a complete store from a target.

use object_store::path::Path;
use serde::Serialize;

use super::copy::{Expect, Throttle};
use super::run::{copy_all, objects_at, sizes};
use super::{BackupRunRecord, RunOptions, Target, damage, event_types, latest_run};
use crate::archive::{Archive, ArchiveOptions};
use crate::error::{ArchiveError, Result};
use crate::layout;
use crate::store::Store;
use crate::verify::{self, Finding, VerifyReport};

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The `backups` row (also the detail of the new store's `store.restored` event).
    pub record: BackupRunRecord,
    /// Run manifest restored from.
    pub run_manifest: String,
    /// Target objects that could not be restored (damaged or missing on the target).
    pub findings: Vec<Finding>,
    /// `kho verify` of the new store.
    pub verify: VerifyReport,
}

impl RestoreReport {
    /// True when anything could not be restored or the new store does not verify.
    pub fn has_damage(&self) -> bool {
        !self.findings.is_empty() || self.verify.has_damage()
    }
}

/// Rebuilds the store backed up on `target` into the empty store `dest`, at the
/// journal position of the target's latest run, re-hashing every object on the way;
/// then records a `store.restored` event in it and verifies it.
pub async fn restore(
    target: &Target,
    dest: &Store,
    options: &ArchiveOptions,
    opts: &RunOptions,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<RestoreReport> {
    let (mut rec, started) =
        BackupRunRecord::start("restore", &target.name, target.store.location());
    let desc_path = Path::from(layout::STORE_DESCRIPTOR);
    if dest.head(&desc_path).await?.is_some() {
        return Err(ArchiveError::InvalidInput(format!(
            "{} already holds a Kho store: restore into a new, empty location",
            dest.location()
        )));
    }
    let (run_path, run) =
        latest_run(&target.store)
            .await?
            .ok_or_else(|| ArchiveError::Damaged {
                object: super::RUNS.into(),
                detail: format!(
                    "target {} holds no complete backup run: nothing to restore",
                    target.name
                ),
            })?;
    let src = Archive::open(target.store.clone(), options.clone()).await?;
    if src.descriptor().store_id != run.store_id {
        return Err(ArchiveError::Damaged {
            object: run_path.to_string(),
            detail: format!(
                "run manifest names store {}, the target's kho.json {}",
                run.store_id,
                src.descriptor().store_id
            ),
        });
    }
    let intact = src.journal().batches.len() as u64;
    let seq = run.journal_seq.min(intact);
    rec.journal_seq = seq;
    let mut findings = Vec::new();
    if intact < run.journal_seq {
        for p in &src.journal().problems {
            findings.push(damage(
                &p.object,
                format!("{} on target {}", p.detail, target.name),
            ));
        }
    }
    let listed = sizes(
        &target.store,
        &[
            layout::CANARY,
            layout::BLOBS,
            layout::RECORDS,
            layout::JOURNAL,
            layout::CHECKPOINTS,
        ],
    )
    .await?;
    let phases = objects_at(&src, seq, &listed);
    let total: u64 = phases
        .iter()
        .flatten()
        .filter_map(|(p, _)| listed.get(p.as_ref()))
        .sum();
    let throttle = Throttle::new(opts.limit_bytes_per_sec, total, progress);
    let hint = "verify the other targets and restore from one of them";
    for phase in phases {
        let c = copy_all(
            &target.store,
            dest,
            phase,
            opts.concurrency,
            &throttle,
            hint,
        )
        .await?;
        rec.objects += c.copied;
        rec.bytes += c.bytes;
        findings.extend(c.findings);
    }
    // The descriptor last: until it is there, the new location is no store.
    let c = copy_all(
        &target.store,
        dest,
        vec![(desc_path, Expect::Any)],
        1,
        &throttle,
        hint,
    )
    .await?;
    rec.objects += c.copied;
    rec.bytes += c.bytes;
    findings.extend(c.findings);
    rec.errors = findings.len() as u64;
    rec.coverage = 1.0;
    rec.duration_seconds = started.elapsed().as_secs_f64();

    let mut restored = Archive::open_writer(dest.clone(), options.clone(), "restore").await?;
    restored
        .append_events(vec![rec.event(&options.actor, event_types::STORE_RESTORED)])
        .await?;
    restored.close().await?;
    let restored = Archive::open(dest.clone(), options.clone()).await?;
    let verify = verify::verify(&restored).await?;
    Ok(RestoreReport {
        record: rec,
        run_manifest: run_path.to_string(),
        findings,
        verify,
    })
}

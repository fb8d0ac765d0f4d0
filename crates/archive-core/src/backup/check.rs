//! `backup verify`: is a target complete at its last run, and are its bytes intact?
//!
//! Expected digests come from the primary's journal (chain-checked) and the
//! manifests it commits, never from the target. Damaged target objects are moved to
//! the target's quarantine, so the next run copies them again.

use std::collections::BTreeMap;

use futures::StreamExt;
use object_store::path::Path;
use serde::Serialize;
use time::OffsetDateTime;

use super::copy::Throttle;
use super::{BackupRunRecord, Target, damage, event_types, latest_run, parse_checkpoint, sample};
use crate::archive::Archive;
use crate::blob;
use crate::canary::{self, CanaryResult};
use crate::error::{ArchiveError, Result};
use crate::hash::BlobHash;
use crate::layout::{self, Encoding};
use crate::verify::Finding;

/// How many blobs a verification re-hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMode {
    /// Every blob.
    Full,
    /// The blobs due in the rotation ([`sample`]).
    Sample,
}

/// Settings of a verification.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Full or sampled.
    pub mode: VerifyMode,
    /// The time the sample window ends (now, except in tests).
    pub now: OffsetDateTime,
    /// Blobs re-hashed at the same time.
    pub concurrency: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            mode: VerifyMode::Full,
            now: OffsetDateTime::now_utc(),
            concurrency: 4,
        }
    }
}

/// What a verification found.
#[derive(Debug, Clone, Serialize)]
pub struct BackupVerifyReport {
    /// The `backups` row (also the journal event detail).
    pub record: BackupRunRecord,
    /// Run manifest the verification is based on.
    pub run_manifest: Option<String>,
    /// Every problem, each with its object name.
    pub findings: Vec<Finding>,
    /// The checker's self-test on the target's canaries.
    pub canaries: Vec<CanaryResult>,
    /// Blobs committed at the run's journal position.
    pub blobs_total: u64,
    /// Blobs re-hashed now.
    pub blobs_rehashed: u64,
    /// Damaged target objects moved to the target's quarantine (the next run copies them again).
    pub moved_aside: Vec<String>,
    /// Blobs re-hashed now (left out of JSON output: it can be long).
    #[serde(skip)]
    pub rehashed: Vec<BlobHash>,
}

impl BackupVerifyReport {
    /// True when anything is damaged or missing.
    pub fn has_damage(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// Time (unix seconds) of the previous verification of `target` in the journal.
pub fn previous_sample(primary: &Archive, target: &str) -> Option<i64> {
    primary.journal().batches.iter().rev().find_map(|b| {
        b.batch.events.iter().rev().find_map(|e| {
            if e.kind != event_types::BACKUP_VERIFY || e.object != target {
                return None;
            }
            e.detail.get("sample_until").and_then(|v| v.as_i64())
        })
    })
}

/// Verifies `target` at the journal position of its latest run.
pub async fn verify(
    primary: &Archive,
    target: &Target,
    opts: &VerifyOptions,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<BackupVerifyReport> {
    let view = super::snapshot(primary).await?;
    let primary: &Archive = &view;
    let (mut rec, started) =
        BackupRunRecord::start("verify", &target.name, target.store.location());
    rec.mode = Some(
        match opts.mode {
            VerifyMode::Full => "full",
            VerifyMode::Sample => "sample",
        }
        .into(),
    );
    let dst = &target.store;
    let mut rep = BackupVerifyReport {
        record: rec,
        run_manifest: None,
        findings: Vec::new(),
        canaries: Vec::new(),
        blobs_total: 0,
        blobs_rehashed: 0,
        moved_aside: Vec::new(),
        rehashed: Vec::new(),
    };
    let Some((run_path, run)) = latest_run(dst).await? else {
        rep.findings.push(damage(
            super::RUNS,
            format!(
                "target {} holds no complete backup run: run `kho backup run {}`",
                target.name, target.name
            ),
        ));
        return Ok(finish(rep, started));
    };
    rep.run_manifest = Some(run_path.to_string());
    if run.store_id != primary.descriptor().store_id {
        return Err(ArchiveError::InvalidInput(format!(
            "target {} holds a backup of store {}, not of this store {}",
            target.name,
            run.store_id,
            primary.descriptor().store_id
        )));
    }
    let jr = primary.journal();
    let intact = jr.batches.len() as u64;
    let seq = run.journal_seq.min(intact);
    rep.record.journal_seq = run.journal_seq;
    if intact < run.journal_seq {
        rep.findings.push(damage(
            layout::journal_batch(intact + 1).to_string(),
            format!(
                "the primary's journal is intact only up to batch {intact}, the run covers {}: the target is checked up to {intact}; run `kho verify`",
                run.journal_seq
            ),
        ));
    }

    // Self-test: a checker that cannot see damage on this target must not pass it.
    rep.canaries = canary::check_all(dst).await?;
    let blind = rep.canaries.iter().any(|c| c.present && !c.detected);
    for c in &rep.canaries {
        if !c.present {
            rep.findings.push(damage(
                &c.object,
                format!(
                    "canary missing on target {}: the next run copies it",
                    target.name
                ),
            ));
        } else if !c.detected {
            rep.findings.push(damage(
                &c.object,
                format!(
                    "self-test failed on target {}: a deliberately damaged canary re-hashed as intact; the checker cannot be trusted",
                    target.name
                ),
            ));
        }
    }
    if blind {
        return Ok(finish(rep, started));
    }

    // Small objects: descriptor, journal batches, checkpoints, manifests.
    let desc_path = Path::from(layout::STORE_DESCRIPTOR);
    let desc = primary.store().get(&desc_path).await?;
    let mut small: Vec<(Path, BlobHash)> = vec![(desc_path, BlobHash::of(&desc))];
    small.extend(
        jr.batches
            .iter()
            .filter(|b| b.batch.seq <= seq)
            .map(|b| (layout::journal_batch(b.batch.seq), b.blake3)),
    );
    for m in primary.store().list(layout::CHECKPOINTS).await? {
        if parse_checkpoint(&m.location).is_some_and(|s| s <= seq) {
            let bytes = primary.store().get(&m.location).await?;
            small.push((m.location, BlobHash::of(&bytes)));
        }
    }
    let mut blobs: BTreeMap<BlobHash, (Encoding, u64)> = BTreeMap::new();
    for (id, entry) in &primary.catalog().records {
        for v in entry.versions.iter().filter(|v| v.seq <= seq) {
            small.push((layout::manifest(id, v.version), v.manifest_blake3));
            for (h, e, s) in &v.files {
                blobs.insert(*h, (*e, *s));
            }
        }
    }
    let mut checks = futures::stream::iter(small)
        .map(|(path, want)| async move {
            let got = dst.get_opt(&path).await;
            (path, want, got)
        })
        .buffer_unordered(16);
    let mut bad_small = Vec::new();
    while let Some((path, want, got)) = checks.next().await {
        rep.record.objects += 1;
        match got? {
            None => rep.findings.push(damage(
                path.to_string(),
                format!("missing on target {}", target.name),
            )),
            Some(b) => {
                let h = BlobHash::of(&b);
                if h != want {
                    rep.findings.push(damage(
                        path.to_string(),
                        format!(
                            "damaged on target {}: bytes hash to {h}, the primary has {want}",
                            target.name
                        ),
                    ));
                    bad_small.push(path);
                }
            }
        }
    }
    drop(checks);

    // Blobs: present, then re-hashed (all, or those due in the rotation).
    let listed: BTreeMap<String, u64> = dst
        .list(layout::BLOBS)
        .await?
        .into_iter()
        .map(|m| (m.location.to_string(), m.size))
        .collect();
    let now = opts.now.unix_timestamp();
    let period = sample::rotation_period(primary.descriptor().coverage_period_days);
    let previous = match opts.mode {
        VerifyMode::Full => None,
        VerifyMode::Sample => previous_sample(primary, &target.name),
    };
    // A full verification covers the whole rotation, so both modes end a window.
    rep.record.sample_until = Some(now);
    rep.blobs_total = blobs.len() as u64;
    let mut selected = Vec::new();
    let mut total_bytes = 0u64;
    for (h, (e, size)) in &blobs {
        let path = layout::blob(h, *e);
        match listed.get(path.as_ref()) {
            None => rep.findings.push(damage(
                path.to_string(),
                format!("missing on target {}", target.name),
            )),
            Some(stored) => {
                if sample::due(h, previous, now, period) {
                    total_bytes += stored;
                    selected.push((path, *h, *e, *size, *stored));
                }
            }
        }
    }
    let throttle = Throttle::new(None, total_bytes, progress);
    let throttle = &throttle;
    let mut rehash = futures::stream::iter(selected)
        .map(|(path, h, e, size, stored)| async move {
            let c = blob::check_path(dst, &path, e).await;
            throttle.take(stored).await;
            (path, h, size, c)
        })
        .buffer_unordered(opts.concurrency.max(1));
    let mut bad_blobs = Vec::new();
    while let Some((path, h, size, c)) = rehash.next().await {
        rep.blobs_rehashed += 1;
        rep.record.objects += 1;
        rep.rehashed.push(h);
        let problem = match c {
            Ok(c) if c.actual == Some(h) && c.size == size => {
                rep.record.bytes += c.size;
                None
            }
            Ok(c) => Some(match (&c.error, c.actual) {
                (Some(e), _) => format!("cannot decode stored bytes: {e}"),
                (None, Some(a)) if a != h => {
                    format!("content hashes to {a}, not to {h} ({} bytes read)", c.size)
                }
                _ => format!("has {} bytes, the primary's manifest says {size}", c.size),
            }),
            Err(ArchiveError::Damaged { detail, .. }) => Some(detail),
            Err(e) => return Err(e),
        };
        if let Some(p) = problem {
            rep.findings.push(damage(
                path.to_string(),
                format!("damaged on target {}: {p}", target.name),
            ));
            bad_blobs.push(path);
        }
    }
    drop(rehash);
    for path in bad_small.into_iter().chain(bad_blobs) {
        if dst.head(&path).await?.is_some() {
            super::copy::move_aside(dst, &path).await?;
            rep.moved_aside.push(path.to_string());
        }
    }
    rep.record.coverage = if rep.blobs_total == 0 {
        1.0
    } else {
        rep.blobs_rehashed as f64 / rep.blobs_total as f64
    };
    Ok(finish(rep, started))
}

fn finish(mut rep: BackupVerifyReport, started: std::time::Instant) -> BackupVerifyReport {
    rep.record.errors = rep.findings.len() as u64;
    rep.record.duration_seconds = started.elapsed().as_secs_f64();
    rep
}

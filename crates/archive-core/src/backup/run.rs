//! `backup run`: copy what a target lacks, consistent at one journal position.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use object_store::path::Path;
use serde::Serialize;

use super::copy::{Copied, Expect, Throttle, copy_object};
use super::{BackupRunRecord, Target, damage, new_run_manifest, parse_checkpoint};
use crate::archive::Archive;
use crate::canary;
use crate::error::{ArchiveError, Result};
use crate::hash::BlobHash;
use crate::layout::{self, Encoding};
use crate::store::Store;
use crate::verify::Finding;

/// Settings of a run (and of a restore).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Copy at most this many bytes per second.
    pub limit_bytes_per_sec: Option<u64>,
    /// Objects copied at the same time.
    pub concurrency: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            limit_bytes_per_sec: None,
            concurrency: 8,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupRunReport {
    /// The `backups` row (also the journal event detail).
    pub record: BackupRunRecord,
    /// Damage found on the primary (not copied); empty when the run is complete.
    pub findings: Vec<Finding>,
    /// Run manifest written on the target (only when complete).
    pub run_manifest: Option<String>,
    /// Target objects of the wrong size, moved to the target's quarantine and copied again.
    pub replaced_on_target: Vec<String>,
}

/// Every object name under the prefixes, with its size.
pub(super) async fn sizes(store: &Store, prefixes: &[&str]) -> Result<HashMap<String, u64>> {
    let mut m = HashMap::new();
    for p in prefixes {
        for o in store.list(p).await? {
            m.insert(o.location.to_string(), o.size);
        }
    }
    Ok(m)
}

/// The objects a store holds at journal position `seq`, in copy order: canaries,
/// blobs and manifests; journal batches; checkpoints. (`kho.json` comes last, from
/// the caller.)
pub(super) fn objects_at(
    archive: &Archive,
    seq: u64,
    listed: &HashMap<String, u64>,
) -> Vec<Vec<(Path, Expect)>> {
    let mut first: Vec<(Path, Expect)> = canary::expected()
        .into_iter()
        .map(|(c, _)| (c.path, Expect::Any))
        .collect();
    let mut blobs: BTreeMap<BlobHash, (Encoding, u64)> = BTreeMap::new();
    for (id, entry) in &archive.catalog().records {
        for v in entry.versions.iter().filter(|v| v.seq <= seq) {
            first.push((
                layout::manifest(id, v.version),
                Expect::Digest(v.manifest_blake3),
            ));
            for (h, e, s) in &v.files {
                blobs.insert(*h, (*e, *s));
            }
        }
    }
    first.extend(blobs.into_iter().map(|(hash, (encoding, size))| {
        (
            layout::blob(&hash, encoding),
            Expect::Blob {
                hash,
                encoding,
                size,
            },
        )
    }));
    let journal = archive
        .journal()
        .batches
        .iter()
        .filter(|b| b.batch.seq <= seq)
        .map(|b| (layout::journal_batch(b.batch.seq), Expect::Digest(b.blake3)))
        .collect();
    let mut checkpoints: Vec<(Path, Expect)> = listed
        .keys()
        .map(|k| Path::from(k.as_str()))
        .filter(|p| parse_checkpoint(p).is_some_and(|s| s <= seq))
        .map(|p| (p, Expect::Any))
        .collect();
    checkpoints.sort_by(|a, b| a.0.cmp(&b.0));
    vec![first, journal, checkpoints]
}

/// Totals of copying a list of objects.
#[derive(Debug, Default)]
pub(super) struct Copy {
    pub copied: u64,
    pub bytes: u64,
    pub findings: Vec<Finding>,
}

/// Copies objects `concurrency` at a time; objects whose source is damaged become findings.
pub(super) async fn copy_all(
    src: &Store,
    dst: &Store,
    items: Vec<(Path, Expect)>,
    concurrency: usize,
    throttle: &Throttle<'_>,
    what_to_do: &str,
) -> Result<Copy> {
    let mut out = Copy::default();
    let mut results = futures::stream::iter(items)
        .map(|(path, expect)| async move {
            let r = copy_object(src, &path, dst, &path, expect, throttle).await;
            (path, r)
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((path, r)) = results.next().await {
        match r? {
            Copied::Written(n) => {
                out.copied += 1;
                out.bytes += n;
            }
            Copied::Bad(problem) => out.findings.push(damage(
                path.to_string(),
                format!("{problem} on {}; not copied: {what_to_do}", src.location()),
            )),
        }
    }
    Ok(out)
}

/// Copies every object the target lacks, consistent at the journal position
/// `primary` was opened at. `progress` gets (bytes copied, bytes to copy).
pub async fn run(
    primary: &Archive,
    target: &Target,
    opts: &RunOptions,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<BackupRunReport> {
    let view = super::snapshot(primary).await?;
    let primary: &Archive = &view;
    let (mut rec, started) = BackupRunRecord::start("run", &target.name, target.store.location());
    let src = primary.store();
    let dst = &target.store;
    let jr = primary.journal();
    let seq = jr.batches.len() as u64;
    rec.journal_seq = seq;
    let mut findings: Vec<Finding> = jr
        .problems
        .iter()
        .map(|p| {
            damage(
                &p.object,
                format!(
                    "{} (primary journal); the backup stops at batch {seq}: run `kho verify`",
                    p.detail
                ),
            )
        })
        .collect();

    let desc_path = Path::from(layout::STORE_DESCRIPTOR);
    let desc = src.get(&desc_path).await?;
    if let Some(existing) = dst.get_opt(&desc_path).await?
        && existing != desc
    {
        let other = serde_json::from_slice::<serde_json::Value>(&existing)
            .ok()
            .and_then(|v| v.get("store_id").and_then(|s| s.as_str()).map(String::from))
            .unwrap_or_else(|| "unknown".into());
        return Err(ArchiveError::InvalidInput(format!(
            "target {} ({}) holds a backup of store {other}, not of this store {}: give each store its own target",
            target.name,
            dst.location(),
            primary.descriptor().store_id
        )));
    }

    let prefixes = [
        layout::CANARY,
        layout::BLOBS,
        layout::RECORDS,
        layout::JOURNAL,
        layout::CHECKPOINTS,
    ];
    let src_sizes = sizes(src, &prefixes).await?;
    let mut dst_sizes = sizes(dst, &prefixes).await?;
    if let Some(m) = dst.head(&desc_path).await? {
        dst_sizes.insert(desc_path.to_string(), m.size);
    }
    let mut phases = objects_at(primary, seq, &src_sizes);
    phases.push(vec![(
        desc_path.clone(),
        Expect::Digest(BlobHash::of(&desc)),
    )]);

    // What is already there (same size) is not copied again; a target object of
    // another size is damaged: it is moved aside and copied again.
    let mut replaced = Vec::new();
    let mut due_total = 0u64;
    let mut todo: Vec<Vec<(Path, Expect)>> = Vec::new();
    let mut bytes_todo = 0u64;
    for phase in phases {
        let mut t = Vec::new();
        for (path, expect) in phase {
            due_total += 1;
            let name = path.to_string();
            let want = if name == layout::STORE_DESCRIPTOR {
                Some(desc.len() as u64)
            } else {
                src_sizes.get(&name).copied()
            };
            match (want, dst_sizes.get(&name)) {
                (Some(w), Some(have)) if w == *have => rec.objects_present += 1,
                // Missing on the primary: keep the target's copy (repair may need it).
                (None, Some(_)) => rec.objects_present += 1,
                (Some(_), Some(_)) => {
                    super::copy::move_aside(dst, &path).await?;
                    replaced.push(name);
                    bytes_todo += want.unwrap_or(0);
                    t.push((path, expect));
                }
                (_, None) => {
                    bytes_todo += want.unwrap_or(0);
                    t.push((path, expect));
                }
            }
        }
        todo.push(t);
    }
    let throttle = Throttle::new(opts.limit_bytes_per_sec, bytes_todo, progress);
    for phase in todo {
        let c = copy_all(
            src,
            dst,
            phase,
            opts.concurrency,
            &throttle,
            "run `kho scrub`, then `kho repair` from another target",
        )
        .await?;
        rec.objects += c.copied;
        rec.bytes += c.bytes;
        findings.extend(c.findings);
    }
    rec.errors = findings.len() as u64;
    let ok = due_total.saturating_sub(rec.errors);
    rec.coverage = if due_total == 0 {
        1.0
    } else {
        ok as f64 / due_total as f64
    };
    rec.duration_seconds = started.elapsed().as_secs_f64();
    let run_manifest = if findings.is_empty() {
        let m = new_run_manifest(
            &rec,
            primary.descriptor().store_id,
            jr.batches.last().map(|b| b.blake3),
        );
        Some(super::write_run_manifest(dst, &m).await?.to_string())
    } else {
        None
    };
    rec.duration_seconds = started.elapsed().as_secs_f64();
    Ok(BackupRunReport {
        record: rec,
        findings,
        run_manifest,
        replaced_on_target: replaced,
    })
}

//! `kho repair`: replace damaged or missing primary blobs and manifests with copies
//! from backup targets that re-hash correctly. A copy is checked in full before it
//! is published; a copy that does not re-hash is never used.

use futures::StreamExt;
use object_store::path::Path;
use serde::Serialize;

use super::copy::{Copied, Expect, Throttle, copy_object, publish};
use super::{BackupRunRecord, Target, damage, event_types};
use crate::archive::Archive;
use crate::blob;
use crate::error::{ArchiveError, ErrorClass, Result};
use crate::hash::BlobHash;
use crate::journal::{Event, Outcome};
use crate::layout;
use crate::verify::Finding;

/// One object replaced.
#[derive(Debug, Clone, Serialize)]
pub struct Repaired {
    /// Object name.
    pub object: String,
    /// Target the good copy came from.
    pub from: String,
    /// What was wrong.
    pub problem: String,
    /// Where the damaged object was moved (none when it was missing).
    pub quarantined_as: Option<String>,
}

/// What a repair did.
#[derive(Debug, Clone, Serialize)]
pub struct RepairReport {
    /// The `backups` row (also the detail of the `repair.run` event).
    pub record: BackupRunRecord,
    /// Blobs and manifests checked on the primary.
    pub checked: u64,
    /// Objects replaced by verified copies.
    pub repaired: Vec<Repaired>,
    /// Damage that could not be repaired, with the reason for each target.
    pub findings: Vec<Finding>,
}

/// Re-hashes every committed blob and manifest of the primary (opened for writing)
/// and replaces each damaged or missing one with the first copy among `sources`
/// that re-hashes to the digest the primary's journal and manifests record. Each
/// replacement is an `object.repaired` event; damage without a good copy is an
/// `object.repair_failed` event and stays in the report.
pub async fn repair(
    primary: &mut Archive,
    sources: &[Target],
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<RepairReport> {
    let names: Vec<&str> = sources.iter().map(|t| t.name.as_str()).collect();
    let locations: Vec<&str> = sources.iter().map(|t| t.store.location()).collect();
    let (mut rec, started) =
        BackupRunRecord::start("repair", &names.join(","), &locations.join(","));
    let actor = primary.options().actor.clone();
    // Proves the writer lease before anything is touched, and journals the start.
    primary
        .append_events(vec![Event::new(
            &actor,
            event_types::REPAIR_RUN,
            rec.target.clone(),
            Outcome::Success,
            serde_json::json!({ "run": rec.run, "started": true }),
        )])
        .await?;
    let store = primary.store().clone();
    rec.journal_seq = primary.journal_head();

    // Find what is damaged.
    let mut damaged: Vec<(Path, Expect, String)> = Vec::new();
    let mut manifests = Vec::new();
    for (id, entry) in &primary.catalog().records {
        for v in &entry.versions {
            manifests.push((layout::manifest(id, v.version), v.manifest_blake3));
        }
    }
    let blobs = primary.catalog().referenced_blobs();
    let total: u64 = blobs.values().map(|(_, s)| *s).sum();
    let mut checked = 0u64;
    let store_ref = &store;
    let mut m = futures::stream::iter(manifests)
        .map(|(path, want)| async move {
            let got = store_ref.get_opt(&path).await;
            (path, want, got)
        })
        .buffer_unordered(16);
    while let Some((path, want, got)) = m.next().await {
        checked += 1;
        match got? {
            None => damaged.push((path, Expect::Digest(want), "missing".into())),
            Some(b) if BlobHash::of(&b) != want => damaged.push((
                path,
                Expect::Digest(want),
                format!(
                    "bytes hash to {}, the journal recorded {want}",
                    BlobHash::of(&b)
                ),
            )),
            Some(_) => {}
        }
    }
    drop(m);
    let scan = Throttle::new(None, total, progress);
    let scan = &scan;
    let mut b = futures::stream::iter(blobs)
        .map(|(hash, (encoding, size))| async move {
            let path = layout::blob(&hash, encoding);
            let c = blob::check_path(store_ref, &path, encoding).await;
            scan.take(size).await;
            (path, hash, encoding, size, c)
        })
        .buffer_unordered(3);
    while let Some((path, hash, encoding, size, c)) = b.next().await {
        checked += 1;
        let expect = Expect::Blob {
            hash,
            encoding,
            size,
        };
        match c {
            Ok(c) if c.actual == Some(hash) && c.size == size => {}
            Ok(c) => {
                let what = match (&c.error, c.actual) {
                    (Some(e), _) => format!("cannot decode stored bytes: {e}"),
                    (None, Some(a)) if a != hash => {
                        format!("content hashes to {a} ({} bytes read)", c.size)
                    }
                    _ => format!("has {} bytes, its manifest says {size}", c.size),
                };
                damaged.push((path, expect, what));
            }
            Err(ArchiveError::Damaged { detail, .. }) => damaged.push((path, expect, detail)),
            Err(e) => return Err(e),
        }
    }
    drop(b);
    damaged.sort_by(|a, b| a.0.cmp(&b.0));

    // Replace each from the first target whose copy re-hashes correctly.
    let mut events = Vec::new();
    let mut repaired = Vec::new();
    let mut findings = Vec::new();
    let copying = Throttle::new(None, 0, &|_, _| {});
    for (path, expect, problem) in damaged {
        let mut notes = Vec::new();
        let mut done = None;
        for t in sources {
            let tmp = Path::from(format!("{}/{}", layout::STAGING, uuid::Uuid::now_v7()));
            match copy_object(&t.store, &path, &store, &tmp, expect, &copying).await {
                Ok(Copied::Written(n)) => {
                    let quarantined_as = match store.head(&path).await? {
                        Some(_) => Some(super::copy::move_aside(&store, &path).await?.to_string()),
                        None => None,
                    };
                    let published = publish(&store, &tmp, &path).await;
                    store.delete(&tmp).await?;
                    published?;
                    rec.bytes += n;
                    done = Some(Repaired {
                        object: path.to_string(),
                        from: t.name.clone(),
                        problem: problem.clone(),
                        quarantined_as,
                    });
                    break;
                }
                Ok(Copied::Bad(p)) => {
                    store.delete(&tmp).await?;
                    notes.push(format!("target {}: {p}", t.name));
                }
                Err(e) if e.class() == ErrorClass::Unavailable => {
                    notes.push(format!("target {} unavailable: {e}", t.name));
                }
                Err(e) => return Err(e),
            }
        }
        match done {
            Some(r) => {
                events.push(Event::new(
                    &actor,
                    event_types::OBJECT_REPAIRED,
                    r.object.clone(),
                    Outcome::Success,
                    serde_json::to_value(&r).unwrap_or_default(),
                ));
                repaired.push(r);
            }
            None => {
                let detail = if sources.is_empty() {
                    format!("{problem}; not repaired: no backup target configured")
                } else {
                    format!(
                        "{problem}; not repaired, no good copy: {}",
                        notes.join("; ")
                    )
                };
                events.push(Event::new(
                    &actor,
                    event_types::REPAIR_FAILED,
                    path.to_string(),
                    Outcome::Failure,
                    serde_json::json!({ "run": rec.run, "problem": detail }),
                ));
                findings.push(damage(path.to_string(), detail));
            }
        }
    }
    rec.objects = repaired.len() as u64;
    rec.errors = findings.len() as u64;
    rec.coverage = 1.0;
    rec.duration_seconds = started.elapsed().as_secs_f64();
    events.push(rec.event(&actor, event_types::REPAIR_RUN));
    primary.append_events(events).await?;
    Ok(RepairReport {
        record: rec,
        checked,
        repaired,
        findings,
    })
}

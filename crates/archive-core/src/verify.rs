//! `kho verify`: journal chain and checkpoints, manifests against the journal and
//! blobs, orphans, canaries. Structural and fast; `scrub` re-hashes every blob.

use std::collections::{BTreeMap, HashSet};

use futures::StreamExt;
use serde::Serialize;

use crate::archive::Archive;
use crate::canary::{self, CanaryResult};
use crate::error::Result;
use crate::hash::BlobHash;
use crate::journal;
use crate::layout::{self, Encoding};
use crate::model::RecordManifest;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Stored data is damaged or missing: exit code 1.
    Damage,
    /// An object nothing refers to (left by an interrupted write); collectable after a grace period.
    Orphan,
    /// Worth a look, not damage.
    Warning,
}

/// One thing found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Object name.
    pub object: String,
    /// What is wrong.
    pub detail: String,
}

/// Result of `verify`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct VerifyReport {
    /// Journal batches in the intact chain.
    pub journal_batches: u64,
    /// Records committed.
    pub records: usize,
    /// Manifest versions checked.
    pub manifests: usize,
    /// Distinct blobs referenced.
    pub blobs_referenced: usize,
    /// Canary self-test.
    pub canaries: Vec<CanaryResult>,
    /// Everything found.
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    /// True when any finding is damage.
    pub fn has_damage(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Damage)
    }

    fn add(&mut self, severity: Severity, object: impl Into<String>, detail: impl Into<String>) {
        self.findings.push(Finding {
            severity,
            object: object.into(),
            detail: detail.into(),
        });
    }
}

/// Checks the archive's structure.
pub async fn verify(archive: &Archive) -> Result<VerifyReport> {
    let store = archive.store();
    let mut rep = VerifyReport::default();
    let jr = archive.journal();
    rep.journal_batches = jr.batches.len() as u64;
    for p in &jr.problems {
        rep.add(Severity::Damage, &p.object, &p.detail);
    }
    for p in journal::verify_checkpoints(store, jr).await? {
        rep.add(Severity::Damage, p.object, p.detail);
    }

    // Every stored blob, by name, with its stored size.
    let mut listed: BTreeMap<(BlobHash, Encoding), u64> = BTreeMap::new();
    for m in store.list(layout::BLOBS).await? {
        match layout::parse_blob(&m.location) {
            Some(k) => {
                listed.insert(k, m.size);
            }
            None if m.location.as_ref().contains('#') => rep.add(
                Severity::Orphan,
                m.location.to_string(),
                "partial write left by an interrupted upload",
            ),
            None => rep.add(
                Severity::Warning,
                m.location.to_string(),
                "unexpected object under blobs/",
            ),
        }
    }

    let catalog = archive.catalog();
    rep.records = catalog.records.len();
    let mut committed_manifests = HashSet::new();
    let mut wanted = Vec::new();
    for (id, entry) in &catalog.records {
        for v in &entry.versions {
            committed_manifests.insert(layout::manifest(id, v.version).to_string());
            wanted.push((*id, v.clone()));
        }
    }
    let fetched: Vec<_> = futures::stream::iter(wanted)
        .map(|(id, v)| async move {
            let path = layout::manifest(&id, v.version);
            (path.clone(), v, store.get_opt(&path).await)
        })
        .buffered(16)
        .collect()
        .await;
    for (path, v, got) in fetched {
        rep.manifests += 1;
        let bytes = match got? {
            Some(b) => b,
            None => {
                rep.add(
                    Severity::Damage,
                    path.to_string(),
                    "committed manifest is missing",
                );
                continue;
            }
        };
        let h = BlobHash::of(&bytes);
        if h != v.manifest_blake3 {
            rep.add(
                Severity::Damage,
                path.to_string(),
                format!(
                    "manifest was changed: bytes hash to {h}, the journal recorded {}",
                    v.manifest_blake3
                ),
            );
            continue;
        }
        if let Err(e) = serde_json::from_slice::<RecordManifest>(&bytes) {
            rep.add(
                Severity::Damage,
                path.to_string(),
                format!("manifest cannot be parsed: {e}"),
            );
        }
    }

    let referenced = catalog.referenced_blobs();
    rep.blobs_referenced = referenced.len();
    let mut referenced_keys = HashSet::new();
    for (h, (enc, size)) in &referenced {
        referenced_keys.insert((*h, *enc));
        let name = layout::blob(h, *enc).to_string();
        match listed.get(&(*h, *enc)) {
            None => rep.add(Severity::Damage, name, "referenced blob is missing"),
            Some(stored) if *enc == Encoding::Identity && stored != size => rep.add(
                Severity::Damage,
                name,
                format!("blob has {stored} bytes, its manifest says {size}"),
            ),
            Some(_) => {}
        }
    }
    // Blobs of a half-executed disposition are lawful deletions in progress.
    let mut pending = std::collections::HashMap::new();
    for d in catalog.retention.incomplete() {
        for b in d.execution_started.iter().flat_map(|s| &s.blobs) {
            pending.insert((b.blake3, b.encoding), d.disposition.id().to_string());
        }
    }
    for (h, enc) in listed.keys() {
        if let Some(id) = pending.get(&(*h, *enc))
            && !referenced_keys.contains(&(*h, *enc))
        {
            rep.add(
                Severity::Warning,
                layout::blob(h, *enc).to_string(),
                format!("awaits deletion by disposition {id}, whose execution was interrupted: run `kho dispose execute {id}`"),
            );
        } else if !referenced_keys.contains(&(*h, *enc)) {
            rep.add(
                Severity::Orphan,
                layout::blob(h, *enc).to_string(),
                "blob referenced by no committed record (interrupted deposit); collectable after the grace period",
            );
        }
    }
    for m in store.list(layout::RECORDS).await? {
        let name = m.location.to_string();
        if !committed_manifests.contains(&name) {
            let detail = if layout::parse_manifest(&m.location).is_some() {
                "manifest not committed in the journal (interrupted deposit)"
            } else {
                "unexpected object under records/"
            };
            rep.add(Severity::Orphan, name, detail);
        }
    }
    for m in store.list(layout::STAGING).await? {
        rep.add(
            Severity::Orphan,
            m.location.to_string(),
            "staged upload left by an interrupted deposit",
        );
    }

    let canaries = canary::check_all(store).await?;
    for c in &canaries {
        if !c.present {
            rep.add(
                Severity::Damage,
                &c.object,
                "canary object is missing: the checker self-test cannot run",
            );
        } else if !c.detected {
            rep.add(
                Severity::Damage,
                &c.object,
                "checker self-test failed: a deliberately damaged canary was reported intact",
            );
        }
    }
    rep.canaries = canaries;
    Ok(rep)
}

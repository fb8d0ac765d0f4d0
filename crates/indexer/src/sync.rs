//! Following the journal: catch-up, full rebuild and drift.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use archive_core::archive::Archive;
use archive_core::model::RecordId;
use futures::StreamExt;
use serde::Serialize;

use crate::extract::{self, Extraction, Limits};
use crate::{
    IndexBatch, IndexError, IndexPosition, POSITION_FORMAT, RecordDoc, SearchBackend,
    TantivyBackend,
};

/// A file whose text was not (fully) extracted.
#[derive(Clone, Debug, Serialize)]
pub struct SkippedFile {
    /// Record id.
    pub record_id: String,
    /// File name.
    pub filename: String,
    /// Why.
    pub notes: Vec<String>,
}

/// What a catch-up or rebuild did.
#[derive(Clone, Debug, Serialize)]
pub struct CatchUpReport {
    /// Journal position before (`None`: empty or rebuilt index).
    pub from_seq: Option<u64>,
    /// Journal position now covered.
    pub to_seq: u64,
    /// Whether the whole index was rebuilt.
    pub rebuilt: bool,
    /// Records (re)indexed.
    pub indexed: usize,
    /// Records removed.
    pub deleted: usize,
    /// Files with extraction notes (skipped, cut, tool not installed).
    pub files_with_notes: Vec<SkippedFile>,
}

/// Differences between the archive and its index.
#[derive(Clone, Debug, Serialize)]
pub struct DriftReport {
    /// Whether an index exists.
    pub present: bool,
    /// Journal head of the archive.
    pub journal_head: u64,
    /// Journal position the index covers.
    pub index_position: Option<u64>,
    /// Journal batches not yet applied to the index.
    pub lag: u64,
    /// Records committed but not in the index.
    pub missing: Vec<String>,
    /// Records in the index that the archive does not have.
    pub extra: Vec<String>,
    /// Records indexed from another manifest version than the latest.
    pub stale: Vec<String>,
}

impl DriftReport {
    /// Whether the index matches the archive.
    pub fn is_clean(&self) -> bool {
        self.present
            && self.lag == 0
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.stale.is_empty()
    }
}

/// Brings the index in `index_dir` up to the archive's journal head,
/// creating it (or rebuilding it, when it was built from another store) as
/// needed.
pub async fn catch_up(archive: &Archive, index_dir: &Path) -> Result<CatchUpReport, IndexError> {
    let mut backend = TantivyBackend::open_or_create(index_dir)?;
    catch_up_backend(archive, &mut backend, &Limits::default()).await
}

/// Rebuilds the index in `index_dir` from the store alone.
pub async fn rebuild(archive: &Archive, index_dir: &Path) -> Result<CatchUpReport, IndexError> {
    let mut backend = TantivyBackend::open_or_create(index_dir)?;
    rebuild_backend(archive, &mut backend, &Limits::default()).await
}

/// Compares the index in `index_dir` with the archive.
pub async fn drift(archive: &Archive, index_dir: &Path) -> Result<DriftReport, IndexError> {
    match TantivyBackend::open(index_dir) {
        Ok(b) => drift_backend(archive, &b),
        Err(IndexError::Missing(_) | IndexError::Incompatible(_)) => Ok(DriftReport {
            present: false,
            journal_head: archive.journal_head(),
            index_position: None,
            lag: archive.journal_head(),
            missing: archive.record_ids().map(ToString::to_string).collect(),
            extra: Vec::new(),
            stale: Vec::new(),
        }),
        Err(e) => Err(e),
    }
}

fn position_of(archive: &Archive) -> IndexPosition {
    IndexPosition {
        format_version: POSITION_FORMAT,
        store_id: archive.descriptor().store_id.to_string(),
        journal_seq: archive.journal_head(),
    }
}

/// [`catch_up`] on any backend.
pub async fn catch_up_backend(
    archive: &Archive,
    backend: &mut (dyn SearchBackend + Send),
    limits: &Limits,
) -> Result<CatchUpReport, IndexError> {
    let target = position_of(archive);
    let current = backend.position()?;
    let from = match current {
        Some(p) if p.store_id == target.store_id && p.journal_seq <= target.journal_seq => {
            p.journal_seq
        }
        // Empty, built from another store, or ahead of a store that was
        // restored: start again.
        _ => return rebuild_backend(archive, backend, limits).await,
    };
    if from == target.journal_seq {
        return Ok(CatchUpReport {
            from_seq: Some(from),
            to_seq: from,
            rebuilt: false,
            indexed: 0,
            deleted: 0,
            files_with_notes: Vec::new(),
        });
    }
    let mut changed: Vec<RecordId> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut batches: Vec<archive_core::journal::Batch> = archive
        .journal()
        .batches
        .iter()
        .filter(|b| b.batch.seq > from)
        .map(|b| b.batch.clone())
        .collect();
    // Batches committed since the archive was opened (a long-running server) are
    // read from the store.
    let read_upto = archive.journal().batches.len() as u64;
    for seq in read_upto.max(from) + 1..=target.journal_seq {
        let path = archive_core::layout::journal_batch(seq);
        let bytes = archive.store().get(&path).await?;
        let batch = serde_json::from_slice(&bytes).map_err(|source| {
            IndexError::Archive(archive_core::ArchiveError::Json {
                object: path.to_string(),
                source,
            })
        })?;
        batches.push(batch);
    }
    for batch in &batches {
        for event in &batch.events {
            if !event.kind.starts_with("record.") {
                continue;
            }
            if let Ok(id) = event.object.parse::<RecordId>()
                && seen.insert(id)
            {
                changed.push(id);
            }
        }
    }
    let (present, gone): (Vec<RecordId>, Vec<RecordId>) = changed
        .into_iter()
        .partition(|id| archive.catalog().records.contains_key(id));
    let mut batch = backend.begin(false, present.len())?;
    for id in &gone {
        batch.delete(&id.to_string())?;
    }
    let mut notes = Vec::new();
    let indexed = index_records(archive, present, limits, batch.as_mut(), &mut notes).await?;
    batch.commit(target.clone())?;
    Ok(CatchUpReport {
        from_seq: Some(from),
        to_seq: target.journal_seq,
        rebuilt: false,
        indexed,
        deleted: gone.len(),
        files_with_notes: notes,
    })
}

/// [`rebuild`] on any backend.
pub async fn rebuild_backend(
    archive: &Archive,
    backend: &mut (dyn SearchBackend + Send),
    limits: &Limits,
) -> Result<CatchUpReport, IndexError> {
    let target = position_of(archive);
    let ids: Vec<RecordId> = archive.catalog().records.keys().copied().collect();
    // Searches see the old index until the new one is committed whole.
    let mut batch = backend.begin(true, ids.len())?;
    let mut notes = Vec::new();
    let indexed = index_records(archive, ids, limits, batch.as_mut(), &mut notes).await?;
    batch.commit(target.clone())?;
    Ok(CatchUpReport {
        from_seq: None,
        to_seq: target.journal_seq,
        rebuilt: true,
        indexed,
        deleted: 0,
        files_with_notes: notes,
    })
}

/// [`drift`] on any backend.
pub fn drift_backend(
    archive: &Archive,
    backend: &dyn SearchBackend,
) -> Result<DriftReport, IndexError> {
    let indexed = backend.indexed()?;
    let position = backend.position()?;
    let head = archive.journal_head();
    let same_store = position
        .as_ref()
        .is_some_and(|p| p.store_id == archive.descriptor().store_id.to_string());
    let covered = position.filter(|_| same_store).map(|p| p.journal_seq);
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for (id, entry) in &archive.catalog().records {
        if let Some(v) = entry.versions.last() {
            expected.insert(id.to_string(), v.manifest_blake3.to_string());
        }
    }
    let missing = expected
        .keys()
        .filter(|id| !indexed.contains_key(*id))
        .cloned()
        .collect();
    let extra = indexed
        .keys()
        .filter(|id| !expected.contains_key(*id))
        .cloned()
        .collect();
    let stale = expected
        .iter()
        .filter(|(id, m)| indexed.get(*id).is_some_and(|r| &r.manifest_blake3 != *m))
        .map(|(id, _)| id.clone())
        .collect();
    Ok(DriftReport {
        present: true,
        journal_head: head,
        index_position: covered,
        lag: head.saturating_sub(covered.unwrap_or(0)),
        missing,
        extra,
        stale,
    })
}

/// The document of a record's latest version, its files extracted. A
/// record whose manifest cannot be read is left out (verify reports it).
/// Hands the documents of `ids` to `batch` as they are built, in that
/// order: extraction and the Vietnamese pipeline run on blocking threads,
/// several records at a time, and no more than those few documents are held
/// in memory. Returns how many were indexed.
async fn index_records(
    archive: &Archive,
    ids: Vec<RecordId>,
    limits: &Limits,
    batch: &mut dyn IndexBatch,
    notes: &mut Vec<SkippedFile>,
) -> Result<usize, IndexError> {
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 16));
    let mut built = futures::stream::iter(ids)
        .map(|id| async move { record_doc(archive, id, limits).await })
        .buffered(parallel);
    let mut indexed = 0;
    while let Some(result) = built.next().await {
        let (doc, mut skipped) = result?;
        notes.append(&mut skipped);
        if let Some(doc) = doc {
            batch.upsert(&doc)?;
            indexed += 1;
        }
    }
    Ok(indexed)
}

async fn record_doc(
    archive: &Archive,
    id: RecordId,
    limits: &Limits,
) -> Result<(Option<RecordDoc>, Vec<SkippedFile>), IndexError> {
    let mut notes = Vec::new();
    let id = &id;
    let Some(version) = archive
        .catalog()
        .records
        .get(id)
        .and_then(|e| e.versions.last())
    else {
        return Ok((None, notes));
    };
    let manifest = match archive.manifest(id, None).await {
        Ok(m) => m,
        Err(e) => {
            notes.push(SkippedFile {
                record_id: id.to_string(),
                filename: String::new(),
                notes: vec![format!("skipped: manifest not readable ({e})")],
            });
            return Ok((None, notes));
        }
    };
    let mut files = Vec::with_capacity(manifest.files.len());
    for (i, entry) in manifest.files.iter().enumerate() {
        let x = extract_file(
            archive,
            id,
            i,
            &entry.media_type,
            &entry.filename,
            entry.size,
            limits,
        )
        .await;
        if !x.notes.is_empty() {
            notes.push(SkippedFile {
                record_id: id.to_string(),
                filename: entry.filename.clone(),
                notes: x.notes.clone(),
            });
        }
        files.push((entry.filename.clone(), entry.media_type.clone(), x));
    }
    let (record_id, number, blake3) = (
        id.to_string(),
        version.version,
        version.manifest_blake3.to_string(),
    );
    let metadata = manifest.metadata;
    let doc = tokio::task::spawn_blocking(move || {
        RecordDoc::new(record_id, number, blake3, &metadata, files)
    })
    .await
    .map_err(|e| IndexError::Engine(format!("building the document of record {id}: {e}")))?;
    Ok((Some(doc), notes))
}

async fn extract_file(
    archive: &Archive,
    id: &RecordId,
    index: usize,
    media_type: &str,
    filename: &str,
    size: u64,
    limits: &Limits,
) -> Extraction {
    let skipped = |why: String| Extraction {
        extractor: "none".into(),
        text: String::new(),
        notes: vec![format!("skipped: {why}")],
    };
    if size > limits.max_file_bytes {
        return skipped(format!(
            "file of {size} bytes is over the extraction limit of {} bytes",
            limits.max_file_bytes
        ));
    }
    let mut stream = match archive.open_file(id, index).await {
        Ok((_, s)) => s,
        Err(e) => return skipped(format!("stored bytes not readable ({e})")),
    };
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => bytes.extend_from_slice(&c),
            Err(e) => return skipped(format!("stored bytes not readable ({e})")),
        }
        if bytes.len() as u64 > limits.max_file_bytes {
            return skipped("file larger than its manifest says".into());
        }
    }
    let (media_type, filename, limits) =
        (media_type.to_string(), filename.to_string(), limits.clone());
    tokio::task::spawn_blocking(move || extract::extract(&media_type, &filename, bytes, &limits))
        .await
        .unwrap_or_else(|e| skipped(format!("the extractor failed ({e})")))
}

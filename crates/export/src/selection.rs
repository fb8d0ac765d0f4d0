//! Which records a transfer package holds: a dossier, a list of record ids, or
//! the hits of a search (resolved by the caller).

use archive_core::ArchiveError;
use archive_core::archive::Archive;
use archive_core::model::{RecordId, RecordManifest};

use crate::error::{ExportError, Result};

/// The records chosen for a package, with what chose them.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The dossier code, when a dossier was chosen.
    pub dossier: Option<String>,
    /// The records, without repeats, in the order given.
    pub records: Vec<RecordId>,
}

/// Records given by id; an unknown or malformed id is refused by name.
pub fn by_ids<S: AsRef<str>>(archive: &Archive, ids: &[S]) -> Result<Selection> {
    let mut records = Vec::with_capacity(ids.len());
    for raw in ids {
        let raw = raw.as_ref().trim();
        if raw.is_empty() {
            continue;
        }
        let id: RecordId = raw.parse().map_err(|e: archive_core::model::BadRecordId| {
            ExportError::InvalidInput(e.to_string())
        })?;
        if !archive.catalog().records.contains_key(&id) {
            return Err(ExportError::Archive(ArchiveError::UnknownRecord(format!(
                "{id}: check the id with `kho list` (nothing was written)"
            ))));
        }
        if !records.contains(&id) {
            records.push(id);
        }
    }
    if records.is_empty() {
        return Err(ExportError::InvalidInput(
            "no records selected: give record ids, a dossier code or a query".into(),
        ));
    }
    Ok(Selection {
        dossier: None,
        records,
    })
}

/// The records of a dossier: those filed in it, and those whose metadata names it
/// in `dossier` (mã hồ sơ).
pub async fn by_dossier(archive: &Archive, code: &str) -> Result<Selection> {
    let code = code.trim();
    let mut records: Vec<RecordId> = archive
        .dossiers()
        .get(code)
        .map(|d| d.records.clone())
        .unwrap_or_default();
    for id in archive.record_ids() {
        if records.contains(id) {
            continue;
        }
        let m = archive.manifest(id, None).await?;
        if m.metadata.get("dossier").and_then(|v| v.as_str()) == Some(code) {
            records.push(*id);
        }
    }
    if records.is_empty() {
        return Err(ExportError::InvalidInput(format!(
            "dossier {code:?} has no records: check the code (nothing was written)"
        )));
    }
    Ok(Selection {
        dossier: Some(code.to_string()),
        records,
    })
}

/// The fonds of a dossier, when the dossier is known to the archive.
pub fn dossier_fonds(archive: &Archive, code: &str) -> Option<String> {
    archive.dossiers().get(code)?.dossier.fonds.clone()
}

/// Latest manifest of every selected record (checked against the journal).
pub async fn manifests(archive: &Archive, sel: &Selection) -> Result<Vec<RecordManifest>> {
    let mut out = Vec::with_capacity(sel.records.len());
    for id in &sel.records {
        out.push(archive.manifest(id, None).await?);
    }
    Ok(out)
}

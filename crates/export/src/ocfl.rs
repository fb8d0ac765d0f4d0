//! `kho export ocfl`: an OCFL 1.1 storage root with one object per record.
//!
//! - storage root: `0=ocfl_1.1`, `ocfl_layout.json` and the
//!   `0003-hash-and-id-n-tuple-storage-layout` extension (three tuples of three
//!   characters of the SHA-256 of the object id, then the percent-encoded id, so
//!   a person can find a record's object by its id);
//! - object id: `urn:uuid:<record id>`;
//! - versions: a new OCFL version starts at each Kho manifest version whose files
//!   differ from the previous one (always at least `v1`); each OCFL version's state
//!   holds the files of its last Kho version under `files/` and every Kho manifest
//!   version so far under `kho/manifests/vNNNNNN.json` (exact stored bytes), so
//!   metadata corrections are kept without copying files again;
//! - digests: SHA-512 for the inventory (OCFL does not allow BLAKE3 as the content
//!   digest), with BLAKE3 and SHA-256 in the `fixity` block.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use archive_core::archive::Archive;
use archive_core::hash::BlobHash;
use archive_core::model::{RecordId, RecordManifest};
use archive_core::store::Store;
use bytes::Bytes;
use serde::Serialize;
use serde_json::json;
use sha2::Digest;
use time::OffsetDateTime;

use crate::destination::{self, Staging};
use crate::digest::{BlockingStream, Digests, HashingReader, check_against};
use crate::error::{ExportError, Result};
use crate::selection::Selection;

/// The storage layout extension used.
pub const LAYOUT_EXTENSION: &str = "0003-hash-and-id-n-tuple-storage-layout";

/// What an OCFL export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct OcflReport {
    /// Storage root.
    pub destination: PathBuf,
    /// Objects (one per record).
    pub objects: usize,
    /// OCFL versions over all objects.
    pub versions: usize,
    /// Content files written.
    pub content_files: u64,
    /// Content bytes written.
    pub content_bytes: u64,
    /// Journal position the export is consistent with.
    pub journal_seq: u64,
}

/// The OCFL object id of a record.
pub fn object_id(id: &RecordId) -> String {
    format!("urn:uuid:{id}")
}

/// Object root of an id under the 0003 layout: `abc/def/ghi/<encoded id>`.
pub fn object_path(object_id: &str) -> String {
    let digest = hex::encode(sha2::Sha256::digest(object_id.as_bytes()));
    let mut encoded = String::with_capacity(object_id.len());
    for b in object_id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02x}"));
        }
    }
    if encoded.len() > 100 {
        // The extension keeps the first 100 characters and appends the digest.
        let mut cut = 100;
        while !encoded.is_char_boundary(cut) {
            cut -= 1;
        }
        encoded = format!("{}-{digest}", &encoded[..cut]);
    }
    format!(
        "{}/{}/{}/{encoded}",
        &digest[0..3],
        &digest[3..6],
        &digest[6..9]
    )
}

/// One record's versions, read and checked against the journal.
struct ObjectPlan {
    id: RecordId,
    versions: Vec<(RecordManifest, Bytes)>,
}

/// Indices into `versions` where a new OCFL version starts.
fn version_starts(versions: &[(RecordManifest, Bytes)]) -> Vec<usize> {
    let files_of = |m: &RecordManifest| -> Vec<(String, String)> {
        m.files
            .iter()
            .map(|f| (f.blake3.to_hex(), f.filename.clone()))
            .collect()
    };
    let mut starts = Vec::new();
    for (i, (m, _)) in versions.iter().enumerate() {
        if i == 0 || files_of(m) != files_of(&versions[i - 1].0) {
            starts.push(i);
        }
    }
    starts
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Percent-encodes everything but unreserved URI characters.
fn uri_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Exports the selected records as OCFL objects in a new storage root at `dest`.
/// `progress` is called with bytes copied.
pub async fn export(
    archive: &Archive,
    selection: &Selection,
    dest: &Path,
    progress: crate::Progress,
) -> Result<OcflReport> {
    let staging = Staging::dir(dest)?;
    let mut plans = Vec::with_capacity(selection.records.len());
    for id in &selection.records {
        let entry = archive.catalog().records.get(id).ok_or_else(|| {
            archive_core::ArchiveError::UnknownRecord(format!(
                "{id}: check the id with `kho list` (nothing was written)"
            ))
        })?;
        let mut versions = Vec::with_capacity(entry.versions.len());
        for v in &entry.versions {
            let path = archive_core::layout::manifest(id, v.version);
            let bytes = archive.store().get(&path).await?;
            if BlobHash::of(&bytes) != v.manifest_blake3 {
                return Err(archive_core::ArchiveError::Damaged {
                    object: path.to_string(),
                    detail: format!(
                        "manifest bytes hash to {} but the journal recorded {}",
                        BlobHash::of(&bytes),
                        v.manifest_blake3
                    ),
                }
                .into());
            }
            let m: RecordManifest =
                serde_json::from_slice(&bytes).map_err(|e| archive_core::ArchiveError::Json {
                    object: path.to_string(),
                    source: e,
                })?;
            versions.push((m, bytes));
        }
        plans.push(ObjectPlan { id: *id, versions });
    }
    let journal_seq = archive.journal().batches.last().map_or(0, |b| b.batch.seq);
    let store = archive.store().clone();
    let handle = tokio::runtime::Handle::current();
    let root = staging.path().to_path_buf();
    let objects = plans.len();
    let (versions, files, bytes) = tokio::task::spawn_blocking(move || {
        write_root(&root)?;
        let mut totals = (0usize, 0u64, 0u64);
        for plan in &plans {
            let (v, f, b) = write_object(&root, plan, &store, &handle, &progress)?;
            totals.0 += v;
            totals.1 += f;
            totals.2 += b;
        }
        destination::sync_dir(&root);
        Ok::<_, ExportError>(totals)
    })
    .await
    .map_err(|e| ExportError::Internal(format!("ocfl writer: {e}")))??;
    let destination = staging.commit()?;
    Ok(OcflReport {
        destination,
        objects,
        versions,
        content_files: files,
        content_bytes: bytes,
        journal_seq,
    })
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| ExportError::Internal(format!("json: {e}")))?;
    bytes.push(b'\n');
    destination::write_file(path, &bytes)?;
    Ok(bytes)
}

fn write_root(root: &Path) -> Result<()> {
    destination::write_file(&root.join("0=ocfl_1.1"), b"ocfl_1.1\n")?;
    write_json(
        &root.join("ocfl_layout.json"),
        &json!({
            "extension": LAYOUT_EXTENSION,
            "description": "Hash and Id N-tuple Storage Layout",
        }),
    )?;
    write_json(
        &root
            .join("extensions")
            .join(LAYOUT_EXTENSION)
            .join("config.json"),
        &json!({
            "extensionName": LAYOUT_EXTENSION,
            "digestAlgorithm": "sha256",
            "tupleSize": 3,
            "numberOfTuples": 3,
        }),
    )?;
    Ok(())
}

/// Inventory being built version by version.
#[derive(Default)]
struct Inventory {
    manifest: BTreeMap<String, BTreeSet<String>>,
    fixity_blake3: BTreeMap<String, BTreeSet<String>>,
    fixity_sha256: BTreeMap<String, BTreeSet<String>>,
    versions: BTreeMap<u32, serde_json::Value>,
}

impl Inventory {
    fn add_content(&mut self, path: &str, d: &Digests) {
        let p = path.to_string();
        self.manifest
            .entry(d.sha512.clone())
            .or_default()
            .insert(p.clone());
        self.fixity_blake3
            .entry(d.blake3.clone())
            .or_default()
            .insert(p.clone());
        self.fixity_sha256
            .entry(d.sha256.clone())
            .or_default()
            .insert(p);
    }

    fn to_json(&self, id: &str, head: u32) -> serde_json::Value {
        let versions: serde_json::Map<String, serde_json::Value> = self
            .versions
            .iter()
            .map(|(n, v)| (format!("v{n}"), v.clone()))
            .collect();
        json!({
            "id": id,
            "type": "https://ocfl.io/1.1/spec/#inventory",
            "digestAlgorithm": "sha512",
            "head": format!("v{head}"),
            "contentDirectory": "content",
            "manifest": self.manifest,
            "versions": versions,
            "fixity": {
                "blake3": self.fixity_blake3,
                "sha256": self.fixity_sha256,
            },
        })
    }
}

/// Writes an inventory and its SHA-512 sidecar into `dir`.
fn write_inventory(dir: &Path, inventory: &serde_json::Value) -> Result<()> {
    let bytes = write_json(&dir.join("inventory.json"), inventory)?;
    let digest = hex::encode(sha2::Sha512::digest(&bytes));
    destination::write_file(
        &dir.join("inventory.json.sha512"),
        format!("{digest}  inventory.json\n").as_bytes(),
    )
}

/// Writes one object; returns (versions, content files, content bytes).
fn write_object(
    root: &Path,
    plan: &ObjectPlan,
    store: &Store,
    handle: &tokio::runtime::Handle,
    progress: &crate::Progress,
) -> Result<(usize, u64, u64)> {
    let id = object_id(&plan.id);
    let object_root = root.join(object_path(&id));
    destination::write_file(&object_root.join("0=ocfl_object_1.1"), b"ocfl_object_1.1\n")?;
    let mut inv = Inventory::default();
    // Content already in the object, by BLAKE3 of the original bytes → digests.
    let mut stored: HashMap<String, Digests> = HashMap::new();
    let mut manifest_digests: Vec<Digests> = Vec::new();
    let (mut files, mut bytes) = (0u64, 0u64);
    let starts = version_starts(&plan.versions);
    let record = plan.id.to_string();
    for (k, &start) in starts.iter().enumerate() {
        let n = k as u32 + 1;
        let end = starts.get(k + 1).copied().unwrap_or(plan.versions.len());
        let vdir = object_root.join(format!("v{n}"));
        let mut state: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // Kho manifest versions of this group are new content.
        for (i, (m, raw)) in plan.versions.iter().enumerate().take(end).skip(start) {
            let rel = format!("kho/manifests/v{:06}.json", m.version);
            let d = Digests::of(raw);
            if !inv.manifest.contains_key(&d.sha512) {
                let content = format!("v{n}/content/{rel}");
                destination::write_file(&object_root.join(&content), raw)?;
                inv.add_content(&content, &d);
                files += 1;
                bytes += d.size;
            }
            debug_assert_eq!(manifest_digests.len(), i);
            manifest_digests.push(d);
        }
        for (i, d) in manifest_digests.iter().enumerate() {
            let version = plan.versions.get(i).map_or(0, |(m, _)| m.version);
            state
                .entry(d.sha512.clone())
                .or_default()
                .insert(format!("kho/manifests/v{version:06}.json"));
        }
        // Files of the group's last Kho version.
        let Some((last, _)) = plan.versions.get(end - 1) else {
            return Err(ExportError::Internal("empty version group".into()));
        };
        for placed in crate::bagit::place(std::slice::from_ref(last), "files") {
            let Some(f) = last.files.get(placed.file) else {
                continue;
            };
            // `place` prefixes the record id; OCFL logical paths do not need it.
            let logical = placed
                .path
                .replacen(&format!("files/{}/", last.record_id), "files/", 1);
            let key = f.blake3.to_hex();
            let d = match stored.get(&key) {
                Some(d) => d.clone(),
                None => {
                    let content =
                        format!("v{n}/{}", logical.replacen("files/", "content/files/", 1));
                    let full = object_root.join(&content);
                    if let Some(parent) = full.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            ExportError::io(format!("creating {}", parent.display()), e)
                        })?;
                    }
                    let stream =
                        handle.block_on(archive_core::blob::open(store, &f.blake3, f.encoding))?;
                    let mut reader =
                        HashingReader::new(BlockingStream::new(handle.clone(), stream))
                            .with_progress(progress.clone());
                    let out = std::fs::File::create_new(&full)
                        .map_err(|e| ExportError::io(format!("creating {content}"), e))?;
                    let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
                    std::io::copy(&mut reader, &mut w)
                        .map_err(|e| ExportError::io(format!("writing {content}"), e))?;
                    let out = w.into_inner().map_err(|e| {
                        ExportError::io(format!("writing {content}"), e.into_error())
                    })?;
                    out.sync_all()
                        .map_err(|e| ExportError::io(format!("writing {content}"), e))?;
                    let d = reader.finish();
                    check_against(&record, f, &d)?;
                    if !inv.manifest.contains_key(&d.sha512) {
                        inv.add_content(&content, &d);
                    } else {
                        // Same bytes under another name already stored: keep one copy.
                        std::fs::remove_file(&full)
                            .map_err(|e| ExportError::io(format!("removing {content}"), e))?;
                    }
                    files += 1;
                    bytes += d.size;
                    stored.insert(key, d.clone());
                    d
                }
            };
            state.entry(d.sha512.clone()).or_default().insert(logical);
        }
        let first = plan.versions.get(start).map_or(0, |(m, _)| m.version);
        let last_version = last.version;
        inv.versions.insert(
            n,
            json!({
                "created": rfc3339(last.created_at),
                "message": if first == last_version {
                    format!("Kho record version {first}")
                } else {
                    format!("Kho record versions {first} to {last_version}")
                },
                "user": {
                    "name": last.actor,
                    "address": format!("urn:kho:account:{}", uri_component(&last.actor)),
                },
                "state": state,
            }),
        );
        write_inventory(&vdir, &inv.to_json(&id, n))?;
    }
    let head = starts.len() as u32;
    write_inventory(&object_root, &inv.to_json(&id, head))?;
    Ok((starts.len(), files, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_follow_the_hash_and_id_n_tuple_layout() {
        // Examples from the 0003 extension (sha256, three tuples of three).
        assert_eq!(object_path("object-01"), "3c0/ff4/240/object-01");
        assert_eq!(
            object_path("..hor/rib:le-$id"),
            "487/326/d8c/%2e%2ehor%2frib%3ale-%24id"
        );
    }

    #[test]
    fn account_names_become_uri_safe() {
        assert_eq!(uri_component("Nguyễn A"), "Nguy%E1%BB%85n%20A");
    }
}

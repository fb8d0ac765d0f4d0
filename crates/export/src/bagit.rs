//! `kho export bagit`: BagIt (RFC 8493) transfer packages.
//!
//! ```text
//! bagit.txt
//! bag-info.txt                     agency, fonds, dossier, dates, Payload-Oxum, …
//! manifest-sha256.txt, manifest-sha512.txt
//! tagmanifest-sha256.txt, tagmanifest-sha512.txt
//! data/records/<record id>/<file name>      original bytes
//! data/metadata/records.json                latest manifest of each record
//! data/metadata/records.csv, files.csv      the same as tables
//! ```
//!
//! A destination ending in `.tar` gets the bag as a tar file whose one top-level
//! directory is the bag; any other destination gets the bag as a directory.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use archive_core::archive::Archive;
use archive_core::model::RecordManifest;
use archive_core::store::Store;
use serde::Serialize;
use time::OffsetDateTime;

use crate::destination::{self, Staging, safe_component};
use crate::digest::{BlockingStream, Digests, HashingReader, check_against};
use crate::error::{ExportError, Result};
use crate::selection::Selection;

/// What a bag export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BagReport {
    /// The bag (directory or tar file).
    pub destination: PathBuf,
    /// Whether it is a tar file.
    pub tar: bool,
    /// Records in the bag.
    pub records: usize,
    /// Payload files (originals plus the metadata files).
    pub payload_files: u64,
    /// Payload bytes.
    pub payload_bytes: u64,
    /// `Payload-Oxum` (`bytes.files`).
    pub payload_oxum: String,
    /// Journal position the bag is consistent with.
    pub journal_seq: u64,
}

/// One original file placed in the bag.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub record: usize,
    pub file: usize,
    /// Path inside the payload, relative to the bag root (`data/...`).
    pub path: String,
}

/// Gives each file of each record a unique, safe path under `prefix`
/// (`prefix/<record id>/<file name>`), numbering files whose names clash.
pub(crate) fn place(manifests: &[RecordManifest], prefix: &str) -> Vec<Placed> {
    let mut out = Vec::new();
    for (ri, m) in manifests.iter().enumerate() {
        let mut used = BTreeSet::new();
        for (fi, f) in m.files.iter().enumerate() {
            let base = safe_component(&f.filename, &format!("file-{}", fi + 1));
            let mut name = base.clone();
            if !used.insert(name.to_lowercase()) {
                name = format!("{}-{base}", fi + 1);
                used.insert(name.to_lowercase());
            }
            out.push(Placed {
                record: ri,
                file: fi,
                path: format!("{prefix}/{}/{name}", m.record_id),
            });
        }
    }
    out
}

/// Total bytes of original files in the selection (for progress bars).
pub fn payload_size(manifests: &[RecordManifest]) -> u64 {
    manifests
        .iter()
        .flat_map(|m| m.files.iter())
        .map(|f| f.size)
        .sum()
}

/// Where bag entries go: a directory or a tar stream.
trait Sink {
    fn add_reader(&mut self, path: &str, size: u64, reader: &mut dyn Read) -> std::io::Result<()>;
    fn add_bytes(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.add_reader(path, bytes.len() as u64, &mut &bytes[..])
    }
}

struct DirSink {
    root: PathBuf,
}

impl Sink for DirSink {
    fn add_reader(&mut self, path: &str, _size: u64, reader: &mut dyn Read) -> std::io::Result<()> {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = std::fs::File::create_new(&full)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        std::io::copy(reader, &mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

struct TarSink {
    builder: tar::Builder<BufWriter<std::fs::File>>,
    prefix: String,
    mtime: u64,
}

impl Sink for TarSink {
    fn add_reader(&mut self, path: &str, size: u64, reader: &mut dyn Read) -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        // The tar entry must hold exactly `size` bytes; a short source is caught
        // by the digest check after it and the whole tar file is discarded.
        self.builder.append_data(
            &mut header,
            format!("{}/{path}", self.prefix),
            reader.take(size),
        )
    }
}

/// A path as written in a manifest (RFC 8493 §2.1.3: `%`, CR and LF percent-encoded).
fn manifest_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn manifest_text(entries: &BTreeMap<String, Digests>, sha512: bool) -> String {
    let mut s = String::new();
    for (path, d) in entries {
        let digest = if sha512 { &d.sha512 } else { &d.sha256 };
        s.push_str(digest);
        s.push_str("  ");
        s.push_str(&manifest_path(path));
        s.push('\n');
    }
    s
}

/// A `bag-info.txt` value on one line.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

fn text<'a>(m: &'a RecordManifest, key: &str) -> Option<&'a str> {
    m.metadata.get(key).and_then(|v| v.as_str())
}

/// Quotes one CSV field (RFC 4180).
fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `records.csv` and `files.csv` of the metadata directory.
fn metadata_csv(manifests: &[RecordManifest], placed: &[Placed]) -> (String, String) {
    let mut records = vec![
        [
            "record_id",
            "version",
            "doc_number",
            "doc_type",
            "issued_on",
            "issuer",
            "issuer_code",
            "summary",
            "dossier",
            "fonds",
            "urgency",
            "secrecy",
            "created_at",
            "received_at",
            "actor",
            "file_count",
            "total_size",
            "signature_decision",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for m in manifests {
        let t = |k: &str| text(m, k).unwrap_or("").to_string();
        records.push(vec![
            m.record_id.to_string(),
            m.version.to_string(),
            t("doc_number"),
            t("doc_type"),
            t("issued_on"),
            t("issuer"),
            t("issuer_code"),
            t("summary"),
            t("dossier"),
            t("fonds"),
            t("urgency"),
            t("secrecy"),
            rfc3339(m.created_at),
            rfc3339(m.received_at),
            m.actor.clone(),
            m.files.len().to_string(),
            m.files.iter().map(|f| f.size).sum::<u64>().to_string(),
            crate::parquet::overall_decision(m)
                .unwrap_or("")
                .to_string(),
        ]);
    }
    let mut files = vec![
        [
            "record_id",
            "file_index",
            "role",
            "filename",
            "bag_path",
            "media_type",
            "size",
            "sha256",
            "blake3",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for p in placed {
        let (Some(m), Some(f)) = (
            manifests.get(p.record),
            manifests.get(p.record).and_then(|m| m.files.get(p.file)),
        ) else {
            continue;
        };
        files.push(vec![
            m.record_id.to_string(),
            (p.file + 1).to_string(),
            serde_json::to_value(f.role)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            f.filename.clone(),
            p.path.clone(),
            f.media_type.clone(),
            f.size.to_string(),
            f.sha256.to_hex(),
            f.blake3.to_hex(),
        ]);
    }
    (csv(&records), csv(&files))
}

/// Everything a bag writer needs, owned so it can move to a blocking thread.
struct BagJob {
    store: Store,
    manifests: Vec<RecordManifest>,
    placed: Vec<Placed>,
    tag_info: Vec<(String, String)>,
    metadata_files: Vec<(String, Vec<u8>)>,
    progress: crate::Progress,
}

/// Exports the selected records as a bag at `dest` (a directory, or a tar file
/// when `dest` ends in `.tar`). `progress` is called with bytes copied.
pub async fn export(
    archive: &Archive,
    selection: &Selection,
    dest: &Path,
    progress: crate::Progress,
) -> Result<BagReport> {
    let is_tar = dest
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tar"));
    // Refuse a bad destination before reading anything.
    let staging = if is_tar {
        Staging::file(dest)?
    } else {
        Staging::dir(dest)?
    };
    let manifests = crate::selection::manifests(archive, selection).await?;
    let placed = place(&manifests, "data/records");
    let journal_seq = archive.journal().batches.last().map_or(0, |b| b.batch.seq);

    let records_json = serde_json::to_vec_pretty(&manifests)
        .map_err(|e| ExportError::Internal(format!("metadata json: {e}")))?;
    let (records_csv, files_csv) = metadata_csv(&manifests, &placed);
    let metadata_files = vec![
        ("data/metadata/records.json".to_string(), records_json),
        (
            "data/metadata/records.csv".to_string(),
            records_csv.into_bytes(),
        ),
        (
            "data/metadata/files.csv".to_string(),
            files_csv.into_bytes(),
        ),
    ];

    let mut tag_info: Vec<(String, String)> = Vec::new();
    let agencies: BTreeSet<&str> = manifests.iter().filter_map(|m| text(m, "issuer")).collect();
    for a in &agencies {
        tag_info.push(("Source-Organization".into(), one_line(a)));
    }
    let today = OffsetDateTime::now_utc().date();
    tag_info.push((
        "Bagging-Date".into(),
        format!(
            "{:04}-{:02}-{:02}",
            today.year(),
            u8::from(today.month()),
            today.day()
        ),
    ));
    tag_info.push((
        "Bag-Software-Agent".into(),
        format!("kho {}", env!("CARGO_PKG_VERSION")),
    ));
    let mut fonds: BTreeSet<String> = manifests
        .iter()
        .filter_map(|m| text(m, "fonds"))
        .map(String::from)
        .collect();
    if let Some(code) = &selection.dossier {
        tag_info.push(("External-Identifier".into(), one_line(code)));
        tag_info.push(("Kho-Dossier".into(), one_line(code)));
        if let Some(f) = crate::selection::dossier_fonds(archive, code) {
            fonds.insert(f);
        }
    }
    for f in &fonds {
        tag_info.push(("Kho-Fonds".into(), one_line(f)));
    }
    let mut days: Vec<time::Date> = manifests
        .iter()
        .filter_map(|m| text(m, "issued_on"))
        .filter_map(crate::parquet::parse_day)
        .collect();
    days.sort_unstable();
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        tag_info.push(("Kho-Date-Range".into(), format!("{first}/{last}")));
    }
    tag_info.push((
        "External-Description".into(),
        format!(
            "{} record(s) exported from Kho store {} at journal batch {journal_seq}",
            manifests.len(),
            archive.descriptor().store_id
        ),
    ));
    tag_info.push((
        "Kho-Store-Id".into(),
        archive.descriptor().store_id.to_string(),
    ));
    tag_info.push(("Kho-Journal-Seq".into(), journal_seq.to_string()));
    tag_info.push(("Kho-Record-Count".into(), manifests.len().to_string()));

    let bag_name = dest
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bag".into());
    let job = BagJob {
        store: archive.store().clone(),
        manifests,
        placed,
        tag_info,
        metadata_files,
        progress,
    };
    let handle = tokio::runtime::Handle::current();
    let work = staging.path().to_path_buf();
    let (files, bytes) = tokio::task::spawn_blocking(move || -> Result<(u64, u64)> {
        if is_tar {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&work)
                .map_err(|e| ExportError::io(format!("opening {}", work.display()), e))?;
            let mut builder = tar::Builder::new(BufWriter::with_capacity(1 << 20, file));
            builder.mode(tar::HeaderMode::Deterministic);
            let mut sink = TarSink {
                builder,
                prefix: safe_component(&bag_name, "bag"),
                mtime: OffsetDateTime::now_utc().unix_timestamp().max(0) as u64,
            };
            let counts = write_bag(&job, &handle, &mut sink)?;
            let buf = sink
                .builder
                .into_inner()
                .map_err(|e| ExportError::io("finishing the tar file", e))?;
            let file = buf
                .into_inner()
                .map_err(|e| ExportError::io("finishing the tar file", e.into_error()))?;
            file.sync_all()
                .map_err(|e| ExportError::io("finishing the tar file", e))?;
            Ok(counts)
        } else {
            let mut sink = DirSink { root: work.clone() };
            let counts = write_bag(&job, &handle, &mut sink)?;
            destination::sync_dir(&work);
            Ok(counts)
        }
    })
    .await
    .map_err(|e| ExportError::Internal(format!("bag writer: {e}")))??;
    let destination = staging.commit()?;
    Ok(BagReport {
        destination,
        tar: is_tar,
        records: selection.records.len(),
        payload_files: files,
        payload_bytes: bytes,
        payload_oxum: format!("{bytes}.{files}"),
        journal_seq,
    })
}

/// Writes payload, then tag files, into a sink; returns (payload files, payload bytes).
fn write_bag(
    job: &BagJob,
    handle: &tokio::runtime::Handle,
    sink: &mut dyn Sink,
) -> Result<(u64, u64)> {
    let mut payload: BTreeMap<String, Digests> = BTreeMap::new();
    for p in &job.placed {
        let (Some(m), Some(f)) = (
            job.manifests.get(p.record),
            job.manifests
                .get(p.record)
                .and_then(|m| m.files.get(p.file)),
        ) else {
            return Err(ExportError::Internal("placed file out of range".into()));
        };
        let stream =
            handle.block_on(archive_core::blob::open(&job.store, &f.blake3, f.encoding))?;
        let mut reader = HashingReader::new(BlockingStream::new(handle.clone(), stream))
            .with_progress(job.progress.clone());
        sink.add_reader(&p.path, f.size, &mut reader)
            .map_err(|e| ExportError::io(format!("writing {}", p.path), e))?;
        let got = reader.finish();
        check_against(&m.record_id.to_string(), f, &got)?;
        payload.insert(p.path.clone(), got);
    }
    for (path, bytes) in &job.metadata_files {
        sink.add_bytes(path, bytes)
            .map_err(|e| ExportError::io(format!("writing {path}"), e))?;
        payload.insert(path.clone(), Digests::of(bytes));
    }
    let files = payload.len() as u64;
    let bytes: u64 = payload.values().map(|d| d.size).sum();

    let mut tags: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    tags.insert(
        "bagit.txt".into(),
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_vec(),
    );
    let mut info = String::new();
    for (k, v) in &job.tag_info {
        info.push_str(&format!("{k}: {v}\n"));
    }
    info.push_str(&format!("Payload-Oxum: {bytes}.{files}\n"));
    info.push_str(&format!("Bag-Size: {}\n", human_size(bytes)));
    tags.insert("bag-info.txt".into(), info.into_bytes());
    tags.insert(
        "manifest-sha256.txt".into(),
        manifest_text(&payload, false).into_bytes(),
    );
    tags.insert(
        "manifest-sha512.txt".into(),
        manifest_text(&payload, true).into_bytes(),
    );
    let tag_digests: BTreeMap<String, Digests> = tags
        .iter()
        .map(|(k, v)| (k.clone(), Digests::of(v)))
        .collect();
    tags.insert(
        "tagmanifest-sha256.txt".into(),
        manifest_text(&tag_digests, false).into_bytes(),
    );
    tags.insert(
        "tagmanifest-sha512.txt".into(),
        manifest_text(&tag_digests, true).into_bytes(),
    );
    for (path, bytes) in &tags {
        sink.add_bytes(path, bytes)
            .map_err(|e| ExportError::io(format!("writing {path}"), e))?;
    }
    Ok((files, bytes))
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_percent_encode_percent_and_line_breaks() {
        assert_eq!(manifest_path("data/a%b\nc"), "data/a%25b%0Ac");
    }

    #[test]
    fn csv_fields_are_quoted_with_doubled_quotes() {
        assert_eq!(
            csv(&[vec!["a\"b".into(), "c,d".into()]]),
            "\"a\"\"b\",\"c,d\"\r\n"
        );
    }

    #[test]
    fn human_size_uses_decimal_units() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_500_000), "1.5 MB");
    }
}

//! `kho export parquet`: the journal and the records as Parquet tables.
//!
//! A full export writes every table into a new directory. An incremental export
//! (`since` = the journal position a previous export covered) adds files holding
//! only the rows of newer journal batches; file names carry the batch range
//! (`part-<first>-<last>.parquet`), and `_kho_export.json` records the position
//! covered, so the next run knows where to start. Readers glob `TABLE/**/*.parquet`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use archive_core::archive::Archive;
use archive_core::archive::event_types as core_events;
use archive_core::backup::event_types as backup_events;
use archive_core::journal::{Event, Outcome};
use archive_core::model::{FileRole, RecordId, RecordManifest};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use time::OffsetDateTime;

use crate::destination::{self, Found, Staging};
use crate::error::{ExportError, Result};
use crate::table::{self, TableWriter, Value, WrittenFile, micros};

/// Name of the file describing what a directory's export covers.
pub const STATE_FILE: &str = "_kho_export.json";

/// Format version of [`STATE_FILE`].
pub const STATE_FORMAT_VERSION: u32 = 1;

/// `_kho_export.json`: which store and which journal position an export directory covers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportState {
    /// Format version of this file.
    pub format_version: u32,
    /// Always `kho-parquet-export`.
    pub kind: String,
    /// Store the rows come from.
    pub store_id: uuid::Uuid,
    /// Journal batches 1..=`journal_seq` are in the files.
    pub journal_seq: u64,
    /// Every run that wrote into the directory, oldest first.
    pub runs: Vec<ExportRun>,
}

/// One run of `kho export parquet` into a directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportRun {
    /// Rows of journal batches after this position…
    pub since: u64,
    /// …up to and including this one.
    pub until: u64,
    /// When the run ended.
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    /// Files written.
    pub files: Vec<WrittenFile>,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ParquetReport {
    /// Export directory.
    pub destination: PathBuf,
    /// Rows of batches after this position…
    pub since: u64,
    /// …up to and including this one.
    pub until: u64,
    /// Whether rows were added to an earlier export.
    pub incremental: bool,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    /// Files written.
    pub files: Vec<WrittenFile>,
}

/// Reads the export state of a directory, if it holds an export.
pub fn read_state(dir: &Path) -> Result<Option<ExportState>> {
    let path = dir.join(STATE_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(None),
        Err(e) => return Err(ExportError::io(format!("reading {}", path.display()), e)),
    };
    let state: ExportState = serde_json::from_slice(&bytes).map_err(|e| {
        ExportError::InvalidInput(format!(
            "{} is not a Kho export description ({e}): choose another directory",
            path.display()
        ))
    })?;
    if state.format_version > STATE_FORMAT_VERSION || state.kind != "kho-parquet-export" {
        return Err(ExportError::InvalidInput(format!(
            "{} was written by a newer Kho or another tool: choose another directory",
            path.display()
        )));
    }
    Ok(Some(state))
}

/// Last journal batch of the intact journal prefix.
fn journal_end(archive: &Archive) -> u64 {
    archive.journal().batches.last().map_or(0, |b| b.batch.seq)
}

/// Number of events an export from `since` will read (for progress bars).
pub fn events_after(archive: &Archive, since: u64) -> u64 {
    archive
        .journal()
        .batches
        .iter()
        .filter(|b| b.batch.seq > since)
        .map(|b| b.batch.events.len() as u64)
        .sum()
}

/// Exports the tables into `dest`.
///
/// - `since = None`: a full export into a new or empty directory.
/// - `since = Some(n)` on a directory holding an export that covers the journal up
///   to `n`: adds the rows of later batches as new files and moves the covered
///   position on.
/// - `since = Some(n)` on a new or empty directory: an export of the rows after `n` only.
///
/// `progress` is called with the number of journal events handled.
pub async fn export(
    archive: &Archive,
    dest: &Path,
    since: Option<u64>,
    progress: crate::Progress,
) -> Result<ParquetReport> {
    let end = journal_end(archive);
    let store_id = archive.descriptor().store_id;
    let previous = match destination::inspect(dest)? {
        Found::NonEmptyDir => read_state(dest)?,
        _ => None,
    };
    if let Some(state) = &previous {
        if state.store_id != store_id {
            return Err(ExportError::InvalidInput(format!(
                "{} holds an export of store {}, not of this store ({store_id}): choose another directory",
                dest.display(),
                state.store_id
            )));
        }
        match since {
            Some(n) if n == state.journal_seq => {}
            _ => {
                return Err(ExportError::InvalidInput(format!(
                    "{} already holds an export up to journal batch {}: add `--since {}` to add newer rows, or choose an empty directory",
                    dest.display(),
                    state.journal_seq,
                    state.journal_seq
                )));
            }
        }
    }
    let from = since.unwrap_or(0);
    if from > end {
        return Err(ExportError::InvalidInput(format!(
            "--since {from} is past the end of the journal (batch {end}): give a position at most {end}"
        )));
    }
    let incremental = previous.is_some();
    // A full export is staged beside the destination; an incremental one inside it.
    let staging = if incremental {
        Staging::dir(&dest.join(format!(".kho-incoming-{}", uuid::Uuid::now_v7().simple())))?
    } else {
        Staging::dir(dest)?
    };
    let work = staging.path().to_path_buf();
    let stem = format!("{:010}-{:010}", from + 1, end);
    let mut writers: Vec<TableWriter> = table::TABLES
        .iter()
        .map(|spec| TableWriter::new(*spec, &work, &stem))
        .collect();
    if !incremental {
        for w in &mut writers {
            w.ensure_file()?;
        }
    }
    if end > from {
        fill(archive, from, &mut writers, &progress).await?;
    }
    let mut files = Vec::new();
    let mut rows = BTreeMap::new();
    for w in writers {
        rows.insert(w.spec().name.to_string(), w.rows());
        files.extend(w.finish()?);
    }
    let run = ExportRun {
        since: from,
        until: end,
        exported_at: OffsetDateTime::now_utc(),
        files: files.clone(),
    };
    let mut state = previous.unwrap_or_else(|| ExportState {
        format_version: STATE_FORMAT_VERSION,
        kind: "kho-parquet-export".into(),
        store_id,
        journal_seq: end,
        runs: Vec::new(),
    });
    state.journal_seq = end;
    state.runs.push(run);
    let state_bytes = serde_json::to_vec_pretty(&state)
        .map_err(|e| ExportError::Internal(format!("export state: {e}")))?;
    if incremental {
        // Files first (their names carry the batch range, so a rerun after a crash
        // rewrites the same names), the covered position last.
        for f in &files {
            let to = dest.join(&f.path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| ExportError::io(format!("creating {}", parent.display()), e))?;
            }
            std::fs::rename(work.join(&f.path), &to)
                .map_err(|e| ExportError::io(format!("moving {} into place", f.path), e))?;
            if let Some(parent) = to.parent() {
                destination::sync_dir(parent);
            }
        }
        destination::replace_file(&dest.join(STATE_FILE), &state_bytes)?;
        drop(staging);
    } else {
        destination::write_file(&work.join(STATE_FILE), &state_bytes)?;
        staging.commit()?;
    }
    Ok(ParquetReport {
        destination: dest.to_path_buf(),
        since: from,
        until: end,
        incremental,
        rows,
        files,
    })
}

/// Reads the journal after `from` and pushes rows into the table writers (in the
/// order of [`table::TABLES`]).
async fn fill(
    archive: &Archive,
    from: u64,
    writers: &mut [TableWriter],
    progress: &crate::Progress,
) -> Result<()> {
    let [records, files, events, fixity, dispositions, backups] = writers else {
        return Err(ExportError::Internal("expected six table writers".into()));
    };
    for rb in archive
        .journal()
        .batches
        .iter()
        .filter(|b| b.batch.seq > from)
    {
        let seq = rb.batch.seq as i64;
        for (index, ev) in rb.batch.events.iter().enumerate() {
            let detail = serde_json::to_string(&ev.detail)
                .map_err(|e| ExportError::Internal(format!("event detail: {e}")))?;
            let year = Some(ev.time.year());
            let event_id = ev.id.to_string();
            events.push(
                year,
                &[
                    Value::Int64(seq),
                    Value::Int32(index as i32),
                    Value::Text(&event_id),
                    Value::Timestamp(micros(ev.time)),
                    Value::Text(&ev.actor),
                    Value::Text(&ev.kind),
                    Value::Text(&ev.object),
                    Value::Text(outcome(ev.outcome)),
                    Value::Text(&detail),
                ],
            )?;
            match ev.kind.as_str() {
                core_events::RECORD_DEPOSITED | core_events::RECORD_VERSION_ADDED
                    if ev.outcome != Outcome::Failure =>
                {
                    record_rows(archive, ev, seq, records, files).await?;
                }
                core_events::FIXITY_CHECKED => fixity_row(ev, seq, &event_id, &detail, fixity)?,
                k if k.starts_with("disposition.") => {
                    disposition_row(ev, seq, &event_id, &detail, dispositions)?
                }
                backup_events::BACKUP_RUN
                | backup_events::BACKUP_VERIFY
                | backup_events::REPAIR_RUN
                | backup_events::STORE_RESTORED => {
                    backup_row(ev, seq, &event_id, &detail, backups)?
                }
                _ => {}
            }
            progress(1);
        }
    }
    Ok(())
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Warning => "warning",
    }
}

fn role(r: FileRole) -> &'static str {
    match r {
        FileRole::Main => "main",
        FileRole::Attachment => "attachment",
        FileRole::DigitisedCopy => "digitised_copy",
        FileRole::Signature => "signature",
    }
}

fn text<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

/// The most cautious of a record's signature decisions.
pub fn overall_decision(m: &RecordManifest) -> Option<&str> {
    let rank = |d: &str| match d {
        "reject" => 0,
        "accept-with-warning" => 1,
        "accept" => 2,
        "accept-unsigned" => 3,
        _ => 1,
    };
    m.signature_reports
        .iter()
        .map(|r| r.decision.as_str())
        .min_by_key(|d| rank(d))
}

/// Parses a `YYYY-MM-DD` date (or the date part of an RFC 3339 time).
pub fn parse_day(s: &str) -> Option<time::Date> {
    let day = s.get(..10)?;
    time::Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// One `records` row (and its `files` rows) per committed manifest version.
async fn record_rows(
    archive: &Archive,
    ev: &Event,
    seq: i64,
    records: &mut TableWriter,
    files: &mut TableWriter,
) -> Result<()> {
    let Ok(id) = ev.object.parse::<RecordId>() else {
        return Ok(());
    };
    let Some(version) = ev.detail.get("version").and_then(Json::as_u64) else {
        return Ok(());
    };
    let m = archive.manifest(&id, Some(version as u32)).await?;
    push_record(&m, seq, text(&ev.detail, "manifest_blake3"), records, files)
}

/// Pushes the `records` row and `files` rows of one manifest version (public for
/// the benchmark, which feeds generated manifests).
pub fn push_record(
    m: &RecordManifest,
    seq: i64,
    manifest_blake3: Option<&str>,
    records: &mut TableWriter,
    files: &mut TableWriter,
) -> Result<()> {
    let id = m.record_id.to_string();
    let md = &m.metadata;
    let doc_number = text(md, "doc_number");
    let doc_key = doc_number.and_then(vietnamese::doc_number_key);
    let issued_on = text(md, "issued_on").and_then(parse_day).map(table::days);
    let metadata = serde_json::to_string(md)
        .map_err(|e| ExportError::Internal(format!("record metadata: {e}")))?;
    let previous = m.previous.map(|p| p.to_hex());
    let total: u64 = m.files.iter().map(|f| f.size).sum();
    records.push(
        Some(m.created_at.year()),
        &[
            Value::Text(&id),
            Value::Int32(m.version as i32),
            Value::Int64(seq),
            Value::Timestamp(micros(m.created_at)),
            Value::Timestamp(micros(m.received_at)),
            Value::Text(&m.actor),
            Value::opt_text(text(md, "kind")),
            Value::opt_text(doc_number),
            Value::opt_text(doc_key.as_deref()),
            Value::opt_text(text(md, "doc_type")),
            issued_on.map_or(Value::Null, Value::Date),
            Value::opt_text(text(md, "issuer").or_else(|| text(md, "agency"))),
            Value::opt_text(text(md, "issuer_code").or_else(|| text(md, "agency_code"))),
            Value::opt_text(text(md, "summary")),
            Value::opt_text(text(md, "urgency")),
            Value::opt_text(text(md, "secrecy")),
            Value::opt_text(text(md, "dossier")),
            Value::opt_text(text(md, "fonds")),
            Value::opt_text(text(md, "language")),
            md.get("page_count")
                .and_then(Json::as_i64)
                .and_then(|n| i32::try_from(n).ok())
                .map_or(Value::Null, Value::Int32),
            Value::Int32(m.files.len() as i32),
            Value::Int64(total as i64),
            Value::opt_text(overall_decision(m)),
            Value::Text(manifest_blake3.unwrap_or("")),
            Value::opt_text(previous.as_deref()),
            Value::Text(&metadata),
        ],
    )?;
    for (i, f) in m.files.iter().enumerate() {
        let report = m.signature_reports.iter().find(|r| r.file == i);
        let blake3 = f.blake3.to_hex();
        let sha256 = f.sha256.to_hex();
        files.push(
            None,
            &[
                Value::Text(&id),
                Value::Int32(m.version as i32),
                Value::Int64(seq),
                Value::Int32(i as i32),
                Value::Text(role(f.role)),
                Value::Text(&f.filename),
                Value::Text(&f.media_type),
                Value::Int64(f.size as i64),
                Value::Text(&blake3),
                Value::Text(&sha256),
                Value::Text(encoding(f.encoding)),
                Value::Int64(f.stored_size as i64),
                Value::opt_text(report.map(|r| r.decision.as_str())),
                Value::opt_text(report.map(|r| r.reason.as_str())),
            ],
        )?;
    }
    Ok(())
}

fn encoding(e: archive_core::layout::Encoding) -> &'static str {
    match e {
        archive_core::layout::Encoding::Identity => "identity",
        archive_core::layout::Encoding::Zstd => "zstd",
    }
}

fn fixity_row(
    ev: &Event,
    seq: i64,
    event_id: &str,
    detail: &str,
    w: &mut TableWriter,
) -> Result<()> {
    w.push(
        None,
        &[
            Value::Int64(seq),
            Value::Text(event_id),
            Value::Timestamp(micros(ev.time)),
            Value::Text(&ev.actor),
            Value::Text(&ev.object),
            Value::Text(outcome(ev.outcome)),
            Value::opt_text(text(&ev.detail, "run")),
            Value::opt_text(text(&ev.detail, "problem")),
            Value::Text(detail),
        ],
    )
}

/// A key of a disposition event's detail: at the top level or one object down
/// (details may nest the step, e.g. `{"step": {"decision_number": …}}`).
fn find<'a>(detail: &'a Json, keys: &[&str]) -> Option<&'a Json> {
    for k in keys {
        if let Some(v) = detail.get(k).filter(|v| !v.is_null()) {
            return Some(v);
        }
    }
    detail
        .as_object()?
        .values()
        .filter(|v| v.is_object())
        .find_map(|inner| {
            keys.iter()
                .find_map(|k| inner.get(k).filter(|v| !v.is_null()))
        })
}

fn find_text<'a>(detail: &'a Json, keys: &[&str]) -> Option<&'a str> {
    find(detail, keys).and_then(Json::as_str)
}

fn find_list<'a>(detail: &'a Json, keys: &[&str]) -> Option<Vec<&'a str>> {
    match find(detail, keys)? {
        Json::Array(items) => Some(items.iter().filter_map(Json::as_str).collect()),
        Json::String(s) => Some(vec![s.as_str()]),
        _ => None,
    }
}

fn disposition_row(
    ev: &Event,
    seq: i64,
    event_id: &str,
    detail: &str,
    w: &mut TableWriter,
) -> Result<()> {
    let d = &ev.detail;
    let state =
        find_text(d, &["state", "to", "event"]).or_else(|| ev.kind.strip_prefix("disposition."));
    let decided_on = find_text(
        d,
        &[
            "approved_on",
            "executed_on",
            "rejected_on",
            "appraised_on",
            "proposed_on",
            "date",
        ],
    )
    .and_then(parse_day)
    .map(table::days);
    w.push(
        None,
        &[
            Value::Int64(seq),
            Value::Text(event_id),
            Value::Timestamp(micros(ev.time)),
            Value::Text(&ev.actor),
            Value::Text(&ev.kind),
            Value::Text(&ev.object),
            Value::Text(outcome(ev.outcome)),
            Value::opt_text(find_text(d, &["disposition_id", "disposition", "id"])),
            Value::opt_text(state),
            Value::opt_text(find_text(d, &["action"])),
            find_list(d, &["dossiers", "dossier"]).map_or(Value::Null, Value::TextList),
            find_list(d, &["records", "record", "record_ids"]).map_or(Value::Null, Value::TextList),
            Value::opt_text(find_text(d, &["decision_number"])),
            Value::opt_text(find_text(d, &["approver", "approved_by"])),
            Value::opt_text(find_text(d, &["council_minutes"])),
            decided_on.map_or(Value::Null, Value::Date),
            Value::opt_text(find_text(d, &["reason", "note"])),
            Value::Text(detail),
        ],
    )
}

fn backup_row(
    ev: &Event,
    seq: i64,
    event_id: &str,
    detail: &str,
    w: &mut TableWriter,
) -> Result<()> {
    let d = &ev.detail;
    let int = |k: &str| {
        d.get(k)
            .and_then(Json::as_i64)
            .map_or(Value::Null, Value::Int64)
    };
    let float = |k: &str| {
        d.get(k)
            .and_then(Json::as_f64)
            .map_or(Value::Null, Value::Float64)
    };
    let started = text(d, "started_at")
        .and_then(|s| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
        .map_or(Value::Null, |t| Value::Timestamp(micros(t)));
    w.push(
        None,
        &[
            Value::Int64(seq),
            Value::Text(event_id),
            Value::Timestamp(micros(ev.time)),
            Value::Text(&ev.actor),
            Value::Text(&ev.kind),
            Value::Text(outcome(ev.outcome)),
            Value::opt_text(text(d, "run")),
            Value::opt_text(text(d, "kind")),
            Value::opt_text(text(d, "target")),
            Value::opt_text(text(d, "target_location")),
            Value::opt_text(text(d, "mode")),
            started,
            float("duration_seconds"),
            int("journal_seq"),
            int("objects"),
            int("bytes"),
            int("objects_present"),
            int("errors"),
            float("coverage"),
            Value::opt_text(text(d, "error")),
            Value::Text(detail),
        ],
    )
}

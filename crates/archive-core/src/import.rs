//! Imports into the archive: registers (sổ đăng ký văn bản đi / đến, CSV) and
//! edXML messages (QCVN 102:2016), used by `kho import` and the HTTP API.
//!
//! Both are all-or-nothing per document: a document is either committed whole
//! (metadata and every file, in one journal batch) or not at all. A register
//! is checked whole first (encoding, columns, every row's metadata, every
//! named file, its format and its signatures); if any row fails, nothing is
//! deposited and the
//! report lists every failing row with its line, field and rule. An edXML
//! message is one document; its base64 attachments are streamed to temporary
//! files (never held in memory) and refused above a size limit.
//!
//! Each import ends with an `import.register` or `import.edxml` journal event
//! naming the source, its BLAKE3 and the records it created.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

use records::edxml::{EdxmlError, EdxmlOptions, PriorityMeaning};
use records::register::{RegisterError, RegisterKind, RegisterOptions, RowFailure};
use records::{DepositError, RecordKind};
use serde::Serialize;
use time::Date;

use crate::archive::{Archive, DepositFile, DepositReceipt, DepositRequest, FileSource};
use crate::error::{ArchiveError, Result};
use crate::hash::BlobHash;
use crate::journal::{Event, Outcome};
use crate::model::{FileRole, RecordId};

/// Journal event type of a register import.
pub const IMPORT_REGISTER: &str = "import.register";
/// Journal event type of an edXML import.
pub const IMPORT_EDXML: &str = "import.edxml";

/// Default largest decoded edXML attachment: 2 GiB.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Records committed per journal batch.
const GROUP: usize = 64;
/// Records stored at the same time.
const CONCURRENCY: usize = 8;

/// How a register is imported.
#[derive(Debug, Clone)]
pub struct RegisterImportOptions {
    /// Outgoing or incoming register.
    pub kind: RegisterKind,
    /// Directory where the files named in `Tệp đính kèm` are looked up.
    pub files_dir: PathBuf,
    /// The agency keeping the register (issuer of outgoing documents).
    pub issuer: Option<String>,
    /// Its agency code.
    pub issuer_code: Option<String>,
    /// Date against which "in the future" is judged.
    pub today: Date,
}

/// How edXML messages are imported.
#[derive(Debug, Clone)]
pub struct EdxmlImportOptions {
    /// Outgoing (the agency's own messages) or incoming (received).
    pub kind: RecordKind,
    /// Meaning of `OtherInfo/Priority` codes (urgency and secrecy kept apart).
    pub priority: BTreeMap<String, PriorityMeaning>,
    /// Largest decoded attachment accepted.
    pub max_attachment_bytes: u64,
    /// Date against which "in the future" is judged.
    pub today: Date,
}

/// A document that was committed.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedDocument {
    /// Source file.
    pub source: String,
    /// Line of its register row (registers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The new record.
    pub record_id: RecordId,
    /// Its số, ký hiệu.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Number of files stored.
    pub files: usize,
    /// Warnings that did not stop the deposit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Why a document (or a whole source) was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportFailure {
    /// Source file.
    pub source: String,
    /// Line of the register row, when the failure is a row's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Field path or column, when one field is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Machine name of the rule broken, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field {field}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, " (rule {rule})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Documents committed.
    pub imported: Vec<ImportedDocument>,
    /// Documents (or sources) refused; nothing of them was stored.
    pub failed: Vec<ImportFailure>,
}

impl ImportReport {
    /// Whether every document was imported.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

fn failure(source: &str, message: impl Into<String>) -> ImportFailure {
    ImportFailure {
        source: source.to_owned(),
        line: None,
        field: None,
        rule: None,
        message: message.into(),
    }
}

/// One failure per problem of a refused or invalid document.
fn deposit_failures(source: &str, line: Option<u64>, error: &DepositError) -> Vec<ImportFailure> {
    match error {
        DepositError::Refused(records::Refusal::Secret { rule, .. }) => vec![ImportFailure {
            source: source.to_owned(),
            line,
            field: Some("secrecy".into()),
            rule: Some((*rule).to_owned()),
            message: error.to_string(),
        }],
        DepositError::Invalid(problems) => problems
            .0
            .iter()
            .map(|p| ImportFailure {
                source: source.to_owned(),
                line,
                field: Some(p.path.clone()),
                rule: Some(p.rule.to_owned()),
                message: p.to_string(),
            })
            .collect(),
        other => vec![ImportFailure {
            line,
            ..failure(source, other.to_string())
        }],
    }
}

fn register_failures(source: &str, error: RegisterError) -> Vec<ImportFailure> {
    let whole = |rule: &str, field: Option<String>, line: Option<u64>, message: String| {
        vec![ImportFailure {
            source: source.to_owned(),
            line,
            field,
            rule: Some(rule.to_owned()),
            message,
        }]
    };
    match error {
        RegisterError::Rows(rows) => rows
            .iter()
            .flat_map(|RowFailure { line, error }| deposit_failures(source, Some(*line), error))
            .collect(),
        RegisterError::MixedEncodings { other_line, .. } => {
            whole("single_encoding", None, Some(other_line), error.to_string())
        }
        RegisterError::Csv(ref e) => {
            let line = e.position().map(|p| p.line());
            whole("csv_format", None, line, error.to_string())
        }
        RegisterError::MissingColumns { .. }
        | RegisterError::UnknownColumns { .. }
        | RegisterError::DuplicateColumn(_)
        | RegisterError::Empty => whole("register_columns", None, Some(1), error.to_string()),
        other => whole("register_format", None, None, other.to_string()),
    }
}

/// Why a named file cannot be attached.
fn check_file(
    dir: &Path,
    name: &str,
    archive: &Archive,
) -> std::result::Result<(PathBuf, String), String> {
    if name == "."
        || name == ".."
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        return Err(format!(
            "`{name}` is not a plain file name: name a file inside the files directory"
        ));
    }
    let path = dir.join(name);
    let meta = std::fs::metadata(&path).map_err(|e| {
        format!(
            "file `{name}` cannot be read in {}: {e}; put it there or give --files DIR",
            dir.display()
        )
    })?;
    if !meta.is_file() {
        return Err(format!("`{name}` is not a regular file"));
    }
    let mut head = vec![0u8; 8192];
    let n = std::fs::File::open(&path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| format!("file `{name}` cannot be read: {e}"))?;
    head.truncate(n);
    let media_type = crate::format::identify(&head, name);
    let policy = archive.options().formats;
    if let Some(promised) = crate::format::promised_by_name(name)
        && promised != media_type
        && policy == crate::format::FormatPolicy::Standard
    {
        return Err(format!(
            "`{name}`: its name says {promised} but its content is {media_type}"
        ));
    }
    if !policy.allows(&media_type) {
        return Err(format!(
            "`{name}`: format {media_type} is not an allowed archival format"
        ));
    }
    Ok((path, media_type))
}

/// The signature check the deposit will make, made first so that a rejected
/// file fails its row before anything of the register is stored.
async fn check_signatures(
    archive: &Archive,
    files: &[(String, PathBuf, String)],
) -> std::result::Result<(), String> {
    let candidates: Vec<crate::signing::Candidate> = files
        .iter()
        .map(|(filename, path, media_type)| crate::signing::Candidate {
            filename: filename.clone(),
            media_type: media_type.clone(),
            source: Some(crate::signing::Checkable::Path(path.clone())),
        })
        .collect();
    let options = archive.options().signatures.clone();
    match tokio::task::spawn_blocking(move || crate::signing::check_files(&candidates, &options))
        .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!("signature check failed: {e}")),
    }
}

/// A document ready to deposit, with what identifies it in the report.
struct Pending {
    source: String,
    line: Option<u64>,
    doc_number: Option<String>,
    request: DepositRequest,
}

/// Deposits documents a group at a time; each one is committed whole or not at all.
async fn deposit_all(
    archive: &mut Archive,
    pending: Vec<Pending>,
    report: &mut ImportReport,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<()> {
    let total = pending.len() as u64;
    let mut done = 0u64;
    let mut rest = pending.into_iter().peekable();
    while rest.peek().is_some() {
        let group: Vec<Pending> = rest.by_ref().take(GROUP).collect();
        let mut labels = Vec::with_capacity(group.len());
        let mut requests = Vec::with_capacity(group.len());
        for p in group {
            labels.push((p.source, p.line, p.doc_number));
            requests.push(p.request);
        }
        let results = archive.deposit_many(requests, CONCURRENCY).await?;
        for ((source, line, doc_number), result) in labels.into_iter().zip(results) {
            match result {
                Ok(DepositReceipt {
                    record_id,
                    files,
                    warnings,
                    ..
                }) => report.imported.push(ImportedDocument {
                    source,
                    line,
                    record_id,
                    doc_number,
                    files: files.len(),
                    warnings,
                }),
                Err(e) => report.failed.push(ImportFailure {
                    line,
                    ..failure(&source, format!("{e}; nothing of this document was stored"))
                }),
            }
            done += 1;
        }
        progress(done, total);
    }
    Ok(())
}

/// The journal event recording an import: source, its BLAKE3 and the records made.
fn import_event(
    actor: &str,
    kind: &str,
    source: &str,
    digest: Option<BlobHash>,
    report: &ImportReport,
) -> Event {
    let outcome = if report.failed.is_empty() {
        Outcome::Success
    } else if report.imported.is_empty() {
        Outcome::Failure
    } else {
        Outcome::Warning
    };
    let detail = serde_json::json!({
        "source": source,
        "blake3": digest,
        "records": report.imported.iter().map(|d| d.record_id).collect::<Vec<_>>(),
        "failed": report.failed.len(),
    });
    Event::new(actor, kind, source, outcome, detail)
}

/// BLAKE3 of a file, read as a stream.
fn file_digest(path: &Path) -> Option<BlobHash> {
    let mut hasher = blake3::Hasher::new();
    let file = std::fs::File::open(path).ok()?;
    hasher.update_reader(file).ok()?;
    Some(BlobHash::from(hasher.finalize()))
}

/// Imports a register: `bytes` are the CSV file (UTF-8 or windows-1258, BOM
/// or not) named `source`. Every row is checked before anything is stored;
/// any failing row means nothing is imported and every failure is reported.
/// `progress` is called with (documents done, total).
pub async fn import_register(
    archive: &mut Archive,
    source: &str,
    bytes: &[u8],
    options: &RegisterImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let rows = records::register::decode_register(bytes).and_then(|text| {
        records::register::import_register(
            options.kind,
            &text,
            &RegisterOptions {
                issuer: options.issuer.clone(),
                issuer_code: options.issuer_code.clone(),
                today: options.today,
            },
        )
    });
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            report.failed = register_failures(source, e);
            return Ok(report);
        }
    };
    if rows.is_empty() {
        report.failed.push(ImportFailure {
            rule: Some("register_rows".into()),
            ..failure(source, "the register has no rows: nothing to import")
        });
        return Ok(report);
    }
    let mut pending = Vec::with_capacity(rows.len());
    for row in rows {
        let file_failure = |message: String, rule: &str| ImportFailure {
            source: source.to_owned(),
            line: Some(row.line),
            field: Some(records::register::FILES_COLUMN.to_owned()),
            rule: Some(rule.to_owned()),
            message,
        };
        if row.files.is_empty() {
            report.failed.push(file_failure(
                "no file for this record: name its files in column Tệp đính kèm (looked up in the files directory)".into(),
                "file_required",
            ));
            continue;
        }
        let mut checked = Vec::with_capacity(row.files.len());
        let mut row_ok = true;
        for name in &row.files {
            match check_file(&options.files_dir, name, archive) {
                Ok((path, media_type)) => checked.push((name.clone(), path, media_type)),
                Err(message) => {
                    row_ok = false;
                    report.failed.push(file_failure(message, "file_readable"));
                }
            }
        }
        if row_ok && let Err(message) = check_signatures(archive, &checked).await {
            report
                .failed
                .push(file_failure(message, "signature_policy"));
        }
        let files = checked
            .into_iter()
            .enumerate()
            .map(|(i, (filename, path, _))| DepositFile {
                filename,
                role: if i == 0 {
                    FileRole::Main
                } else {
                    FileRole::Attachment
                },
                source: FileSource::Path(path),
            })
            .collect();
        let metadata = serde_json::to_value(&row.metadata)
            .map_err(|e| ArchiveError::Internal(e.to_string()))?;
        pending.push(Pending {
            source: source.to_owned(),
            line: Some(row.line),
            doc_number: row.metadata.doc_number.clone(),
            request: DepositRequest { metadata, files },
        });
    }
    if !report.failed.is_empty() {
        return Ok(report);
    }
    deposit_all(archive, pending, &mut report, progress).await?;
    let actor = archive.options().actor.clone();
    let event = import_event(
        &actor,
        IMPORT_REGISTER,
        source,
        Some(BlobHash::of(bytes)),
        &report,
    );
    archive.append_events(vec![event]).await?;
    Ok(report)
}

fn edxml_failures(source: &str, error: EdxmlError) -> Vec<ImportFailure> {
    let rule = match &error {
        EdxmlError::Deposit(e) => return deposit_failures(source, None, e),
        EdxmlError::Xml { .. } => "well_formed_xml",
        EdxmlError::Doctype | EdxmlError::Entity(_) => "no_entity_expansion",
        EdxmlError::NotEdxml(_) => "edxml_envelope",
        EdxmlError::Truncated(_) => "complete_message",
        EdxmlError::TooLarge(_) => "size_limit",
        EdxmlError::Attachment { .. } => "attachment_content",
        _ => "edxml_format",
    };
    let field = match &error {
        EdxmlError::Attachment { element, .. } => Some(element.clone()),
        _ => None,
    };
    vec![ImportFailure {
        field,
        rule: Some(rule.into()),
        ..failure(
            source,
            format!("{error}; nothing of this message was stored"),
        )
    }]
}

/// A plain file name from an attachment name (never a path).
fn safe_name(name: Option<&str>, index: usize) -> String {
    let name = name
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "." && *n != ".." && !n.chars().any(char::is_control));
    match name {
        Some(n) => n.to_owned(),
        None => format!("attachment-{}", index + 1),
    }
}

/// Reads one message: its metadata and attachments (in `temp`).
fn read_message(
    path: &Path,
    options: &EdxmlImportOptions,
    temp: &Path,
) -> std::result::Result<(serde_json::Value, Vec<DepositFile>, Vec<String>), EdxmlError> {
    let open = || {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| EdxmlError::Xml {
                position: 0,
                message: format!("cannot read {}: {e}", path.display()),
            })
    };
    let message = records::edxml::parse_edxml(
        open()?,
        &EdxmlOptions {
            kind: options.kind,
            priority: options.priority.clone(),
            today: options.today,
        },
    )?;
    let attachments =
        records::edxml::extract_attachments(open()?, options.max_attachment_bytes, |i| {
            std::fs::File::create(temp.join(format!("{i}"))).map(BufWriter::new)
        })?;
    let mut warnings = Vec::new();
    let mut metadata = message.metadata;
    if !message.attachments.is_empty() {
        metadata.extra.insert(
            "edxml_manifest".into(),
            serde_json::to_value(&message.attachments).unwrap_or_default(),
        );
    }
    let mut files = Vec::new();
    for a in &attachments {
        let stored = temp.join(format!("{}", a.index));
        if !stored.is_file() {
            warnings.push(format!(
                "attachment {} has no content element and was skipped",
                a.index + 1
            ));
            continue;
        }
        let listed = message
            .attachments
            .iter()
            .find(|r| r.content_id.is_some() && r.content_id == a.content_id);
        let name = a
            .name
            .as_deref()
            .or_else(|| listed.and_then(|r| r.name.as_deref()));
        files.push(DepositFile {
            filename: safe_name(name, a.index),
            role: if files.is_empty() {
                FileRole::Main
            } else {
                FileRole::Attachment
            },
            source: FileSource::Path(stored),
        });
    }
    for r in &message.attachments {
        if !attachments
            .iter()
            .any(|a| r.content_id.is_some() && a.content_id == r.content_id)
        {
            warnings.push(format!(
                "attachment {} ({}) is listed in the manifest but its content is not in the message",
                r.name.as_deref().unwrap_or("?"),
                r.content_id.as_deref().unwrap_or("no content id")
            ));
        }
    }
    if files.is_empty() {
        // A message without content keeps the message itself as the document.
        files.push(DepositFile::from_path(path, FileRole::Main));
    }
    let metadata = serde_json::to_value(&metadata).map_err(|e| EdxmlError::Xml {
        position: 0,
        message: e.to_string(),
    })?;
    Ok((metadata, files, warnings))
}

/// Imports edXML messages, one document each. A message that fails is
/// reported and nothing of it is stored; the others are imported.
/// `progress` is called with (documents done, total).
pub async fn import_edxml(
    archive: &mut Archive,
    paths: &[PathBuf],
    options: &EdxmlImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let total = paths.len() as u64;
    let mut done = 0u64;
    for chunk in paths.chunks(GROUP) {
        // The temporary files live until the group is committed.
        let mut temps = Vec::new();
        let mut pending = Vec::new();
        let mut warnings_by_source = BTreeMap::new();
        for path in chunk {
            let source = path.display().to_string();
            let temp = tempfile::tempdir().map_err(|source| ArchiveError::Io {
                what: "creating a temporary directory for attachments".into(),
                source,
            })?;
            let read = {
                let path = path.clone();
                let options = options.clone();
                let dir = temp.path().to_path_buf();
                tokio::task::spawn_blocking(move || read_message(&path, &options, &dir))
                    .await
                    .map_err(|e| ArchiveError::Internal(e.to_string()))?
            };
            match read {
                Ok((metadata, files, warnings)) => {
                    warnings_by_source.insert(source.clone(), warnings);
                    pending.push(Pending {
                        doc_number: metadata
                            .get("doc_number")
                            .and_then(|v| v.as_str())
                            .map(str::to_owned),
                        source,
                        line: None,
                        request: DepositRequest { metadata, files },
                    });
                    temps.push(temp);
                }
                Err(e) => {
                    report.failed.extend(edxml_failures(&source, e));
                    done += 1;
                    progress(done, total);
                }
            }
        }
        let before = report.imported.len();
        let base = done;
        deposit_all(archive, pending, &mut report, &|d, _| {
            progress(base + d, total)
        })
        .await?;
        done = base + (report.imported.len() - before) as u64;
        for doc in &mut report.imported[before..] {
            if let Some(w) = warnings_by_source.remove(&doc.source) {
                doc.warnings.extend(w);
            }
        }
        drop(temps);
    }
    let actor = archive.options().actor.clone();
    let mut events = Vec::with_capacity(paths.len());
    for path in paths {
        let source = path.display().to_string();
        let own = ImportReport {
            imported: report
                .imported
                .iter()
                .filter(|d| d.source == source)
                .cloned()
                .collect(),
            failed: report
                .failed
                .iter()
                .filter(|f| f.source == source)
                .cloned()
                .collect(),
        };
        let digest = file_digest(path);
        events.push(import_event(&actor, IMPORT_EDXML, &source, digest, &own));
    }
    if !events.is_empty() {
        archive.append_events(events).await?;
    }
    Ok(report)
}

/// A register (sổ đăng ký văn bản đi / đến) written for a period.
#[derive(Debug, Clone)]
pub struct RegisterExport {
    /// The CSV text.
    pub text: String,
    /// Rows written.
    pub rows: usize,
}

/// Writes the register of `kind` for the days `from..=to`: outgoing documents by
/// their issue date and number, incoming ones by their arrival date and arrival
/// number. Records without register metadata (free metadata) are left out.
/// `spreadsheet` writes CSV that spreadsheet programs open with Vietnamese text
/// intact (UTF-8 with BOM, CRLF).
pub async fn export_register(
    archive: &Archive,
    kind: RegisterKind,
    from: Date,
    to: Date,
    spreadsheet: bool,
) -> Result<RegisterExport> {
    use records::RecordMetadata;
    use records::register::{ExportOptions, ExportRow};
    if from > to {
        return Err(ArchiveError::InvalidInput(format!(
            "the period starts on {from}, after its end {to}: give the first day first"
        )));
    }
    let record_kind = match kind {
        RegisterKind::Outgoing => RecordKind::Outgoing,
        RegisterKind::Incoming => RecordKind::Incoming,
    };
    let register_date = |m: &RecordMetadata| match kind {
        RegisterKind::Outgoing => m.issued_on,
        RegisterKind::Incoming => m.arrival_date,
    };
    let mut rows: Vec<(RecordMetadata, Vec<String>, time::OffsetDateTime)> = Vec::new();
    let ids: Vec<_> = archive.record_ids().copied().collect();
    for id in ids {
        let m = archive.manifest(&id, None).await?;
        let Ok(md) = serde_json::from_value::<RecordMetadata>(m.metadata.clone()) else {
            continue;
        };
        if md.kind != record_kind {
            continue;
        }
        let Some(date) = register_date(&md) else {
            continue;
        };
        if date < from || date > to {
            continue;
        }
        let files = m.files.iter().map(|f| f.filename.clone()).collect();
        rows.push((md, files, m.received_at));
    }
    rows.sort_by(|(a, _, ra), (b, _, rb)| {
        let key = |m: &RecordMetadata| {
            (
                register_date(m),
                match kind {
                    RegisterKind::Outgoing => leading_number(m.doc_number.as_deref()),
                    RegisterKind::Incoming => m.arrival_number.unwrap_or(u64::MAX),
                },
            )
        };
        key(a).cmp(&key(b)).then(ra.cmp(rb))
    });
    let export_rows: Vec<ExportRow<'_>> = rows
        .iter()
        .map(|(metadata, files, _)| ExportRow { metadata, files })
        .collect();
    let text = records::register::export_register_rows(
        kind,
        &export_rows,
        ExportOptions {
            files_column: true,
            spreadsheet,
        },
    )
    .map_err(|e| ArchiveError::Internal(format!("writing the register: {e}")))?;
    Ok(RegisterExport {
        text,
        rows: rows.len(),
    })
}

/// Leading number of a số, ký hiệu (`05/2016/QĐ-UBND` → 5), for ordering.
fn leading_number(doc_number: Option<&str>) -> u64 {
    doc_number
        .map(|d| {
            d.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse().ok())
        .unwrap_or(u64::MAX)
}

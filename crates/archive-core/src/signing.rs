//! Signature checks at deposit: PDF signatures (PAdES/CMS) and detached CMS
//! signatures (`X` with `X.p7s` or `X.sig`), verified without changing a byte.
//! The reports, with their evidence, are kept in the manifest as preservation
//! metadata; a `reject` decision refuses the deposit before anything is stored.

use std::io::{Read, Seek};
use std::path::PathBuf;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{ArchiveError, Result};

/// The signature report of one file of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSignatureReport {
    /// Index of the file in the manifest (from 0).
    pub file: usize,
    /// Index of the detached signature file, when the signature is detached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_file: Option<usize>,
    /// `accept`, `accept-with-warning`, `accept-unsigned` or `reject`.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// The full report with per-signature verdicts and evidence (certificates,
    /// timestamp tokens), as the verifier wrote it.
    pub report: serde_json::Value,
}

/// Where the bytes to check come from (only sources that can be read twice).
#[derive(Debug, Clone)]
pub enum Checkable {
    /// A local file.
    Path(PathBuf),
    /// Bytes in memory.
    Bytes(Bytes),
}

fn open(src: &Checkable) -> Result<Box<dyn ReadSeek>> {
    match src {
        Checkable::Path(p) => Ok(Box::new(std::fs::File::open(p).map_err(|source| {
            ArchiveError::InputFile {
                path: p.clone(),
                source,
            }
        })?)),
        Checkable::Bytes(b) => Ok(Box::new(std::io::Cursor::new(b.clone()))),
    }
}

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

fn read_small(src: &Checkable, limit: u64) -> Result<Vec<u8>> {
    let mut r = open(src)?;
    let mut v = Vec::new();
    (&mut r).take(limit + 1).read_to_end(&mut v).map_err(|e| {
        ArchiveError::InvalidInput(format!("cannot read a detached signature: {e}"))
    })?;
    if v.len() as u64 > limit {
        return Err(ArchiveError::InvalidInput(format!(
            "a detached signature file is larger than {limit} bytes"
        )));
    }
    Ok(v)
}

fn summarise(
    file: usize,
    signature_file: Option<usize>,
    report: &signatures::SignatureReport,
) -> Result<FileSignatureReport> {
    Ok(FileSignatureReport {
        file,
        signature_file,
        decision: report.decision.as_str().to_string(),
        reason: report.reason.clone(),
        report: serde_json::to_value(report).map_err(|e| ArchiveError::Internal(e.to_string()))?,
    })
}

/// One file of a deposit as the signature check sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// File name.
    pub filename: String,
    /// Media type from magic bytes.
    pub media_type: String,
    /// Re-readable source, if any.
    pub source: Option<Checkable>,
}

/// Checks every PDF and every detached signature pair among the files.
/// Returns the reports, or a refusal when the policy rejects a file.
pub fn check_files(
    files: &[Candidate],
    options: &signatures::VerifyOptions,
) -> Result<Vec<FileSignatureReport>> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let Some(src) = &f.source else { continue };
        let lower = f.filename.to_lowercase();
        if lower.ends_with(".p7s") || lower.ends_with(".sig") {
            let base = &f.filename[..f.filename.len() - 4];
            let Some((ci, content)) = files.iter().enumerate().find(|(_, c)| c.filename == base)
            else {
                continue;
            };
            let Some(csrc) = &content.source else {
                continue;
            };
            let sig = read_small(src, 16 * 1024 * 1024)?;
            let report = signatures::verify_detached(open(csrc)?, &sig, options);
            out.push(summarise(ci, Some(i), &report)?);
        } else if f.media_type == "application/pdf" {
            let report = signatures::verify_pdf(open(src)?, options);
            out.push(summarise(i, None, &report)?);
        }
    }
    if let Some(r) = out.iter().find(|r| r.decision == "reject") {
        let name = &files[r.file].filename;
        return Err(ArchiveError::Refused(format!(
            "{name}: signature check rejected it: {} (rule: signature policy; run `kho verify-signatures {name}` for the details); nothing was stored",
            r.reason
        )));
    }
    Ok(out)
}

/// Builds verification options from PEM files or directories of PEM files.
pub fn load_options(
    trust_anchors: &[PathBuf],
    intermediates: &[PathBuf],
) -> Result<signatures::VerifyOptions> {
    let mut anchors = signatures::TrustAnchors::new();
    for pem in pem_files(trust_anchors)? {
        let bytes = std::fs::read(&pem).map_err(|source| ArchiveError::InputFile {
            path: pem.clone(),
            source,
        })?;
        anchors
            .add_pem(&bytes)
            .map_err(|e| ArchiveError::Config(format!("trust anchor {}: {e}", pem.display())))?;
    }
    let mut options = signatures::VerifyOptions::new(anchors);
    for pem in pem_files(intermediates)? {
        let bytes = std::fs::read(&pem).map_err(|source| ArchiveError::InputFile {
            path: pem.clone(),
            source,
        })?;
        options.add_intermediates_pem(&bytes).map_err(|e| {
            ArchiveError::Config(format!("intermediate certificate {}: {e}", pem.display()))
        })?;
    }
    Ok(options)
}

fn pem_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|source| ArchiveError::InputFile {
                path: p.clone(),
                source,
            })?;
            let mut v: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|e| e == "pem" || e == "crt"))
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Result of re-checking one stored file's signatures.
#[derive(Debug, Clone, Serialize)]
pub struct Revalidation {
    /// Record id.
    pub record_id: String,
    /// File name.
    pub filename: String,
    /// Decision recorded at deposit.
    pub previous_decision: String,
    /// Decision now.
    pub decision: String,
    /// Why.
    pub reason: String,
}

/// Files larger than this are not re-checked in memory (reported as skipped).
const REVALIDATE_LIMIT: u64 = 1 << 30;

async fn read_blob(archive: &crate::Archive, f: &crate::FileEntry) -> Result<Bytes> {
    use futures::StreamExt;
    let mut s = crate::blob::open(archive.store(), &f.blake3, f.encoding).await?;
    let mut v = Vec::with_capacity(f.size as usize);
    while let Some(c) = s.next().await {
        let c = c.map_err(|e| ArchiveError::Damaged {
            object: crate::layout::blob(&f.blake3, f.encoding).to_string(),
            detail: format!("cannot read stored bytes: {e}"),
        })?;
        v.extend_from_slice(&c);
    }
    Ok(Bytes::from(v))
}

/// Re-checks the signatures of every record's latest version with today's trust
/// anchors and policy, and records one `signature.revalidated` event per file. The
/// reports made at deposit stay as they were.
pub async fn revalidate(archive: &mut crate::Archive) -> Result<Vec<Revalidation>> {
    let ids: Vec<crate::RecordId> = archive.record_ids().copied().collect();
    let options = archive.options().signatures.clone();
    let actor = archive.options().actor.clone();
    let mut out = Vec::new();
    let mut events = Vec::new();
    for id in ids {
        let m = archive.manifest(&id, None).await?;
        for r in &m.signature_reports {
            let Some(f) = m.files.get(r.file) else {
                continue;
            };
            let (decision, reason) = if f.size > REVALIDATE_LIMIT {
                (
                    "skipped".to_string(),
                    format!("file larger than {REVALIDATE_LIMIT} bytes"),
                )
            } else {
                let content = read_blob(archive, f).await?;
                let sig = match r.signature_file.and_then(|i| m.files.get(i)) {
                    Some(sf) => Some(read_blob(archive, sf).await?),
                    None => None,
                };
                let opts = options.clone();
                let report = tokio::task::spawn_blocking(move || match sig {
                    Some(sig) => {
                        signatures::verify_detached(std::io::Cursor::new(content), &sig, &opts)
                    }
                    None => signatures::verify_pdf_bytes(&content, &opts),
                })
                .await
                .map_err(|e| ArchiveError::Internal(e.to_string()))?;
                (report.decision.as_str().to_string(), report.reason)
            };
            let outcome = match decision.as_str() {
                "accept" | "accept-unsigned" => crate::journal::Outcome::Success,
                "reject" => crate::journal::Outcome::Failure,
                _ => crate::journal::Outcome::Warning,
            };
            events.push(crate::journal::Event::new(
                &actor,
                "signature.revalidated",
                id.to_string(),
                outcome,
                serde_json::json!({
                    "file": r.file,
                    "filename": f.filename,
                    "decision": decision,
                    "previous_decision": r.decision,
                    "reason": reason,
                }),
            ));
            out.push(Revalidation {
                record_id: id.to_string(),
                filename: f.filename.clone(),
                previous_decision: r.decision.clone(),
                decision,
                reason,
            });
        }
    }
    if !events.is_empty() {
        archive.append_events(events).await?;
    }
    Ok(out)
}

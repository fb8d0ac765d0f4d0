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

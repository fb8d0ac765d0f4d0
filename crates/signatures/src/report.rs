//! Verdicts and evidence: what the archive stores next to the file, as
//! sidecar JSON, so a decision can be re-checked decades later.

use serde::{Deserialize, Serialize};

use crate::digest::DigestAlgorithm;
use crate::policy::{Decision, Policy};

/// Version of the report format; bumped on any incompatible change.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The result of verifying every signature of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureReport {
    /// Format version of this report ([`REPORT_FORMAT_VERSION`]).
    pub format_version: u32,
    /// What was verified: a PDF or a file with a detached CMS signature.
    pub kind: DocumentKind,
    /// The per-document decision under `policy`.
    pub decision: Decision,
    /// Why, in words an operator can act on.
    pub reason: String,
    /// Facts about the document itself.
    pub document: DocumentFacts,
    /// One verdict per signature, in field order.
    pub signatures: Vec<SignatureVerdict>,
    /// What this verification checks and what it does not.
    pub scope: VerificationScope,
    /// The policy the decision was made under.
    pub policy: Policy,
}

/// The kind of document verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// A PDF with embedded signatures (PAdES / PKCS#7 detached).
    Pdf,
    /// Any file with a detached CMS signature (`.p7s`, `.sig`).
    DetachedCms,
}

/// Facts about the verified document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentFacts {
    /// Size in bytes.
    pub size: u64,
    /// Whether the document (or the detached signature) could be read.
    pub readable: bool,
    /// Why it could not be read, when it could not (short, for the reason).
    pub malformed: Option<String>,
    /// The parser's account of what was wrong.
    pub malformed_detail: Option<String>,
    /// PDF revisions, oldest first (empty for detached signatures).
    pub revisions: Vec<RevisionFacts>,
    /// Notes about the document as a whole (limits reached, ...).
    pub warnings: Vec<String>,
}

/// One revision (incremental update) of a PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionFacts {
    /// Index, 0 for the original document.
    pub index: usize,
    /// Offset just after this revision's `%%EOF` line, if found.
    pub end_offset: Option<u64>,
    /// What this revision does to the previous one.
    pub effect: RevisionChange,
    /// What changed, when content changed.
    pub detail: Option<String>,
}

/// The effect of a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevisionChange {
    /// The original document.
    Original,
    /// Adds signatures, their fields, metadata or validation data only.
    SignaturesOnly,
    /// Changes what a reader sees.
    ContentChanged,
    /// Could not be analysed.
    Unknown,
}

/// What revisions after a signature do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LaterChanges {
    /// The signature covers the whole file.
    None,
    /// Later revisions only add signatures (and what comes with them).
    SignaturesOnly,
    /// A later revision changes content.
    ContentChanged,
}

/// Overall state of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureStatus {
    /// The signed bytes and the signature value verify.
    Intact,
    /// The bytes changed after signing, or the signature value is wrong.
    Broken,
    /// The signature structure could not be read.
    Malformed,
    /// An algorithm or format this verifier does not check.
    Unsupported,
}

/// Where the time used for certificate validity comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigningTimeSource {
    /// A verified, trusted RFC 3161 signature time-stamp: proven.
    Timestamp,
    /// The CMS signing-time attribute: claimed by the signer.
    SigningTimeAttribute,
    /// The PDF signature dictionary's `/M`: claimed by the signer.
    PdfModificationDate,
    /// The validation time given by the caller.
    ValidationTime,
}

/// The verdict on one signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureVerdict {
    /// Fully qualified PDF field name (`None` for detached signatures).
    pub field: Option<String>,
    /// `/SubFilter` with its slash, e.g. `/adbe.pkcs7.detached`.
    pub subfilter: Option<String>,
    /// Overall state.
    pub status: SignatureStatus,
    /// Signer common name.
    pub signer_cn: Option<String>,
    /// Signer subject, RFC 4514.
    pub signer_subject: Option<String>,
    /// Digest over the signed bytes and the CMS signature both verify.
    pub intact: bool,
    /// `/ByteRange`: 4 numbers, start 0, gap exactly `/Contents`, ends at a
    /// revision end (always true for detached signatures).
    pub byte_range_ok: bool,
    /// The `/ByteRange` as found.
    pub byte_range: Option<Vec<i64>>,
    /// The signed bytes plus `/Contents` are the whole file.
    pub covers_whole_file: bool,
    /// Index of the revision this signature covers.
    pub revision: Option<usize>,
    /// What later revisions do.
    pub later_changes: LaterChanges,
    /// A later revision changed content (shortcut for `later_changes`).
    pub modified_after_signing: bool,
    /// A path to a trust anchor validates, validity periods aside (`None`
    /// when the signature is not intact).
    pub trusted: Option<bool>,
    /// Carries a valid, trusted RFC 3161 signature time-stamp.
    pub timestamped: bool,
    /// The time-stamp, when there is one.
    pub timestamp: Option<TimestampVerdict>,
    /// The signing time the signer claims (signing-time attribute or `/M`).
    pub claimed_signing_time: Option<String>,
    /// The time certificate validity was judged at.
    pub validation_time: Option<String>,
    /// Where `validation_time` comes from.
    pub validation_time_source: Option<SigningTimeSource>,
    /// Every certificate of the path was valid at `validation_time` (`None`
    /// when the signature is not intact).
    pub cert_valid_at_signing_time: Option<bool>,
    /// Always false: revocation (CRL, OCSP) is not checked.
    pub revocation_checked: bool,
    /// PDF signature dictionary entries.
    pub pdf: Option<PdfSignatureInfo>,
    /// Algorithms and encodings found.
    pub algorithms: AlgorithmInfo,
    /// Why the signature is not intact, trusted or valid.
    pub problems: Vec<String>,
    /// Things to know that do not break the signature.
    pub warnings: Vec<String>,
    /// Weak algorithms or keys found (SHA-1, RSA under 2048 bits).
    pub weak_algorithms: Vec<String>,
    /// Material to re-check this verdict later.
    pub evidence: Evidence,
}

/// Entries of a PDF signature dictionary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PdfSignatureInfo {
    /// `/Name`.
    pub name: Option<String>,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// `/ContactInfo`.
    pub contact_info: Option<String>,
    /// `/M` as written.
    pub m: Option<String>,
    /// `/Filter`.
    pub filter: Option<String>,
}

/// Algorithms and encodings of one signature.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmInfo {
    /// Digest algorithm of the signer.
    pub digest: Option<DigestAlgorithm>,
    /// Signature algorithm identifier (OID).
    pub signature_algorithm: Option<String>,
    /// Signer key, e.g. `RSA 2048`, `ECDSA P-256`.
    pub key: Option<String>,
    /// `der` or `ber`: how the CMS was encoded.
    pub cms_encoding: Option<String>,
    /// Signing-certificate attribute version (1 or 2), when present.
    pub signing_certificate_attribute: Option<u8>,
}

/// A signature time-stamp (RFC 3161) and what was found about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimestampVerdict {
    /// The time the authority vouches for.
    pub time: Option<String>,
    /// Subject of the time-stamping authority.
    pub authority: Option<String>,
    /// The token's own signature verifies.
    pub intact: bool,
    /// The token's imprint is the hash of the signature value.
    pub imprint_matches: bool,
    /// The authority's path validates to a trust anchor (with the
    /// time-stamping extended key usage).
    pub trusted: bool,
    /// Every certificate of the authority's path was valid at `time`.
    pub valid_at_time: bool,
    /// Why it is not good.
    pub problems: Vec<String>,
}

/// Material to re-check a verdict: everything needed besides the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The CMS as found (zero padding removed), base64.
    pub cms: Option<String>,
    /// Digest of the signed bytes, hex, with `algorithms.digest`.
    pub signed_bytes_digest: Option<String>,
    /// The signer certificate, DER base64.
    pub signer_certificate: Option<String>,
    /// The validated (or best partial) path, leaf first, DER base64.
    pub certificate_path: Vec<String>,
    /// The signature time-stamp token, DER base64.
    pub timestamp_token: Option<String>,
    /// The time-stamping authority's path, leaf first, DER base64.
    pub timestamp_certificate_path: Vec<String>,
}

/// What a verification checks and what it does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationScope {
    /// Always false: no CRL or OCSP is consulted (no network).
    pub revocation_checked: bool,
    /// Human-readable summary.
    pub note: String,
}

impl Default for VerificationScope {
    fn default() -> Self {
        VerificationScope {
            revocation_checked: false,
            note: "checked: signed-byte digest, CMS signature, signed attributes, \
                   signing-certificate attribute, certificate path to the configured \
                   trust anchors, key usage, validity at the time-stamp or claimed \
                   signing time, RFC 3161 signature time-stamps, later revisions of PDFs; \
                   not checked: revocation (no CRL/OCSP, no network), certificate policies, \
                   name constraints, DocMDP permissions"
                .to_owned(),
        }
    }
}

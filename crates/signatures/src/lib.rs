//! Verification of digital signatures at deposit, without changing a byte.
//!
//! Vietnamese electronic documents carry a personal signature of the signer
//! and the signature (seal) of the issuing agency. This crate tells, for a
//! PDF ([`verify_pdf`]) or any file with a detached CMS signature
//! ([`verify_detached`]), whether each signature is intact, who made it,
//! whether it chains to a configured trust anchor, whether the certificate
//! was valid when the signature was made (at the RFC 3161 time-stamp time
//! when there is one), whether it covers the whole file, and what later
//! revisions changed. A [`Policy`] turns the verdicts into a per-document
//! [`Decision`]: `accept`, `accept-with-warning`, `accept-unsigned` or
//! `reject`, with a reason.
//!
//! The [`SignatureReport`] is `serde` serialisable and carries evidence
//! (the CMS, certificate paths, time-stamp tokens, the signed-bytes digest)
//! so the archive can store it as sidecar JSON and re-check it decades
//! later.
//!
//! The crate is pure: it reads only from the reader or bytes the caller
//! gives, never the network or files. The digest is streamed over the
//! signed byte ranges, so large files are not loaded into memory.
//! Revocation (CRL, OCSP) is not checked; every verdict says so.
//!
//! # How it is organised
//!
//! - `pdf`: the file structure (cross-reference tables and streams, object
//!   streams, one section per revision), discovery of signature fields in
//!   every revision, `/ByteRange` checks, and `changes`, which compares the
//!   objects each later revision redefines with the signed ones.
//! - `cms`: SignedData (BER accepted via `asn1`), message digest, signed
//!   attributes, signing-certificate attribute, RFC 3161 tokens.
//! - `crypto`: RSA PKCS#1 v1.5 / PSS and ECDSA P-256 / P-384.
//! - `certpath`: path building to the [`TrustAnchors`], key usage, validity
//!   at a given time, weak keys.
//! - `verdict`, [`report`](SignatureReport), [`policy`](Policy): turning
//!   checks into stored verdicts and a decision.
//!
//! ```no_run
//! use signatures::{TrustAnchors, VerifyOptions, verify_pdf};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let anchors = TrustAnchors::from_pem(&std::fs::read("root.pem")?)?;
//! let options = VerifyOptions::new(anchors);
//! let report = verify_pdf(std::fs::File::open("decision.pdf")?, &options);
//! println!("{}: {}", report.decision.as_str(), report.reason);
//! # Ok(()) }
//! ```

mod asn1;
mod certpath;
mod cms;
mod crypto;
mod detached;
mod digest;
mod error;
mod pdf;
mod policy;
mod report;
mod verdict;

use std::io::{Cursor, Read, Seek};

pub use certpath::TrustAnchors;
pub use digest::DigestAlgorithm;
pub use error::SignatureError;
pub use policy::{Decision, Policy, PolicyAction, decide};
pub use report::{
    AlgorithmInfo, DocumentFacts, DocumentKind, Evidence, LaterChanges, PdfSignatureInfo,
    REPORT_FORMAT_VERSION, RevisionChange, RevisionFacts, SignatureReport, SignatureStatus,
    SignatureVerdict, SigningTimeSource, TimestampVerdict, VerificationScope,
};

use certpath::ParsedCert;
use verdict::Context;

/// Default most signatures verified in one PDF.
pub const DEFAULT_MAX_SIGNATURES: usize = 500;

/// What a verification needs from the caller.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Root certificates paths must end at.
    pub trust_anchors: TrustAnchors,
    /// Extra intermediate certificates (DER), besides those in the CMS.
    pub intermediates: Vec<Vec<u8>>,
    /// The decision policy.
    pub policy: Policy,
    /// Unix time to judge certificate validity at when a signature states
    /// no signing time at all; `None` leaves such certificates unjudged.
    pub validation_time: Option<i64>,
    /// Most signatures verified in one PDF (0 means the default).
    pub max_signatures: usize,
}

impl VerifyOptions {
    /// Options with these trust anchors and the default policy.
    pub fn new(trust_anchors: TrustAnchors) -> Self {
        VerifyOptions {
            trust_anchors,
            ..Self::default()
        }
    }

    /// Adds intermediate certificates from PEM text.
    pub fn add_intermediates_pem(&mut self, pem: &[u8]) -> Result<(), SignatureError> {
        let ders = certpath::pem_certificates(pem).map_err(SignatureError::Cms)?;
        self.intermediates.extend(ders);
        Ok(())
    }

    fn extra_certs(&self) -> Vec<ParsedCert> {
        self.intermediates
            .iter()
            .filter_map(|d| ParsedCert::from_der(d).ok())
            .collect()
    }
}

fn report(
    kind: DocumentKind,
    document: DocumentFacts,
    signatures: Vec<SignatureVerdict>,
    policy: &Policy,
) -> SignatureReport {
    let (decision, reason) = decide(&signatures, document.malformed.as_deref(), policy);
    SignatureReport {
        format_version: REPORT_FORMAT_VERSION,
        kind,
        decision,
        reason,
        document,
        signatures,
        scope: VerificationScope::default(),
        policy: policy.clone(),
    }
}

/// Verifies every signature of a PDF read from `reader`.
///
/// Never fails: an unreadable file gives a report with decision `reject`
/// and the reason. Only the signed byte ranges and the objects needed are
/// read, so memory stays small for large files.
pub fn verify_pdf<R: Read + Seek>(reader: R, options: &VerifyOptions) -> SignatureReport {
    let extra = options.extra_certs();
    let ctx = Context {
        anchors: &options.trust_anchors,
        extra: &extra,
        validation_time: options.validation_time,
    };
    let max = if options.max_signatures == 0 {
        DEFAULT_MAX_SIGNATURES
    } else {
        options.max_signatures
    };
    let (facts, verdicts) = pdf::verify(reader, &ctx, max);
    report(DocumentKind::Pdf, facts, verdicts, &options.policy)
}

/// Verifies every signature of a PDF held in memory.
pub fn verify_pdf_bytes(pdf: &[u8], options: &VerifyOptions) -> SignatureReport {
    verify_pdf(Cursor::new(pdf), options)
}

/// Verifies a detached CMS signature (`.p7s`, `.sig`; DER, BER or PEM)
/// over the whole of `content`.
pub fn verify_detached<R: Read + Seek>(
    content: R,
    signature: &[u8],
    options: &VerifyOptions,
) -> SignatureReport {
    let extra = options.extra_certs();
    let ctx = Context {
        anchors: &options.trust_anchors,
        extra: &extra,
        validation_time: options.validation_time,
    };
    let (facts, verdicts) = detached::verify(content, signature, &ctx);
    report(DocumentKind::DetachedCms, facts, verdicts, &options.policy)
}

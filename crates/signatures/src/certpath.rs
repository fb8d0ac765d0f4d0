//! Certificates and path validation to the caller's trust anchors.
//!
//! The path is built from the signer certificate through intermediates (from
//! the CMS and from the caller) to a trust anchor; every certificate
//! signature is checked, issuers must be CAs allowed to sign certificates,
//! and unrecognised critical extensions fail the path. Validity periods are
//! checked separately, at a moment the caller chooses (the timestamp time or
//! the claimed signing time), so a signature made while a certificate was
//! valid stays valid after it expires. Revocation is not checked.

use base64::Engine as _;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
};

use crate::asn1;
use crate::crypto::{Message, SigCheck, verify_signature};
use crate::error::SignatureError;

const EXT_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const EXT_ISSUER_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.18");
const EXT_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXT_CERT_POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
const EXT_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const EXT_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const EKU_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// Longest certificate path tried (leaf to anchor).
const MAX_PATH_LEN: usize = 8;
/// Most signature checks spent on building one path.
const MAX_PATH_WORK: usize = 64;

/// A decoded certificate with what path validation needs.
#[derive(Debug, Clone)]
pub(crate) struct ParsedCert {
    pub der: Vec<u8>,
    pub cert: Certificate,
    tbs_raw: Vec<u8>,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    ski: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
    pub not_before: i64,
    pub not_after: i64,
    is_ca: bool,
    key_usage: Option<KeyUsage>,
    ext_key_usage: Option<Vec<ObjectIdentifier>>,
    unknown_critical: Vec<ObjectIdentifier>,
}

impl ParsedCert {
    /// Decodes a DER certificate.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, SignatureError> {
        let cert = Certificate::from_der(der)
            .map_err(|e| SignatureError::Cms(format!("certificate: {e}")))?;
        let (outer, _) = asn1::read_tlv(der)?;
        let tbs_raw = asn1::children(&outer)?
            .first()
            .map(|t| t.raw.to_vec())
            .ok_or_else(|| SignatureError::Cms("certificate without tbsCertificate".into()))?;
        let tbs = cert.tbs_certificate();
        let subject_der = tbs
            .subject()
            .to_der()
            .map_err(|e| SignatureError::Cms(format!("certificate subject: {e}")))?;
        let issuer_der = tbs
            .issuer()
            .to_der()
            .map_err(|e| SignatureError::Cms(format!("certificate issuer: {e}")))?;
        let mut out = ParsedCert {
            der: der.to_vec(),
            tbs_raw,
            subject_der,
            issuer_der,
            ski: None,
            aki: None,
            not_before: unix(&tbs.validity().not_before),
            not_after: unix(&tbs.validity().not_after),
            is_ca: false,
            key_usage: None,
            ext_key_usage: None,
            unknown_critical: Vec::new(),
            cert: cert.clone(),
        };
        for ext in tbs.extensions().map(|e| e.iter()).into_iter().flatten() {
            let value = ext.extn_value.as_bytes();
            let bad = |e: der::Error| {
                SignatureError::Cms(format!("certificate extension {}: {e}", ext.extn_id))
            };
            match ext.extn_id {
                EXT_SUBJECT_KEY_ID => {
                    out.ski = Some(
                        OctetString::from_der(value)
                            .map_err(bad)?
                            .as_bytes()
                            .to_vec(),
                    );
                }
                EXT_AUTHORITY_KEY_ID => {
                    let aki = AuthorityKeyIdentifier::from_der(value).map_err(bad)?;
                    out.aki = aki.key_identifier.map(|k| k.as_bytes().to_vec());
                }
                EXT_BASIC_CONSTRAINTS => {
                    out.is_ca = BasicConstraints::from_der(value).map_err(bad)?.ca;
                }
                EXT_KEY_USAGE => out.key_usage = Some(KeyUsage::from_der(value).map_err(bad)?),
                EXT_EXT_KEY_USAGE => {
                    out.ext_key_usage = Some(ExtendedKeyUsage::from_der(value).map_err(bad)?.0);
                }
                EXT_SUBJECT_ALT_NAME | EXT_ISSUER_ALT_NAME | EXT_CERT_POLICIES => {}
                other if ext.critical => out.unknown_critical.push(other),
                _ => {}
            }
        }
        Ok(out)
    }

    /// The subject as an RFC 4514 string.
    pub(crate) fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    /// The subject common name, if any.
    pub(crate) fn common_name(&self) -> Option<String> {
        self.cert
            .tbs_certificate()
            .subject()
            .common_name()
            .ok()
            .flatten()
            .map(|d| d.value().into_owned())
    }

    pub(crate) fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    pub(crate) fn serial_bytes(&self) -> &[u8] {
        self.cert.tbs_certificate().serial_number().as_bytes()
    }

    pub(crate) fn subject_key_id(&self) -> Option<&[u8]> {
        self.ski.as_deref()
    }

    pub(crate) fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.der)
    }

    /// Whether the certificate is within its validity period at `t`.
    pub(crate) fn valid_at(&self, t: i64) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    fn may_issue_from(&self, child: &ParsedCert) -> bool {
        if self.subject_der != child.issuer_der {
            return false;
        }
        match (&self.ski, &child.aki) {
            (Some(ski), Some(aki)) => ski == aki,
            _ => true,
        }
    }

    fn signed(&self, issuer: &ParsedCert) -> SigCheck {
        verify_signature(
            issuer.cert.tbs_certificate().subject_public_key_info(),
            self.cert.signature_algorithm(),
            None,
            Message::Bytes(&self.tbs_raw),
            self.cert.signature().raw_bytes(),
        )
    }

    fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }
}

fn unix(t: &x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Trust anchors (root certificates) configured by the operator.
///
/// Build from PEM text (one or more `CERTIFICATE` blocks) or DER; the crate
/// does no file I/O, so the caller reads the files.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    pub(crate) certs: Vec<ParsedCert>,
}

impl TrustAnchors {
    /// No trust anchors: every path is untrusted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust anchors from PEM text with one or more certificates.
    pub fn from_pem(pem: &[u8]) -> Result<Self, SignatureError> {
        let mut anchors = Self::new();
        anchors.add_pem(pem)?;
        Ok(anchors)
    }

    /// Adds every certificate of a PEM text.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<(), SignatureError> {
        for der in pem_certificates(pem).map_err(|detail| SignatureError::TrustAnchor {
            index: self.certs.len(),
            detail,
        })? {
            self.add_der(&der)?;
        }
        Ok(())
    }

    /// Adds one DER certificate.
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), SignatureError> {
        let cert = ParsedCert::from_der(der).map_err(|e| SignatureError::TrustAnchor {
            index: self.certs.len(),
            detail: e.to_string(),
        })?;
        self.certs.push(cert);
        Ok(())
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether there is no anchor.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// Decodes the `CERTIFICATE` blocks of a PEM text.
pub(crate) fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = std::str::from_utf8(pem).map_err(|_| "PEM text is not UTF-8".to_owned())?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body_start = start + BEGIN.len();
        let end = rest[body_start..]
            .find(END)
            .ok_or_else(|| "PEM block without END line".to_owned())?;
        let body: String = rest[body_start..body_start + end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("PEM base64: {e}"))?;
        out.push(der);
        rest = &rest[body_start + end + END.len()..];
    }
    if out.is_empty() {
        return Err("no CERTIFICATE block found".into());
    }
    Ok(out)
}

/// What the end-entity certificate is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Signing documents: digitalSignature or nonRepudiation.
    DocumentSigning,
    /// Time-stamping: extended key usage id-kp-timeStamping.
    TimeStamping,
}

/// The result of path building, validity periods aside.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathOutcome {
    /// A path to a trust anchor validated.
    pub trusted: bool,
    /// Leaf first; ends at the anchor when trusted, else at the best partial path.
    pub path: Vec<ParsedCert>,
    /// Why the path did not validate.
    pub problems: Vec<String>,
    /// Weak algorithms or keys in the path.
    pub warnings: Vec<String>,
}

impl PathOutcome {
    /// Checks that every certificate of the path is within its validity
    /// period at `t`; returns the subject of the first one that is not.
    pub(crate) fn first_invalid_at(&self, t: i64) -> Option<String> {
        self.path
            .iter()
            .find(|c| !c.valid_at(t))
            .map(ParsedCert::subject)
    }
}

/// Builds and checks a path from `leaf` to one of `anchors`.
pub(crate) fn validate_path(
    leaf: &ParsedCert,
    pool: &[ParsedCert],
    anchors: &TrustAnchors,
    purpose: Purpose,
) -> PathOutcome {
    let mut outcome = PathOutcome::default();
    leaf_checks(leaf, purpose, &mut outcome.problems);
    let mut work = 0;
    let mut path = vec![leaf.clone()];
    let mut dead_ends = Vec::new();
    let found = extend(&mut path, pool, anchors, &mut work, &mut dead_ends);
    if found {
        outcome.trusted = outcome.problems.is_empty();
    } else {
        outcome.problems.extend(dead_ends);
        outcome
            .problems
            .push("no certificate path to a trust anchor".to_owned());
    }
    for (i, cert) in path.iter().enumerate() {
        if let Some(weak) = weak_key(cert) {
            outcome.warnings.push(weak);
        }
        // The anchor's self-signature is not relied upon.
        let is_anchor = found && i + 1 == path.len() && i > 0;
        let unverified_self_signed = cert.is_self_issued() && !found;
        if !is_anchor && !unverified_self_signed {
            let alg = cert.cert.signature_algorithm().oid.to_string();
            if alg == "1.2.840.113549.1.1.5" || alg == "1.2.840.10045.4.1" {
                outcome.warnings.push(format!(
                    "certificate {} is signed with SHA-1",
                    cert.subject()
                ));
            }
        }
    }
    outcome.path = path;
    outcome
}

fn weak_key(cert: &ParsedCert) -> Option<String> {
    let spki = cert.cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid.to_string() != "1.2.840.113549.1.1.1" {
        return None;
    }
    let key = rsa::pkcs1::RsaPublicKeyRef::from_der(spki.subject_public_key.raw_bytes()).ok()?;
    let modulus = key.modulus.as_bytes();
    let lead = modulus.iter().take_while(|b| **b == 0).count();
    let bits = (modulus.len() - lead) * 8;
    (bits < 2048).then(|| format!("certificate {} has a {bits}-bit RSA key", cert.subject()))
}

fn leaf_checks(leaf: &ParsedCert, purpose: Purpose, problems: &mut Vec<String>) {
    if let Some(ku) = &leaf.key_usage {
        let allowed = match purpose {
            Purpose::DocumentSigning => {
                ku.0.contains(KeyUsages::DigitalSignature)
                    || ku.0.contains(KeyUsages::NonRepudiation)
            }
            Purpose::TimeStamping => {
                ku.0.contains(KeyUsages::DigitalSignature)
                    || ku.0.contains(KeyUsages::NonRepudiation)
            }
        };
        if !allowed {
            problems.push(format!(
                "key usage of {} does not allow signing",
                leaf.subject()
            ));
        }
    }
    if purpose == Purpose::TimeStamping {
        let ok = leaf
            .ext_key_usage
            .as_ref()
            .is_some_and(|eku| eku.contains(&EKU_TIME_STAMPING));
        if !ok {
            problems.push(format!(
                "certificate {} is not allowed to issue time-stamps (extended key usage)",
                leaf.subject()
            ));
        }
    }
    for oid in &leaf.unknown_critical {
        problems.push(format!(
            "certificate {} has an unrecognised critical extension {oid}",
            leaf.subject()
        ));
    }
}

fn ca_checks(ca: &ParsedCert, problems: &mut Vec<String>) -> bool {
    let mut ok = true;
    if !ca.is_ca {
        problems.push(format!("issuer {} is not a CA", ca.subject()));
        ok = false;
    }
    if let Some(ku) = &ca.key_usage
        && !ku.0.contains(KeyUsages::KeyCertSign)
    {
        problems.push(format!(
            "key usage of issuer {} does not allow signing certificates",
            ca.subject()
        ));
        ok = false;
    }
    for oid in &ca.unknown_critical {
        problems.push(format!(
            "issuer {} has an unrecognised critical extension {oid}",
            ca.subject()
        ));
        ok = false;
    }
    ok
}

/// Depth-first search from the last certificate of `path` to an anchor.
fn extend(
    path: &mut Vec<ParsedCert>,
    pool: &[ParsedCert],
    anchors: &TrustAnchors,
    work: &mut usize,
    problems: &mut Vec<String>,
) -> bool {
    let Some(current) = path.last().cloned() else {
        return false;
    };
    // The current certificate is itself an anchor.
    if anchors.certs.iter().any(|a| a.der == current.der) {
        return true;
    }
    for anchor in &anchors.certs {
        if !anchor.may_issue_from(&current) {
            continue;
        }
        *work += 1;
        if *work > MAX_PATH_WORK {
            return false;
        }
        // Anchors are trusted as configured; their own extensions are not
        // judged, as in RFC 5280 path validation.
        if matches!(current.signed(anchor), SigCheck::Valid { .. }) {
            path.push(anchor.clone());
            return true;
        }
    }
    if path.len() >= MAX_PATH_LEN {
        return false;
    }
    for candidate in pool {
        if path.iter().any(|c| c.der == candidate.der) || !candidate.may_issue_from(&current) {
            continue;
        }
        *work += 1;
        if *work > MAX_PATH_WORK {
            return false;
        }
        if !matches!(current.signed(candidate), SigCheck::Valid { .. }) {
            continue;
        }
        let mut local = Vec::new();
        if !ca_checks(candidate, &mut local) {
            problems.extend(local);
            continue;
        }
        path.push(candidate.clone());
        if extend(path, pool, anchors, work, problems) {
            return true;
        }
        path.pop();
    }
    false
}

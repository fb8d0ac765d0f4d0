//! CMS SignedData verification (RFC 5652): message digest, signed
//! attributes, signature value, signing-certificate attribute and RFC 3161
//! signature time-stamp tokens.
//!
//! The input may be BER (indefinite lengths, constructed strings); it is
//! converted to DER first, keeping DER parts byte for byte. Signed
//! attributes are hashed as stored (re-tagged as SET) and, if that fails,
//! as a DER SET OF with sorted elements.

use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;

use crate::asn1::{self, Tlv};
use crate::certpath::{ParsedCert, PathOutcome, Purpose, TrustAnchors, validate_path};
use crate::crypto::{KeyDescription, Message, SigCheck, verify_signature};
use crate::digest::DigestAlgorithm;
use crate::error::SignatureError;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ATTR_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ATTR_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ATTR_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const ATTR_SIGNING_CERT_V1: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
const ATTR_SIGNING_CERT_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ATTR_TIMESTAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// Most certificates read from one CMS.
const MAX_CERTS: usize = 64;

/// The encoding the CMS was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Der,
    Ber,
}

/// Which signing-certificate attribute the signer used, and whether it
/// matched the signer certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SigningCertAttr {
    pub version: u8,
    pub matches: bool,
}

/// What checking one SignedData found, before path validation.
#[derive(Debug, Clone)]
pub(crate) struct SignedDataCheck {
    pub encoding: Encoding,
    /// The CMS as found (padding removed), for the evidence.
    pub original: Vec<u8>,
    pub certificates: Vec<ParsedCert>,
    pub signer: Option<ParsedCert>,
    pub digest_algorithm: Option<DigestAlgorithm>,
    pub content_digest: Option<Vec<u8>>,
    pub digest_matches: bool,
    pub signature: Option<SigCheck>,
    pub signature_algorithm: String,
    pub signing_time: Option<i64>,
    pub signing_cert_attr: Option<SigningCertAttr>,
    pub signature_value: Vec<u8>,
    pub econtent: Option<Vec<u8>>,
    pub econtent_type: ObjectIdentifier,
    pub timestamp_tokens: Vec<Vec<u8>>,
    /// Why the signature is not intact.
    pub problems: Vec<String>,
    /// Why it could not be judged at all.
    pub unsupported: Option<String>,
    pub warnings: Vec<String>,
}

impl SignedDataCheck {
    /// Digest and signature both verify and every binding attribute agrees.
    pub(crate) fn intact(&self) -> bool {
        self.unsupported.is_none()
            && self.problems.is_empty()
            && self.digest_matches
            && matches!(self.signature, Some(SigCheck::Valid { .. }))
    }

    pub(crate) fn key(&self) -> Option<&KeyDescription> {
        match &self.signature {
            Some(SigCheck::Valid { key, .. }) => Some(key),
            _ => None,
        }
    }
}

fn cms_err(what: impl Into<String>) -> SignatureError {
    SignatureError::Cms(what.into())
}

/// Where the signed content comes from.
pub(crate) enum Content<'a> {
    /// Detached: the caller computes the digest of the content it holds.
    Detached(&'a mut dyn FnMut(DigestAlgorithm) -> Result<Vec<u8>, SignatureError>),
    /// Encapsulated in the CMS itself (time-stamp tokens).
    Encapsulated,
}

/// Decodes and checks one CMS SignedData.
///
/// Returns an error only when the CMS cannot be read at all; a CMS that
/// reads but does not verify gives a check with `problems`.
pub(crate) fn check_signed_data(
    blob: &[u8],
    content: Content<'_>,
    extra: &[ParsedCert],
) -> Result<SignedDataCheck, SignatureError> {
    let len = asn1::leading_element_len(blob)?;
    let original = blob.get(..len).unwrap_or(blob).to_vec();
    let (der, changed) = asn1::ber_to_der(&original)?;
    let encoding = if changed {
        Encoding::Ber
    } else {
        Encoding::Der
    };

    let (ci, _) = asn1::read_tlv(&der)?;
    let ci_kids = asn1::children(&ci)?;
    let [ct, explicit, ..] = ci_kids.as_slice() else {
        return Err(cms_err("ContentInfo too short"));
    };
    let content_type =
        ObjectIdentifier::from_der(ct.raw).map_err(|e| cms_err(format!("content type: {e}")))?;
    if content_type != ID_SIGNED_DATA {
        return Err(SignatureError::Unsupported(format!(
            "CMS content type {content_type} (SignedData expected)"
        )));
    }
    let sd = asn1::children(explicit)?
        .into_iter()
        .next()
        .ok_or_else(|| cms_err("empty SignedData"))?;
    let sd_kids = asn1::children(&sd)?;
    if sd_kids.len() < 4 {
        return Err(cms_err("SignedData too short"));
    }
    let encap = EncapsulatedContentInfo::from_der(sd_kids[2].raw)
        .map_err(|e| cms_err(format!("encapContentInfo: {e}")))?;
    let econtent = match &encap.econtent {
        Some(any) => Some(
            OctetString::from_der(&any.to_der().map_err(|e| cms_err(e.to_string()))?)
                .map_err(|e| cms_err(format!("eContent: {e}")))?
                .into_bytes()
                .into_vec(),
        ),
        None => None,
    };

    let mut certificates = Vec::new();
    let mut warnings = Vec::new();
    for kid in &sd_kids[3..sd_kids.len() - 1] {
        if kid.tag_byte() != 0xa0 {
            continue;
        }
        for cert in asn1::children(kid)?.iter().filter(|c| c.tag_byte() == 0x30) {
            if certificates.len() >= MAX_CERTS {
                warnings.push(format!(
                    "more than {MAX_CERTS} certificates; the rest ignored"
                ));
                break;
            }
            match ParsedCert::from_der(cert.raw) {
                Ok(c) => certificates.push(c),
                Err(e) => warnings.push(format!("unreadable certificate in the CMS: {e}")),
            }
        }
    }

    let signer_infos = sd_kids
        .last()
        .map(asn1::children)
        .transpose()?
        .unwrap_or_default();
    let raw_si = signer_infos
        .first()
        .ok_or_else(|| cms_err("no SignerInfo"))?;
    if signer_infos.len() > 1 {
        warnings.push(format!(
            "{} signers in one CMS; only the first was checked",
            signer_infos.len()
        ));
    }
    let si = SignerInfo::from_der(raw_si.raw).map_err(|e| cms_err(format!("SignerInfo: {e}")))?;
    let signature_value = si.signature.as_bytes().to_vec();

    let mut check = SignedDataCheck {
        encoding,
        original,
        certificates,
        signer: None,
        digest_algorithm: None,
        content_digest: None,
        digest_matches: false,
        signature: None,
        signature_algorithm: si.signature_algorithm.oid.to_string(),
        signing_time: None,
        signing_cert_attr: None,
        signature_value,
        econtent,
        econtent_type: encap.econtent_type,
        timestamp_tokens: Vec::new(),
        problems: Vec::new(),
        unsupported: None,
        warnings,
    };

    if let Some(unsigned) = &si.unsigned_attrs {
        for attr in unsigned.iter().filter(|a| a.oid == ATTR_TIMESTAMP_TOKEN) {
            for value in attr.values.iter() {
                if let Ok(der) = value.to_der() {
                    check.timestamp_tokens.push(der);
                }
            }
        }
    }

    // The signer certificate may be left out of the CMS when the verifier
    // is expected to have it; look among the caller's certificates too.
    check.signer =
        find_signer(&si.sid, &check.certificates).or_else(|| find_signer(&si.sid, extra));
    let Some(signer) = check.signer.clone() else {
        check
            .problems
            .push("the signer certificate is not in the CMS".into());
        return Ok(check);
    };

    let Some(digest_alg) = DigestAlgorithm::from_oid(&si.digest_alg.oid) else {
        check.unsupported = Some(format!("digest algorithm {}", si.digest_alg.oid));
        return Ok(check);
    };
    check.digest_algorithm = Some(digest_alg);
    if digest_alg.is_weak() {
        check.warnings.push(format!(
            "signature uses the weak digest {}",
            digest_alg.name()
        ));
    }

    let content_digest = match content {
        Content::Detached(f) => {
            if check.econtent.is_some() {
                check.problems.push(
                    "the CMS carries its own content; a detached signature was expected".into(),
                );
                return Ok(check);
            }
            f(digest_alg)?
        }
        Content::Encapsulated => match &check.econtent {
            Some(c) => digest_alg.digest(c),
            None => {
                check
                    .problems
                    .push("time-stamp token without content".into());
                return Ok(check);
            }
        },
    };
    check.content_digest = Some(content_digest.clone());

    let raw_attrs = asn1::children(raw_si)?
        .into_iter()
        .find(|t| t.tag_byte() == 0xa0);
    match (&si.signed_attrs, raw_attrs) {
        (Some(attrs), Some(raw)) => {
            check_attributes(&mut check, attrs, &encap, &signer, &content_digest)?;
            let mut stored = raw.raw.to_vec();
            if let Some(first) = stored.first_mut() {
                *first = 0x31;
            }
            let result = verify_with(&si, &signer, digest_alg, Message::Bytes(&stored));
            let result = if matches!(result, SigCheck::Invalid(_)) {
                let sorted = asn1::der_sorted_set(0x31, &asn1::children(&raw)?);
                if sorted != stored {
                    match verify_with(&si, &signer, digest_alg, Message::Bytes(&sorted)) {
                        ok @ SigCheck::Valid { .. } => ok,
                        _ => result,
                    }
                } else {
                    result
                }
            } else {
                result
            };
            record_signature(&mut check, result);
        }
        _ => {
            // No signed attributes: the signature is over the content itself.
            if encap.econtent_type != ID_DATA {
                check
                    .problems
                    .push("signature without signed attributes over non-data content".into());
            }
            check.digest_matches = true;
            let result = verify_with(
                &si,
                &signer,
                digest_alg,
                Message::Digest(digest_alg, &content_digest),
            );
            record_signature(&mut check, result);
        }
    }
    Ok(check)
}

fn record_signature(check: &mut SignedDataCheck, result: SigCheck) {
    match &result {
        SigCheck::Valid { digest, key } => {
            if digest.is_weak() && check.digest_algorithm != Some(*digest) {
                check
                    .warnings
                    .push(format!("signature uses the weak digest {}", digest.name()));
            }
            if key.is_weak() {
                check
                    .warnings
                    .push(format!("signer key is weak ({})", key.label()));
            }
        }
        SigCheck::Invalid(why) => check.problems.push(why.clone()),
        SigCheck::Unsupported(why) => check.unsupported = Some(why.clone()),
    }
    check.signature = Some(result);
}

fn verify_with(
    si: &SignerInfo,
    signer: &ParsedCert,
    digest_alg: DigestAlgorithm,
    message: Message<'_>,
) -> SigCheck {
    verify_signature(
        signer.cert.tbs_certificate().subject_public_key_info(),
        &si.signature_algorithm,
        Some(digest_alg),
        message,
        si.signature.as_bytes(),
    )
}

fn find_signer(sid: &SignerIdentifier, certs: &[ParsedCert]) -> Option<ParsedCert> {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            let issuer = isn.issuer.to_der().ok()?;
            certs
                .iter()
                .find(|c| {
                    c.issuer_der() == issuer.as_slice()
                        && c.serial_bytes() == isn.serial_number.as_bytes()
                })
                .cloned()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => certs
            .iter()
            .find(|c| c.subject_key_id() == Some(ski.0.as_bytes()))
            .cloned(),
    }
}

fn single_value(attr: &x509_cert::attr::Attribute) -> Result<Vec<u8>, SignatureError> {
    if attr.values.len() != 1 {
        return Err(cms_err(format!(
            "attribute {} must have one value",
            attr.oid
        )));
    }
    attr.values
        .iter()
        .next()
        .ok_or_else(|| cms_err("empty attribute"))?
        .to_der()
        .map_err(|e| cms_err(e.to_string()))
}

fn check_attributes(
    check: &mut SignedDataCheck,
    attrs: &x509_cert::attr::Attributes,
    encap: &EncapsulatedContentInfo,
    signer: &ParsedCert,
    content_digest: &[u8],
) -> Result<(), SignatureError> {
    let mut seen_digest = false;
    let mut seen_type = false;
    for attr in attrs.iter() {
        match attr.oid {
            ATTR_CONTENT_TYPE => {
                seen_type = true;
                let oid = ObjectIdentifier::from_der(&single_value(attr)?)
                    .map_err(|e| cms_err(format!("content-type attribute: {e}")))?;
                if oid != encap.econtent_type {
                    check
                        .problems
                        .push("content-type attribute differs from the content type".into());
                }
            }
            ATTR_MESSAGE_DIGEST => {
                seen_digest = true;
                let value = OctetString::from_der(&single_value(attr)?)
                    .map_err(|e| cms_err(format!("message-digest attribute: {e}")))?;
                check.digest_matches = value.as_bytes() == content_digest;
                if !check.digest_matches {
                    check.problems.push(
                        "message digest does not match the signed bytes (changed after signing)"
                            .into(),
                    );
                }
            }
            ATTR_SIGNING_TIME => {
                let t = x509_cert::time::Time::from_der(&single_value(attr)?)
                    .map_err(|e| cms_err(format!("signing-time attribute: {e}")))?;
                check.signing_time = i64::try_from(t.to_unix_duration().as_secs()).ok();
            }
            ATTR_SIGNING_CERT_V1 | ATTR_SIGNING_CERT_V2 => {
                let v2 = attr.oid == ATTR_SIGNING_CERT_V2;
                let matches = signing_cert_matches(&single_value(attr)?, v2, signer)?;
                if !matches {
                    check.problems.push(
                        "signing-certificate attribute does not name the signer certificate".into(),
                    );
                }
                check.signing_cert_attr = Some(SigningCertAttr {
                    version: if v2 { 2 } else { 1 },
                    matches,
                });
            }
            _ => {}
        }
    }
    if !seen_digest {
        check
            .problems
            .push("signed attributes without a message-digest attribute".into());
    }
    if !seen_type {
        check
            .problems
            .push("signed attributes without a content-type attribute".into());
    }
    Ok(())
}

/// Checks the first ESSCertID(v2) of a SigningCertificate(V2) value.
fn signing_cert_matches(
    value: &[u8],
    v2: bool,
    signer: &ParsedCert,
) -> Result<bool, SignatureError> {
    let (outer, _) = asn1::read_tlv(value)?;
    let certs = asn1::children(&outer)?
        .into_iter()
        .next()
        .ok_or_else(|| cms_err("empty signing-certificate attribute"))?;
    let first = asn1::children(&certs)?
        .into_iter()
        .next()
        .ok_or_else(|| cms_err("signing-certificate attribute without certificates"))?;
    let fields = asn1::children(&first)?;
    let (alg, hash): (DigestAlgorithm, &Tlv<'_>) = if v2 {
        match fields.as_slice() {
            [alg, hash, ..] if alg.tag_byte() == 0x30 => {
                let alg = AlgorithmIdentifierOwned::from_der(alg.raw)
                    .map_err(|e| cms_err(format!("ESSCertIDv2 algorithm: {e}")))?;
                let d = DigestAlgorithm::from_oid(&alg.oid).ok_or_else(|| {
                    SignatureError::Unsupported(format!("ESSCertIDv2 hash {}", alg.oid))
                })?;
                (d, hash)
            }
            [hash, ..] => (DigestAlgorithm::Sha256, hash),
            [] => return Err(cms_err("empty ESSCertIDv2")),
        }
    } else {
        let hash = fields.first().ok_or_else(|| cms_err("empty ESSCertID"))?;
        (DigestAlgorithm::Sha1, hash)
    };
    Ok(hash.tag_byte() == 0x04 && hash.value == alg.digest(&signer.der).as_slice())
}

/// A verified (or not) RFC 3161 signature time-stamp.
#[derive(Debug, Clone)]
pub(crate) struct TimestampCheck {
    /// The authority's path, leaf first.
    pub path: Vec<ParsedCert>,
    pub gen_time: Option<i64>,
    pub tsa: Option<ParsedCert>,
    pub intact: bool,
    pub imprint_matches: bool,
    pub trusted: bool,
    pub valid_at_gen_time: bool,
    pub problems: Vec<String>,
}

impl TimestampCheck {
    /// Intact, trusted and its TSA certificate valid when it was issued.
    pub(crate) fn is_good(&self) -> bool {
        self.intact && self.imprint_matches && self.trusted && self.valid_at_gen_time
    }
}

/// Checks a time-stamp token over `signature_value`.
pub(crate) fn check_timestamp(
    token: &[u8],
    imprint_of: &mut dyn FnMut(DigestAlgorithm) -> Result<Vec<u8>, SignatureError>,
    anchors: &TrustAnchors,
    extra: &[ParsedCert],
) -> TimestampCheck {
    let mut out = TimestampCheck {
        path: Vec::new(),
        gen_time: None,
        tsa: None,
        intact: false,
        imprint_matches: false,
        trusted: false,
        valid_at_gen_time: false,
        problems: Vec::new(),
    };
    let check = match check_signed_data(token, Content::Encapsulated, extra) {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(format!("time-stamp token: {e}"));
            return out;
        }
    };
    out.intact = check.intact();
    if check.econtent_type != ID_CT_TST_INFO {
        out.intact = false;
        out.problems
            .push("time-stamp token does not carry TSTInfo content".into());
    }
    out.problems.extend(check.problems.iter().cloned());
    if let Some(u) = &check.unsupported {
        out.problems
            .push(format!("time-stamp token: unsupported {u}"));
    }
    match check.econtent.as_deref().map(parse_tst_info) {
        Some(Ok((alg, imprint, gen_time))) => {
            out.gen_time = Some(gen_time);
            match imprint_of(alg) {
                Ok(expected) => out.imprint_matches = expected == imprint,
                Err(e) => out.problems.push(format!("time-stamped data: {e}")),
            }
            if !out.imprint_matches {
                out.problems
                    .push("time-stamp imprint does not match the time-stamped data".into());
            }
        }
        Some(Err(e)) => out.problems.push(format!("time-stamp info: {e}")),
        None => out.problems.push("time-stamp token without TSTInfo".into()),
    }
    if let Some(tsa) = &check.signer {
        let mut pool = check.certificates.clone();
        pool.extend(extra.iter().cloned());
        let path: PathOutcome = validate_path(tsa, &pool, anchors, Purpose::TimeStamping);
        out.trusted = path.trusted;
        out.problems.extend(path.problems.iter().cloned());
        if let Some(t) = out.gen_time {
            match path.first_invalid_at(t) {
                None => out.valid_at_gen_time = true,
                Some(who) => out.problems.push(format!(
                    "certificate {who} was not valid at the time-stamp time"
                )),
            }
        }
        out.tsa = Some(tsa.clone());
        out.path = path.path;
    }
    out
}

/// Reads messageImprint and genTime from a DER TSTInfo.
fn parse_tst_info(der: &[u8]) -> Result<(DigestAlgorithm, Vec<u8>, i64), SignatureError> {
    let (outer, _) = asn1::read_tlv(der)?;
    let fields = asn1::children(&outer)?;
    let [_, _, imprint, _, gen_time, ..] = fields.as_slice() else {
        return Err(cms_err("TSTInfo too short"));
    };
    let imprint_fields = asn1::children(imprint)?;
    let [alg, hashed, ..] = imprint_fields.as_slice() else {
        return Err(cms_err("messageImprint too short"));
    };
    let alg = AlgorithmIdentifierOwned::from_der(alg.raw)
        .map_err(|e| cms_err(format!("messageImprint algorithm: {e}")))?;
    let digest = DigestAlgorithm::from_oid(&alg.oid)
        .ok_or_else(|| SignatureError::Unsupported(format!("time-stamp hash {}", alg.oid)))?;
    if gen_time.tag_byte() != 0x18 {
        return Err(cms_err("genTime is not a GeneralizedTime"));
    }
    let secs = crate::verdict::parse_generalized_time(gen_time.value)
        .ok_or_else(|| cms_err("genTime is not a valid UTC GeneralizedTime"))?;
    Ok((digest, hashed.value.to_vec(), secs))
}

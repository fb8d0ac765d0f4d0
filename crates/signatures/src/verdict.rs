//! Turning a CMS check into a signature verdict: certificate path, signature
//! time-stamp, and the time at which certificate validity is judged.

use base64::Engine as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certpath::{ParsedCert, Purpose, TrustAnchors, validate_path};
use crate::cms::TimestampCheck;
use crate::cms::{Encoding, SignedDataCheck, check_timestamp};
use crate::digest::DigestAlgorithm;
use crate::error::SignatureError;
use crate::report::{
    AlgorithmInfo, Evidence, LaterChanges, SignatureStatus, SignatureVerdict, SigningTimeSource,
    TimestampVerdict,
};

/// What every verification shares: anchors, extra certificates, fallback time.
pub(crate) struct Context<'a> {
    pub anchors: &'a TrustAnchors,
    pub extra: &'a [ParsedCert],
    pub validation_time: Option<i64>,
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// RFC 3339 UTC text for a Unix time.
pub(crate) fn format_time(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{t}"))
}

/// A verdict with nothing verified yet.
pub(crate) fn empty_verdict() -> SignatureVerdict {
    SignatureVerdict {
        field: None,
        subfilter: None,
        status: SignatureStatus::Malformed,
        signer_cn: None,
        signer_subject: None,
        intact: false,
        byte_range_ok: true,
        byte_range: None,
        covers_whole_file: false,
        revision: None,
        later_changes: LaterChanges::None,
        modified_after_signing: false,
        trusted: None,
        timestamped: false,
        timestamp: None,
        claimed_signing_time: None,
        validation_time: None,
        validation_time_source: None,
        cert_valid_at_signing_time: None,
        revocation_checked: false,
        pdf: None,
        algorithms: AlgorithmInfo::default(),
        problems: Vec::new(),
        warnings: Vec::new(),
        weak_algorithms: Vec::new(),
        evidence: Evidence::default(),
    }
}

/// Fills `v` from the result of checking the CMS.
///
/// `claimed_fallback` is the signer's claimed time from outside the CMS
/// (the PDF `/M`), used when there is no signing-time attribute.
pub(crate) fn judge(
    v: &mut SignatureVerdict,
    check: Result<SignedDataCheck, SignatureError>,
    claimed_fallback: Option<i64>,
    ctx: &Context<'_>,
) {
    let check = match check {
        Ok(c) => c,
        Err(e) => {
            v.status = if e.is_unsupported() {
                SignatureStatus::Unsupported
            } else {
                SignatureStatus::Malformed
            };
            v.problems.push(e.to_string());
            return;
        }
    };
    if let Some(signer) = &check.signer {
        v.signer_cn = signer.common_name();
        v.signer_subject = Some(signer.subject());
        v.evidence.signer_certificate = Some(signer.base64());
    }
    v.evidence.cms = Some(b64(&check.original));
    v.evidence.signed_bytes_digest = check.content_digest.as_ref().map(|d| hex(d));
    v.algorithms = AlgorithmInfo {
        digest: check.digest_algorithm,
        signature_algorithm: Some(check.signature_algorithm.clone()),
        key: check.key().map(|k| k.label()),
        cms_encoding: Some(
            match check.encoding {
                Encoding::Der => "der",
                Encoding::Ber => "ber",
            }
            .to_owned(),
        ),
        signing_certificate_attribute: check.signing_cert_attr.as_ref().map(|a| a.version),
    };
    for w in &check.warnings {
        if w.contains("weak") {
            v.weak_algorithms.push(w.clone());
        } else {
            v.warnings.push(w.clone());
        }
    }
    v.problems.extend(check.problems.iter().cloned());
    v.intact = check.intact();
    v.status = if let Some(why) = &check.unsupported {
        v.problems.push(format!("unsupported: {why}"));
        SignatureStatus::Unsupported
    } else if v.intact {
        SignatureStatus::Intact
    } else {
        SignatureStatus::Broken
    };

    let claimed = check.signing_time.or(claimed_fallback);
    v.claimed_signing_time = claimed.map(format_time);

    // The signature time-stamp.
    let mut proven_time = None;
    if let Some(token) = check.timestamp_tokens.first() {
        let mut pool = check.certificates.clone();
        pool.extend(ctx.extra.iter().cloned());
        let signature_value = check.signature_value.clone();
        let mut imprint_of = |alg: DigestAlgorithm| Ok(alg.digest(&signature_value));
        let ts = check_timestamp(token, &mut imprint_of, ctx.anchors, &pool);
        v.timestamped = ts.is_good();
        if v.timestamped {
            proven_time = ts.gen_time;
        }
        v.evidence.timestamp_token = Some(b64(token));
        if let Some(tsa) = &ts.tsa {
            let path = validate_path(tsa, &pool, ctx.anchors, Purpose::TimeStamping);
            v.evidence.timestamp_certificate_path =
                path.path.iter().map(ParsedCert::base64).collect();
        }
        v.timestamp = Some(TimestampVerdict {
            time: ts.gen_time.map(format_time),
            authority: ts.tsa.as_ref().map(ParsedCert::subject),
            intact: ts.intact,
            imprint_matches: ts.imprint_matches,
            trusted: ts.trusted,
            valid_at_time: ts.valid_at_gen_time,
            problems: ts.problems.clone(),
        });
        if !v.timestamped {
            v.warnings
                .push("signature time-stamp present but not valid or not trusted".into());
        }
    }

    if !v.intact {
        return;
    }
    let Some(signer) = &check.signer else {
        return;
    };
    let mut pool = check.certificates.clone();
    pool.extend(ctx.extra.iter().cloned());
    let path = validate_path(signer, &pool, ctx.anchors, Purpose::DocumentSigning);
    v.trusted = Some(path.trusted);
    if !path.trusted {
        v.problems.extend(path.problems.iter().cloned());
    }
    for w in &path.warnings {
        if !v.weak_algorithms.contains(w) {
            v.weak_algorithms.push(w.clone());
        }
    }
    v.evidence.certificate_path = path.path.iter().map(ParsedCert::base64).collect();

    let (time, source) = if let Some(t) = proven_time {
        (Some(t), Some(SigningTimeSource::Timestamp))
    } else if let Some(t) = check.signing_time {
        (Some(t), Some(SigningTimeSource::SigningTimeAttribute))
    } else if let Some(t) = claimed_fallback {
        (Some(t), Some(SigningTimeSource::PdfModificationDate))
    } else if let Some(t) = ctx.validation_time {
        (Some(t), Some(SigningTimeSource::ValidationTime))
    } else {
        (None, None)
    };
    v.validation_time = time.map(format_time);
    v.validation_time_source = source;
    v.cert_valid_at_signing_time = Some(match time {
        Some(t) => match path.first_invalid_at(t) {
            None => true,
            Some(who) => {
                v.problems.push(format!(
                    "certificate {who} was not valid at {}",
                    format_time(t)
                ));
                false
            }
        },
        None => {
            v.problems
                .push("no signing time known to judge certificate validity".into());
            false
        }
    });
}

fn timestamp_verdict(ts: &TimestampCheck) -> TimestampVerdict {
    TimestampVerdict {
        time: ts.gen_time.map(format_time),
        authority: ts.tsa.as_ref().map(ParsedCert::subject),
        intact: ts.intact,
        imprint_matches: ts.imprint_matches,
        trusted: ts.trusted,
        valid_at_time: ts.valid_at_gen_time,
        problems: ts.problems.clone(),
    }
}

/// Fills `v` for a document time-stamp (`ETSI.RFC3161`): the token's
/// imprint covers the signed byte ranges, the authority is the "signer".
pub(crate) fn judge_document_timestamp(
    v: &mut SignatureVerdict,
    token: &[u8],
    imprint_of: &mut dyn FnMut(DigestAlgorithm) -> Result<Vec<u8>, SignatureError>,
    ctx: &Context<'_>,
) {
    let ts = check_timestamp(token, imprint_of, ctx.anchors, ctx.extra);
    if let Some(tsa) = &ts.tsa {
        v.signer_cn = tsa.common_name();
        v.signer_subject = Some(tsa.subject());
        v.evidence.signer_certificate = Some(tsa.base64());
    }
    v.evidence.timestamp_token = Some(b64(token));
    v.evidence.timestamp_certificate_path = ts.path.iter().map(ParsedCert::base64).collect();
    v.evidence.certificate_path = v.evidence.timestamp_certificate_path.clone();
    v.intact = ts.intact && ts.imprint_matches;
    v.status = if v.intact {
        SignatureStatus::Intact
    } else if ts.tsa.is_none() && ts.gen_time.is_none() {
        SignatureStatus::Malformed
    } else {
        SignatureStatus::Broken
    };
    v.problems.extend(ts.problems.iter().cloned());
    if v.intact {
        v.trusted = Some(ts.trusted);
        v.timestamped = ts.is_good();
        v.cert_valid_at_signing_time = Some(ts.valid_at_gen_time);
        v.validation_time = ts.gen_time.map(format_time);
        v.validation_time_source = Some(SigningTimeSource::Timestamp);
        v.claimed_signing_time = v.validation_time.clone();
    }
    v.timestamp = Some(timestamp_verdict(&ts));
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses an ASN.1 GeneralizedTime value (`YYYYMMDDHHMMSS[.fff]Z`), with
/// the fractional seconds RFC 3161 time-stamps often carry.
pub(crate) fn parse_generalized_time(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?;
    let s = s.strip_suffix('Z')?;
    let (main, _fraction) = s.split_once('.').unwrap_or((s, ""));
    if main.len() != 14 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| main.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(8..10)?, num(10..12)?, num(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

//! PDF signatures: discovery of signature fields across incremental
//! updates, `/ByteRange` checks, streaming digest over the signed bytes,
//! and what later revisions change.

mod changes;
mod file;
mod object;

use std::collections::HashSet;
use std::io::{Read, Seek};

use changes::{RevisionEffect, classify};
use file::Document;
use object::{Dict, Object, text_string};

use crate::cms::{Content, check_signed_data};
use crate::digest::digest_ranges;
use crate::error::SignatureError;
use crate::report::{
    DocumentFacts, LaterChanges, PdfSignatureInfo, RevisionChange, RevisionFacts, SignatureStatus,
    SignatureVerdict,
};
use crate::verdict::{Context, days_from_civil, empty_verdict, judge, judge_document_timestamp};

/// Most form-field nodes visited per revision.
const MAX_FIELD_NODES: usize = 10_000;
/// Deepest field hierarchy followed.
const MAX_FIELD_DEPTH: usize = 32;

/// A signature field found in the form.
struct FoundSignature {
    field: String,
    sig: Dict,
}

/// Verifies every signature of a PDF; returns the document facts and the
/// verdicts, or the reason the PDF could not be read.
pub(crate) fn verify<R: Read + Seek>(
    reader: R,
    ctx: &Context<'_>,
    max_signatures: usize,
) -> (DocumentFacts, Vec<SignatureVerdict>) {
    let mut facts = DocumentFacts {
        size: 0,
        readable: false,
        malformed: None,
        malformed_detail: None,
        revisions: Vec::new(),
        warnings: Vec::new(),
    };
    let mut doc = match Document::open(reader) {
        Ok(d) => d,
        Err(e) => {
            facts.malformed = Some("not a readable PDF".to_owned());
            facts.malformed_detail = Some(e.to_string());
            return (facts, Vec::new());
        }
    };
    facts.size = doc.src.len();
    facts.readable = true;

    let mut effects: Vec<Option<RevisionEffect>> = vec![None];
    facts.revisions.push(RevisionFacts {
        index: 0,
        end_offset: doc.sections.first().and_then(|s| s.end),
        effect: RevisionChange::Original,
        detail: None,
    });
    for rev in 1..doc.sections.len() {
        let (effect, change, detail) = match classify(&mut doc, rev) {
            Ok(RevisionEffect::SignaturesOnly) => (
                Some(RevisionEffect::SignaturesOnly),
                RevisionChange::SignaturesOnly,
                None,
            ),
            Ok(RevisionEffect::ContentChanged(why)) => (
                Some(RevisionEffect::ContentChanged(why.clone())),
                RevisionChange::ContentChanged,
                Some(why),
            ),
            Err(e) => (
                Some(RevisionEffect::ContentChanged(e.to_string())),
                RevisionChange::Unknown,
                Some(format!("could not be analysed: {e}")),
            ),
        };
        effects.push(effect);
        facts.revisions.push(RevisionFacts {
            index: rev,
            end_offset: doc.sections.get(rev).and_then(|s| s.end),
            effect: change,
            detail,
        });
    }

    let found = match discover_all(&mut doc, &mut facts.warnings) {
        Ok(found) => found,
        Err(e) => {
            // Without the latest form there is no telling which signatures
            // the document carries: not readable with confidence.
            facts.readable = false;
            facts.malformed = Some("not a readable PDF".to_owned());
            facts.malformed_detail = Some(format!("signature fields: {e}"));
            return (facts, Vec::new());
        }
    };
    let mut verdicts = Vec::new();
    for (i, (sig, only_earlier)) in found.into_iter().enumerate() {
        if i >= max_signatures {
            facts.warnings.push(format!(
                "more than {max_signatures} signatures; the rest were not verified"
            ));
            break;
        }
        let mut v = verify_one(&mut doc, &sig, &effects, ctx);
        if only_earlier {
            v.warnings
                .push("signature field no longer present in the latest revision".to_owned());
        }
        verdicts.push(v);
    }
    (facts, verdicts)
}

/// Signature fields of every revision, latest first, without repeats. The
/// flag says the field is gone from the latest revision.
fn discover_all<R: Read + Seek>(
    doc: &mut Document<R>,
    warnings: &mut Vec<String>,
) -> Result<Vec<(FoundSignature, bool)>, SignatureError> {
    let latest = doc.latest();
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for rev in (0..=latest).rev() {
        let found = match discover(doc, rev) {
            Ok(f) => f,
            Err(e) if rev == latest => return Err(e),
            Err(e) => {
                warnings.push(format!(
                    "signature fields of revision {rev} not readable: {e}"
                ));
                continue;
            }
        };
        for sig in found {
            let key = identity(&sig);
            if seen.insert(key) {
                out.push((sig, rev != latest));
            }
        }
    }
    Ok(out)
}

/// What makes a signature the same across revisions: its byte range and
/// where its `/Contents` lies.
fn identity(sig: &FoundSignature) -> String {
    let br = match sig.sig.get(b"ByteRange") {
        Some(Object::Array(a)) => format!("{:?}", a.iter().map(int_of).collect::<Vec<_>>()),
        _ => String::new(),
    };
    let contents = match sig.sig.get(b"Contents") {
        Some(Object::Str { span, .. }) => format!("{span:?}"),
        _ => String::new(),
    };
    format!("{}|{br}|{contents}", sig.field)
}

fn int_of(o: &Object) -> Option<i64> {
    match o {
        Object::Int(i) => Some(*i),
        _ => None,
    }
}

fn discover<R: Read + Seek>(
    doc: &mut Document<R>,
    rev: usize,
) -> Result<Vec<FoundSignature>, SignatureError> {
    let Some(root) = doc.trailer_get(b"Root", rev) else {
        return Err(SignatureError::Pdf("trailer without /Root".into()));
    };
    let catalog = doc.resolve(&root, rev)?;
    let Some(catalog) = catalog.as_dict() else {
        return Err(SignatureError::Pdf("/Root is not a dictionary".into()));
    };
    let Some(form) = catalog.get(b"AcroForm").cloned() else {
        return Ok(Vec::new());
    };
    let form = doc.resolve(&form, rev)?;
    let Some(fields) = form.as_dict().and_then(|f| f.get(b"Fields")).cloned() else {
        return Ok(Vec::new());
    };
    let Object::Array(fields) = doc.resolve(&fields, rev)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut visited: HashSet<u32> = HashSet::new();
    // (node, parent name, inherited field type, depth)
    let mut stack: Vec<(Object, String, Option<Vec<u8>>, usize)> = fields
        .into_iter()
        .rev()
        .map(|f| (f, String::new(), None, 0))
        .collect();
    let mut nodes = 0;
    while let Some((node, parent, inherited_ft, depth)) = stack.pop() {
        nodes += 1;
        if nodes > MAX_FIELD_NODES || depth > MAX_FIELD_DEPTH {
            return Err(SignatureError::Limit("form field tree too large".into()));
        }
        if let Object::Ref(n, _) = node
            && !visited.insert(n)
        {
            continue;
        }
        let value = doc.resolve(&node, rev)?;
        let Some(field) = value.as_dict() else {
            continue;
        };
        let name = match field.get(b"T") {
            Some(Object::Str { bytes, .. }) => {
                let part = text_string(bytes);
                if parent.is_empty() {
                    part
                } else {
                    format!("{parent}.{part}")
                }
            }
            _ => parent.clone(),
        };
        let ft = field.name(b"FT").map(<[u8]>::to_vec).or(inherited_ft);
        if ft.as_deref() == Some(b"Sig")
            && let Some(v) = field.get(b"V")
            && let Some(sig) = doc.resolve(v, rev)?.as_dict()
        {
            out.push(FoundSignature {
                field: name.clone(),
                sig: sig.clone(),
            });
        }
        if let Some(kids) = field.get(b"Kids")
            && let Object::Array(kids) = doc.resolve(kids, rev)?
        {
            for kid in kids.into_iter().rev() {
                stack.push((kid, name.clone(), ft.clone(), depth + 1));
            }
        }
    }
    Ok(out)
}

fn text_entry(d: &Dict, key: &[u8]) -> Option<String> {
    match d.get(key) {
        Some(Object::Str { bytes, .. }) => Some(text_string(bytes)),
        Some(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// Parses a PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`) into a Unix time.
pub(crate) fn parse_pdf_date(s: &str) -> Option<i64> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: i64| -> Option<i64> {
        match s.get(from..from + len) {
            Some(part) if part.bytes().all(|b| b.is_ascii_digit()) => part.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0, 4, -1)?;
    if year < 0 {
        return None;
    }
    let month = digits(4, 2, 1)?;
    let day = digits(6, 2, 1)?;
    let hour = digits(8, 2, 0)?;
    let minute = digits(10, 2, 0)?;
    let second = digits(12, 2, 0)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut offset = 0i64;
    if let Some(sign) = s.get(14..15) {
        let sign = match sign {
            "+" => 1,
            "-" => -1,
            _ => 0,
        };
        if sign != 0 {
            let rest: String = s
                .get(15..)
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let oh: i64 = rest.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
            let om: i64 = rest.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

const SUPPORTED_SUBFILTERS: &[&[u8]] = &[
    b"adbe.pkcs7.detached",
    b"ETSI.CAdES.detached",
    DOCUMENT_TIMESTAMP,
];
/// Sub-filter of PAdES document time-stamps.
const DOCUMENT_TIMESTAMP: &[u8] = b"ETSI.RFC3161";

fn verify_one<R: Read + Seek>(
    doc: &mut Document<R>,
    found: &FoundSignature,
    effects: &[Option<RevisionEffect>],
    ctx: &Context<'_>,
) -> SignatureVerdict {
    let d = &found.sig;
    let len = doc.src.len();
    let mut v = empty_verdict();
    v.field = Some(found.field.clone());
    let subfilter = d.name(b"SubFilter").map(<[u8]>::to_vec);
    v.subfilter = subfilter
        .as_ref()
        .map(|s| format!("/{}", String::from_utf8_lossy(s)));
    let m = text_entry(d, b"M");
    v.pdf = Some(PdfSignatureInfo {
        name: text_entry(d, b"Name"),
        reason: text_entry(d, b"Reason"),
        location: text_entry(d, b"Location"),
        contact_info: text_entry(d, b"ContactInfo"),
        m: m.clone(),
        filter: text_entry(d, b"Filter"),
    });

    // /ByteRange
    let br: Option<Vec<i64>> = match d.get(b"ByteRange") {
        Some(Object::Array(a)) => a.iter().map(int_of).collect(),
        _ => None,
    };
    v.byte_range = br.clone();
    let contents = match d.get(b"Contents") {
        Some(Object::Str { bytes, span }) => Some((bytes.clone(), *span)),
        _ => None,
    };
    let ranges = match br.as_deref() {
        Some(&[a, b, c, l]) if a >= 0 && b >= 0 && c >= 0 && l >= 0 => {
            let (a, b, c, l) = (a as u64, b as u64, c as u64, l as u64);
            let first_end = a.checked_add(b);
            let second_end = c.checked_add(l);
            match (first_end, second_end) {
                (Some(fe), Some(se)) if fe <= c && se <= len => Some((a, b, c, l)),
                (Some(fe), Some(_)) if fe > c => {
                    v.problems.push("ByteRange ranges overlap".into());
                    None
                }
                _ => {
                    v.problems
                        .push(format!("ByteRange points outside the file ({len} bytes)"));
                    None
                }
            }
        }
        _ => {
            v.problems
                .push("ByteRange is not four non-negative numbers".into());
            None
        }
    };
    let mut revision = None;
    match ranges {
        Some((a, b, c, l)) => {
            let gap_ok = contents
                .as_ref()
                .is_some_and(|(_, span)| *span == (a + b, c));
            let end = c + l;
            revision = doc.sections.iter().position(|s| s.end == Some(end));
            if revision.is_none() && end == len {
                revision = Some(doc.latest());
            }
            let ends_ok = revision.is_some();
            if a != 0 {
                v.problems.push("ByteRange does not start at 0".into());
            }
            if !gap_ok {
                v.problems
                    .push("ByteRange gap is not exactly the /Contents string".into());
            }
            if !ends_ok {
                v.problems
                    .push("ByteRange does not end where a revision ends".into());
            }
            v.byte_range_ok = a == 0 && gap_ok && ends_ok;
            v.covers_whole_file = a == 0 && gap_ok && end == len;
        }
        None => v.byte_range_ok = false,
    }
    v.revision = revision;
    v.later_changes = if v.covers_whole_file {
        LaterChanges::None
    } else {
        match revision {
            Some(r) if r + 1 < effects.len() => {
                let changed = effects[r + 1..]
                    .iter()
                    .any(|e| matches!(e, Some(RevisionEffect::ContentChanged(_)) | None));
                if changed {
                    LaterChanges::ContentChanged
                } else {
                    LaterChanges::SignaturesOnly
                }
            }
            _ => LaterChanges::ContentChanged,
        }
    };
    v.modified_after_signing = v.later_changes == LaterChanges::ContentChanged;

    let Some((cms_bytes, _)) = contents else {
        v.status = SignatureStatus::Malformed;
        v.problems
            .push("signature dictionary without /Contents string".into());
        return v;
    };
    match subfilter.as_deref() {
        Some(sf) if SUPPORTED_SUBFILTERS.contains(&sf) => {}
        other => {
            v.status = SignatureStatus::Unsupported;
            let name = other.map_or_else(
                || "none".to_owned(),
                |s| String::from_utf8_lossy(s).into_owned(),
            );
            v.problems
                .insert(0, format!("sub-filter {name} is not supported"));
            return v;
        }
    }
    let Some((a, b, c, l)) = ranges else {
        v.status = SignatureStatus::Malformed;
        return v;
    };
    let claimed = m.as_deref().and_then(parse_pdf_date);
    let mut digest_fn = |alg| digest_ranges(doc.src.reader(), &[(a, b), (c, l)], alg);
    if subfilter.as_deref() == Some(DOCUMENT_TIMESTAMP) {
        judge_document_timestamp(&mut v, &cms_bytes, &mut digest_fn, ctx);
        return v;
    }
    let check = check_signed_data(&cms_bytes, Content::Detached(&mut digest_fn), ctx.extra);
    judge(&mut v, check, claimed, ctx);
    v
}

#[cfg(test)]
mod tests {
    use super::parse_pdf_date;

    #[test]
    fn pdf_dates_parse_with_and_without_offsets() {
        assert_eq!(parse_pdf_date("D:20261123062728Z"), Some(1_795_415_248));
        assert_eq!(
            parse_pdf_date("D:20261123132728+07'00'"),
            Some(1_795_415_248)
        );
        assert_eq!(parse_pdf_date("D:2026"), Some(1_767_225_600));
        assert_eq!(parse_pdf_date("garbage"), None);
    }
}

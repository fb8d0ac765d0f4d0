//! What an incremental update does to the document: only adds signatures
//! (and the form, metadata and validation data that come with them), or
//! changes what a reader sees.
//!
//! Objects are compared, not just new streams: a page re-pointed to an
//! object that already sat unreferenced in the signed revision is a change.

use std::io::{Read, Seek};

use super::file::{Document, XrefEntry};
use super::object::{Dict, Object, dict_same};
use crate::error::SignatureError;

/// Most redefined objects examined in one revision.
const MAX_CHANGED_OBJECTS: usize = 100_000;

/// The effect of one revision on the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RevisionEffect {
    /// Signatures, their fields, metadata, validation data only.
    SignaturesOnly,
    /// Something a reader sees changed; says what.
    ContentChanged(String),
}

/// Catalog keys a signing update may add or change.
const CATALOG_ALLOWED: &[&[u8]] = &[b"AcroForm", b"Extensions", b"Version", b"Metadata", b"DSS"];
/// AcroForm keys a signing update may add or change (besides /Fields).
const ACROFORM_ALLOWED: &[&[u8]] = &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
/// Keys of an empty signature field that signing fills in.
const SIG_FIELD_ALLOWED: &[&[u8]] = &[b"V", b"AP", b"AS", b"MK", b"F", b"Lock", b"SV", b"Ff"];

/// Classifies revision `rev` (which must be > 0) against `rev - 1`.
pub(crate) fn classify<R: Read + Seek>(
    doc: &mut Document<R>,
    rev: usize,
) -> Result<RevisionEffect, SignatureError> {
    let prev = rev - 1;
    let entries: Vec<(u32, XrefEntry)> = doc
        .sections
        .get(rev)
        .map(|s| s.entries.iter().map(|(k, v)| (*k, *v)).collect())
        .unwrap_or_default();
    if entries.len() > MAX_CHANGED_OBJECTS {
        return Ok(RevisionEffect::ContentChanged(
            "too many objects changed to examine".into(),
        ));
    }
    let info_nums: Vec<u32> = [
        doc.trailer_get(b"Info", rev),
        doc.trailer_get(b"Info", prev),
    ]
    .into_iter()
    .flatten()
    .filter_map(|o| match o {
        Object::Ref(n, _) => Some(n),
        _ => None,
    })
    .collect();
    let old_root = doc.trailer_get(b"Root", prev);
    let new_root = doc.trailer_get(b"Root", rev);
    let root_num = match &new_root {
        Some(Object::Ref(n, _)) => Some(*n),
        _ => None,
    };

    // The catalog, whether redefined or re-pointed.
    if let (Some(old_root), Some(new_root)) = (&old_root, &new_root) {
        let old = doc.resolve(old_root, prev)?;
        let new = doc.resolve(new_root, rev)?;
        if let Some(why) = catalog_change(doc, &old, &new, prev, rev)? {
            return Ok(RevisionEffect::ContentChanged(why));
        }
    }

    let mut sorted = entries;
    sorted.sort_by_key(|(n, _)| *n);
    for (num, entry) in sorted {
        if num == 0 || Some(num) == root_num {
            continue;
        }
        let old_entry = doc.entry(num, prev);
        let was_used = matches!(
            old_entry,
            Some(XrefEntry::InUse { .. } | XrefEntry::Compressed { .. })
        );
        if entry == XrefEntry::Free {
            if was_used {
                return Ok(RevisionEffect::ContentChanged(format!(
                    "object {num} deleted"
                )));
            }
            continue;
        }
        if !was_used || old_entry == Some(entry) {
            // New objects only matter through the changed objects that use them.
            continue;
        }
        if info_nums.contains(&num) {
            continue;
        }
        let old = doc.resolve_num(num, prev, 0)?.unwrap_or(Object::Null);
        let new = doc.resolve_num(num, rev, 0)?.unwrap_or(Object::Null);
        if let Some(why) = object_change(doc, num, &old, &new, prev, rev)? {
            return Ok(RevisionEffect::ContentChanged(why));
        }
    }
    Ok(RevisionEffect::SignaturesOnly)
}

fn same_object<R: Read + Seek>(
    doc: &mut Document<R>,
    old: &Object,
    new: &Object,
) -> Result<bool, SignatureError> {
    match (old, new) {
        (Object::Stream(da, a), Object::Stream(db, b)) => {
            if !dict_same(da, db, &[b"Length"]) {
                return Ok(false);
            }
            if a == b {
                return Ok(true);
            }
            if a.len != b.len {
                return Ok(false);
            }
            Ok(doc.stream_digest(*a)? == doc.stream_digest(*b)?)
        }
        _ => Ok(old.same(new)),
    }
}

/// Why a redefined object counts as a content change, or `None`.
fn object_change<R: Read + Seek>(
    doc: &mut Document<R>,
    num: u32,
    old: &Object,
    new: &Object,
    prev: usize,
    rev: usize,
) -> Result<Option<String>, SignatureError> {
    if same_object(doc, old, new)? {
        return Ok(None);
    }
    let (Some(od), Some(nd)) = (old.as_dict(), new.as_dict()) else {
        if let (Object::Array(a), Object::Array(b)) = (old, new) {
            // An indirect /Annots or /Fields array that only gains signature fields.
            return array_growth(doc, a, b, rev, num);
        }
        return Ok(Some(format!("object {num} changed")));
    };
    let ty = nd.name(b"Type").or(od.name(b"Type")).map(<[u8]>::to_vec);
    match ty.as_deref() {
        Some(b"Metadata" | b"DSS" | b"VRI" | b"XRef" | b"ObjStm") => return Ok(None),
        Some(b"Page") => return page_change(doc, num, od, nd, prev, rev),
        Some(b"Catalog") => return catalog_change(doc, old, new, prev, rev),
        _ => {}
    }
    if od.name(b"FT") == Some(b"Sig") && nd.name(b"FT") == Some(b"Sig") {
        if od.get(b"V").is_some()
            && !od
                .get(b"V")
                .zip(nd.get(b"V"))
                .is_some_and(|(a, b)| a.same(b))
        {
            return Ok(Some(format!("signature field {num} re-signed or cleared")));
        }
        if dict_same(od, nd, SIG_FIELD_ALLOWED) {
            return Ok(None);
        }
        return Ok(Some(format!("signature field {num} changed")));
    }
    if od.get(b"Fields").is_some() || nd.get(b"Fields").is_some() {
        return acroform_change(doc, od, nd, prev, rev);
    }
    Ok(Some(format!("object {num} changed")))
}

fn catalog_change<R: Read + Seek>(
    doc: &mut Document<R>,
    old: &Object,
    new: &Object,
    prev: usize,
    rev: usize,
) -> Result<Option<String>, SignatureError> {
    let (Some(od), Some(nd)) = (old.as_dict(), new.as_dict()) else {
        return Ok(Some("document catalog replaced".into()));
    };
    if !dict_same(od, nd, CATALOG_ALLOWED) {
        return Ok(Some("document catalog changed".into()));
    }
    let old_form = match od.get(b"AcroForm") {
        Some(f) => doc.resolve(f, prev)?,
        None => Object::Dict(Dict::default()),
    };
    let new_form = match nd.get(b"AcroForm") {
        Some(f) => doc.resolve(f, rev)?,
        None => Object::Dict(Dict::default()),
    };
    match (old_form.as_dict(), new_form.as_dict()) {
        (Some(a), Some(b)) => acroform_change(doc, a, b, prev, rev),
        (_, None) if nd.get(b"AcroForm").is_none() => Ok(None),
        _ => Ok(Some("interactive form replaced".into())),
    }
}

fn acroform_change<R: Read + Seek>(
    doc: &mut Document<R>,
    old: &Dict,
    new: &Dict,
    prev: usize,
    rev: usize,
) -> Result<Option<String>, SignatureError> {
    if !dict_same(old, new, ACROFORM_ALLOWED) {
        return Ok(Some("interactive form changed".into()));
    }
    let old_fields = list(doc, old.get(b"Fields"), prev)?;
    let new_fields = list(doc, new.get(b"Fields"), rev)?;
    array_growth(doc, &old_fields, &new_fields, rev, 0)
        .map(|r| r.map(|_| "form fields other than signatures added or removed".into()))
}

fn page_change<R: Read + Seek>(
    doc: &mut Document<R>,
    num: u32,
    old: &Dict,
    new: &Dict,
    prev: usize,
    rev: usize,
) -> Result<Option<String>, SignatureError> {
    if !dict_same(old, new, &[b"Annots"]) {
        return Ok(Some(format!("page object {num} changed")));
    }
    let old_annots = list(doc, old.get(b"Annots"), prev)?;
    let new_annots = list(doc, new.get(b"Annots"), rev)?;
    array_growth(doc, &old_annots, &new_annots, rev, num)
        .map(|r| r.map(|_| format!("annotations other than signatures changed on page {num}")))
}

fn list<R: Read + Seek>(
    doc: &mut Document<R>,
    value: Option<&Object>,
    rev: usize,
) -> Result<Vec<Object>, SignatureError> {
    Ok(match value {
        None => Vec::new(),
        Some(v) => match doc.resolve(v, rev)? {
            Object::Array(a) => a,
            Object::Null => Vec::new(),
            other => vec![other],
        },
    })
}

/// `new` must keep every element of `old` and add only signature fields.
fn array_growth<R: Read + Seek>(
    doc: &mut Document<R>,
    old: &[Object],
    new: &[Object],
    rev: usize,
    num: u32,
) -> Result<Option<String>, SignatureError> {
    for o in old {
        if !new.iter().any(|n| n.same(o)) {
            return Ok(Some(format!("entry removed from array {num}")));
        }
    }
    for n in new {
        if old.iter().any(|o| o.same(n)) {
            continue;
        }
        let value = doc.resolve(n, rev)?;
        if !is_signature_field(doc, &value, rev)? {
            return Ok(Some(format!("non-signature entry added to array {num}")));
        }
    }
    Ok(None)
}

fn is_signature_field<R: Read + Seek>(
    doc: &mut Document<R>,
    value: &Object,
    rev: usize,
) -> Result<bool, SignatureError> {
    let Some(d) = value.as_dict() else {
        return Ok(false);
    };
    if d.name(b"FT") == Some(b"Sig") {
        return Ok(true);
    }
    if let Some(parent) = d.get(b"Parent") {
        let parent = doc.resolve(parent, rev)?;
        return Ok(parent.as_dict().and_then(|p| p.name(b"FT")) == Some(b"Sig"));
    }
    Ok(false)
}

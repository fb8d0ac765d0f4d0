//! Incremental updates after signing: which keep the signatures' meaning
//! and which change what a reader sees (including shadow attacks that
//! re-point a page to an object that already sat in the signed file).

mod common;

use signatures::{Decision, LaterChanges, verify_pdf_bytes};

/// Appends an incremental update redefining `objects` to `pdf`.
fn append_update(pdf: &[u8], objects: &[(u32, &str)]) -> Vec<u8> {
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(64)..]).into_owned();
    let prev: u64 = tail
        .split("startxref")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no startxref"));
    let size = 40;
    let mut out = pdf.to_vec();
    let mut xref = String::from("xref\n0 1\n0000000000 65535 f \n");
    for (num, body) in objects {
        let at = out.len();
        out.extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
        xref.push_str(&format!("{num} 1\n{at:010} 00000 n \n"));
    }
    let xref_at = out.len();
    out.extend_from_slice(xref.as_bytes());
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {size} /Root 1 0 R /Info 6 0 R /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

fn later_changes(pdf: &[u8]) -> Vec<LaterChanges> {
    verify_pdf_bytes(pdf, &common::options())
        .signatures
        .iter()
        .map(|s| s.later_changes)
        .collect()
}

const PAGE_PREFIX: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 595 842 ] /Resources << /Font << /F1 5 0 R >> >> /Annots [ 9 0 R 12 0 R ]";

#[test]
fn page_re_pointed_to_an_existing_object_is_a_content_change() {
    let pdf = common::read("01_valid_two_signatures.pdf");
    // Object 5 (the font) already sat in the signed revision.
    let page = format!("{PAGE_PREFIX} /Contents 5 0 R >>");
    let updated = append_update(&pdf, &[(3, &page)]);
    assert_eq!(
        later_changes(&updated),
        vec![LaterChanges::ContentChanged, LaterChanges::ContentChanged]
    );
    let report = verify_pdf_bytes(&updated, &common::options());
    assert_eq!(report.decision, Decision::AcceptWithWarning);
}

#[test]
fn rewriting_the_signed_content_stream_is_a_content_change() {
    let pdf = common::read("01_valid_two_signatures.pdf");
    let stream = "<< /Length 20 >>\nstream\nBT (forged) Tj ET  \nendstream";
    let updated = append_update(&pdf, &[(4, stream)]);
    assert_eq!(
        later_changes(&updated),
        vec![LaterChanges::ContentChanged, LaterChanges::ContentChanged]
    );
}

#[test]
fn adding_a_non_signature_annotation_is_a_content_change() {
    let pdf = common::read("01_valid_two_signatures.pdf");
    let page = "<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 595 842 ] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [ 9 0 R 12 0 R 30 0 R ] >>";
    let note = "<< /Type /Annot /Subtype /FreeText /Rect [0 0 100 100] /Contents (sua) >>";
    let updated = append_update(&pdf, &[(3, page), (30, note)]);
    assert_eq!(
        later_changes(&updated),
        vec![LaterChanges::ContentChanged, LaterChanges::ContentChanged]
    );
}

#[test]
fn rewriting_an_object_with_identical_content_is_not_a_change() {
    let pdf = common::read("01_valid_two_signatures.pdf");
    let page = format!("{PAGE_PREFIX} /Contents 4 0 R >>");
    let updated = append_update(&pdf, &[(3, &page)]);
    assert_eq!(
        later_changes(&updated),
        vec![LaterChanges::SignaturesOnly, LaterChanges::SignaturesOnly]
    );
    let report = verify_pdf_bytes(&updated, &common::options());
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
}

#[test]
fn changing_document_information_only_is_not_a_content_change() {
    let pdf = common::read("01_valid_two_signatures.pdf");
    let info = "<< /Title (Quyet dinh) /Producer (Kho) >>";
    let updated = append_update(&pdf, &[(6, info)]);
    assert_eq!(
        later_changes(&updated),
        vec![LaterChanges::SignaturesOnly, LaterChanges::SignaturesOnly]
    );
}

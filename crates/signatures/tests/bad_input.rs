//! Hostile or broken input gives a clear verdict, never a panic or a hang.

mod common;

use common::minimal_pdf::pdf_from_objects;
use common::signer::{PdfSpec, Signer, options_trusting, signed_pdf};
use signatures::{Decision, SignatureStatus, VerifyOptions, verify_pdf_bytes};

/// Rewrites the `n`-th number of the first `/ByteRange` (fixed-width
/// numbers, as the test writer makes them).
fn set_byte_range_number(pdf: &mut [u8], n: usize, value: u64) {
    let at = find(pdf, b"/ByteRange [0 ") + 14;
    let start = at + (n - 1) * 11;
    pdf[start..start + 10].copy_from_slice(format!("{value:010}").as_bytes());
}

fn byte_range_numbers(pdf: &[u8]) -> [u64; 3] {
    let at = find(pdf, b"/ByteRange [0 ") + 14;
    let n = |i: usize| {
        String::from_utf8_lossy(&pdf[at + i * 11..at + i * 11 + 10])
            .parse()
            .unwrap_or(0)
    };
    [n(0), n(1), n(2)]
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(needle)))
}

#[test]
fn empty_file_is_rejected_as_malformed() {
    let report = verify_pdf_bytes(b"", &VerifyOptions::default());
    assert_eq!(report.decision, Decision::Reject);
    assert_eq!(report.reason, "malformed: not a readable PDF");
}

#[test]
fn text_file_named_pdf_is_rejected_as_malformed() {
    let report = verify_pdf_bytes("Quyết định\n".as_bytes(), &VerifyOptions::default());
    assert_eq!(report.decision, Decision::Reject);
    assert!(!report.document.readable);
    assert!(report.document.malformed_detail.is_some());
}

#[test]
fn cyclic_prev_chain_is_rejected_not_followed_forever() {
    let base = pdf_from_objects(&["<< /Type /Catalog >>"], "");
    let text = String::from_utf8_lossy(&base).into_owned();
    let xref = text.find("xref").unwrap_or(0);
    let looped = pdf_from_objects(&["<< /Type /Catalog >>"], &format!("/Prev {xref}"));
    let report = verify_pdf_bytes(&looped, &VerifyOptions::default());
    assert_eq!(report.decision, Decision::Reject);
    assert!(
        report
            .document
            .malformed_detail
            .as_deref()
            .unwrap_or("")
            .contains("loops"),
        "{:?}",
        report.document.malformed_detail
    );
}

#[test]
fn cyclic_field_tree_terminates() {
    let pdf = pdf_from_objects(
        &[
            "<< /Type /Catalog /AcroForm << /Fields [2 0 R] >> >>",
            "<< /T (a) /Kids [3 0 R] >>",
            "<< /T (b) /Kids [2 0 R 3 0 R] /Parent 2 0 R >>",
        ],
        "",
    );
    let report = verify_pdf_bytes(&pdf, &VerifyOptions::default());
    assert_eq!(report.decision, Decision::AcceptUnsigned);
}

#[test]
fn self_referencing_stream_length_terminates() {
    let pdf = pdf_from_objects(
        &[
            "<< /Type /Catalog /AcroForm << /Fields [2 0 R] >> >>",
            "<< /Length 2 0 R >>\nstream\nabc\nendstream",
        ],
        "",
    );
    let report = verify_pdf_bytes(&pdf, &VerifyOptions::default());
    assert_ne!(report.decision, Decision::Accept);
}

#[test]
fn reference_chains_and_deep_nesting_terminate() {
    let deep = format!("<< /Type /Catalog /X {} >>", "[".repeat(100_000));
    let pdf = pdf_from_objects(&[&deep], "");
    let report = verify_pdf_bytes(&pdf, &VerifyOptions::default());
    assert_eq!(report.decision, Decision::Reject);

    let chain = pdf_from_objects(
        &["<< /Type /Catalog /AcroForm 2 0 R >>", "3 0 R", "2 0 R"],
        "",
    );
    let report = verify_pdf_bytes(&chain, &VerifyOptions::default());
    assert_ne!(report.decision, Decision::Accept);
}

#[test]
fn huge_field_array_stays_bounded() {
    let refs: String = (0..200_000).map(|i| format!("{} 0 R ", i + 10)).collect();
    let catalog = format!("<< /Type /Catalog /AcroForm << /Fields [{refs}] >> >>");
    let pdf = pdf_from_objects(&[&catalog], "");
    let report = verify_pdf_bytes(&pdf, &VerifyOptions::default());
    assert!(report.signatures.is_empty());
    assert_eq!(report.decision, Decision::Reject);
    assert!(
        report
            .document
            .malformed_detail
            .as_deref()
            .unwrap_or("")
            .contains("limit"),
        "the limit should be reported: {:?}",
        report.document.malformed_detail
    );
}

#[test]
fn byte_range_outside_the_file_is_rejected() {
    let signer = Signer::load();
    let mut pdf = signed_pdf(&signer, &PdfSpec::default());
    set_byte_range_number(&mut pdf, 3, 9_999_999_999);
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    let sig = &report.signatures[0];
    assert!(!sig.intact && !sig.byte_range_ok);
    assert!(sig.problems.iter().any(|p| p.contains("outside the file")));
    assert_eq!(report.decision, Decision::Reject);
    assert!(report.reason.starts_with("ByteRange leaves unsigned bytes"));
    // The CMS was never read, so the reason names the field.
    assert!(
        report.reason.ends_with(": field Signature1"),
        "{}",
        report.reason
    );
}

#[test]
fn contents_larger_than_the_file_is_rejected() {
    let signer = Signer::load();
    let mut pdf = signed_pdf(&signer, &PdfSpec::default());
    let [_, gap_end, _] = byte_range_numbers(&pdf);
    // The gap (the /Contents string) now claims to run past the end.
    let len = pdf.len() as u64;
    set_byte_range_number(&mut pdf, 2, gap_end + len);
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    assert!(!report.signatures[0].byte_range_ok);
    assert_eq!(report.decision, Decision::Reject);
}

#[test]
fn overlapping_byte_ranges_are_rejected() {
    let signer = Signer::load();
    let mut pdf = signed_pdf(&signer, &PdfSpec::default());
    let [first_len, gap_end, _] = byte_range_numbers(&pdf);
    set_byte_range_number(&mut pdf, 1, gap_end + 10);
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    let sig = &report.signatures[0];
    assert!(
        sig.problems.iter().any(|p| p.contains("overlap")),
        "{:?}",
        sig.problems
    );
    assert!(!sig.intact);
    assert_eq!(report.decision, Decision::Reject);
    assert!(first_len > 0);
}

#[test]
fn gap_other_than_the_contents_string_is_rejected() {
    let signer = Signer::load();
    let mut pdf = signed_pdf(&signer, &PdfSpec::default());
    let [first_len, _, _] = byte_range_numbers(&pdf);
    // One more byte left unsigned before /Contents: the signature breaks
    // and the layout itself is refused.
    set_byte_range_number(&mut pdf, 1, first_len - 1);
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    let sig = &report.signatures[0];
    assert!(!sig.byte_range_ok);
    assert!(
        sig.problems.iter().any(|p| p.contains("gap")),
        "{:?}",
        sig.problems
    );
    assert_eq!(report.decision, Decision::Reject);
}

#[test]
fn garbage_cms_is_a_malformed_signature() {
    let signer = Signer::load();
    let mut pdf = signed_pdf(&signer, &PdfSpec::default());
    let at = find(&pdf, b"/Contents <") + 11;
    // An outer SEQUENCE claiming four gigabytes.
    pdf[at..at + 12].copy_from_slice(b"3084ffffffff");
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    assert_eq!(report.signatures[0].status, SignatureStatus::Malformed);
    assert_eq!(report.decision, Decision::Reject);
}

#[test]
fn stream_length_past_the_end_is_an_error_not_a_panic() {
    let pdf = pdf_from_objects(
        &[
            "<< /Type /Catalog /AcroForm << /Fields [] >> >>",
            "<< /Length 99999999999 >>\nstream\nabc\nendstream",
        ],
        "",
    );
    let report = verify_pdf_bytes(&pdf, &VerifyOptions::default());
    assert_eq!(report.decision, Decision::AcceptUnsigned);
}

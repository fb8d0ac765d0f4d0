//! Signatures made by the tests themselves: a 50 MB document, many
//! signature fields, algorithms this verifier does not know.

mod common;

use std::io::{Read, Seek, SeekFrom};

use common::signer::{PdfSpec, SignOptions, Signer, options_trusting, signed_pdf};
use signatures::{Decision, SignatureStatus, verify_pdf, verify_pdf_bytes};

#[test]
fn generated_signature_verifies_and_is_trusted_when_its_certificate_is_an_anchor() {
    let signer = Signer::load();
    let pdf = signed_pdf(&signer, &PdfSpec::default());
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    let sig = &report.signatures[0];
    assert!(sig.intact && sig.covers_whole_file && sig.byte_range_ok);
    assert_eq!(sig.trusted, Some(true));
}

/// A reader that refuses single reads larger than `limit`, to show that
/// verification streams instead of loading the file.
struct ChunkedOnly<R> {
    inner: R,
    limit: usize,
    largest: usize,
}

impl<R: Read> Read for ChunkedOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        assert!(buf.len() <= self.limit, "read of {} bytes", buf.len());
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for ChunkedOnly<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
// The test writes its own scratch file in a temporary directory.
#[allow(clippy::disallowed_methods)]
fn fifty_megabyte_pdf_is_verified_by_streaming_the_digest() {
    let signer = Signer::load();
    let spec = PdfSpec {
        filler: 50 * 1024 * 1024,
        ..PdfSpec::default()
    };
    let pdf = signed_pdf(&signer, &spec);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("large.pdf");
    std::fs::write(&path, &pdf).unwrap_or_else(|e| panic!("write: {e}"));
    drop(pdf);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
    let mut reader = ChunkedOnly {
        inner: file,
        limit: 2 * 1024 * 1024,
        largest: 0,
    };
    let report = verify_pdf(&mut reader, &options_trusting(&signer));
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    assert!(report.document.size > 50 * 1024 * 1024);
    assert!(report.signatures[0].intact);
}

#[test]
fn unknown_signature_algorithm_is_reported_unsupported_not_broken() {
    let signer = Signer::load();
    let spec = PdfSpec {
        sign: SignOptions {
            signature_oid: "1.2.3.4.5.6".into(),
            ..SignOptions::default()
        },
        ..PdfSpec::default()
    };
    let report = verify_pdf_bytes(&signed_pdf(&signer, &spec), &options_trusting(&signer));
    let sig = &report.signatures[0];
    assert_eq!(
        sig.status,
        SignatureStatus::Unsupported,
        "{:?}",
        sig.problems
    );
    assert!(!sig.intact);
    assert_eq!(report.decision, Decision::AcceptWithWarning);
    assert!(
        report.reason.contains("could not be verified"),
        "{}",
        report.reason
    );
}

#[test]
fn unsupported_sub_filter_is_reported_unsupported() {
    let signer = Signer::load();
    let spec = PdfSpec {
        subfilter: "adbe.pkcs7.sha1".into(),
        ..PdfSpec::default()
    };
    let report = verify_pdf_bytes(&signed_pdf(&signer, &spec), &options_trusting(&signer));
    assert_eq!(report.signatures[0].status, SignatureStatus::Unsupported);
    assert!(report.signatures[0].problems[0].contains("sub-filter"));
}

#[test]
fn fifty_signature_fields_each_get_a_verdict() {
    let signer = Signer::load();
    let spec = PdfSpec {
        fields: 50,
        reserved: 2048,
        ..PdfSpec::default()
    };
    let report = verify_pdf_bytes(&signed_pdf(&signer, &spec), &options_trusting(&signer));
    assert_eq!(report.signatures.len(), 50);
    assert!(report.signatures[0].intact);
    assert!(
        report.signatures[1..]
            .iter()
            .all(|s| !s.intact && s.status == SignatureStatus::Malformed)
    );
    assert_eq!(report.decision, Decision::Reject);
    assert!(
        report.reason.starts_with("signature does not verify"),
        "{}",
        report.reason
    );
}

#[test]
fn signature_count_limit_is_reported() {
    let signer = Signer::load();
    let spec = PdfSpec {
        fields: 5,
        reserved: 2048,
        ..PdfSpec::default()
    };
    let mut options = options_trusting(&signer);
    options.max_signatures = 2;
    let report = verify_pdf_bytes(&signed_pdf(&signer, &spec), &options);
    assert_eq!(report.signatures.len(), 2);
    assert!(
        report
            .document
            .warnings
            .iter()
            .any(|w| w.contains("more than 2"))
    );
}

#[test]
fn document_time_stamp_is_checked_against_the_signed_bytes() {
    let signer = Signer::load();
    let spec = PdfSpec {
        subfilter: "ETSI.RFC3161".into(),
        ..PdfSpec::default()
    };
    let pdf = signed_pdf(&signer, &spec);
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    let sig = &report.signatures[0];
    assert!(sig.intact, "{:?}", sig.problems);
    assert_eq!(sig.validation_time.as_deref(), Some("2027-01-01T00:00:00Z"));
    // The test signer lacks the time-stamping extended key usage.
    assert_eq!(sig.trusted, Some(false));
    assert!(
        sig.problems.iter().any(|p| p.contains("time-stamps")),
        "{:?}",
        sig.problems
    );

    let mut tampered = pdf.clone();
    let needle = b"Kho test document";
    let at = tampered
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("page text not found"));
    tampered[at] ^= 0x01;
    let report = verify_pdf_bytes(&tampered, &options_trusting(&signer));
    assert!(!report.signatures[0].intact);
    assert_eq!(report.decision, Decision::Reject);
}

#[test]
fn object_streams_and_compressed_cross_reference_streams_are_read() {
    let signer = Signer::load();
    let spec = PdfSpec {
        xref_stream: true,
        fields: 2,
        ..PdfSpec::default()
    };
    let pdf = signed_pdf(&signer, &spec);
    let report = verify_pdf_bytes(&pdf, &options_trusting(&signer));
    assert_eq!(report.signatures.len(), 2, "{:?}", report.document);
    assert!(
        report.signatures[0].intact,
        "{:?}",
        report.signatures[0].problems
    );
    assert!(report.signatures[0].byte_range_ok && report.signatures[0].covers_whole_file);
    assert_eq!(report.signatures[0].field.as_deref(), Some("Signature1"));
}

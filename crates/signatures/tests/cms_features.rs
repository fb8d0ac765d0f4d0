//! CMS features the shared fixtures do not exercise, on PDFs signed by the
//! test signer: signed attributes stored out of DER order, signing-certificate
//! attributes v1 and v2, signature time-stamp imprints, weak keys, and the
//! JSON shape of a report.

mod common;

use common::signer::{
    PdfSpec, SignOptions, SignatureTimestamp, Signer, SigningCertificate, options_trusting,
    signed_pdf,
};
use signatures::{Decision, SignatureReport, SignatureStatus, SigningTimeSource, verify_pdf_bytes};

fn signed_with(signer: &Signer, sign: SignOptions) -> Vec<u8> {
    signed_pdf(
        signer,
        &PdfSpec {
            sign,
            reserved: 8192,
            ..PdfSpec::default()
        },
    )
}

fn verify(signer: &Signer, pdf: &[u8]) -> SignatureReport {
    verify_pdf_bytes(pdf, &options_trusting(signer))
}

/// Flips one byte of the page text, inside the signed range.
fn tamper(pdf: &mut [u8]) {
    let needle = b"Kho test document";
    let at = pdf
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("page text not found"));
    pdf[at] ^= 0x01;
}

#[test]
fn signed_attributes_stored_out_of_der_order_still_verify() {
    let signer = Signer::load();
    let sign = SignOptions {
        attributes_out_of_order: true,
        signing_certificate: Some(SigningCertificate::V2),
        ..SignOptions::default()
    };
    let pdf = signed_with(&signer, sign.clone());
    let report = verify(&signer, &pdf);
    let sig = &report.signatures[0];
    assert!(sig.intact, "{:?}", sig.problems);
    assert_eq!(sig.status, SignatureStatus::Intact);
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);

    // The re-ordering is only a second try over the same attributes: a
    // change of the signed bytes is still caught.
    let mut tampered = pdf;
    tamper(&mut tampered);
    let report = verify(&signer, &tampered);
    assert!(!report.signatures[0].intact);
    assert_eq!(report.decision, Decision::Reject);
}

#[test]
fn signing_certificate_attributes_v1_and_v2_naming_the_signer_verify() {
    let signer = Signer::load();
    for (version, number) in [(SigningCertificate::V1, 1), (SigningCertificate::V2, 2)] {
        let pdf = signed_with(
            &signer,
            SignOptions {
                signing_certificate: Some(version),
                ..SignOptions::default()
            },
        );
        let report = verify(&signer, &pdf);
        let sig = &report.signatures[0];
        assert!(sig.intact, "{version:?}: {:?}", sig.problems);
        assert_eq!(
            sig.algorithms.signing_certificate_attribute,
            Some(number),
            "{version:?}"
        );
        assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    }
}

#[test]
fn signing_certificate_attribute_naming_another_certificate_breaks_the_signature() {
    let signer = Signer::load();
    for version in [SigningCertificate::V1, SigningCertificate::V2] {
        let pdf = signed_with(
            &signer,
            SignOptions {
                signing_certificate: Some(version),
                signing_certificate_of_other: true,
                ..SignOptions::default()
            },
        );
        let report = verify(&signer, &pdf);
        let sig = &report.signatures[0];
        assert!(!sig.intact, "{version:?}");
        assert_eq!(sig.status, SignatureStatus::Broken, "{version:?}");
        assert!(
            sig.problems
                .iter()
                .any(|p| p.contains("signing-certificate attribute does not name")),
            "{version:?}: {:?}",
            sig.problems
        );
        assert_eq!(report.decision, Decision::Reject, "{version:?}");
    }
}

#[test]
fn signature_time_stamp_over_the_signature_value_is_verified() {
    let signer = Signer::load();
    let pdf = signed_with(
        &signer,
        SignOptions {
            timestamp: Some(SignatureTimestamp::OverTheSignature),
            ..SignOptions::default()
        },
    );
    let report = verify(&signer, &pdf);
    let sig = &report.signatures[0];
    assert!(sig.intact, "{:?}", sig.problems);
    let ts = sig
        .timestamp
        .as_ref()
        .unwrap_or_else(|| panic!("no time-stamp verdict"));
    assert!(ts.intact, "{:?}", ts.problems);
    assert!(ts.imprint_matches, "{:?}", ts.problems);
    assert_eq!(ts.time.as_deref(), Some("2027-01-01T00:00:00Z"));
    assert!(sig.evidence.timestamp_token.is_some());
    // The test signer is not a time-stamping authority (no extended key
    // usage): the token is checked but does not count as a proven time.
    assert!(!ts.trusted);
    assert!(!sig.timestamped);
    assert!(
        ts.problems.iter().any(|p| p.contains("time-stamps")),
        "{:?}",
        ts.problems
    );
    assert_eq!(
        sig.validation_time_source,
        Some(SigningTimeSource::SigningTimeAttribute)
    );
}

#[test]
fn signature_time_stamp_with_another_imprint_is_not_counted() {
    let signer = Signer::load();
    let pdf = signed_with(
        &signer,
        SignOptions {
            timestamp: Some(SignatureTimestamp::WrongImprint),
            ..SignOptions::default()
        },
    );
    let report = verify(&signer, &pdf);
    let sig = &report.signatures[0];
    // The signature itself is intact; its time-stamp belongs to other data.
    assert!(sig.intact, "{:?}", sig.problems);
    let ts = sig
        .timestamp
        .as_ref()
        .unwrap_or_else(|| panic!("no time-stamp verdict"));
    assert!(ts.intact, "the token's own signature verifies");
    assert!(!ts.imprint_matches);
    assert!(
        ts.problems
            .iter()
            .any(|p| p.contains("imprint does not match")),
        "{:?}",
        ts.problems
    );
    assert!(!sig.timestamped);
    assert!(
        sig.warnings
            .iter()
            .any(|w| w.contains("time-stamp present but not valid")),
        "{:?}",
        sig.warnings
    );
}

#[test]
fn rsa_key_under_2048_bits_is_a_weak_algorithm_warning() {
    let signer = Signer::weak();
    let pdf = signed_with(&signer, SignOptions::default());
    let report = verify(&signer, &pdf);
    let sig = &report.signatures[0];
    assert!(sig.intact, "{:?}", sig.problems);
    assert_eq!(sig.trusted, Some(true));
    assert_eq!(sig.algorithms.key.as_deref(), Some("RSA 1024"));
    assert!(
        sig.weak_algorithms.iter().any(|w| w.contains("1024")),
        "{:?}",
        sig.weak_algorithms
    );
    assert_eq!(report.decision, Decision::AcceptWithWarning);
    assert!(
        report.reason.contains("weak algorithm or key"),
        "{}",
        report.reason
    );

    // The 2048-bit signer gets no such warning.
    let signer = Signer::load();
    let report = verify(&signer, &signed_with(&signer, SignOptions::default()));
    assert!(report.signatures[0].weak_algorithms.is_empty());
    assert_eq!(report.decision, Decision::Accept);
}

/// `kho verify-signatures --json` prints this serialisation: a top-level
/// `decision` and `reason` and one verdict per signature.
#[test]
fn report_json_has_decision_reason_and_per_signature_verdicts() {
    let report = verify_pdf_bytes(
        &common::read("01_valid_two_signatures.pdf"),
        &common::options(),
    );
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["decision"], "accept");
    assert_eq!(
        json["reason"],
        "all signatures intact, trusted and valid at signing time"
    );
    let sigs = json["signatures"]
        .as_array()
        .unwrap_or_else(|| panic!("signatures is not an array: {json}"));
    assert_eq!(sigs.len(), 2);
    for (sig, (field, cn)) in sigs.iter().zip([
        ("Signature1", "Nguyễn Văn A"),
        ("Signature2", "UBND tỉnh Nam Định"),
    ]) {
        assert_eq!(sig["field"], field);
        assert_eq!(sig["signer_cn"], cn);
        assert_eq!(sig["status"], "intact");
        for key in [
            "intact",
            "byte_range_ok",
            "covers_whole_file",
            "modified_after_signing",
            "timestamped",
            "revocation_checked",
        ] {
            assert!(sig[key].is_boolean(), "{field}: {key} is {}", sig[key]);
        }
        assert_eq!(sig["trusted"], true);
        assert_eq!(sig["cert_valid_at_signing_time"], true);
        assert_eq!(sig["revocation_checked"], false);
        assert!(sig["later_changes"].is_string());
        assert!(sig["problems"].is_array() && sig["warnings"].is_array());
        assert!(sig["evidence"]["cms"].is_string());
        assert!(sig["evidence"]["certificate_path"].is_array());
    }
    assert_eq!(json["signatures"][0]["covers_whole_file"], false);
    assert_eq!(json["signatures"][1]["covers_whole_file"], true);
}

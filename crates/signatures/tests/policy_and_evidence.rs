//! The decision follows the configured policy, and the stored evidence is
//! enough to re-check a verdict later.

mod common;

use base64::Engine as _;
use signatures::{
    Decision, Policy, PolicyAction, REPORT_FORMAT_VERSION, SignatureReport, SigningTimeSource,
    decide, verify_pdf_bytes,
};

fn verify_with(file: &str, policy: Policy) -> SignatureReport {
    let mut options = common::options();
    options.policy = policy;
    verify_pdf_bytes(&common::read(file), &options)
}

#[test]
fn unsigned_documents_can_be_refused_by_policy() {
    let policy = Policy {
        accept_unsigned: false,
        ..Policy::default()
    };
    let report = verify_with("11_unsigned.pdf", policy);
    assert_eq!(report.decision, Decision::Reject);
    assert!(report.reason.contains("refused by policy"));
}

#[test]
fn untrusted_signers_can_be_refused_by_policy() {
    let policy = Policy {
        untrusted_certificate: PolicyAction::Reject,
        ..Policy::default()
    };
    let report = verify_with("05_untrusted_signer.pdf", policy);
    assert_eq!(report.decision, Decision::Reject);
    assert!(
        report
            .reason
            .contains("does not validate to a trust anchor")
    );
}

#[test]
fn requiring_a_timestamp_warns_on_documents_without_one() {
    let policy = Policy {
        missing_timestamp: PolicyAction::Warn,
        ..Policy::default()
    };
    assert_eq!(
        verify_with("09_large_1mb.pdf", policy.clone()).decision,
        Decision::AcceptWithWarning
    );
    assert_eq!(
        verify_with("07_timestamped.pdf", policy).decision,
        Decision::Accept
    );
}

#[test]
fn stored_verdicts_can_be_decided_again_under_another_policy() {
    let report = verify_with("04_modified_after_signing.pdf", Policy::default());
    assert_eq!(report.decision, Decision::AcceptWithWarning);
    let strict = Policy {
        content_changed_after_signing: PolicyAction::Reject,
        ..Policy::default()
    };
    let (decision, reason) = decide(&report.signatures, None, &strict);
    assert_eq!(decision, Decision::Reject);
    assert!(reason.contains("modified after signature"));
}

#[test]
fn without_trust_anchors_every_signature_is_untrusted() {
    let report = verify_pdf_bytes(
        &common::read("01_valid_two_signatures.pdf"),
        &signatures::VerifyOptions::default(),
    );
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.intact && s.trusted == Some(false))
    );
    assert_eq!(report.decision, Decision::AcceptWithWarning);
}

#[test]
fn timestamped_signature_is_judged_at_the_timestamp_time_and_keeps_the_token() {
    let report = verify_with("08_expired_but_timestamped.pdf", Policy::default());
    let sig = &report.signatures[0];
    assert_eq!(
        sig.validation_time_source,
        Some(SigningTimeSource::Timestamp)
    );
    assert_eq!(sig.validation_time.as_deref(), Some("2019-06-01T09:00:00Z"));
    let ts = sig
        .timestamp
        .as_ref()
        .unwrap_or_else(|| panic!("no timestamp"));
    assert!(ts.intact && ts.imprint_matches && ts.trusted && ts.valid_at_time);
    assert!(
        ts.authority
            .as_deref()
            .unwrap_or("")
            .contains("Kho Test TSA")
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let token = b64
        .decode(sig.evidence.timestamp_token.as_deref().unwrap_or(""))
        .unwrap_or_default();
    assert_eq!(token.first(), Some(&0x30));
    assert!(sig.evidence.timestamp_certificate_path.len() >= 2);
}

#[test]
fn evidence_holds_the_cms_and_the_certificate_path_to_the_anchor() {
    let report = verify_with("01_valid_two_signatures.pdf", Policy::default());
    assert_eq!(report.format_version, REPORT_FORMAT_VERSION);
    assert!(!report.scope.revocation_checked);
    let b64 = base64::engine::general_purpose::STANDARD;
    for sig in &report.signatures {
        assert!(!sig.revocation_checked);
        // Leaf, intermediate, root.
        assert_eq!(sig.evidence.certificate_path.len(), 3, "{:?}", sig.field);
        for cert in &sig.evidence.certificate_path {
            assert!(b64.decode(cert).is_ok());
        }
        let cms = b64
            .decode(sig.evidence.cms.as_deref().unwrap_or(""))
            .unwrap_or_default();
        assert_eq!(cms.first(), Some(&0x30));
        assert_eq!(
            sig.evidence.signed_bytes_digest.as_deref().map(str::len),
            Some(64)
        );
    }
    assert_eq!(report.signatures[0].revision, Some(1));
    assert_eq!(report.signatures[1].revision, Some(2));
    assert_eq!(
        report.signatures[1].algorithms.key.as_deref(),
        Some("ECDSA P-256")
    );
}

#[test]
fn ber_encoded_cms_is_recorded_as_such() {
    let report = verify_with("10_ber_encoded_cms.pdf", Policy::default());
    assert_eq!(
        report.signatures[0].algorithms.cms_encoding.as_deref(),
        Some("ber")
    );
}

#[test]
fn report_json_uses_the_documented_decision_names() {
    let report = verify_with("04_modified_after_signing.pdf", Policy::default());
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["decision"], "accept-with-warning");
    assert_eq!(json["signatures"][0]["later_changes"], "content-changed");
    assert_eq!(json["format_version"], REPORT_FORMAT_VERSION);
}

#[test]
fn signature_dictionary_entries_are_reported() {
    let report = verify_with("01_valid_two_signatures.pdf", Policy::default());
    let reasons = ["Nguoi ky", "Dong dau co quan"];
    for (sig, reason) in report.signatures.iter().zip(reasons) {
        let pdf = sig
            .pdf
            .as_ref()
            .unwrap_or_else(|| panic!("no PDF dictionary entries"));
        assert_eq!(pdf.reason.as_deref(), Some(reason));
        // A UTF-16BE text string with Vietnamese letters.
        assert_eq!(pdf.location.as_deref(), Some("Nam Định"));
        // `(D\072...)`: an octal escape for the colon.
        assert_eq!(pdf.m.as_deref(), Some("D:20261123062728Z"));
        assert_eq!(pdf.filter.as_deref(), Some("Adobe.PPKLite"));
        assert_eq!(pdf.name, None);
        assert_eq!(
            sig.claimed_signing_time.as_deref(),
            Some("2026-11-23T06:27:28Z")
        );
    }
}

//! Every fixture gets the verdict its manifest expects.

mod common;

use serde_json::{Value, json};
use signatures::{SignatureReport, SignatureVerdict, verify_pdf, verify_pdf_bytes};

/// The manifest's per-signature fields, as this crate reports them.
fn observed(v: &SignatureVerdict) -> Value {
    json!({
        "field": v.field,
        "subfilter": v.subfilter,
        "signer_cn": v.signer_cn,
        "intact": v.intact,
        "byte_range_ok": v.byte_range_ok,
        "trusted": v.trusted,
        "covers_whole_file": v.covers_whole_file,
        "later_changes": serde_json::to_value(v.later_changes).unwrap_or(Value::Null),
        "timestamped": v.timestamped,
        "cert_valid_at_signing_time": v.cert_valid_at_signing_time,
    })
}

fn check_fixture(file: &str) {
    let expected = common::entry(file);
    let report = verify_pdf_bytes(&common::read(file), &common::options());
    let malformed = expected["malformed"].as_bool().unwrap_or(false);
    assert_eq!(report.document.readable, !malformed, "{file}: readable");

    let want = expected["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        report.signatures.len(),
        want.len(),
        "{file}: signature count; report: {report:#?}"
    );
    for (i, (got, want)) in report.signatures.iter().zip(&want).enumerate() {
        assert_eq!(
            &observed(got),
            want,
            "{file}: signature {i}; problems {:?}",
            got.problems
        );
    }
    assert_eq!(
        report.decision.as_str(),
        expected["expected_decision"]["decision"],
        "{file}: decision, reason {}",
        report.reason
    );
    assert_eq!(
        report.reason, expected["expected_decision"]["reason"],
        "{file}: reason"
    );

    // The verdict survives the sidecar round trip unchanged.
    let json = serde_json::to_string(&report).unwrap_or_default();
    let back: SignatureReport =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{file}: sidecar JSON: {e}"));
    assert_eq!(back, report, "{file}: JSON round trip");
}

#[test]
fn every_manifest_fixture_gets_its_expected_verdict() {
    let manifest = common::manifest();
    let files: Vec<String> = manifest["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["file"].as_str().map(str::to_owned))
        .collect();
    assert!(files.len() >= 13, "manifest lists {} files", files.len());
    for file in files {
        check_fixture(&file);
    }
}

#[test]
fn reading_from_a_reader_gives_the_same_report_as_from_bytes() {
    let file = "01_valid_two_signatures.pdf";
    let from_bytes = verify_pdf_bytes(&common::read(file), &common::options());
    let reader = std::fs::File::open(common::fixtures_dir().join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let from_reader = verify_pdf(reader, &common::options());
    assert_eq!(from_bytes, from_reader);
}

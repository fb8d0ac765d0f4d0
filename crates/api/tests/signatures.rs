//! Signatures at deposit: every shared fixture gets the verdict its manifest expects,
//! rejected files store nothing, accepted ones come back byte-identical.

mod common;
use std::path::PathBuf;

use common::*;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../signatures/tests/fixtures/generated")
}

fn setup() -> Scratch {
    let s = Scratch::new();
    let f = fixtures();
    std::fs::write(
        s.path().join("kho.toml"),
        format!(
            "[signatures]\ntrust_anchors = [{:?}]\nintermediates = [{:?}]\n",
            f.join("trust/root.pem").display().to_string(),
            f.join("trust/intermediate.pem").display().to_string()
        ),
    )
    .expect("config");
    let o = s.run(&["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    s
}

const METADATA: &str = r#"{"kind": "outgoing", "summary": "Quyết định thử", "issuer": "Ủy ban nhân dân tỉnh Nam Định", "doc_type": "Quyết định", "issued_on": "2024-01-02", "doc_number": "12/QĐ-UBND"}"#;

#[test]
fn every_fixture_gets_its_expected_decision_at_deposit_and_from_verify_signatures() {
    let s = setup();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("manifest.json")).expect("manifest"))
            .expect("json");
    let files = manifest["files"].as_array().expect("files");
    assert!(files.len() >= 13);
    for f in files {
        let name = f["file"].as_str().expect("file");
        let expected = f["expected_decision"]["decision"]
            .as_str()
            .expect("expected_decision.decision");
        let path = fixtures().join(name);
        let path_s = path.to_str().expect("path");

        let o = s.run(&["verify-signatures", path_s, "--json"]);
        let rep: serde_json::Value = serde_json::from_slice(&o.stdout).expect("report json");
        assert_eq!(rep["decision"], expected, "{name}: verify-signatures");
        assert_eq!(
            o.status.code(),
            Some(if expected == "reject" { 1 } else { 0 }),
            "{name}"
        );

        let blobs_before = objects(&s, "blobs").len();
        let o = s.run(&["deposit", path_s, "--metadata", METADATA]);
        if expected == "reject" {
            assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
            assert_eq!(
                objects(&s, "blobs").len(),
                blobs_before,
                "{name}: a rejected file was stored"
            );
            continue;
        }
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let id = stdout(&o).split('\t').next().unwrap_or("").to_string();
        let o = s.run(&["show", &id, "--json"]);
        let m: serde_json::Value = serde_json::from_slice(&o.stdout).expect("manifest json");
        let reports = m["signature_reports"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(reports.len(), 1, "{name}: one report per PDF");
        assert_eq!(reports[0]["decision"], expected, "{name}: stored decision");
        assert!(
            reports[0]["report"]["signatures"].is_array(),
            "{name}: evidence kept"
        );
        let o = s.run(&["get", &id]);
        assert!(o.status.success());
        assert_eq!(
            o.stdout,
            std::fs::read(&path).expect("fixture"),
            "{name}: bytes changed"
        );
    }
    let o = s.run(&["verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn revalidation_records_new_events_and_keeps_the_deposit_verdicts() {
    let s = setup();
    let path = fixtures().join("01_valid_two_signatures.pdf");
    let o = s.run(&[
        "deposit",
        path.to_str().expect("path"),
        "--metadata",
        METADATA,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let id = stdout(&o).split('\t').next().unwrap_or("").to_string();
    // Re-check with no trust anchors at all: the signatures are still intact but no
    // longer trusted; the verdict recorded at deposit stays.
    std::fs::write(s.path().join("kho.toml"), "").expect("config");
    let o = s.run(&["verify", "--signatures"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("accept-with-warning (at deposit: accept)"),
        "{}",
        stdout(&o)
    );
    let o = s.run(&["show", &id, "--json"]);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(m["signature_reports"][0]["decision"], "accept");
    let o = s.run(&["log", "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let ev = log
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event"]["type"] == "signature.revalidated")
        .expect("revalidation event");
    assert_eq!(ev["event"]["detail"]["previous_decision"], "accept");
    assert_eq!(ev["event"]["detail"]["decision"], "accept-with-warning");
}

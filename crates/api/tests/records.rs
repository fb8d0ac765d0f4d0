//! Records-law metadata through the CLI: validation at deposit, corrections as new
//! versions with a field-level history, refusals in every entry path.

mod common;
use std::path::PathBuf;

use common::*;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/documents/metadata.json")
}

fn init_default(s: &Scratch) {
    let o = s.run(&["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn deposit_samples(s: &Scratch) -> Vec<String> {
    let o = s.run(&["deposit", "--batch", samples().to_str().expect("path")]);
    assert!(
        o.status.success(),
        "samples must deposit with their metadata: {}",
        stderr(&o)
    );
    stdout(&o)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn sample_decisions_deposit_with_lawful_metadata_stored_normalised() {
    let s = Scratch::new();
    init_default(&s);
    let ids = deposit_samples(&s);
    assert_eq!(ids.len(), 5);
    let o = s.run(&["show", &ids[0], "--json"]);
    assert!(o.status.success());
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(m["metadata"]["doc_number"], "05/2016/QĐ-UBND");
    assert_eq!(m["metadata"]["kind"], "outgoing");
    assert_eq!(m["metadata"]["issued_on"], "2016-03-16");
    assert!(
        m["metadata"]["received_at"].is_null(),
        "system fields are not metadata"
    );
    let o = s.run(&["verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn invalid_metadata_lists_every_problem_with_path_and_vietnamese_label_and_stores_nothing() {
    let s = Scratch::new();
    init_default(&s);
    s.write("qd.txt", "Quyết định".as_bytes());
    let md =
        r#"{"issued_on": "2099-01-01", "page_count": "nhiều", "doc_type": "Không có loại này"}"#;
    let o = s.run(&["deposit", "qd.txt", "--metadata", md]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    for needle in ["kind", "issued_on: ngày ban hành", "page_count", "doc_type"] {
        assert!(e.contains(needle), "missing {needle:?} in:\n{e}");
    }
    assert!(objects(&s, "blobs").is_empty(), "nothing may be stored");
}

#[test]
fn impossible_dates_are_refused() {
    let s = Scratch::new();
    init_default(&s);
    s.write("qd.txt", b"x");
    let o = s.run(&[
        "deposit",
        "qd.txt",
        "--metadata",
        r#"{"kind":"outgoing","issued_on":"2016-02-30"}"#,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("issued_on"), "{}", stderr(&o));
}

#[test]
fn secret_document_in_a_batch_is_refused_and_nothing_of_the_batch_entry_is_stored() {
    let s = Scratch::new();
    init_default(&s);
    s.write("mat.txt", b"noi dung mat");
    s.write(
        "list.json",
        r#"[{"file": "mat.txt", "kind": "outgoing", "secrecy": "Tuyệt mật", "summary": "x"}]"#
            .as_bytes(),
    );
    let o = s.run(&["deposit", "--batch", "list.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("secret_documents_refused"),
        "{}",
        stderr(&o)
    );
    assert!(objects(&s, "blobs").is_empty());
}

#[test]
fn corrections_make_new_versions_and_the_history_shows_who_changed_what() {
    let s = Scratch::new();
    init_default(&s);
    let ids = deposit_samples(&s);
    let id = &ids[3]; // Hải Phòng: no document number in the source text
    let o = s.run(&[
        "edit",
        id,
        "--set",
        "doc_number=12/2013/QĐ-UBND",
        "--set",
        "page_count=7",
        "--reason",
        "bổ sung số ký hiệu theo bản gốc",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("version 2"), "{}", stdout(&o));
    let o = s.run(&["show", id, "--history", "--json"]);
    let h: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(h.as_array().map(Vec::len), Some(2));
    let changes = h[1]["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["path"] == "doc_number" && c["new"] == "12/2013/QĐ-UBND"),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["path"] == "page_count" && c["new"] == 7),
        "{changes:?}"
    );
    assert!(
        h[1]["previous"].is_string(),
        "version 2 names the digest of version 1"
    );
    // Version 1 is still there, unchanged.
    let o = s.run(&["show", id, "--version", "1", "--json"]);
    let v1: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v1["metadata"]["doc_number"].is_null());
    // The journal records the change and the reason.
    let o = s.run(&["log", "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let ev = log
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event"]["type"] == "record.version_added")
        .expect("version event");
    assert_eq!(
        ev["event"]["detail"]["reason"],
        "bổ sung số ký hiệu theo bản gốc"
    );
    assert!(s.run(&["verify"]).status.success());
}

#[test]
fn an_invalid_correction_writes_no_version() {
    let s = Scratch::new();
    init_default(&s);
    let ids = deposit_samples(&s);
    let o = s.run(&["edit", &ids[0], "--set", "issued_on=2999-01-01"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("issued_on"), "{}", stderr(&o));
    let o = s.run(&["edit", &ids[0], "--set", "secrecy=Mật"]);
    assert_eq!(o.status.code(), Some(2));
    let o = s.run(&["show", &ids[0], "--history", "--json"]);
    let h: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(h.as_array().map(Vec::len), Some(1));
}

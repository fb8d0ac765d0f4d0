//! `kho dossier` through the real binary: dossiers live in the journal, a record
//! is filed in one dossier only, closed dossiers take no records, bad input is
//! refused with a specific message and writes nothing.

mod common;

use common::{Scratch, deposit, stderr, stdout};

fn ok(o: &std::process::Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: {}", stderr(o));
    stdout(o)
}

fn refused(o: &std::process::Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "{needle:?} not in {}",
        stderr(o)
    );
}

fn dossier_json(s: &Scratch, code: &str) -> serde_json::Value {
    let out = ok(&s.run(&["dossier", "show", code, "--json"]), "show");
    serde_json::from_str(&out).expect("json")
}

fn journal_events(s: &Scratch) -> usize {
    let out = ok(&s.run(&["log", "--json"]), "log");
    serde_json::from_str::<Vec<serde_json::Value>>(&out)
        .expect("json")
        .len()
}

#[test]
fn a_dossier_is_created_filled_closed_and_read_back_after_reopening() {
    let s = Scratch::new();
    s.init_any();
    let r1 = deposit(&s, "a.txt", b"first");
    let r2 = deposit(&s, "b.txt", b"second");
    ok(
        &s.run(&[
            "dossier",
            "create",
            "HS-2020-01",
            "--title",
            "Hồ sơ tuyển dụng viên chức năm 2020",
            "--fonds",
            "P01",
            "--retention",
            "10y",
        ]),
        "create",
    );
    ok(&s.run(&["dossier", "add", "HS-2020-01", &r1, &r2]), "add");
    ok(
        &s.run(&["dossier", "close", "HS-2020-01", "--end-date", "2020-11-30"]),
        "close",
    );
    let d = dossier_json(&s, "HS-2020-01");
    assert_eq!(d["dossier"]["title"], "Hồ sơ tuyển dụng viên chức năm 2020");
    assert_eq!(d["dossier"]["status"], "closed");
    assert_eq!(d["dossier"]["year_work_ended"], 2020);
    assert_eq!(d["dossier"]["retention"], "10y");
    assert_eq!(d["records"], serde_json::json!([r1, r2]));
    let list = ok(&s.run(&["dossier", "list"]), "list");
    assert!(
        list.contains("HS-2020-01\tclosed 2020\t10y\t2 record(s)"),
        "{list}"
    );
}

#[test]
fn a_record_already_in_a_dossier_cannot_be_filed_in_another() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"x");
    for code in ["A-1", "B-1"] {
        ok(
            &s.run(&["dossier", "create", code, "--title", "t"]),
            "create",
        );
    }
    ok(&s.run(&["dossier", "add", "A-1", &r]), "add");
    refused(
        &s.run(&["dossier", "add", "B-1", &r]),
        &format!("record {r} is already in dossier A-1"),
    );
    assert_eq!(dossier_json(&s, "B-1")["records"], serde_json::json!([]));
}

#[test]
fn a_closed_dossier_takes_no_more_records_and_cannot_be_closed_twice() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"x");
    ok(
        &s.run(&["dossier", "create", "A-1", "--title", "t"]),
        "create",
    );
    ok(
        &s.run(&["dossier", "close", "A-1", "--end-date", "2019-01-15"]),
        "close",
    );
    refused(
        &s.run(&["dossier", "add", "A-1", &r]),
        "dossier A-1 is closed",
    );
    refused(
        &s.run(&["dossier", "close", "A-1", "--end-date", "2019-02-01"]),
        "already closed",
    );
}

#[test]
fn bad_dossier_input_is_refused_and_nothing_is_written() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"x");
    let before = journal_events(&s);
    refused(
        &s.run(&[
            "dossier",
            "create",
            "A-1",
            "--title",
            "t",
            "--retention",
            "99y",
        ]),
        "unknown retention code \"99y\"",
    );
    refused(
        &s.run(&[
            "dossier",
            "create",
            "A-1",
            "--title",
            "t",
            "--start-date",
            "1930-05-01",
        ]),
        "before 1945",
    );
    refused(
        &s.run(&["dossier", "create", "A-1", "--title", " "]),
        "title",
    );
    refused(
        &s.run(&[
            "dossier",
            "create",
            "A-1",
            "--title",
            "t",
            "--start-date",
            "2020-02-30",
        ]),
        "--start-date",
    );
    refused(
        &s.run(&["dossier", "add", "NO-SUCH", &r]),
        "no dossier \"NO-SUCH\"",
    );
    assert_eq!(journal_events(&s), before, "refusals wrote events");

    ok(
        &s.run(&["dossier", "create", "A-1", "--title", "t"]),
        "create",
    );
    refused(
        &s.run(&["dossier", "create", "A-1", "--title", "again"]),
        "dossier A-1 already exists",
    );
    refused(
        &s.run(&["dossier", "close", "A-1", "--end-date", "1944-12-31"]),
        "before 1945",
    );
    refused(
        &s.run(&["dossier", "close", "A-1", "--end-date", "2999-01-01"]),
        "future",
    );
    refused(
        &s.run(&[
            "dossier",
            "add",
            "A-1",
            "0192f3a0-7c1e-7d2a-9b1e-3f5c2a1b0c9d",
        ]),
        "no record 0192f3a0-7c1e-7d2a-9b1e-3f5c2a1b0c9d",
    );
    refused(
        &s.run(&["dossier", "add", "A-1", "not-an-id"]),
        "not a record id",
    );
    refused(&s.run(&["dossier", "add", "A-1", &r, &r]), "given twice");
    let d = dossier_json(&s, "A-1");
    assert_eq!(d["records"], serde_json::json!([]));
    assert_eq!(d["dossier"]["status"], "open");
}

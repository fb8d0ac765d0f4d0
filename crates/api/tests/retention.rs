//! Retention, legal holds and disposition through the real binary.
//!
//! The matrix: every path that deletes bytes (`dispose execute`, `dispose
//! propose`, `gc`) is tried against a record held directly, through its
//! dossier and through a query, and against unmet retention; each must refuse
//! with a specific message and leave every blob on disk.

mod common;

use std::path::PathBuf;

use common::{Scratch, deposit, objects, stderr, stdout};

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

fn json(o: &std::process::Output, what: &str) -> serde_json::Value {
    serde_json::from_str(&ok(o, what)).expect("json")
}

fn blobs(s: &Scratch) -> Vec<PathBuf> {
    objects(s, "blobs")
}

/// A closed 5-year dossier `code` from 2010 holding `records`.
fn closed_dossier(s: &Scratch, code: &str, rule: &str, year: i32, records: &[&str]) {
    ok(
        &s.run(&[
            "dossier",
            "create",
            code,
            "--title",
            "Hồ sơ",
            "--retention",
            rule,
        ]),
        "create",
    );
    if !records.is_empty() {
        let mut args = vec!["dossier", "add", code];
        args.extend_from_slice(records);
        ok(&s.run(&args), "add");
    }
    let end = format!("{year}-06-30");
    ok(
        &s.run(&["dossier", "close", code, "--end-date", &end]),
        "close",
    );
}

fn propose(s: &Scratch, code: &str) -> String {
    let d = json(&s.run(&["dispose", "propose", code, "--json"]), "propose");
    assert_eq!(d["state"], "proposed");
    d["proposal"]["id"].as_str().expect("id").to_string()
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

fn approve(s: &Scratch, id: &str) {
    ok(
        &s.run(&[
            "dispose",
            "appraise",
            id,
            "--by",
            "Hội đồng xác định giá trị tài liệu",
        ]),
        "appraise",
    );
    ok(
        &s.run(&[
            "dispose",
            "approve",
            id,
            "--decision-number",
            "15/QĐ-UBND",
            "--approver",
            "Chủ tịch UBND",
            "--minutes",
            "BB-2026-03",
            "--date",
            &today(),
        ]),
        "approve",
    );
}

/// Store with record `r` alone in approved dossier HS-1, plus a kept record
/// sharing no bytes with it.
fn approved_setup() -> (Scratch, String, String, String) {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "gone.txt", "biên bản giao đất đai 2010".as_bytes());
    let kept = deposit(&s, "kept.txt", b"kept elsewhere");
    closed_dossier(&s, "HS-1", "5y", 2010, &[&r]);
    let id = propose(&s, "HS-1");
    approve(&s, &id);
    (s, r, kept, id)
}

fn hold(s: &Scratch, scope: &[&str]) -> String {
    let mut args = vec!["hold", "add"];
    args.extend_from_slice(scope);
    args.extend_from_slice(&[
        "--reason",
        "tranh chấp đất đai",
        "--authority",
        "TAND tỉnh",
        "--json",
    ]);
    json(&s.run(&args), "hold add")["id"]
        .as_str()
        .expect("hold id")
        .to_string()
}

#[test]
fn an_approved_disposition_destroys_bytes_keeps_metadata_and_explains_itself() {
    let s = Scratch::new();
    s.init_any();
    let gone = deposit(&s, "gone.txt", b"only in the dossier: bienbanhuy");
    let shared = deposit(&s, "shared.txt", b"bytes shared with a kept record");
    let kept = deposit(&s, "kept.txt", b"bytes shared with a kept record");
    closed_dossier(&s, "HS-1", "5y", 2010, &[&gone, &shared]);
    let hits = |s: &Scratch| json(&s.run(&["search", "bienbanhuy", "--json"]), "search");
    assert_eq!(hits(&s)["total"], 1, "{}", hits(&s));
    let due = json(&s.run(&["retention", "list-due", "--json"]), "list-due");
    assert_eq!(due[0]["dossier"], "HS-1");
    assert_eq!(due[0]["action"]["eligible_date"], "2015-12-31");
    let id = propose(&s, "HS-1");
    approve(&s, &id);
    assert_eq!(blobs(&s).len(), 2);

    let rep = json(&s.run(&["dispose", "execute", &id, "--json"]), "execute");
    assert_eq!(rep["blobs_deleted"], 1);
    assert_eq!(rep["blobs_kept_shared"], 1);
    assert_eq!(blobs(&s).len(), 1, "the shared blob stays");
    assert_eq!(hits(&s)["total"], 0, "destroyed text is still searchable");
    assert_eq!(
        ok(&s.run(&["get", &kept]), "get kept"),
        "bytes shared with a kept record"
    );

    let o = s.run(&["get", &gone]);
    refused(&o, &format!("record {gone} was destroyed on"));
    assert!(stderr(&o).contains("15/QĐ-UBND"), "{}", stderr(&o));
    refused(&s.run(&["show", &gone]), "was destroyed on");
    let history = ok(&s.run(&["show", &gone, "--history"]), "history");
    assert!(history.contains("version 2"), "{history}");
    let v1 = json(&s.run(&["show", &gone, "--version", "1", "--json"]), "v1");
    assert_eq!(v1["files"][0]["filename"], "gone.txt");
    let tomb = json(&s.run(&["show", &gone, "--version", "2", "--json"]), "v2");
    assert_eq!(tomb["files"], serde_json::json!([]));
    assert_eq!(
        tomb["metadata"]["disposition"]["decision_number"],
        "15/QĐ-UBND"
    );

    ok(&s.run(&["verify"]), "verify after a lawful destruction");
    ok(&s.run(&["scrub"]), "scrub after a lawful destruction");
    refused(
        &s.run(&["dispose", "execute", &id]),
        &format!("disposition {id} was already executed"),
    );
    let list = ok(&s.run(&["dispose", "list"]), "list");
    assert!(list.contains(&format!("{id}\texecuted\tHS-1")), "{list}");
}

#[test]
fn backups_run_and_verify_after_a_destruction() {
    let (s, _r, _kept, id) = approved_setup();
    let mut cfg = std::fs::read_to_string(s.path().join("kho.toml")).expect("config");
    cfg.push_str("[backup.targets.disk2]\nurl = \"backup-disk2\"\n");
    std::fs::write(s.path().join("kho.toml"), cfg).expect("config");
    ok(&s.run(&["dispose", "execute", &id]), "execute");
    ok(&s.run(&["backup", "run", "--quiet"]), "backup run");
    ok(&s.run(&["backup", "verify"]), "backup verify");
}

/// Blob files of a backup target directory.
fn target_blobs(s: &Scratch, target: &str) -> Vec<PathBuf> {
    common::files_under(&s.path().join(target).join("blobs"))
}

#[test]
fn backup_pruning_deletes_destroyed_copies_unless_a_hold_now_covers_them() {
    let (s, r, _kept, id) = approved_setup();
    let mut cfg = std::fs::read_to_string(s.path().join("kho.toml")).expect("config");
    cfg.push_str("[backup.targets.disk2]\nurl = \"backup-disk2\"\n");
    std::fs::write(s.path().join("kho.toml"), cfg).expect("config");
    ok(
        &s.run(&["backup", "run", "--quiet"]),
        "backup before destruction",
    );
    let copies = target_blobs(&s, "backup-disk2");
    assert_eq!(copies.len(), 2, "{copies:?}");
    ok(&s.run(&["dispose", "execute", &id]), "execute");

    // The target's latest run still lists the destroyed blob: run first.
    refused(
        &s.run(&["backup", "prune"]),
        "run `kho backup run disk2` first",
    );
    ok(
        &s.run(&["backup", "run", "--quiet"]),
        "backup after destruction",
    );
    let dry = json(
        &s.run(&["backup", "prune", "--dry-run", "--json"]),
        "dry run",
    );
    assert_eq!(dry[0]["deleted"].as_array().map(Vec::len), Some(1), "{dry}");
    assert_eq!(
        target_blobs(&s, "backup-disk2").len(),
        2,
        "a dry run deleted"
    );

    // A hold ordered after the destruction keeps the last copy, whatever its scope.
    for scope in [vec!["--record", r.as_str()], vec!["--dossier", "HS-1"]] {
        let h = hold(&s, &scope);
        let rep = json(&s.run(&["backup", "prune", "--json"]), "prune under a hold");
        assert_eq!(rep[0]["deleted"], serde_json::json!([]), "{rep}");
        assert_eq!(
            rep[0]["kept_held"].as_array().map(Vec::len),
            Some(1),
            "{rep}"
        );
        assert_eq!(target_blobs(&s, "backup-disk2").len(), 2, "{scope:?}");
        ok(
            &s.run(&["hold", "release", &h, "--reason", "xong"]),
            "release",
        );
    }
    // A query hold cannot be decided for destroyed records: nothing is pruned.
    let q = hold(&s, &["--query", "đất đai"]);
    refused(
        &s.run(&["backup", "prune"]),
        &format!("query hold {q} is active"),
    );
    assert_eq!(target_blobs(&s, "backup-disk2").len(), 2);
    ok(
        &s.run(&["hold", "release", &q, "--reason", "xong"]),
        "release",
    );

    let out = ok(&s.run(&["backup", "prune"]), "prune");
    assert!(out.contains("1 deleted"), "{out}");
    let left = target_blobs(&s, "backup-disk2");
    assert_eq!(left.len(), 1, "{left:?}");
    ok(&s.run(&["backup", "verify"]), "the pruned target verifies");
    let events = ok(&s.run(&["log", "--json"]), "log");
    assert!(events.contains("backup.pruned"), "{events}");
}

#[test]
fn every_hold_scope_blocks_execution_and_no_byte_is_deleted() {
    for scope in ["record", "dossier", "query"] {
        let (s, r, _kept, id) = approved_setup();
        let h = match scope {
            "record" => hold(&s, &["--record", &r]),
            "dossier" => hold(&s, &["--dossier", "HS-1"]),
            _ => hold(&s, &["--query", "đất đai"]),
        };
        let before = blobs(&s);
        let o = s.run(&["dispose", "execute", &id]);
        refused(&o, &format!("legal hold {h} ordered by TAND tỉnh"));
        assert!(stderr(&o).contains("nothing was deleted"), "{}", stderr(&o));
        assert_eq!(blobs(&s), before, "{scope}: bytes deleted under a hold");
        ok(&s.run(&["get", &r]), "held record still readable");

        let o = s.run(&["gc", "--grace-days", "0"]);
        ok(&o, "gc");
        assert_eq!(blobs(&s), before, "{scope}: gc deleted held bytes");

        ok(
            &s.run(&["hold", "release", &h, "--reason", "bản án có hiệu lực"]),
            "release",
        );
        ok(
            &s.run(&["dispose", "execute", &id]),
            "execute after release",
        );
        assert_eq!(blobs(&s).len(), before.len() - 1);
    }
}

#[test]
fn a_query_hold_blocks_only_what_the_search_index_finds() {
    let (s, _r, _kept, id) = approved_setup();
    let h = hold(&s, &["--query", "hợp đồng thuê nhà"]);
    let before = blobs(&s);
    ok(
        &s.run(&["dispose", "execute", &id]),
        "execute past an unrelated query hold",
    );
    assert_eq!(blobs(&s).len(), before.len() - 1);
    let list = ok(&s.run(&["hold", "list"]), "hold list");
    assert!(list.contains(&h), "{list}");
}

#[test]
fn a_held_dossier_cannot_be_proposed() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"x");
    closed_dossier(&s, "HS-1", "5y", 2010, &[&r]);
    let h = hold(&s, &["--record", &r]);
    let due = ok(&s.run(&["retention", "list-due"]), "list-due");
    assert!(due.contains(&format!("HELD by {h}")), "{due}");
    refused(
        &s.run(&["dispose", "propose", "HS-1"]),
        &format!("legal hold {h}"),
    );
    let list = json(&s.run(&["dispose", "list", "--json"]), "list");
    assert_eq!(list, serde_json::json!([]));
}

#[test]
fn unmet_retention_blocks_proposal_and_execution() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"x");
    closed_dossier(&s, "NEW-1", "10y", 2020, &[&r]);
    refused(
        &s.run(&["dispose", "propose", "NEW-1"]),
        "retention runs until 2030-12-31; deletion permitted from 2031-01-01",
    );
    // Retention lengthened to permanent after approval: execution is refused.
    let (s, _r, _kept, id) = approved_setup();
    let before = blobs(&s);
    ok(
        &s.run(&[
            "retention",
            "assign",
            "HS-1",
            "permanent",
            "--reason",
            "giá trị lịch sử",
        ]),
        "assign",
    );
    refused(&s.run(&["dispose", "execute", &id]), "permanent dossier");
    assert_eq!(blobs(&s), before);
}

#[test]
fn a_conditional_dossier_is_due_once_its_trigger_event_is_recorded() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"x");
    closed_dossier(&s, "C-1", "conditional", 2012, &[&r]);
    refused(
        &s.run(&["dispose", "propose", "C-1"]),
        "record the trigger event first",
    );
    refused(
        &s.run(&[
            "retention",
            "trigger",
            "C-1",
            "--date",
            "2999-01-01",
            "--description",
            "x",
        ]),
        "in the future",
    );
    ok(
        &s.run(&[
            "retention",
            "trigger",
            "C-1",
            "--date",
            "2015-07-01",
            "--description",
            "thay thế bởi Quyết định 12/QĐ-UBND",
        ]),
        "trigger",
    );
    let due = json(&s.run(&["retention", "list-due", "--json"]), "list-due");
    assert_eq!(due[0]["dossier"], "C-1");
    assert_eq!(due[0]["action"]["eligible_date"], "2015-12-31");
    propose(&s, "C-1");
    closed_dossier(&s, "T-1", "10y", 2012, &[]);
    refused(
        &s.run(&[
            "retention",
            "trigger",
            "T-1",
            "--date",
            "2015-07-01",
            "--description",
            "x",
        ]),
        "does not wait for an event",
    );
}

#[test]
fn a_permanent_dossier_is_transferred_not_destroyed() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"x");
    closed_dossier(&s, "P-1", "permanent", 1990, &[&r]);
    refused(
        &s.run(&["dispose", "propose", "P-1"]),
        "permanent dossier: transfer it to the historical archive",
    );
}

#[test]
fn an_interrupted_execution_is_finished_by_running_it_again() {
    for stop in ["after-intent", "after-delete", "after-tombstones"] {
        let (s, r, kept, id) = approved_setup();
        let o = s
            .kho()
            .args(["dispose", "execute", &id])
            .env("KHO_TEST_STOP_DISPOSITION", stop)
            .output()
            .expect("run");
        assert!(
            !o.status.success(),
            "{stop}: the simulated crash did not stop it"
        );
        refused(&s.run(&["get", &r]), "is being destroyed");
        ok(&s.run(&["verify"]), "verify of a half-executed disposition");
        refused(&s.run(&["gc", "--grace-days", "0"]), "half-executed");
        let list = ok(&s.run(&["dispose", "list"]), "list");
        assert!(list.contains("(unfinished)"), "{list}");

        let rep = json(&s.run(&["dispose", "execute", &id, "--json"]), "resume");
        assert_eq!(rep["resumed"], true);
        assert_eq!(blobs(&s).len(), 1, "{stop}");
        refused(&s.run(&["get", &r]), "was destroyed on");
        ok(&s.run(&["get", &kept]), "kept record");
        ok(&s.run(&["verify"]), "verify after resume");
    }
}

#[test]
fn gc_deletes_old_orphans_only() {
    let s = Scratch::new();
    s.init_any();
    let r = deposit(&s, "a.txt", b"committed");
    let orphan = s
        .store()
        .join("blobs/blake3/00/11/0011")
        .with_file_name(format!("0011{}", "ab".repeat(30)));
    std::fs::create_dir_all(orphan.parent().expect("dir")).expect("mkdir");
    std::fs::write(&orphan, b"left by an interrupted deposit").expect("orphan");
    let o = json(&s.run(&["gc", "--json"]), "gc with the default grace");
    assert_eq!(o["deleted"], serde_json::json!([]));
    assert_eq!(o["too_young"], 1);
    let o = json(
        &s.run(&["gc", "--grace-days", "0", "--dry-run", "--json"]),
        "dry run",
    );
    assert_eq!(o["deleted"].as_array().map(Vec::len), Some(1));
    assert!(orphan.exists());
    ok(&s.run(&["gc", "--grace-days", "0"]), "gc");
    assert!(!orphan.exists());
    assert_eq!(blobs(&s).len(), 1);
    ok(&s.run(&["get", &r]), "committed record intact");
}

#[test]
fn bad_disposition_input_is_refused_with_a_specific_message() {
    let (s, _r, _kept, id) = approved_setup();
    refused(
        &s.run(&["dispose", "execute", "disp-nope"]),
        "no disposition \"disp-nope\"",
    );
    refused(
        &s.run(&["hold", "release", "hold-nope", "--reason", "x"]),
        "no hold \"hold-nope\"",
    );
    refused(
        &s.run(&[
            "hold",
            "add",
            "--dossier",
            "NOPE",
            "--reason",
            "r",
            "--authority",
            "a",
        ]),
        "no dossier \"NOPE\"",
    );
    refused(
        &s.run(&[
            "hold",
            "add",
            "--dossier",
            "HS-1",
            "--reason",
            " ",
            "--authority",
            "a",
        ]),
        "reason of a hold",
    );
    let o = s.run(&["hold", "add", "--reason", "r", "--authority", "a"]);
    refused(&o, "give one of --dossier");
    refused(
        &s.run(&["retention", "assign", "HS-1", "7y"]),
        "unknown retention code \"7y\"",
    );
    refused(
        &s.run(&["retention", "assign", "HS-1", "10y"]),
        "changing it is an override",
    );
    refused(
        &s.run(&["retention", "list-due", "--as-of", "1900-01-01"]),
        "before 1945",
    );
    refused(
        &s.run(&["retention", "list-due", "--as-of", "2026-13-01"]),
        "--as-of",
    );

    // A second disposition to approve without its fields.
    let r2 = deposit(&s, "b.txt", b"second");
    closed_dossier(&s, "HS-2", "5y", 2011, &[&r2]);
    let id2 = propose(&s, "HS-2");
    let t = today();
    let o = s.run(&[
        "dispose",
        "approve",
        &id2,
        "--approver",
        "x",
        "--minutes",
        "m",
        "--date",
        &t,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--decision-number"), "{}", stderr(&o));
    refused(
        &s.run(&[
            "dispose",
            "approve",
            &id2,
            "--decision-number",
            "1/QĐ",
            "--approver",
            "x",
            "--minutes",
            "m",
            "--date",
            &t,
        ]),
        "appraise",
    );
    ok(
        &s.run(&["dispose", "appraise", &id2, "--by", "council"]),
        "appraise",
    );
    refused(
        &s.run(&[
            "dispose",
            "approve",
            &id2,
            "--decision-number",
            " ",
            "--approver",
            "x",
            "--minutes",
            "m",
            "--date",
            &t,
        ]),
        "--decision-number is required",
    );
    refused(
        &s.run(&[
            "dispose",
            "approve",
            &id2,
            "--decision-number",
            "1/QĐ",
            "--approver",
            "x",
            "--minutes",
            "m",
            "--date",
            "2999-01-01",
        ]),
        "in the future",
    );
    refused(
        &s.run(&["dispose", "execute", &id2]),
        "only an approved disposition",
    );
    refused(
        &s.run(&["dispose", "propose", "HS-2"]),
        "already in disposition",
    );
    ok(
        &s.run(&["dispose", "reject", &id2, "--reason", "cần xem lại"]),
        "reject",
    );
    refused(&s.run(&["dispose", "reject", &id]), "--reason");
    refused(
        &s.run(&["dispose", "reject", &id, "--reason", "late"]),
        "cannot go from approved to rejected",
    );
}

#[test]
fn an_agency_schedule_file_is_used_when_kho_toml_names_it() {
    let s = Scratch::new();
    s.init_any();
    let reference = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../retention-rules/data/retention_periods.tsv"),
    )
    .expect("reference schedule");
    let mut agency = reference.clone();
    agency
        .push_str("class\t3y\t\t\t03 năm\t3\tyear_work_ended\tquy chế của cơ quan\tunverified\t\n");
    std::fs::write(s.path().join("lich-bao-quan.tsv"), agency).expect("schedule");
    let mut cfg = std::fs::read_to_string(s.path().join("kho.toml")).expect("config");
    cfg.push_str("[retention]\nschedule = \"lich-bao-quan.tsv\"\n");
    std::fs::write(s.path().join("kho.toml"), &cfg).expect("config");
    let rules = ok(&s.run(&["retention", "rules"]), "rules");
    assert!(rules.contains("schedule lich-bao-quan"), "{rules}");
    assert!(rules.contains("3y\t3 years"), "{rules}");
    ok(
        &s.run(&[
            "dossier",
            "create",
            "A-1",
            "--title",
            "t",
            "--retention",
            "3y",
        ]),
        "create with an agency rule",
    );

    std::fs::write(s.path().join("lich-bao-quan.tsv"), "kind\trule_id\n").expect("schedule");
    refused(&s.run(&["retention", "rules"]), "retention schedule");
}

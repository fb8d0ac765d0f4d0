//! Records management and backup through `kho serve`: dossiers, retention, holds,
//! an approved disposition executed over HTTP and its backup copies pruned, registers
//! export, backup runs and verifications by the backup role, and bodies or headers
//! the server refuses.

mod common;

use std::path::PathBuf;

use common::files_under;
use common::server::{Server, multipart, sample_bytes, sample_metadata};
use serde_json::{Value, json};

fn blobs(s: &Server) -> Vec<PathBuf> {
    files_under(&s.dir().join("kho-data/blobs"))
}

fn text(r: &common::server::Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// Deposits the Nam Định sample with `extra` appended, so each record has its own blob.
fn deposit_variant(s: &Server, token: &str, extra: &str) -> (String, Vec<u8>) {
    let mut bytes = sample_bytes();
    bytes.extend_from_slice(extra.as_bytes());
    let r = s.deposit(token, &sample_metadata(), &[("file", "qd.txt", &bytes)]);
    assert_eq!(r.status, 201, "{}", text(&r));
    (
        r.json()["record_id"].as_str().expect("id").to_string(),
        bytes,
    )
}

#[test]
fn a_records_manager_runs_a_disposition_through_the_api() {
    let s = Server::start_with_config(
        "[backup.targets.disk2]\nurl = \"backup-disk2\"\n[serve]\nbackup_interval_minutes = 0\n",
    );
    let target_blobs = || files_under(&s.dir().join("backup-disk2/blobs")).len();
    let backup = s.add_user("sao-luu", "backup");
    let archivist = s.add_user("lan", "archivist");
    let officer = s.add_user("minh", "officer");
    let auditor = s.add_user("hoa", "auditor");
    let admin = s.admin.clone();
    let (gone, _) = deposit_variant(&s, &archivist, "\nbản hủy");
    let (kept, kept_bytes) = deposit_variant(&s, &archivist, "\nbản giữ");

    // Dossiers: created and closed by archivists only.
    let new =
        json!({ "code": "HS-2010-01", "title": "Hồ sơ giao đất năm 2010", "retention": "5y" });
    assert_eq!(s.post_json("/api/v1/dossiers", &officer, &new).status, 403);
    let r = s.post_json("/api/v1/dossiers", &archivist, &new);
    assert_eq!(r.status, 201, "{}", text(&r));
    assert_eq!(r.json()["dossier"]["status"], "open");
    let dup = s.post_json("/api/v1/dossiers", &archivist, &new);
    assert_eq!(dup.status, 400, "{}", text(&dup));
    assert!(text(&dup).contains("already exists"), "{}", text(&dup));
    let bad_rule = s.post_json(
        "/api/v1/dossiers",
        &archivist,
        &json!({ "code": "HS-X", "title": "x", "retention": "99y" }),
    );
    assert_eq!(bad_rule.status, 400, "{}", text(&bad_rule));
    let r = s.post_json(
        "/api/v1/dossiers/HS-2010-01/records",
        &archivist,
        &json!({ "records": [gone] }),
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    let future = s.post_json(
        "/api/v1/dossiers/HS-2010-01/close",
        &archivist,
        &json!({ "end_date": "2999-01-01" }),
    );
    assert_eq!(future.status, 422, "{}", text(&future));
    assert_eq!(future.json()["field"], "metadata.end_date");
    let r = s.post_json(
        "/api/v1/dossiers/HS-2010-01/close",
        &archivist,
        &json!({ "end_date": "2010-06-30" }),
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["dossier"]["year_work_ended"], 2010);

    // A second dossier whose retention has not ended.
    let young = json!({ "code": "HS-2025-07", "title": "Hồ sơ năm 2025" });
    assert_eq!(
        s.post_json("/api/v1/dossiers", &archivist, &young).status,
        201
    );
    let r = s.post_json(
        "/api/v1/dossiers/HS-2025-07/retention",
        &archivist,
        &json!({ "rule": "10y" }),
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(
        s.post_json(
            "/api/v1/dossiers/HS-2025-07/close",
            &archivist,
            &json!({ "end_date": "2025-06-30" })
        )
        .status,
        200
    );

    let due = s.get("/api/v1/retention/due?as_of=2026-12-01", &archivist);
    assert_eq!(due.status, 200, "{}", text(&due));
    let list = due.json()["due"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{}", due.json());
    assert_eq!(list[0]["dossier"], "HS-2010-01");
    assert_eq!(list[0]["action"]["eligible_date"], "2015-12-31");
    assert_eq!(s.get("/api/v1/retention/due", &officer).status, 403);

    // Refusals with their own codes.
    let r = s.post_json(
        "/api/v1/dispositions",
        &archivist,
        &json!({ "dossiers": ["HS-2025-07"] }),
    );
    assert_eq!(r.status, 409, "{}", text(&r));
    assert_eq!(r.json()["code"], "retention_not_met");
    let hold = s.post_json(
        "/api/v1/holds",
        &admin,
        &json!({ "record": gone, "reason": "tranh chấp", "authority": "TAND tỉnh" }),
    );
    assert_eq!(hold.status, 201, "{}", text(&hold));
    let hold_id = hold.json()["id"].as_str().expect("hold id").to_string();
    let r = s.post_json(
        "/api/v1/dispositions",
        &archivist,
        &json!({ "dossiers": ["HS-2010-01"] }),
    );
    assert_eq!(r.status, 409, "{}", text(&r));
    assert_eq!(r.json()["code"], "held");
    assert!(text(&r).contains(&hold_id), "{}", text(&r));
    let r = s.post_json(
        &format!("/api/v1/holds/{hold_id}/release"),
        &admin,
        &json!({ "reason": "bản án đã có hiệu lực" }),
    );
    assert_eq!(r.status, 200, "{}", text(&r));

    // Propose, appraise, approve (admin only), execute (admin only).
    let r = s.post_json(
        "/api/v1/dispositions",
        &archivist,
        &json!({ "dossiers": ["HS-2010-01"] }),
    );
    assert_eq!(r.status, 201, "{}", text(&r));
    let id = r.json()["proposal"]["id"]
        .as_str()
        .expect("disposition id")
        .to_string();
    let r = s.post_json(
        &format!("/api/v1/dispositions/{id}/appraise"),
        &archivist,
        &json!({ "by": "Hội đồng xác định giá trị tài liệu", "note": "đồng ý hủy" }),
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    // Approved on the day of the appraisal (today), not before it.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let approval = json!({
        "decision_number": "15/QĐ-UBND", "approver": "Chủ tịch UBND",
        "minutes": "BB-2026-03", "date": today
    });
    for token in [&archivist, &officer, &auditor] {
        let r = s.post_json(
            &format!("/api/v1/dispositions/{id}/approve"),
            token,
            &approval,
        );
        assert_eq!(r.status, 403, "{}", text(&r));
    }
    let early = s.req(
        "POST",
        &format!("/api/v1/dispositions/{id}/execute"),
        Some(&admin),
        None,
        &[],
    );
    assert_eq!(early.status, 422, "{}", text(&early));
    let r = s.post_json(
        &format!("/api/v1/dispositions/{id}/approve"),
        &admin,
        &approval,
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["state"], "approved");

    // The backup target has both records' bytes before the destruction.
    let run = s.post_json("/api/v1/backup/runs", &backup, &json!({}));
    assert_eq!(run.status, 200, "{}", text(&run));
    assert_eq!(run.json()["ok"], true, "{}", run.json());
    let on_target = target_blobs();
    assert!(on_target >= 2, "{on_target}");

    let before = blobs(&s).len();
    let exec = |token: &str| {
        s.req(
            "POST",
            &format!("/api/v1/dispositions/{id}/execute"),
            Some(token),
            None,
            &[],
        )
    };
    assert_eq!(exec(&archivist).status, 403);
    assert_eq!(blobs(&s).len(), before, "a refused execution deleted bytes");
    let r = exec(&admin);
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["blobs_deleted"], 1);
    assert_eq!(blobs(&s).len(), before - 1);
    let again = exec(&admin);
    assert_eq!(again.status, 422, "{}", text(&again));
    assert!(
        text(&again).contains("already executed"),
        "{}",
        text(&again)
    );
    assert_eq!(blobs(&s).len(), before - 1);

    // Pruning the target: refused until a run follows the destruction, then
    // kept while a hold ordered after it covers the record, then done.
    let prune = |dry_run: bool| {
        s.post_json(
            "/api/v1/backup/prunes",
            &backup,
            &json!({ "target": "disk2", "dry_run": dry_run }),
        )
    };
    let early = prune(false);
    assert_eq!(early.status, 422, "{}", text(&early));
    assert_eq!(early.json()["code"], "not_disposable");
    assert!(
        text(&early).contains("before the deletion"),
        "{}",
        text(&early)
    );
    assert_eq!(
        s.post_json("/api/v1/backup/prunes", &archivist, &json!({}))
            .status,
        403
    );
    let run = s.post_json("/api/v1/backup/runs", &backup, &json!({}));
    assert_eq!(run.status, 200, "{}", text(&run));
    let late_hold = s.post_json(
        "/api/v1/holds",
        &admin,
        &json!({ "record": gone, "reason": "kháng nghị", "authority": "VKSND tỉnh" }),
    );
    assert_eq!(late_hold.status, 201, "{}", text(&late_hold));
    let held = prune(false);
    assert_eq!(held.status, 200, "{}", text(&held));
    let t = &held.json()["targets"][0];
    assert_eq!(t["deleted"].as_array().map(Vec::len), Some(0), "{t}");
    assert_eq!(t["kept_held"].as_array().map(Vec::len), Some(1), "{t}");
    assert_eq!(target_blobs(), on_target, "a held copy was pruned");
    let late_id = late_hold.json()["id"]
        .as_str()
        .expect("hold id")
        .to_string();
    let r = s.post_json(
        &format!("/api/v1/holds/{late_id}/release"),
        &admin,
        &json!({ "reason": "đã giải quyết" }),
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    let dry = prune(true);
    assert_eq!(dry.status, 200, "{}", text(&dry));
    assert_eq!(
        dry.json()["targets"][0]["deleted"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(target_blobs(), on_target, "a dry run deleted a copy");
    let done = prune(false);
    assert_eq!(done.status, 200, "{}", text(&done));
    assert_eq!(
        done.json()["targets"][0]["deleted"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(target_blobs(), on_target - 1);
    let pruned_events = s
        .journal_events(&auditor)
        .into_iter()
        .filter(|e| e["type"] == "backup.pruned")
        .count();
    assert_eq!(
        pruned_events, 1,
        "one journaled prune, none for the dry run or the held one"
    );

    // The destroyed record explains itself; the kept one is intact.
    let view = s.get(&format!("/api/v1/records/{gone}"), &officer);
    assert_eq!(view.status, 200, "{}", text(&view));
    let why = view.json()["destroyed"].as_str().unwrap_or("").to_string();
    assert!(
        why.contains("was destroyed on") && why.contains("15/QĐ-UBND"),
        "{why}"
    );
    let file = s.get(&format!("/api/v1/records/{gone}/files/1"), &officer);
    assert_eq!(file.status, 410, "{}", text(&file));
    assert_eq!(file.json()["code"], "record_destroyed");
    let file = s.get(&format!("/api/v1/records/{kept}/files/1"), &officer);
    assert_eq!(file.status, 200);
    assert_eq!(file.body, kept_bytes);

    // Every step is in the journal under the account that took it.
    let events = s.journal_events(&auditor);
    let actor_of = |kind_part: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| {
                e["object"] == id.as_str() && e["type"].as_str().unwrap_or("").contains(kind_part)
            })
            .map(|e| e["actor"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert!(
        actor_of("propos").contains(&"lan".to_string()),
        "{events:?}"
    );
    assert!(
        actor_of("approv").contains(&"admin".to_string()),
        "{events:?}"
    );
}

#[test]
fn registers_are_exported_for_a_period_over_http() {
    let s = Server::start();
    let archivist = s.add_user("lan", "archivist");
    let officer = s.add_user("minh", "officer");
    let auditor = s.add_user("hoa", "auditor");
    deposit_variant(&s, &archivist, "");
    let r = s.get(
        "/api/v1/registers/outgoing?from=2016-01-01&to=2016-12-31",
        &auditor,
    );
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.header("x-kho-rows"), Some("1"));
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/csv"),
        "{:?}",
        r.header("content-type")
    );
    let csv = text(&r);
    assert!(csv.contains("05/2016/QĐ-UBND"), "{csv}");
    assert!(!csv.starts_with('\u{feff}'));
    let xl = s.get(
        "/api/v1/registers/outgoing?from=2016-01-01&to=2016-12-31&format=xlsx-csv",
        &auditor,
    );
    assert_eq!(xl.status, 200);
    assert!(xl.body.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    assert!(text(&xl).contains("\r\n"));
    let none = s.get(
        "/api/v1/registers/outgoing?from=2017-01-01&to=2017-12-31",
        &auditor,
    );
    assert_eq!(none.header("x-kho-rows"), Some("0"));
    assert!(!text(&none).contains("05/2016"));
    let incoming = s.get(
        "/api/v1/registers/incoming?from=2016-01-01&to=2016-12-31",
        &auditor,
    );
    assert_eq!(incoming.header("x-kho-rows"), Some("0"));

    assert_eq!(
        s.get(
            "/api/v1/registers/outgoing?from=2016-01-01&to=2016-12-31",
            &officer
        )
        .status,
        403
    );
    let r = s.get(
        "/api/v1/registers/sideways?from=2016-01-01&to=2016-12-31",
        &auditor,
    );
    assert_eq!(r.status, 404);
    let r = s.get(
        "/api/v1/registers/outgoing?from=2016-12-31&to=2016-01-01",
        &auditor,
    );
    assert_eq!(r.status, 400, "{}", text(&r));
    let r = s.get(
        "/api/v1/registers/outgoing?from=16/3/2016&to=2016-12-31",
        &auditor,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "from");
    let r = s.get(
        "/api/v1/registers/outgoing?from=2016-01-01&to=2016-12-31&format=xlsx",
        &auditor,
    );
    assert_eq!(r.status, 400);
}

fn s3_target(name: &str) -> Option<String> {
    let ep = std::env::var("KHO_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    let Some(ep) = ep else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no S3 server: scripts/test.sh starts SeaweedFS and sets KHO_TEST_S3_ENDPOINT"
        );
        return None;
    };
    let bucket = std::env::var("KHO_TEST_S3_BUCKET").unwrap_or_else(|_| "kho-test".into());
    let key = std::env::var("KHO_TEST_S3_ACCESS_KEY").unwrap_or_default();
    let secret = std::env::var("KHO_TEST_S3_SECRET_KEY").unwrap_or_default();
    let prefix = format!("serve-{:016x}", rand::random::<u64>());
    Some(format!(
        "[backup.targets.{name}]\nurl = \"s3://{bucket}/{prefix}\"\n[backup.targets.{name}.s3]\nendpoint = \"{ep}\"\nregion = \"us-east-1\"\naccess_key_id = \"{key}\"\nsecret_access_key = \"{secret}\"\n"
    ))
}

#[test]
fn the_backup_role_keeps_two_targets_in_sync_and_verification_finds_damage() {
    let mut cfg = String::from("[backup.targets.disk2]\nurl = \"backup-disk2\"\n");
    let with_s3 = match s3_target("s3") {
        Some(t) => {
            cfg.push_str(&t);
            true
        }
        None => {
            cfg.push_str("[backup.targets.disk3]\nurl = \"backup-disk3\"\n");
            false
        }
    };
    cfg.push_str("[serve]\nbackup_interval_minutes = 0\n");
    let s = Server::start_with_config(&cfg);
    let archivist = s.add_user("lan", "archivist");
    let backup = s.add_user("sao-luu", "backup");
    let auditor = s.add_user("hoa", "auditor");
    let (one, _) = deposit_variant(&s, &archivist, "\nmột");
    let (two, _) = deposit_variant(&s, &archivist, "\nhai");

    // Search pages: one record a page, each page its own; past the deepest
    // result a search reaches, refused with the field named.
    let page = |n: usize| {
        let r = s.get(
            &format!("/api/v1/search?q=quyet+dinh&per_page=1&page={n}"),
            &archivist,
        );
        assert_eq!(r.status, 200, "{}", text(&r));
        let j = r.json();
        assert_eq!(
            (j["total"].as_u64(), j["total_exact"].as_bool()),
            (Some(2), Some(true)),
            "{j}"
        );
        j["hits"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|h| h["record_id"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let mut both = [page(1), page(2)].concat();
    both.sort();
    let mut want = vec![one, two];
    want.sort();
    assert_eq!(both, want);
    assert!(page(3).is_empty());
    let deep = s.get(
        "/api/v1/search?q=quyet+dinh&per_page=100&page=101",
        &archivist,
    );
    assert_eq!(deep.status, 400, "{}", text(&deep));
    assert_eq!(deep.json()["code"], "page_too_deep");

    for token in [&archivist, &auditor, &s.admin] {
        assert_eq!(
            s.post_json("/api/v1/backup/runs", token, &json!({})).status,
            403
        );
    }
    let never = s.post_json("/api/v1/backup/verifications", &backup, &json!({}));
    assert_eq!(never.status, 200, "{}", text(&never));
    assert_eq!(never.json()["ok"], false, "a target never copied is not ok");

    let run = s.post_json("/api/v1/backup/runs", &backup, &json!({}));
    assert_eq!(run.status, 200, "{}", text(&run));
    let rj = run.json();
    assert_eq!(rj["ok"], true, "{rj}");
    let targets = rj["targets"].as_array().cloned().unwrap_or_default();
    assert_eq!(targets.len(), 2, "{rj}");
    for t in &targets {
        assert!(
            t["run"]["record"]["objects"].as_u64().unwrap_or(0) > 0,
            "{t}"
        );
    }
    let again = s.post_json(
        "/api/v1/backup/runs",
        &backup,
        &json!({ "target": "disk2" }),
    );
    assert_eq!(again.status, 200);
    // Incremental: only the journal batch of the first run's event is new.
    let rec = &again.json()["targets"][0]["run"]["record"];
    assert_eq!(rec["objects"], 1, "{rec}");
    assert!(rec["objects_present"].as_u64().unwrap_or(0) > 10, "{rec}");
    let v = s.post_json(
        "/api/v1/backup/verifications",
        &backup,
        &json!({ "mode": "full" }),
    );
    assert_eq!(v.status, 200, "{}", text(&v));
    assert_eq!(v.json()["ok"], true, "{}", v.json());

    // Damage one blob on the local target: the full verification names it.
    let target_blobs = files_under(&s.dir().join("backup-disk2/blobs"));
    let victim = target_blobs
        .iter()
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("a blob on the target")
        .clone();
    let mut bytes = std::fs::read(&victim).expect("blob");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&victim, &bytes).expect("damage");
    let v = s.post_json(
        "/api/v1/backup/verifications",
        &backup,
        &json!({ "target": "disk2", "mode": "full" }),
    );
    assert_eq!(v.status, 200, "{}", text(&v));
    let vj = v.json();
    assert_eq!(vj["ok"], false, "{vj}");
    let name = victim
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .split('.')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        vj.to_string().contains(&name),
        "the damaged blob {name} is not named: {vj}"
    );

    let r = s.post_json("/api/v1/backup/runs", &backup, &json!({ "target": "tape" }));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], "unknown_backup_target");
    let r = s.post_json(
        "/api/v1/backup/verifications",
        &backup,
        &json!({ "mode": "most" }),
    );
    assert_eq!(r.status, 400);

    // Every run and verification is in the journal and listed for the backup role.
    let runs = s.get("/api/v1/backup/runs", &backup);
    assert_eq!(runs.status, 200);
    let listed = runs.json()["runs"].as_array().cloned().unwrap_or_default();
    let count = |kind: &str| {
        listed
            .iter()
            .filter(|r| r["event"]["type"] == kind && r["event"]["actor"] == "sao-luu")
            .count()
    };
    assert_eq!(count("backup.run"), 3, "{listed:?}");
    assert_eq!(count("backup.verify"), 5, "{listed:?}");

    // The job an admin starts by hand does what the schedule does.
    let job_runs = |s: &Server| -> Value {
        s.get("/api/v1/jobs", &s.admin)
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .find(|j| j["name"] == "backup")
            .cloned()
            .unwrap_or(Value::Null)
    };
    let before = job_runs(&s)["runs"].as_u64().unwrap_or(0);
    let r = s.req("POST", "/api/v1/jobs/backup/run", Some(&s.admin), None, &[]);
    assert_eq!(r.status, 202, "{}", text(&r));
    let mut job = Value::Null;
    for _ in 0..600 {
        job = job_runs(&s);
        if job["runs"].as_u64().unwrap_or(0) > before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(job["enabled"], false, "interval 0 disables the schedule");
    assert_eq!(job["runs"].as_u64(), Some(before + 1), "{job}");
    // The copy repaired nothing on disk2 (verify moves damaged copies aside and the
    // next run copies them again), so the hand-started sampled run is clean.
    assert_eq!(job["last_outcome"], "ok", "{job}");
    let _ = with_s3;
}

#[test]
fn oversized_bodies_and_undecodable_headers_are_refused_and_store_nothing() {
    let s = Server::start_with_args("", &["--max-upload-mib", "1"]);
    let archivist = s.add_user("lan", "archivist");
    let count = || {
        s.get("/api/v1/records", &archivist).json()["records"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    // A declared length over the limit is refused before the body is sent.
    let (status, body) = declared_only(
        &s,
        "/api/v1/records",
        &archivist,
        "multipart/form-data; boundary=x",
        3 << 20,
    );
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("too_large"), "{body}");
    assert_eq!(count(), 0);
    // A chunked body (no declared length) is cut off when it passes the limit.
    let big: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8).collect();
    let (ct, body) = multipart(&sample_metadata(), &[("file", "lon.txt", &big)]);
    let (status, text_) = chunked(&s, "/api/v1/records", &archivist, &ct, &body);
    assert_eq!(status, 413, "{text_}");
    assert!(text_.contains("too_large"), "{text_}");
    assert_eq!(count(), 0);

    // JSON endpoints take at most 2 MiB.
    let (status, body) = declared_only(
        &s,
        "/api/v1/dossiers",
        &archivist,
        "application/json",
        3 << 20,
    );
    assert_eq!(status, 413, "{body}");
    assert!(
        s.get("/api/v1/dossiers", &archivist).json()["dossiers"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // Header values that are not text.
    let mut req = b"GET /api/v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \xC3\x28\xFF\r\n\r\n".to_vec();
    let (status, body) = raw(&s, &req);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("not valid text"), "{body}");
    let (ct, form) = multipart(&sample_metadata(), &[("file", "qd.txt", &sample_bytes())]);
    req = format!(
        "POST /api/v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {archivist}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nIdempotency-Key: kh",
        form.len()
    )
    .into_bytes();
    req.extend_from_slice(b"\xF4ng-h\xE1\xBB\xA3p\r\n\r\n");
    req.extend_from_slice(&form);
    let (status, body) = raw(&s, &req);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"field\":\"Idempotency-Key\""), "{body}");
    assert_eq!(count(), 0);
}

fn connect(s: &Server) -> std::net::TcpStream {
    let addr = s.base.trim_start_matches("http://").to_string();
    let c = std::net::TcpStream::connect(addr).expect("connect");
    c.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    c
}

/// Reads one response: status and body text (up to the connection's end or 64 KiB).
fn read_response(c: &mut std::net::TcpStream) -> (u16, String) {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
        if buf.len() > 1 << 16 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Sends `request` as it is and reads the response.
fn raw(s: &Server, request: &[u8]) -> (u16, String) {
    use std::io::Write;
    let mut c = connect(s);
    c.write_all(request).expect("send");
    read_response(&mut c)
}

/// Sends only the headers of a request declaring `len` bytes of body.
fn declared_only(s: &Server, path: &str, token: &str, ct: &str, len: u64) -> (u16, String) {
    use std::io::Write;
    let mut c = connect(s);
    write!(
        c,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: {ct}\r\nContent-Length: {len}\r\n\r\n"
    )
    .expect("send");
    read_response(&mut c)
}

/// Sends a body with chunked transfer encoding, stopping when the server answers.
fn chunked(s: &Server, path: &str, token: &str, ct: &str, body: &[u8]) -> (u16, String) {
    use std::io::Write;
    let mut c = connect(s);
    let mut w = c.try_clone().expect("clone");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let body = body.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(head.as_bytes());
        for part in body.chunks(64 << 10) {
            if w.write_all(format!("{:x}\r\n", part.len()).as_bytes())
                .is_err()
                || w.write_all(part).is_err()
                || w.write_all(b"\r\n").is_err()
            {
                return;
            }
        }
        let _ = w.write_all(b"0\r\n\r\n");
    });
    let out = read_response(&mut c);
    let _ = c.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    out
}

#[test]
fn a_client_that_stops_sending_mid_upload_gets_408_and_nothing_is_stored() {
    use std::io::Write;
    let s = Server::start_with_args("", &["--idle-timeout", "1"]);
    let archivist = s.add_user("lan", "archivist");
    let (ct, body) = multipart(&sample_metadata(), &[("file", "qd.txt", &sample_bytes())]);
    let mut c = connect(&s);
    write!(
        c,
        "POST /api/v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {archivist}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("headers");
    c.write_all(&body[..body.len() / 2]).expect("half the body");
    // Then silence: the server gives up after the idle timeout.
    let (status, answer) = read_response(&mut c);
    assert_eq!(status, 408, "{answer}");
    assert!(answer.contains("upload_stalled"), "{answer}");
    let list = s.get("/api/v1/records", &archivist).json();
    assert_eq!(list["records"].as_array().map(Vec::len), Some(0), "{list}");
    // The server still serves.
    let r = s.deposit(
        &archivist,
        &sample_metadata(),
        &[("file", "qd.txt", &sample_bytes())],
    );
    assert_eq!(r.status, 201, "{}", text(&r));
}

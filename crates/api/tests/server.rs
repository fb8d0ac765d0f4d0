//! `kho serve` driven over HTTP on 127.0.0.1: accounts and the endpoint × role
//! matrix, deposits with idempotency keys, ranged downloads, access events and
//! bad requests.

mod common;

use common::server::{Server, multipart, sample_bytes, sample_metadata};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[test]
fn a_deposit_is_searchable_downloadable_and_every_access_is_journaled() {
    let s = Server::start();
    let archivist = s.add_user("lan", "archivist");
    let officer = s.add_user("minh", "officer");
    let auditor = s.add_user("hoa", "auditor");
    let bytes = sample_bytes();
    let r = s.deposit_with(
        &archivist,
        &sample_metadata(),
        &[("file", "Quyết định 05.txt", &bytes)],
        &[],
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let dep = r.json();
    let id = dep["record_id"].as_str().expect("id").to_string();
    assert_eq!(
        dep["files"][0]["blake3"],
        blake3::hash(&bytes).to_hex().as_str()
    );
    assert_eq!(dep["searchable"], true);

    let found = s.get("/api/v1/search?q=van+ban+dien+tu", &officer);
    assert_eq!(found.status, 200);
    let hits = found.json()["hits"].as_array().cloned().unwrap_or_default();
    assert!(
        hits.iter().any(|h| h["record_id"] == id.as_str()),
        "{}",
        found.json()
    );

    let full = s.get(&format!("/api/v1/records/{id}/files/1"), &officer);
    assert_eq!(full.status, 200);
    assert_eq!(blake3::hash(&full.body), blake3::hash(&bytes));
    let etag = format!("\"{}\"", blake3::hash(&bytes).to_hex());
    assert_eq!(full.header("etag"), Some(etag.as_str()));
    let cd = full.header("content-disposition").unwrap_or("");
    assert!(
        cd.contains("filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%2005.txt"),
        "{cd}"
    );

    let part = s.req(
        "GET",
        &format!("/api/v1/records/{id}/files/1"),
        Some(&officer),
        None,
        &[("Range", "bytes=10-19")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, bytes[10..20]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 10-19/{}", bytes.len()).as_str())
    );
    let beyond = s.req(
        "GET",
        &format!("/api/v1/records/{id}/files/1"),
        Some(&officer),
        None,
        &[("Range", "bytes=999999-")],
    );
    assert_eq!(beyond.status, 416);
    let same = s.req(
        "GET",
        &format!("/api/v1/records/{id}/files/1"),
        Some(&officer),
        None,
        &[("If-None-Match", etag.as_str())],
    );
    assert_eq!(same.status, 304);
    let head = s.req(
        "HEAD",
        &format!("/api/v1/records/{id}/files/1"),
        Some(&officer),
        None,
        &[],
    );
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(bytes.len().to_string().as_str())
    );

    let view = s.get(&format!("/api/v1/records/{id}"), &officer);
    assert_eq!(view.status, 200);
    assert_eq!(view.json()["metadata"]["doc_number"], "05/2016/QĐ-UBND");

    let events = s.journal_events(&auditor);
    let by = |kind: &str| {
        events
            .iter()
            .filter(|e| e["type"] == kind && e["actor"] == "minh")
            .count()
    };
    assert_eq!(by("access.search"), 1);
    assert_eq!(
        by("access.file_downloaded"),
        2,
        "full and ranged downloads; 304 and HEAD send no bytes"
    );
    assert_eq!(by("access.record_viewed"), 1);
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "record.deposited" && e["actor"] == "lan")
    );

    let v = s.req(
        "POST",
        &format!("/api/v1/records/{id}/verify"),
        Some(&auditor),
        None,
        &[],
    );
    assert_eq!(v.status, 200);
    assert_eq!(v.json()["intact"], true);
    let fx = s.get(&format!("/api/v1/records/{id}/fixity"), &auditor);
    assert!(
        !fx.json()["checks"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .is_empty()
    );
}

#[test]
fn a_retried_deposit_with_the_same_idempotency_key_creates_one_record() {
    let s = Server::start();
    let archivist = s.add_user("lan", "archivist");
    let bytes = sample_bytes();
    let key = [("Idempotency-Key", "so-05-2016-lan-1")];
    let a = s.deposit_with(
        &archivist,
        &sample_metadata(),
        &[("file", "qd.txt", &bytes)],
        &key,
    );
    let b = s.deposit_with(
        &archivist,
        &sample_metadata(),
        &[("file", "qd.txt", &bytes)],
        &key,
    );
    assert_eq!(a.status, 201);
    assert_eq!(b.status, 200);
    assert_eq!(b.json()["replayed"], true);
    assert_eq!(a.json()["record_id"], b.json()["record_id"]);
    let list = s.get("/api/v1/records", &archivist).json();
    assert_eq!(list["records"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_requests_get_specific_errors_and_store_nothing() {
    let s = Server::start();
    let archivist = s.add_user("lan", "archivist");
    let bytes = sample_bytes();
    let count = || {
        s.get("/api/v1/records", &archivist).json()["records"]
            .as_array()
            .map(Vec::len)
    };

    // Secret document: refused by rule, in both languages.
    let mut secret = sample_metadata();
    secret["secrecy"] = json!("Mật");
    let r = s.deposit(&archivist, &secret, &[("file", "qd.txt", &bytes)]);
    assert_eq!(r.status, 422, "{}", r.json());
    assert!(
        r.json()["message_vi"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    // Invalid metadata: every problem with its field.
    let mut bad = sample_metadata();
    bad["issued_on"] = json!("2016-02-30");
    let r = s.deposit(&archivist, &bad, &[("file", "qd.txt", &bytes)]);
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["code"], "invalid_metadata");
    assert!(
        r.json()["field"]
            .as_str()
            .is_some_and(|f| f.contains("issued_on")),
        "{}",
        r.json()
    );

    // Truncated multipart body.
    let (ct, mut body) = multipart(&sample_metadata(), &[("file", "qd.txt", &bytes)]);
    body.truncate(body.len() / 2);
    let r = s.req(
        "POST",
        "/api/v1/records",
        Some(&archivist),
        Some((&ct, body)),
        &[],
    );
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));

    // Not multipart.
    let r = s.req(
        "POST",
        "/api/v1/records",
        Some(&archivist),
        Some(("application/json", b"{}".to_vec())),
        &[],
    );
    assert_eq!(r.status, 415);

    // Metadata not JSON / not UTF-8.
    let (ct, body) = multipart(&json!("x"), &[("file", "qd.txt", &bytes)]);
    let body = String::from_utf8(body)
        .expect("utf8")
        .replace("\"x\"", "{not json")
        .into_bytes();
    let r = s.req(
        "POST",
        "/api/v1/records",
        Some(&archivist),
        Some((&ct, body)),
        &[],
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], "metadata_not_json");

    // Path traversal in the file name is cut to the name.
    let r = s.deposit_with(
        &archivist,
        &sample_metadata(),
        &[("file", "../../etc/qd.txt", &bytes)],
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.json());
    assert_eq!(r.json()["files"][0]["filename"], "qd.txt");
    assert_eq!(count(), Some(1), "only the good deposit is a record");

    // Unknown records and files.
    let r = s.get(
        "/api/v1/records/01234567-89ab-7def-8123-456789abcdef",
        &archivist,
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], "unknown_record");
    let r = s.get("/api/v1/records/not-an-id", &archivist);
    assert_eq!(r.status, 400);

    // Tokens: none, wrong, revoked, of a disabled account.
    assert_eq!(s.req("GET", "/api/v1/records", None, None, &[]).status, 401);
    assert_eq!(s.get("/api/v1/records", "kho_wrong").status, 401);
    let t = s
        .post_json("/api/v1/users/lan/tokens", &s.admin, &json!({}))
        .json();
    let second = t["token"].as_str().expect("token").to_string();
    assert_eq!(s.get("/api/v1/records", &second).status, 200);
    let r = s.req(
        "DELETE",
        &format!("/api/v1/tokens/{}", t["id"].as_str().expect("id")),
        Some(&s.admin),
        None,
        &[],
    );
    assert_eq!(r.status, 200);
    assert_eq!(s.get("/api/v1/records", &second).status, 401);
    assert_eq!(
        s.post_json(
            "/api/v1/users/lan/disable",
            &s.admin,
            &json!({"reason": "nghỉ việc"})
        )
        .status,
        200
    );
    let r = s.get("/api/v1/records", &archivist);
    assert_eq!(r.status, 401);
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("disabled"))
    );
}

#[test]
fn every_endpoint_allows_exactly_the_roles_of_the_design() {
    let s = Server::start();
    let roles = ["archivist", "officer", "auditor", "backup", "admin"];
    let tokens: Vec<(String, String)> = roles
        .iter()
        .map(|r| {
            (
                r.to_string(),
                if *r == "admin" {
                    s.admin.clone()
                } else {
                    s.add_user(&format!("u-{r}"), r)
                },
            )
        })
        .collect();
    let archivist = &tokens[0].1;
    let r = s.deposit(
        archivist,
        &sample_metadata(),
        &[("file", "qd.txt", &sample_bytes())],
    );
    let id = r.json()["record_id"].as_str().expect("id").to_string();
    // (method, path, roles allowed)
    let matrix: Vec<(&str, String, &[&str])> = vec![
        (
            "GET",
            "/api/v1/records".into(),
            &["archivist", "officer", "auditor"],
        ),
        (
            "GET",
            format!("/api/v1/records/{id}"),
            &["archivist", "officer", "auditor"],
        ),
        (
            "GET",
            format!("/api/v1/records/{id}/versions"),
            &["archivist", "officer", "auditor"],
        ),
        (
            "GET",
            format!("/api/v1/records/{id}/files/1"),
            &["archivist", "officer"],
        ),
        (
            "HEAD",
            format!("/api/v1/records/{id}/files/1"),
            &["archivist", "officer"],
        ),
        (
            "GET",
            "/api/v1/search?q=quyet+dinh".into(),
            &["archivist", "officer"],
        ),
        ("PATCH", format!("/api/v1/records/{id}"), &["archivist"]),
        ("POST", "/api/v1/records".into(), &["archivist"]),
        ("POST", format!("/api/v1/records/{id}/verify"), &["auditor"]),
        (
            "GET",
            format!("/api/v1/records/{id}/fixity"),
            &["archivist", "officer", "auditor"],
        ),
        ("GET", format!("/api/v1/records/{id}/events"), &["auditor"]),
        ("GET", "/api/v1/journal".into(), &["auditor"]),
        ("GET", "/api/v1/checkpoints".into(), &["auditor"]),
        ("GET", "/api/v1/report".into(), &["auditor"]),
        (
            "GET",
            "/api/v1/dossiers".into(),
            &["archivist", "officer", "auditor"],
        ),
        ("GET", "/api/v1/holds".into(), &["admin"]),
        ("GET", "/api/v1/dispositions".into(), &["admin"]),
        ("GET", "/api/v1/backup/runs".into(), &["backup"]),
        ("POST", "/api/v1/backup/runs".into(), &["backup"]),
        ("POST", "/api/v1/backup/verifications".into(), &["backup"]),
        ("POST", "/api/v1/backup/prunes".into(), &["backup"]),
        ("POST", "/api/v1/dossiers".into(), &["archivist"]),
        (
            "POST",
            "/api/v1/dossiers/HS-1/records".into(),
            &["archivist"],
        ),
        ("POST", "/api/v1/dossiers/HS-1/close".into(), &["archivist"]),
        (
            "POST",
            "/api/v1/dossiers/HS-1/retention".into(),
            &["archivist"],
        ),
        (
            "GET",
            "/api/v1/retention/due".into(),
            &["archivist", "admin"],
        ),
        ("POST", "/api/v1/dispositions".into(), &["archivist"]),
        (
            "GET",
            "/api/v1/dispositions/disp-x".into(),
            &["archivist", "admin"],
        ),
        (
            "POST",
            "/api/v1/dispositions/disp-x/appraise".into(),
            &["archivist"],
        ),
        (
            "POST",
            "/api/v1/dispositions/disp-x/approve".into(),
            &["admin"],
        ),
        (
            "POST",
            "/api/v1/dispositions/disp-x/reject".into(),
            &["admin"],
        ),
        (
            "POST",
            "/api/v1/dispositions/disp-x/execute".into(),
            &["admin"],
        ),
        (
            "GET",
            "/api/v1/registers/outgoing?from=2016-01-01&to=2016-12-31".into(),
            &["auditor"],
        ),
        ("POST", "/api/v1/holds".into(), &["admin"]),
        ("POST", "/api/v1/jobs/scrub/run".into(), &["admin"]),
        ("GET", "/api/v1/users".into(), &["admin"]),
        ("POST", "/api/v1/users".into(), &["admin"]),
        ("POST", "/api/v1/jobs/index/run".into(), &["admin"]),
        (
            "GET",
            "/api/v1/jobs".into(),
            &["archivist", "officer", "auditor", "backup", "admin"],
        ),
        (
            "GET",
            "/api/v1/me".into(),
            &["archivist", "officer", "auditor", "backup", "admin"],
        ),
        (
            "GET",
            "/metrics".into(),
            &["archivist", "officer", "auditor", "backup", "admin"],
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, allowed) in &matrix {
        let body = match (*method, path.as_str()) {
            ("PATCH", _) => Some((
                "application/json",
                json!({ "metadata": { "place": "Nam Định" }, "reason": "thử" })
                    .to_string()
                    .into_bytes(),
            )),
            ("POST", "/api/v1/users") => Some((
                "application/json",
                json!({ "name": "x", "role": "officer" })
                    .to_string()
                    .into_bytes(),
            )),
            ("POST", "/api/v1/records") => Some(("application/json", b"{}".to_vec())),
            _ => None,
        };
        let anon = s.req(method, path, None, body.clone(), &[]);
        if anon.status != 401 {
            failures.push(format!("{method} {path} without a token: {}", anon.status));
        }
        for (role, token) in &tokens {
            let r = s.req(method, path, Some(token), body.clone(), &[]);
            let denied = r.status == 403;
            let expect_allowed = allowed.contains(&role.as_str());
            if expect_allowed == denied || r.status == 401 {
                failures.push(format!(
                    "{method} {path} as {role}: {} (allowed: {expect_allowed})",
                    r.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "role matrix:\n{}", failures.join("\n"));
    // Public: health and the API description.
    assert_eq!(s.req("GET", "/healthz", None, None, &[]).status, 200);
    assert_eq!(s.req("GET", "/readyz", None, None, &[]).status, 200);
    let spec = s.req("GET", "/api/v1/openapi.json", None, None, &[]).json();
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    assert!(spec["paths"]["/api/v1/records"]["post"].is_object());
    // Both parts of the API document, merged per path.
    for (path, methods) in [
        ("/api/v1/dossiers", &["get", "post"][..]),
        ("/api/v1/dispositions", &["get", "post"]),
        ("/api/v1/backup/runs", &["get", "post"]),
        ("/api/v1/dispositions/{id}/approve", &["post"]),
        ("/api/v1/registers/{kind}", &["get"]),
        ("/api/v1/backup/prunes", &["post"]),
    ] {
        for m in methods {
            assert!(
                spec["paths"][path][m].is_object(),
                "{m} {path} undocumented"
            );
        }
    }
}

#[test]
fn stopping_the_server_mid_upload_leaves_no_half_visible_record() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kho"))
        .current_dir(dir.path())
        .env_remove("KHO_STORE")
        .env_remove("KHO_CONFIG")
        .args(["serve", "--listen", "127.0.0.1:0", "--idle-timeout", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kho serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut token, mut addr) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(t) = line.strip_prefix("token (shown once, keep it safe): ") {
            token = t.trim().to_string();
        }
        if let Some(i) = line.find("http://") {
            addr = line[i + 7..].trim_end_matches('/').to_string();
            break;
        }
    }
    // An admin may not deposit: create an archivist first.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(format!("http://{addr}/api/v1/users"))
        .header("Authorization", format!("Bearer {token}"))
        .send_json(json!({ "name": "lan", "role": "archivist" }))
        .expect("add user");
    let archivist: Value = r.body_mut().read_json().expect("json");
    let archivist = archivist["token"].as_str().expect("token").to_string();
    // Half an upload, then silence.
    let (ct, body) = multipart(&sample_metadata(), &[("file", "qd.txt", &sample_bytes())]);
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "POST /api/v1/records HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {archivist}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("headers");
    s.write_all(&body[..body.len() / 2]).expect("half body");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = child.wait().expect("wait");
    assert!(status.success(), "kho serve must stop cleanly: {status:?}");
    std::thread::spawn(move || for _ in lines {});
    // Nothing committed, the store is consistent and the lease is free again.
    let list = Command::new(env!("CARGO_BIN_EXE_kho"))
        .current_dir(dir.path())
        .args(["list", "--json"])
        .output()
        .expect("kho list");
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap_or(Value::Null);
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    let verify = Command::new(env!("CARGO_BIN_EXE_kho"))
        .current_dir(dir.path())
        .args(["verify"])
        .output()
        .expect("kho verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn an_admin_places_and_releases_a_legal_hold_through_the_api() {
    let s = Server::start();
    let archivist = s.add_user("lan", "archivist");
    let r = s.deposit_with(
        &archivist,
        &sample_metadata(),
        &[("file", "qd.txt", &sample_bytes())],
        &[],
    );
    let id = r.json()["record_id"].as_str().expect("id").to_string();
    let bad = s.post_json(
        "/api/v1/holds",
        &s.admin,
        &json!({ "record": id, "dossier": "HS-1", "reason": "x", "authority": "y" }),
    );
    assert_eq!(bad.status, 400);
    let no_reason = s.post_json(
        "/api/v1/holds",
        &s.admin,
        &json!({ "record": id, "reason": " ", "authority": "Thanh tra tỉnh" }),
    );
    assert_eq!(no_reason.status, 400, "{}", no_reason.json());
    let unknown = s.post_json("/api/v1/holds", &s.admin, &json!({ "record": "01234567-89ab-7def-8123-456789abcdef", "reason": "r", "authority": "a" }));
    assert_eq!(unknown.status, 404);
    let placed = s.post_json(
        "/api/v1/holds",
        &s.admin,
        &json!({ "record": id, "reason": "vụ việc đang thanh tra", "authority": "Thanh tra tỉnh" }),
    );
    assert_eq!(placed.status, 201, "{}", placed.json());
    let hold_id = placed.json()["id"].as_str().expect("hold id").to_string();
    let listed = s.get("/api/v1/holds", &s.admin).json();
    assert_eq!(listed["holds"].as_array().map(Vec::len), Some(1));
    let released = s.post_json(
        &format!("/api/v1/holds/{hold_id}/release"),
        &s.admin,
        &json!({ "reason": "kết thúc thanh tra" }),
    );
    assert_eq!(released.status, 200, "{}", released.json());
    assert!(released.json()["released"].is_object());
    let events = s.journal_events(&s.add_user("hoa", "auditor"));
    assert!(events.iter().any(
        |e| e["actor"] == "admin" && e["type"].as_str().is_some_and(|t| t.starts_with("hold."))
    ));
}

//! The web UI of `kho serve`: plain-HTTP checks (login, search without
//! JavaScript, escaping) and a headless-Chromium walk through login, search,
//! record page and download.

#[path = "web_ui/mod.rs"]
mod support;

use serde_json::json;
use support::{Server, sample_bytes, sample_metadata};

fn login(s: &Server, token: &str) -> support::Resp {
    let body = format!("token={}", token);
    s.req(
        "POST",
        "/dang-nhap",
        None,
        Some(("application/x-www-form-urlencoded", body.into_bytes())),
        &[],
    )
}

#[test]
fn pages_without_a_valid_cookie_redirect_to_the_login_page() {
    let s = Server::start();
    for path in ["/", "/tim-kiem?q=abc", "/ho-so/abc"] {
        let r = s.page(path, None);
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.header("location"), Some("/dang-nhap"), "{path}");
        let r = s.page(path, Some("kho_wrong"));
        assert_eq!(r.status, 303, "{path} with a bad cookie");
    }
    let r = s.page("/ho-so-luu-tru", None);
    assert_eq!(r.status, 303, "the dossier list needs a login");
    let r = s.page("/ho-so-luu-tru", Some(&s.add_user("mai", "archivist")));
    assert_eq!(r.status, 200);
    assert!(Server::text(&r).contains("Chưa có hồ sơ nào"));
    let r = s.page("/nop-luu", None);
    assert_eq!(r.status, 303, "the deposit form needs a login");
    let r = s.page("/dang-nhap", None);
    assert_eq!(r.status, 200);
    let html = Server::text(&r);
    assert!(html.contains("lang=\"vi\""));
    assert!(html.contains("<label for=\"token\">"));
}

#[test]
fn login_sets_an_http_only_cookie_and_a_wrong_token_is_refused() {
    let s = Server::start();
    let bad = login(&s, "kho_not_a_token");
    assert_eq!(bad.status, 401);
    assert!(bad.header("set-cookie").is_none());
    assert!(Server::text(&bad).contains("role=\"alert\""));
    let ok = login(&s, &s.admin);
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/"));
    let cookie = ok.header("set-cookie").expect("cookie");
    assert!(cookie.starts_with(&format!("kho_token={}", s.admin)));
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/")
    );
    let out = s.req("POST", "/dang-xuat", None, None, &[]);
    assert_eq!(out.status, 303);
    assert!(
        out.header("set-cookie")
            .expect("cleared")
            .contains("Max-Age=0")
    );
}

#[test]
fn search_works_without_javascript_and_escapes_html() {
    let s = Server::start();
    let a = s.add_user("lan", "archivist");
    let r = s.deposit(
        &a,
        &sample_metadata(),
        &[("file", "nam-dinh.txt", &sample_bytes())],
    );
    assert_eq!(r.status, 201, "{}", Server::text(&r));
    let id = r.json()["record_id"].as_str().expect("id").to_string();
    let mut evil = sample_metadata();
    evil["doc_number"] = json!("06/2016/QĐ-UBND");
    evil["summary"] = json!("Văn bản điện tử <script>alert(1)</script> thử");
    let r = s.deposit(
        &a,
        &evil,
        &[("file", "evil.txt", b"van ban dien tu <script>x</script>")],
    );
    assert_eq!(r.status, 201, "{}", Server::text(&r));
    let evil_id = r.json()["record_id"].as_str().expect("id").to_string();

    let r = s.page("/tim-kiem?q=van+ban+dien+tu", Some(&a));
    assert_eq!(r.status, 200);
    let html = Server::text(&r);
    assert!(html.contains(&format!("/ho-so/{id}")), "{html}");
    assert!(html.contains("05/2016/QĐ-UBND"));
    assert!(html.contains("<mark>"), "matches are highlighted");
    let year = "/tim-kiem?q=van%20ban%20dien%20tu&amp;to=2016-12-31&amp;from=2016-01-01";
    assert!(
        html.contains(year),
        "the year facet narrows the dates: {html}"
    );
    let r = s.page(&year.replace("&amp;", "&"), Some(&a));
    assert!(Server::text(&r).contains("id=\"so-ket-qua\">2<"));
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("id=\"so-ket-qua\">2<"));

    let r = s.page(&format!("/ho-so/{evil_id}"), Some(&a));
    assert_eq!(r.status, 200);
    let html = Server::text(&r);
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    let r = s.page(&format!("/ho-so/{id}"), Some(&a));
    let html = Server::text(&r);
    let blake3 = r_blake3(&s, &a, &id);
    assert!(html.contains(&blake3), "the record page shows the BLAKE3");
    assert!(html.contains(&format!("/api/v1/records/{id}/files/1")));

    let bad = s.page("/tim-kiem?q=x&from=2016-13-99", Some(&a));
    assert_eq!(bad.status, 400);
    assert!(Server::text(&bad).contains("role=\"alert\""));
}

fn r_blake3(s: &Server, token: &str, id: &str) -> String {
    let r = s.req(
        "GET",
        &format!("/api/v1/records/{id}"),
        Some(token),
        None,
        &[],
    );
    r.json()["files"][0]["blake3"]
        .as_str()
        .expect("blake3")
        .to_string()
}

#[test]
fn a_user_logs_in_searches_opens_the_record_and_downloads_it_in_chromium() {
    let chromium = match std::env::var("KHO_TEST_CHROMIUM") {
        Ok(p) if !p.is_empty() => p,
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but KHO_TEST_CHROMIUM is unset: the browser test cannot run")
        }
        _ => {
            eprintln!(
                "skipped: set KHO_TEST_CHROMIUM to a Chromium binary to run the browser test"
            );
            return;
        }
    };
    let shots =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let s = Server::start();
    let a = s.add_user("lan", "archivist");
    let r = s.deposit(
        &a,
        &sample_metadata(),
        &[("file", "nam-dinh.txt", &sample_bytes())],
    );
    assert_eq!(r.status, 201, "{}", Server::text(&r));
    let deposit = r.json();
    let id = deposit["record_id"].as_str().expect("id").to_string();
    let blake3 = deposit["files"][0]["blake3"]
        .as_str()
        .expect("blake3")
        .to_string();

    let mut b = support::cdp::Browser::start(&chromium);
    b.open(&format!("{}/dang-nhap", s.base));
    b.eval(&format!(
        "document.getElementById('token').value = {}; true",
        json!(a)
    ));
    b.screenshot(&shots.join("login.png"));
    b.eval("document.getElementById('dang-nhap').form.submit(); true");
    b.wait_for("location.pathname === '/' && !!document.getElementById('q')");

    b.eval("document.getElementById('q').value = 'van ban dien tu'; document.getElementById('q').form.submit(); true");
    b.wait_for("location.pathname === '/tim-kiem'");
    let link = format!("a[href=\"/ho-so/{id}\"]");
    assert_eq!(
        b.eval(&format!("!!document.querySelector({})", json!(link))),
        json!(true)
    );
    let text = b.eval("document.body.innerText");
    assert!(
        text.as_str().is_some_and(|t| t.contains("05/2016/QĐ-UBND")),
        "{text}"
    );
    b.screenshot(&shots.join("search-results.png"));

    b.eval(&format!(
        "document.querySelector({}).click(); true",
        json!(link)
    ));
    b.wait_for(&format!("location.pathname === '/ho-so/{id}'"));
    let text = b.eval("document.body.innerText");
    assert!(text.as_str().is_some_and(|t| t.contains(&blake3)), "{text}");
    b.screenshot(&shots.join("record.png"));

    let bytes = b.eval("fetch(document.querySelector('a.tai-ve').href).then(r => { if (!r.ok) throw new Error('download failed: ' + r.status); return r.arrayBuffer(); }).then(b => Array.from(new Uint8Array(b)))");
    let bytes: Vec<u8> = bytes
        .as_array()
        .expect("downloaded bytes")
        .iter()
        .map(|v| v.as_u64().expect("byte") as u8)
        .collect();
    assert_eq!(
        blake3::hash(&bytes).to_hex().to_string(),
        blake3,
        "{}",
        String::from_utf8_lossy(&bytes)
    );

    // The deposit form: a missing file is refused with the API's message, a
    // complete form links to the new record.
    b.open(&format!("{}/nop-luu", s.base));
    b.eval("document.getElementById('file').required = false; document.getElementById('summary').value = 'Thử nộp lưu'; document.getElementById('nop-luu').requestSubmit(); true");
    b.wait_for("!!document.querySelector('#ket-qua-nop .error')");
    let sample = support::repo_file("examples/documents/nam-dinh-05-2016-qd-ubnd.txt")
        .canonicalize()
        .expect("sample path");
    b.set_file("#file", &sample);
    b.eval("var f = document.getElementById('nop-luu'); f.elements['doc_number'].value = '07/2016/QĐ-UBND'; f.elements['doc_type'].value = 'Quyết định'; f.elements['issued_on'].value = '2016-03-20'; f.elements['issuer'].value = 'Ủy ban nhân dân tỉnh Nam Định'; f.elements['summary'].value = 'Thử nộp lưu qua biểu mẫu'; f.requestSubmit(); true");
    b.wait_for("!!document.querySelector('#ket-qua-nop a')");
    b.screenshot(&shots.join("deposit.png"));
    b.eval("document.querySelector('#ket-qua-nop a').click(); true");
    b.wait_for("location.pathname.startsWith('/ho-so/')");
    let text = b.eval("document.body.innerText");
    assert!(
        text.as_str().is_some_and(|t| t.contains("07/2016/QĐ-UBND")),
        "{text}"
    );
}

#[test]
fn pages_offer_each_role_only_what_it_may_do_and_name_records_and_jobs() {
    let s = Server::start();
    let archivist = s.add_user("lan", "archivist");
    let officer = s.add_user("minh", "officer");
    let home = Server::text(&s.page("/", Some(&archivist)));
    assert!(home.contains("href=\"/nop-luu\""), "{home}");
    let home = Server::text(&s.page("/", Some(&officer)));
    assert!(!home.contains("href=\"/nop-luu\""), "{home}");
    let form = s.page("/nop-luu", Some(&officer));
    assert_eq!(form.status, 403);
    assert_eq!(s.page("/nop-luu", Some(&archivist)).status, 200);

    // The dossier page names each record by its number and summary.
    let r = s.deposit(
        &archivist,
        &sample_metadata(),
        &[("file", "qd.txt", &sample_bytes())],
    );
    assert_eq!(r.status, 201, "{}", Server::text(&r));
    let id = r.json()["record_id"].as_str().expect("id").to_string();
    let d = s.post_json(
        "/api/v1/dossiers",
        &archivist,
        &json!({ "code": "HS-01", "title": "Quy chế lưu trữ điện tử" }),
    );
    assert_eq!(d.status, 201, "{}", Server::text(&d));
    let f = s.post_json(
        "/api/v1/dossiers/HS-01/records",
        &archivist,
        &json!({ "records": [id] }),
    );
    assert_eq!(f.status, 200, "{}", Server::text(&f));
    let page = Server::text(&s.page("/ho-so-luu-tru", Some(&officer)));
    assert!(
        page.contains("Quy chế lưu trữ điện tử") && page.contains("05/2016/QĐ-UBND — "),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/ho-so/{id}\"")), "{page}");

    // The jobs the server runs, with their state.
    let jobs = s.page("/tac-vu", Some(&officer));
    assert_eq!(jobs.status, 200);
    let jobs = Server::text(&jobs);
    for name in ["index", "scrub", "backup"] {
        assert!(jobs.contains(&format!("<small>{name}</small>")), "{jobs}");
    }
    assert!(jobs.contains("Sao lưu và kiểm tra bản sao"), "{jobs}");
    assert_eq!(s.page("/tac-vu", None).status, 303);
}

fn signature_fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../signatures/tests/fixtures/generated")
        .join(name)
}

#[test]
fn the_deposit_answer_and_the_record_page_show_the_signature_verdicts() {
    let trust = signature_fixture("trust");
    let s = Server::start_with_config(&format!(
        "[signatures]\ntrust_anchors = [{:?}]\nintermediates = [{:?}]\n",
        trust.join("root.pem").display().to_string(),
        trust.join("intermediate.pem").display().to_string()
    ));
    let archivist = s.add_user("lan", "archivist");
    let officer = s.add_user("minh", "officer");
    let mut meta = sample_metadata();
    meta["doc_number"] = json!("12/QĐ-UBND");
    for (file, decision, vi) in [
        ("01_valid_two_signatures.pdf", "accept", "Hợp lệ"),
        (
            "05_untrusted_signer.pdf",
            "accept-with-warning",
            "Chấp nhận, có cảnh báo",
        ),
    ] {
        let bytes = std::fs::read(signature_fixture(file)).expect("fixture");
        let r = s.deposit(&archivist, &meta, &[("file", file, &bytes)]);
        assert_eq!(r.status, 201, "{file}: {}", Server::text(&r));
        let sig = &r.json()["signatures"][0];
        assert_eq!(sig["decision"], decision, "{file}: {sig}");
        assert!(
            sig["report"]["signatures"]
                .as_array()
                .is_some_and(|v| !v.is_empty()),
            "{file}: per-signature verdicts missing: {sig}"
        );
        let id = r.json()["record_id"].as_str().expect("id").to_string();
        let page = Server::text(&s.page(&format!("/ho-so/{id}"), Some(&officer)));
        assert!(page.contains(vi), "{file}: {vi:?} not on the record page");
        let got = s.get(&format!("/api/v1/records/{id}/files/1"), &officer);
        assert_eq!(got.body, bytes, "{file} did not come back byte for byte");
    }
    // A tampered file is refused and nothing is stored.
    let bytes = std::fs::read(signature_fixture("02_tampered_both.pdf")).expect("fixture");
    let r = s.deposit(&archivist, &meta, &[("file", "02.pdf", &bytes)]);
    assert_eq!(r.status, 422, "{}", Server::text(&r));
    let list = s.get("/api/v1/records", &officer).json();
    assert_eq!(list["records"].as_array().map(Vec::len), Some(2), "{list}");
}

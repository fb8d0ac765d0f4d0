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
    assert!(html.contains(&format!("/api/v1/records/{id}/files/0")));

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

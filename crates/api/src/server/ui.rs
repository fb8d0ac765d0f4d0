//! The Vietnamese web UI, served by the same binary (no external resources):
//! login with a token kept in an `HttpOnly` cookie, search with filters,
//! facets and paging, and the record page. Everything is rendered on the
//! server and HTML-escaped, so the pages work without JavaScript.

use std::fmt::Write as _;

use archive_core::journal::{Event, Outcome};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::Shared;
use super::api::{SearchQuery, fixity_of, request_token, run_search};
use super::error::ApiError;
use super::state::{Caller, RECORD_VIEWED};

const CSS: &str = include_str!("../../assets/kho.css");
const DEPOSIT_JS: &str = include_str!("../../assets/nop-luu.js");
const COOKIE: &str = "kho_token";

/// Routes of the web UI.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/", get(search_page))
        .route("/tim-kiem", get(search_page))
        .route("/dang-nhap", get(login_page).post(login))
        .route("/login", get(login_page).post(login))
        .route("/dang-xuat", get(logout).post(logout))
        .route("/ho-so/{id}", get(record_page))
        .route("/records/{id}", get(record_page))
        .route("/nop-luu", get(deposit_page))
        .route("/ho-so-luu-tru", get(dossiers_page))
        .route("/tac-vu", get(jobs_page))
        .route("/assets/kho.css", get(css))
        .route("/assets/nop-luu.js", get(deposit_js))
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string value.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn page(title: &str, caller: Option<&Caller>, body: &str) -> Html<String> {
    let nav = match caller {
        Some(c) => format!(
            "<nav aria-label=\"Điều hướng chính\"><a href=\"/\">Tìm kiếm</a> · {}<a href=\"/ho-so-luu-tru\">Hồ sơ lưu trữ</a> · <a href=\"/tac-vu\">Tác vụ</a> · {} · <form method=\"post\" action=\"/dang-xuat\" style=\"display:inline\"><button type=\"submit\">Đăng xuất</button></form></nav>",
            // Only those who may deposit are offered the form.
            if c.role.allows(super::accounts::Permission::Deposit) {
                "<a href=\"/nop-luu\">Nộp lưu</a> · "
            } else {
                ""
            },
            esc(&c.name)
        ),
        None => String::new(),
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · Kho lưu trữ</title><link rel=\"stylesheet\" href=\"/assets/kho.css\"></head><body><header><a href=\"/\">Kho lưu trữ điện tử</a>{nav}</header><main id=\"noi-dung\">{body}</main><footer><small>Kho — lưu trữ hồ sơ điện tử lâu dài</small></footer></body></html>",
        esc(title)
    ))
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn deposit_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        DEPOSIT_JS,
    )
        .into_response()
}

/// The deposit form (posted by a small script to the deposit API).
async fn deposit_page(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let caller = match caller_of(&state, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = caller.require(super::accounts::Permission::Deposit) {
        return error_page(&caller, &e);
    }
    let none = None;
    let body = format!(
        "<h1>Nộp lưu tài liệu</h1><form id=\"nop-luu\" method=\"post\" enctype=\"multipart/form-data\"><div class=\"filters\">{}{}{}{}{}{}{}{}{}{}</div><label for=\"summary\">Trích yếu nội dung</label><textarea id=\"summary\" name=\"summary\" rows=\"3\" style=\"width:100%\" required></textarea><label for=\"file\">Tệp văn bản chính</label><input id=\"file\" name=\"file\" type=\"file\" required><label for=\"attachment\">Tệp đính kèm, chữ ký số (nếu có)</label><input id=\"attachment\" name=\"attachment\" type=\"file\" multiple><p><button type=\"submit\">Nộp lưu</button></p></form><div id=\"ket-qua-nop\" role=\"status\" aria-live=\"polite\"></div><noscript><p class=\"error\">Biểu mẫu nộp lưu cần JavaScript; hãy dùng lệnh kho deposit hoặc API.</p></noscript><script src=\"/assets/nop-luu.js\"></script>",
        select(
            "kind",
            "Loại hồ sơ",
            &[
                ("outgoing", "Văn bản đi"),
                ("incoming", "Văn bản đến"),
                ("internal", "Nội bộ")
            ],
            &Some("outgoing".into())
        )
        .replace("<option value=\"\">Tất cả</option>", ""),
        field("doc_number", "Số, ký hiệu", "text", &none),
        field("doc_type", "Loại văn bản", "text", &none),
        field("issued_on", "Ngày ban hành", "date", &none),
        field("issuer", "Cơ quan ban hành", "text", &none),
        field("place", "Địa danh", "text", &none),
        field("signer", "Người ký", "text", &none),
        select(
            "urgency",
            "Độ khẩn",
            &[
                ("thuong", "Thường"),
                ("khan", "Khẩn"),
                ("thuong_khan", "Thượng khẩn"),
                ("hoa_toc", "Hỏa tốc")
            ],
            &none
        ),
        select("secrecy", "Độ mật", &[("none", "Không mật")], &none),
        "",
    );
    page("Nộp lưu", Some(&caller), &body).into_response()
}

/// The caller of a page, or a redirect to the login page.
fn caller_of(state: &Shared, headers: &HeaderMap) -> Result<Caller, Redirect> {
    request_token(headers)
        .and_then(|t| state.authenticate(&t).ok())
        .ok_or_else(|| Redirect::to("/dang-nhap"))
}

fn error_page(caller: &Caller, e: &ApiError) -> Response {
    let status = e.status;
    (
        status,
        page(
            "Lỗi",
            Some(caller),
            &format!("<h1>Không thực hiện được</h1><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\">Về trang tìm kiếm</a></p>", esc(&e.body.message_vi)),
        ),
    )
        .into_response()
}

// ---------------------------------------------------------------- login

fn login_form(message: Option<&str>) -> Html<String> {
    let msg = message
        .map(|m| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"loi\">{}</p>",
                esc(m)
            )
        })
        .unwrap_or_default();
    page(
        "Đăng nhập",
        None,
        &format!(
            "<h1>Đăng nhập</h1>{msg}<form method=\"post\" action=\"/dang-nhap\"><label for=\"token\">Mã truy cập (token)</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus size=\"40\"><p><button type=\"submit\" id=\"dang-nhap\">Đăng nhập</button></p></form>"
        ),
    )
}

async fn login_page() -> Html<String> {
    login_form(None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
}

async fn login(State(state): State<Shared>, Form(f): Form<LoginForm>) -> Response {
    let token = f.token.trim();
    if token.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            login_form(Some("hãy nhập mã truy cập")),
        )
            .into_response();
    }
    match state.authenticate(token) {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/".to_string()),
                (
                    header::SET_COOKIE,
                    format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"),
                ),
            ],
        )
            .into_response(),
        Err(_) => (
            StatusCode::UNAUTHORIZED,
            login_form(Some(
                "mã truy cập không đúng, đã bị thu hồi hoặc hết hạn: hãy kiểm tra và nhập lại",
            )),
        )
            .into_response(),
    }
}

async fn logout() -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/dang-nhap".to_string()),
            (
                header::SET_COOKIE,
                format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
            ),
        ],
    )
        .into_response()
}

// ---------------------------------------------------------------- search

#[derive(Deserialize, Default, Clone)]
struct SearchForm {
    #[serde(default)]
    q: String,
    from: Option<String>,
    to: Option<String>,
    #[serde(rename = "type")]
    doc_type: Option<String>,
    agency: Option<String>,
    urgency: Option<String>,
    kind: Option<String>,
    page: Option<String>,
}

impl SearchForm {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("q", self.q.clone())];
        for (k, val) in [
            ("from", &self.from),
            ("to", &self.to),
            ("type", &self.doc_type),
            ("agency", &self.agency),
            ("urgency", &self.urgency),
            ("kind", &self.kind),
        ] {
            if let Some(x) = val.as_ref().filter(|x| !x.trim().is_empty()) {
                v.push((k, x.clone()));
            }
        }
        v
    }

    fn url(&self, set: Option<(&str, &str)>, page: Option<usize>) -> String {
        let mut pairs = self.pairs();
        if let Some((k, val)) = set {
            pairs.retain(|(p, _)| *p != k);
            pairs.push((static_key(k), val.to_string()));
        }
        let mut s: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        if let Some(p) = page {
            s.push(format!("page={p}"));
        }
        format!("/tim-kiem?{}", s.join("&"))
    }
}

fn static_key(k: &str) -> &'static str {
    match k {
        "type" => "type",
        "agency" => "agency",
        "from" => "from",
        "to" => "to",
        _ => "q",
    }
}

fn field(id: &str, label: &str, kind: &str, value: &Option<String>) -> String {
    format!(
        "<div><label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\"></div>",
        esc(value.as_deref().unwrap_or(""))
    )
}

fn select(id: &str, label: &str, options: &[(&str, &str)], value: &Option<String>) -> String {
    let mut s = format!(
        "<div><label for=\"{id}\">{label}</label><select id=\"{id}\" name=\"{id}\"><option value=\"\">Tất cả</option>"
    );
    for (v, l) in options {
        let sel = if value.as_deref() == Some(*v) {
            " selected"
        } else {
            ""
        };
        let _ = write!(s, "<option value=\"{}\"{sel}>{}</option>", esc(v), esc(l));
    }
    s.push_str("</select></div>");
    s
}

/// Highlights a snippet: marks with placeholders, escapes, then swaps in `<mark>`.
fn highlighted(s: &indexer::snippet::Snippet) -> String {
    const OPEN: &str = "\u{E000}";
    const CLOSE: &str = "\u{E001}";
    esc(&s.marked(OPEN, CLOSE))
        .replace(OPEN, "<mark>")
        .replace(CLOSE, "</mark>")
}

async fn search_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<SearchForm>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let caller = match caller_of(&state, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let f = q.map(|Query(q)| q).unwrap_or_default();
    let page_no = f
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let mut body = String::from(
        "<h1>Tìm kiếm tài liệu lưu trữ</h1><search><form method=\"get\" action=\"/tim-kiem\" role=\"search\">",
    );
    let _ = write!(
        body,
        "<label for=\"q\">Từ khóa (có hoặc không dấu, số ký hiệu, \"cụm từ\")</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" autofocus><fieldset class=\"filters\"><legend>Bộ lọc</legend>{}{}{}{}{}{}</fieldset><p><button type=\"submit\">Tìm kiếm</button></p></form></search>",
        esc(&f.q),
        field("from", "Từ ngày", "date", &f.from),
        field("to", "Đến ngày", "date", &f.to),
        field("type", "Loại văn bản", "text", &f.doc_type),
        field("agency", "Cơ quan ban hành", "text", &f.agency),
        select(
            "urgency",
            "Độ khẩn",
            &[
                ("thuong", "Thường"),
                ("khan", "Khẩn"),
                ("thuong_khan", "Thượng khẩn"),
                ("hoa_toc", "Hỏa tốc")
            ],
            &f.urgency
        ),
        select(
            "kind",
            "Loại hồ sơ",
            &[
                ("incoming", "Văn bản đến"),
                ("outgoing", "Văn bản đi"),
                ("internal", "Nội bộ")
            ],
            &f.kind
        ),
    );
    let searched = !f.q.trim().is_empty() || f.pairs().len() > 1 || f.page.is_some();
    if !searched {
        return page("Tìm kiếm", Some(&caller), &body).into_response();
    }
    let query = SearchQuery {
        q: f.q.clone(),
        from: f.from.clone(),
        to: f.to.clone(),
        doc_type: f.doc_type.clone(),
        agency: f.agency.clone(),
        dossier: None,
        urgency: f.urgency.clone(),
        kind: f.kind.clone(),
        sort: None,
        page: Some(page_no),
        per_page: Some(10),
    };
    let (r, page_no, per_page) = match run_search(&state, &caller, &query).await {
        Ok(x) => x,
        Err(e) => {
            let _ = write!(
                body,
                "<p class=\"error\" role=\"alert\">{}: {}</p>",
                esc(&e.body.message_vi),
                esc(&e.body.message)
            );
            return (e.status, page("Tìm kiếm", Some(&caller), &body)).into_response();
        }
    };
    body.push_str("<div class=\"layout\"><section aria-labelledby=\"kq\">");
    let _ = write!(
        body,
        "<h2 id=\"kq\">Kết quả: <span id=\"so-ket-qua\">{}{}</span> tài liệu</h2>",
        if r.total_exact { "" } else { "hơn " },
        r.total
    );
    for n in &r.notes {
        let _ = write!(body, "<p><small>{}</small></p>", esc(n));
    }
    body.push_str("<ol class=\"hits\">");
    for h in &r.hits {
        let snippet = h
            .snippet
            .as_ref()
            .map(highlighted)
            .unwrap_or_else(|| esc(&h.summary));
        let _ = write!(
            body,
            "<li class=\"hit\"><h3><a href=\"/ho-so/{}\">{}</a></h3><p><b>Số ký hiệu:</b> {} · <b>Ngày ban hành:</b> {} · <b>Cơ quan:</b> {}</p><p><b>Trích yếu:</b> {}</p><p class=\"snippet\">{snippet}</p></li>",
            enc(&h.record_id),
            esc(if h.title.is_empty() {
                &h.record_id
            } else {
                &h.title
            }),
            esc(h.doc_number.as_deref().unwrap_or("—")),
            esc(h.issued_on.as_deref().unwrap_or("—")),
            esc(h.agency.as_deref().unwrap_or("—")),
            esc(&h.summary),
        );
    }
    body.push_str("</ol>");
    // Pages past the deepest result a search may reach are not offered.
    let pages = r
        .total
        .min(indexer::query::MAX_WINDOW)
        .div_ceil(per_page)
        .max(1);
    body.push_str("<nav aria-label=\"Phân trang\"><p>");
    if page_no > 1 {
        let _ = write!(
            body,
            "<a rel=\"prev\" href=\"{}\">« Trang trước</a> ",
            esc(&f.url(None, Some(page_no - 1)))
        );
    }
    let _ = write!(body, "Trang {page_no}/{pages}");
    if page_no < pages {
        let _ = write!(
            body,
            " <a rel=\"next\" href=\"{}\">Trang sau »</a>",
            esc(&f.url(None, Some(page_no + 1)))
        );
    }
    body.push_str(
        "</p></nav></section><aside aria-labelledby=\"bo-loc\"><h2 id=\"bo-loc\">Thu hẹp</h2>",
    );
    if let Some(facets) = &r.facets {
        for (title, key, list) in [
            ("Loại văn bản", "type", &facets.doc_type),
            ("Năm", "year", &facets.year),
            ("Cơ quan ban hành", "agency", &facets.agency),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = write!(body, "<h3>{title}</h3><ul>");
            for c in list {
                let href = if key == "year" {
                    let year = SearchForm {
                        to: Some(format!("{}-12-31", c.value)),
                        ..f.clone()
                    };
                    year.url(Some(("from", &format!("{}-01-01", c.value))), None)
                } else {
                    f.url(Some((key, &c.value)), None)
                };
                let _ = write!(
                    body,
                    "<li><a href=\"{}\">{}</a> ({})</li>",
                    esc(&href),
                    esc(&c.value),
                    c.count
                );
            }
            body.push_str("</ul>");
        }
    }
    body.push_str("</aside></div>");
    page("Kết quả tìm kiếm", Some(&caller), &body).into_response()
}

// ---------------------------------------------------------------- record

fn label(path: &str) -> String {
    records::metadata::RecordMetadata::label_vi(path)
        .map(|l| {
            let mut c = l.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .unwrap_or_else(|| path.to_string())
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// The decision of the signature policy (`signing::FileSignatureReport::decision`).
fn decision_vi(d: &str) -> &'static str {
    match d {
        "accept" => "Hợp lệ",
        "accept-with-warning" => "Chấp nhận, có cảnh báo",
        "accept-unsigned" => "Không có chữ ký",
        "reject" => "Không hợp lệ",
        _ => "Chưa xác định được",
    }
}

fn size_vi(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB ({n} byte)", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KB ({n} byte)", n as f64 / 1024.0)
    } else {
        format!("{n} byte")
    }
}

async fn record_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let caller = match caller_of(&state, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    match render_record(&state, &caller, &id).await {
        Ok(html) => page("Hồ sơ", Some(&caller), &html).into_response(),
        Err(e) => error_page(&caller, &e),
    }
}

async fn render_record(state: &Shared, caller: &Caller, id: &str) -> Result<String, ApiError> {
    caller.require(super::accounts::Permission::Retrieve)?;
    let rid: archive_core::RecordId = id.parse().map_err(|_| {
        ApiError::bad_request("bad_record_id", format!("{id:?} is not a record id"))
    })?;
    let (m, history) = {
        let a = state.archive.read().await;
        (a.manifest(&rid, None).await?, a.history(&rid).await?)
    };
    let fixity = fixity_of(state, &rid).await?;
    state
        .record_access(vec![Event::new(
            &caller.name,
            RECORD_VIEWED,
            rid.to_string(),
            Outcome::Success,
            serde_json::json!({ "version": m.version, "via": "web" }),
        )])
        .await?;
    let rid_s = rid.to_string();
    let title = m.metadata["summary"].as_str().unwrap_or(&rid_s).to_string();
    let mut b = format!(
        "<h1>{}</h1><p>Mã hồ sơ: <code>{}</code> · phiên bản {}</p><section aria-labelledby=\"tt\"><h2 id=\"tt\">Thông tin văn bản</h2><table><tbody>",
        esc(&title),
        esc(&rid_s),
        m.version
    );
    let mut rows = Vec::new();
    flatten("", &m.metadata, &mut rows);
    for (k, v) in rows {
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            esc(&label(&k)),
            esc(&v)
        );
    }
    b.push_str("</tbody></table></section><section aria-labelledby=\"tep\"><h2 id=\"tep\">Tệp tin</h2><table><thead><tr><th scope=\"col\">Tệp</th><th scope=\"col\">Kích thước</th><th scope=\"col\">Mã băm</th><th scope=\"col\">Chữ ký số</th></tr></thead><tbody>");
    for (i, f) in m.files.iter().enumerate() {
        let sig = m
            .signature_reports
            .iter()
            .find(|r| r.file == i)
            .map(|r| format!("{}: {}", decision_vi(&r.decision), esc(&r.reason)))
            .unwrap_or_else(|| "Không có chữ ký".into());
        let _ = write!(
            b,
            "<tr><td><a class=\"tai-ve\" href=\"/api/v1/records/{}/files/{}\" download>{}</a><br><small>{}</small></td><td>{}</td><td>BLAKE3: <code class=\"blake3\">{}</code><br>SHA-256: <code>{}</code></td><td>{sig}</td></tr>",
            enc(&rid_s),
            i + 1,
            esc(&f.filename),
            esc(&f.media_type),
            size_vi(f.size),
            f.blake3.to_hex(),
            esc(&f.sha256.to_string()),
        );
    }
    b.push_str("</tbody></table></section><section aria-labelledby=\"kt\"><h2 id=\"kt\">Lịch sử kiểm tra toàn vẹn</h2>");
    if fixity.is_empty() {
        b.push_str("<p>Chưa có lần kiểm tra nào.</p>");
    } else {
        b.push_str("<ul>");
        for e in &fixity {
            let _ = write!(
                b,
                "<li>{} — {} — {}</li>",
                esc(e["time"].as_str().unwrap_or("")),
                esc(&e["outcome"].to_string()),
                esc(e["object"].as_str().unwrap_or(""))
            );
        }
        b.push_str("</ul>");
    }
    b.push_str("</section><section aria-labelledby=\"pb\"><h2 id=\"pb\">Các phiên bản</h2><ol>");
    for v in &history {
        let _ = write!(
            b,
            "<li>Phiên bản {} — {} — {}</li>",
            v.version,
            esc(&v
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()),
            esc(&v.actor)
        );
    }
    b.push_str("</ol></section>");
    Ok(b)
}

// ---------------------------------------------------------------- dossiers

/// Every dossier with its records.
async fn dossiers_page(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let caller = match caller_of(&state, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if !caller.role.allows(super::accounts::Permission::Dossiers)
        && let Err(e) = caller.require(super::accounts::Permission::Retrieve)
    {
        return error_page(&caller, &e);
    }
    let a = state.archive.read().await;
    let mut b = String::from("<h1>Hồ sơ lưu trữ</h1>");
    if a.dossiers().is_empty() {
        b.push_str("<p>Chưa có hồ sơ nào.</p>");
    }
    for d in a.dossiers().iter() {
        let _ = write!(
            b,
            "<section class=\"hit\"><h2>{} — {}</h2><p>Thời hạn bảo quản: {} · Năm hình thành: {} · {}</p><ul>",
            esc(d.code()),
            esc(&d.dossier.title),
            esc(d.dossier.retention.as_deref().unwrap_or("—")),
            d.dossier
                .year_formed
                .map(|y| y.to_string())
                .unwrap_or_else(|| "—".into()),
            if d.closed_at.is_some() {
                "đã đóng"
            } else {
                "đang mở"
            },
        );
        for r in &d.records {
            let id = r.to_string();
            // Number and summary, as a register lists them; the id when the
            // metadata has neither (free metadata) or cannot be read.
            let md = a.manifest(r, None).await.map(|m| m.metadata).ok();
            let text = |k: &str| {
                md.as_ref()
                    .and_then(|m| m.get(k))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let title = match (
                text("doc_number"),
                text("summary").or_else(|| text("title")),
            ) {
                (Some(n), Some(t)) => format!("{n} — {t}"),
                (Some(x), None) | (None, Some(x)) => x,
                (None, None) => id.clone(),
            };
            let _ = write!(
                b,
                "<li><a href=\"/ho-so/{}\">{}</a></li>",
                enc(&id),
                esc(&title)
            );
        }
        b.push_str("</ul></section>");
    }
    drop(a);
    page("Hồ sơ lưu trữ", Some(&caller), &b).into_response()
}

// ---------------------------------------------------------------- jobs

/// What the scheduled jobs last did (index, scrub, backup).
async fn jobs_page(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let caller = match caller_of(&state, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let jobs: Vec<_> = state
        .jobs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .cloned()
        .collect();
    let name_vi = |n: &str| match n {
        "index" => "Cập nhật chỉ mục tìm kiếm",
        "scrub" => "Kiểm tra toàn vẹn (băm lại dữ liệu)",
        "backup" => "Sao lưu và kiểm tra bản sao",
        _ => "Tác vụ",
    };
    let outcome_vi = |o: Option<&str>| match o {
        Some("ok") => "Tốt",
        Some("damage") => "PHÁT HIỆN HƯ HỎNG",
        Some("error") => "Lỗi",
        Some(_) => "Khác",
        None => "Chưa chạy",
    };
    let mut b = String::from(
        "<h1>Tác vụ định kỳ</h1><table><caption>Trạng thái các tác vụ chạy trong máy chủ</caption><thead><tr><th scope=\"col\">Tác vụ</th><th scope=\"col\">Bật</th><th scope=\"col\">Chu kỳ</th><th scope=\"col\">Số lần chạy</th><th scope=\"col\">Lần cuối xong</th><th scope=\"col\">Kết quả</th><th scope=\"col\">Chi tiết</th></tr></thead><tbody>",
    );
    for j in &jobs {
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}<br><small>{}</small></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name_vi(&j.name)),
            esc(&j.name),
            if j.enabled { "Có" } else { "Không" },
            if j.interval_seconds == 0 {
                "—".to_string()
            } else if j.interval_seconds % 3600 == 0 {
                format!("{} giờ", j.interval_seconds / 3600)
            } else if j.interval_seconds % 60 == 0 {
                format!("{} phút", j.interval_seconds / 60)
            } else {
                format!("{} giây", j.interval_seconds)
            },
            j.runs,
            esc(j.last_finished.as_deref().unwrap_or("—")),
            esc(outcome_vi(j.last_outcome.as_deref())),
            esc(j.last_detail.as_deref().unwrap_or("")),
        );
    }
    b.push_str("</tbody></table>");
    page("Tác vụ", Some(&caller), &b).into_response()
}

//! The HTTP API under `/api/v1`, its OpenAPI document, health and metrics.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use archive_core::archive::{DepositFile, DepositRequest, FileSource};
use archive_core::blob;
use archive_core::journal::{Batch, Event, Outcome};
use archive_core::layout;
use archive_core::model::{FileRole, RecordId};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ServeArgs;
use super::Shared;
use super::accounts::{Permission, Role};
use super::error::{ApiError, ApiResult, ErrorBody};
use super::state::{
    Caller, FILE_DOWNLOADED, IdempotencyState, JobStatus, RECORD_VIEWED, SEARCH_RUN,
};

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Kho archive API", description = "Deposit, retrieve, search and verify signed electronic records of Vietnamese public agencies. Every request carries `Authorization: Bearer TOKEN`; every record view, download and search is recorded in the journal."),
    components(schemas(NewHold, ReleaseHold, FileRecords, ErrorBody, DepositResponse, StoredFile, JobStatus, EditRequest, NewUser, TokenRequest, IssuedTokenBody, VerifyResponse, FileCheck, SearchResponse, DisableRequest)),
    modifiers(&BearerAuth),
    tags((name = "records"), (name = "search"), (name = "integrity"), (name = "accounts"), (name = "service"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// Builds the router: API, UI, health.
pub fn router(state: Shared, args: &ServeArgs) -> Router {
    let timeout = Duration::from_secs(args.request_timeout.max(1));
    let upload_limit =
        usize::try_from(state.max_upload.saturating_add(1 << 20)).unwrap_or(usize::MAX);
    // Each handler is listed once: its `#[utoipa::path]` gives the route and the
    // API document entry.
    let deposit_route = OpenApiRouter::new()
        .routes(routes!(deposit, list_records))
        .layer(DefaultBodyLimit::max(upload_limit));
    // Downloads stream for as long as the file takes: no request timeout.
    let downloads = OpenApiRouter::new().routes(routes!(download, head_download));
    let rest = OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(get_record, edit_record))
        .routes(routes!(record_versions))
        .routes(routes!(verify_record))
        .routes(routes!(fixity_history))
        .routes(routes!(record_events))
        .routes(routes!(search))
        .routes(routes!(journal))
        .routes(routes!(checkpoints))
        .routes(routes!(jobs))
        .routes(routes!(run_job))
        .routes(routes!(dossiers, super::manage::create_dossier))
        .routes(routes!(holds, place_hold))
        .routes(routes!(release_hold))
        .routes(routes!(file_in_dossier))
        .routes(routes!(dispositions, super::manage::propose))
        .routes(routes!(report))
        .routes(routes!(backup_runs, super::manage::backup_run))
        .routes(routes!(list_users, add_user))
        .routes(routes!(disable_user))
        .routes(routes!(issue_token))
        .routes(routes!(revoke_token))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .merge(super::manage::routes())
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(deposit_route)
        .merge(downloads)
        .merge(rest)
        .split_for_parts();
    let _ = OPENAPI.set(doc);
    let pages = Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .merge(super::ui::routes())
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    api.merge(pages)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

async fn count_requests(
    State(state): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    // Whether the handler read the request body to its end.
    let read_all = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(!has_body));
    let req = if has_body {
        let flag = read_all.clone();
        let (parts, body) = req.into_parts();
        let tail = futures::stream::once(async move {
            flag.store(true, Ordering::Relaxed);
            None
        })
        .filter_map(|x: Option<Result<bytes::Bytes, axum::Error>>| async move { x });
        axum::extract::Request::from_parts(
            parts,
            Body::from_stream(body.into_data_stream().chain(tail)),
        )
    } else {
        req
    };
    let mut resp = next.run(req).await;
    // A request answered before its body was read (no token, wrong role, too
    // large, an endpoint that takes no body) leaves unread bytes on the
    // connection, which the server then closes: say so, so that the client
    // does not send its next request on it.
    if !read_all.load(Ordering::Relaxed) {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    state.metrics.requests.fetch_add(1, Ordering::Relaxed);
    if resp.status().is_client_error() {
        state.metrics.client_errors.fetch_add(1, Ordering::Relaxed);
    } else if resp.status().is_server_error() {
        state.metrics.server_errors.fetch_add(1, Ordering::Relaxed);
    }
    resp
}

/// Largest body of the endpoints other than deposit.
const JSON_LIMIT: usize = 2 << 20;

/// Answers 413 at once when a request declares a body larger than the endpoints
/// take, instead of waiting for bytes that will be refused.
async fn refuse_declared_oversize(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > JSON_LIMIT as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is larger than the {JSON_LIMIT} bytes this endpoint takes; nothing was changed"),
            "Dữ liệu gửi lên vượt quá dung lượng cho phép; không có gì thay đổi",
        )
        .into_response();
    }
    next.run(req).await
}

async fn not_found() -> ApiError {
    ApiError::not_found("no_route", "no such endpoint: see /api/v1/openapi.json")
}

/// The API document, collected from the handlers when the router is built.
static OPENAPI: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();

async fn openapi_json() -> Response {
    let Some(doc) = OPENAPI.get() else {
        return ApiError::internal("the API document was not built").into_response();
    };
    match doc.to_pretty_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => ApiError::internal(e.to_string()).into_response(),
    }
}

/// The bearer token of a request: `Authorization: Bearer …` or the web UI's cookie.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let t = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))?;
        return Some(t.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("kho_token=").map(str::to_string))
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Shared,
    ) -> Result<Self, Self::Rejection> {
        if parts
            .headers
            .get(header::AUTHORIZATION)
            .is_some_and(|v| v.to_str().is_err())
        {
            return Err(ApiError::unauthenticated(
                "the Authorization header is not valid text",
            ));
        }
        let token = request_token(&parts.headers).ok_or_else(|| {
            ApiError::unauthenticated("no token: send `Authorization: Bearer TOKEN`")
        })?;
        state.authenticate(&token)
    }
}

fn parse_id(id: &str) -> ApiResult<RecordId> {
    id.parse::<RecordId>().map_err(|_| {
        ApiError::bad_request("bad_record_id", format!("{id:?} is not a record id")).field("id")
    })
}

fn access_event(caller: &Caller, kind: &str, object: String, detail: serde_json::Value) -> Event {
    Event::new(&caller.name, kind, object, Outcome::Success, detail)
}

// ---------------------------------------------------------------- service

#[utoipa::path(get, path = "/healthz", tag = "service", security(()), responses((status = 200, description = "The process is alive")))]
async fn healthz() -> &'static str {
    "ok\n"
}

#[utoipa::path(get, path = "/readyz", tag = "service", security(()), responses((status = 200, description = "Ready to serve"), (status = 503, description = "Stopping or the store is unavailable", body = ErrorBody)))]
async fn readyz(State(state): State<Shared>) -> ApiResult<&'static str> {
    if state.is_shutting_down() {
        return Err(ApiError::unavailable("the server is stopping"));
    }
    if let Some(why) = state
        .lease_lost
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
    {
        return Err(ApiError::unavailable(format!(
            "this server lost the writer lease and writes nothing more: {why}; restart it"
        )));
    }
    let store = state.archive.read().await.store().clone();
    store
        .head(&object_store::path::Path::from(layout::STORE_DESCRIPTOR))
        .await
        .map_err(|e| ApiError::unavailable(format!("the store does not answer: {e}")))?;
    Ok("ready\n")
}

#[utoipa::path(get, path = "/metrics", tag = "service", responses((status = 200, description = "Prometheus text format")))]
async fn metrics(_caller: Caller, State(state): State<Shared>) -> Response {
    let m = &state.metrics;
    let (head, records) = {
        let a = state.archive.read().await;
        (a.journal_head(), a.catalog().records.len())
    };
    let indexed = *state.index_seq.borrow();
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, v: u64| {
        out.push_str(&format!(
            "# HELP kho_{name} {help}\n# TYPE kho_{name} {kind}\nkho_{name} {v}\n"
        ));
    };
    metric(
        "requests_total",
        "counter",
        "HTTP requests answered.",
        m.requests.load(Ordering::Relaxed),
    );
    metric(
        "client_errors_total",
        "counter",
        "Requests answered with 4xx.",
        m.client_errors.load(Ordering::Relaxed),
    );
    metric(
        "server_errors_total",
        "counter",
        "Requests answered with 5xx.",
        m.server_errors.load(Ordering::Relaxed),
    );
    metric(
        "deposits_total",
        "counter",
        "Records deposited.",
        m.deposits.load(Ordering::Relaxed),
    );
    metric(
        "upload_bytes_total",
        "counter",
        "Bytes received in deposits.",
        m.upload_bytes.load(Ordering::Relaxed),
    );
    metric(
        "download_bytes_total",
        "counter",
        "Bytes sent in downloads.",
        m.download_bytes.load(Ordering::Relaxed),
    );
    metric(
        "searches_total",
        "counter",
        "Searches run.",
        m.searches.load(Ordering::Relaxed),
    );
    metric(
        "scrub_runs_total",
        "counter",
        "Scheduled scrub slices run.",
        m.scrub_runs.load(Ordering::Relaxed),
    );
    metric(
        "scrub_blobs_total",
        "counter",
        "Blobs re-hashed by scheduled scrubs.",
        m.scrub_blobs.load(Ordering::Relaxed),
    );
    metric(
        "scrub_damage_total",
        "counter",
        "Damaged blobs found by scheduled scrubs.",
        m.scrub_damage.load(Ordering::Relaxed),
    );
    metric(
        "backup_runs_total",
        "counter",
        "Backup jobs run (copy and/or verify of the targets).",
        m.backup_runs.load(Ordering::Relaxed),
    );
    metric("journal_head", "gauge", "Last journal batch.", head);
    metric(
        "index_journal_seq",
        "gauge",
        "Journal batch the search index covers.",
        indexed,
    );
    metric(
        "index_lag_batches",
        "gauge",
        "Journal batches not yet searchable.",
        head.saturating_sub(indexed),
    );
    metric(
        "records",
        "gauge",
        "Records in the archive.",
        records as u64,
    );
    metric(
        "uptime_seconds",
        "gauge",
        "Seconds since start.",
        state.started.elapsed().as_secs(),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

#[derive(Serialize, ToSchema)]
struct MeBody {
    name: String,
    role: String,
    role_vi: String,
    full_name: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = MeBody), (status = 401, body = ErrorBody)))]
async fn me(caller: Caller, State(state): State<Shared>) -> Json<MeBody> {
    let full_name = state
        .account(&caller.name)
        .map(|a| a.full_name)
        .unwrap_or_default();
    Json(MeBody {
        name: caller.name,
        role: caller.role.as_str().into(),
        role_vi: caller.role.label_vi().into(),
        full_name,
    })
}

// ---------------------------------------------------------------- deposit

/// One stored file in a deposit response.
#[derive(Serialize, ToSchema)]
pub struct StoredFile {
    /// Role: main, attachment, digitised_copy, signature.
    role: String,
    /// Original file name.
    filename: String,
    /// Detected media type.
    media_type: String,
    /// Size in bytes.
    size: u64,
    /// BLAKE3 of the bytes, hex (the download ETag).
    blake3: String,
    /// SHA-256 of the bytes, hex.
    sha256: String,
}

/// What a deposit returns.
#[derive(Serialize, ToSchema)]
pub struct DepositResponse {
    /// New record id.
    record_id: String,
    /// Manifest version.
    version: u32,
    /// Journal batch that committed it.
    journal_seq: u64,
    /// Files stored.
    files: Vec<StoredFile>,
    /// Signature verdicts per file (decision, reason, full report).
    #[schema(value_type = Vec<Object>)]
    signatures: serde_json::Value,
    /// Metadata warnings that did not stop the deposit.
    warnings: Vec<String>,
    /// Whether search finds it already.
    searchable: bool,
    /// It is searchable once the index covers this journal batch (see `/metrics`).
    searchable_after_seq: u64,
    /// True when this answers a retried request with the same idempotency key.
    replayed: bool,
}

#[derive(Deserialize, IntoParams)]
struct DepositQuery {
    /// `searchable`: answer only once search finds the record (at most 30 s).
    wait: Option<String>,
}

/// Removes spooled uploads when the request ends, however it ends.
struct Spool(Vec<PathBuf>);

impl Drop for Spool {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Forgets an in-flight idempotency key unless the deposit committed.
struct KeyGuard<'a> {
    state: &'a Shared,
    key: Option<String>,
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            let mut m = self
                .state
                .idempotency
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if matches!(m.get(&k), Some(IdempotencyState::InFlight)) {
                m.remove(&k);
            }
        }
    }
}

/// Keeps only the last path component of a client's file name: names are
/// metadata, never paths.
pub fn clean_filename(raw: &str) -> ApiResult<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if last.is_empty() || last == "." || last == ".." || last.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_filename",
            format!("file name {raw:?} is empty, a directory or has control characters"),
        )
        .field("files"));
    }
    Ok(last.to_string())
}

#[utoipa::path(post, path = "/api/v1/records", tag = "records",
    params(DepositQuery, ("Idempotency-Key" = Option<String>, Header, description = "Same key on a retry: the first deposit is returned instead of a second record")),
    request_body(content_type = "multipart/form-data", description = "`metadata`: JSON object (NĐ 30 fields); `file` (repeatable; the first is the main document), `attachment`, `digitised_copy`: files with their names"),
    responses(
        (status = 201, body = DepositResponse, description = "Committed"),
        (status = 200, body = DepositResponse, description = "Replay of an earlier deposit with the same idempotency key"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "A deposit with this key is in progress"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Invalid metadata, secret document, rejected signature: nothing stored"),
        (status = 503, body = ErrorBody)))]
async fn deposit(
    caller: Caller,
    State(state): State<Shared>,
    Query(q): Query<DepositQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    caller.require(Permission::Deposit)?;
    if state.is_shutting_down() {
        return Err(ApiError::unavailable(
            "the server is stopping: retry with the same idempotency key",
        ));
    }
    // A declared length over the limit is refused before a byte is read. The
    // multipart framing adds a little, hence the slack.
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > state.max_upload.saturating_add(1 << 20)
    {
        return Err(too_large(state.max_upload));
    }
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_multipart",
            format!("a deposit is a multipart/form-data body: {e}"),
            "Hồ sơ gửi lên phải ở dạng multipart/form-data",
        )
    })?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_idempotency_key",
                        "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    )
                    .field("Idempotency-Key")
                })?;
            Some(k.to_string())
        }
    };
    let mut guard = KeyGuard {
        state: &state,
        key: None,
    };
    if let Some(k) = &key {
        let earlier = {
            let mut m = state.idempotency.lock().unwrap_or_else(|p| p.into_inner());
            match m.get(k) {
                Some(IdempotencyState::Done(id)) => Some(Ok(*id)),
                Some(IdempotencyState::InFlight) => Some(Err(())),
                None => {
                    m.insert(k.clone(), IdempotencyState::InFlight);
                    None
                }
            }
        };
        match earlier {
            Some(Ok(id)) => return replay(&state, id).await,
            Some(Err(())) => {
                return Err(ApiError::conflict(
                    "deposit_in_progress",
                    format!(
                        "a deposit with idempotency key {k:?} is still being received; retry when it ends"
                    ),
                ));
            }
            None => guard.key = Some(k.clone()),
        }
    }
    let _slot = state
        .upload_slots
        .acquire()
        .await
        .map_err(|_| ApiError::unavailable("the server is stopping"))?;
    let mut spool = Spool(Vec::new());
    let mut metadata: Option<serde_json::Value> = None;
    let mut files: Vec<DepositFile> = Vec::new();
    let mut total: u64 = 0;
    let idle = state.idle_timeout;
    loop {
        let field = match tokio::time::timeout(idle, multipart.next_field()).await {
            Err(_) => return Err(slow_client(idle)),
            Ok(Err(e)) => return Err(multipart_error(e)),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(f))) => f,
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "metadata" => {
                if metadata.is_some() {
                    return Err(ApiError::bad_request(
                        "duplicate_metadata",
                        "send one `metadata` part",
                    )
                    .field("metadata"));
                }
                let bytes = read_small(field, idle, 1 << 20).await?;
                let text = std::str::from_utf8(&bytes).map_err(|e| {
                    ApiError::bad_request(
                        "metadata_not_utf8",
                        format!("metadata is not valid UTF-8 (byte {})", e.valid_up_to()),
                    )
                    .field("metadata")
                })?;
                let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "metadata_not_json",
                        format!("metadata is not valid JSON: {e}"),
                        "Siêu dữ liệu không phải JSON hợp lệ",
                    )
                    .field("metadata")
                })?;
                if !v.is_object() {
                    return Err(ApiError::bad_request(
                        "metadata_not_object",
                        "metadata must be a JSON object",
                    )
                    .field("metadata"));
                }
                metadata = Some(v);
            }
            "file" | "attachment" | "digitised_copy" => {
                let filename = clean_filename(field.file_name().unwrap_or(""))?;
                let role = match name.as_str() {
                    "attachment" => FileRole::Attachment,
                    "digitised_copy" => FileRole::DigitisedCopy,
                    _ if files.iter().any(|f| f.role == FileRole::Main) => FileRole::Attachment,
                    _ => FileRole::Main,
                };
                let path = state
                    .spool
                    .join(format!("{}.upload", uuid::Uuid::now_v7().simple()));
                spool.0.push(path.clone());
                let mut out = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| ApiError::unavailable(format!("cannot spool the upload: {e}")))?;
                let mut field = field;
                loop {
                    let chunk = match tokio::time::timeout(idle, field.chunk()).await {
                        Err(_) => return Err(slow_client(idle)),
                        Ok(Err(e)) => return Err(multipart_error(e)),
                        Ok(Ok(None)) => break,
                        Ok(Ok(Some(c))) => c,
                    };
                    total += chunk.len() as u64;
                    if total > state.max_upload {
                        return Err(too_large(state.max_upload));
                    }
                    out.write_all(&chunk).await.map_err(|e| {
                        ApiError::new(
                            StatusCode::INSUFFICIENT_STORAGE,
                            "spool_full",
                            format!(
                                "cannot spool the upload (disk full?): {e}; nothing was stored"
                            ),
                            "Không đủ chỗ để nhận tệp; không có gì được lưu",
                        )
                    })?;
                }
                out.flush()
                    .await
                    .map_err(|e| ApiError::unavailable(format!("cannot spool the upload: {e}")))?;
                files.push(DepositFile {
                    filename,
                    role,
                    source: FileSource::Path(path),
                });
            }
            other => {
                return Err(ApiError::bad_request(
                    "unknown_part",
                    format!(
                        "unknown form part {other:?}: send `metadata`, `file`, `attachment` or `digitised_copy`"
                    ),
                ));
            }
        }
    }
    if files.is_empty() {
        return Err(
            ApiError::bad_request("no_files", "a deposit needs at least one `file` part")
                .field("file"),
        );
    }
    let request = DepositRequest {
        metadata: metadata.unwrap_or_else(|| serde_json::json!({})),
        files,
    };
    let depositor = state.archive.read().await.depositor(&caller.name);
    let mut prepared = depositor.prepare(request).await?;
    if let Some(k) = &key {
        prepared.set_idempotency_key(k.clone());
    }
    let receipt = {
        let mut a = state.archive.write().await;
        let mut r = a.commit_prepared(vec![prepared]).await?;
        r.pop()
            .ok_or_else(|| ApiError::internal("commit returned no receipt"))?
    };
    if let Some(k) = guard.key.take() {
        state
            .idempotency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(k, IdempotencyState::Done(receipt.record_id));
    }
    state.metrics.deposits.fetch_add(1, Ordering::Relaxed);
    state
        .metrics
        .upload_bytes
        .fetch_add(total, Ordering::Relaxed);
    state.sync_events().await;
    state.index_wake.notify_one();
    let seq = receipt.journal_seq;
    let mut searchable = *state.index_seq.borrow() >= seq;
    if q.wait.as_deref() == Some("searchable") && !searchable {
        let mut rx = state.index_seq.subscribe();
        searchable = tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|s| *s >= seq))
            .await
            .is_ok_and(|r| r.is_ok());
    }
    let manifest = state
        .archive
        .read()
        .await
        .manifest(&receipt.record_id, None)
        .await?;
    let body = DepositResponse {
        record_id: receipt.record_id.to_string(),
        version: receipt.version,
        journal_seq: seq,
        files: stored_files(&manifest.files),
        signatures: serde_json::to_value(&manifest.signature_reports).unwrap_or_default(),
        warnings: receipt.warnings,
        searchable,
        searchable_after_seq: seq,
        replayed: false,
    };
    let location = format!("/api/v1/records/{}", receipt.record_id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

fn stored_files(files: &[archive_core::model::FileEntry]) -> Vec<StoredFile> {
    files
        .iter()
        .map(|f| StoredFile {
            role: serde_json::to_value(f.role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            filename: f.filename.clone(),
            media_type: f.media_type.clone(),
            size: f.size,
            blake3: f.blake3.to_hex(),
            sha256: f.sha256.to_string(),
        })
        .collect()
}

async fn replay(state: &Shared, id: RecordId) -> ApiResult<Response> {
    let (manifest, seq) = {
        let a = state.archive.read().await;
        let m = a.manifest(&id, Some(1)).await?;
        (m, a.journal_head())
    };
    let body = DepositResponse {
        record_id: id.to_string(),
        version: manifest.version,
        journal_seq: seq,
        files: stored_files(&manifest.files),
        signatures: serde_json::to_value(&manifest.signature_reports).unwrap_or_default(),
        warnings: Vec::new(),
        searchable: *state.index_seq.borrow() >= seq,
        searchable_after_seq: seq,
        replayed: true,
    };
    Ok((
        StatusCode::OK,
        [(
            header::HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        )],
        Json(body),
    )
        .into_response())
}

async fn read_small(
    mut field: axum::extract::multipart::Field<'_>,
    idle: Duration,
    limit: usize,
) -> ApiResult<Vec<u8>> {
    let mut buf = Vec::new();
    loop {
        match tokio::time::timeout(idle, field.chunk()).await {
            Err(_) => return Err(slow_client(idle)),
            Ok(Err(e)) => return Err(multipart_error(e)),
            Ok(Ok(None)) => return Ok(buf),
            Ok(Ok(Some(c))) => {
                if buf.len() + c.len() > limit {
                    return Err(too_large(limit as u64).field("metadata"));
                }
                buf.extend_from_slice(&c);
            }
        }
    }
}

fn slow_client(idle: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "upload_stalled",
        format!(
            "the upload sent nothing for {} s and was aborted; nothing was stored",
            idle.as_secs()
        ),
        "Tải lên bị ngừng quá lâu nên đã bị huỷ; không có gì được lưu",
    )
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the upload is larger than the {limit} bytes allowed; nothing was stored"),
        "Tệp tải lên vượt quá dung lượng cho phép; không có gì được lưu",
    )
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the upload is too large: {}; nothing was stored",
                e.body_text()
            ),
            "Tệp tải lên vượt quá dung lượng cho phép; không có gì được lưu",
        );
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_multipart",
        format!(
            "the multipart body is malformed or truncated: {}; nothing was stored",
            e.body_text()
        ),
        "Dữ liệu tải lên bị lỗi hoặc không đầy đủ; không có gì được lưu",
    )
}

// ---------------------------------------------------------------- records

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// Records after this id (paging).
    after: Option<String>,
    /// Most records (default 50, at most 500).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/records", tag = "records", params(ListQuery), responses((status = 200, description = "Record ids with their latest version and time")))]
async fn list_records(
    caller: Caller,
    State(state): State<Shared>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Retrieve)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let after = q.after.as_deref().map(parse_id).transpose()?;
    let a = state.archive.read().await;
    let list: Vec<serde_json::Value> = a
        .catalog()
        .records
        .iter()
        .filter(|(id, _)| after.is_none_or(|x| **id > x))
        .take(limit)
        .map(|(id, e)| {
            serde_json::json!({
                "record_id": id.to_string(),
                "version": e.versions.last().map(|v| v.version),
                "versions": e.versions.len(),
            })
        })
        .collect();
    let next = if list.len() == limit {
        list.last().and_then(|v| v.get("record_id").cloned())
    } else {
        None
    };
    Ok(Json(
        serde_json::json!({ "records": list, "next_after": next }),
    ))
}

#[derive(Deserialize, IntoParams)]
struct VersionQuery {
    /// Manifest version (default: latest).
    version: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records", params(("id" = String, Path), VersionQuery),
    responses((status = 200, description = "The record's manifest: metadata, files with hashes, signature verdicts"), (status = 404, body = ErrorBody)))]
async fn get_record(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Retrieve)?;
    let id = parse_id(&id)?;
    let (manifest, versions, destroyed) = {
        let a = state.archive.read().await;
        let m = a.manifest(&id, q.version).await?;
        let n = a
            .catalog()
            .records
            .get(&id)
            .map(|e| e.versions.len())
            .unwrap_or(0);
        // The metadata of a destroyed record stays readable, with what happened.
        let destroyed = a.check_not_disposed(&id).err().map(|e| e.to_string());
        (m, n, destroyed)
    };
    state
        .record_access(vec![access_event(
            &caller,
            RECORD_VIEWED,
            id.to_string(),
            serde_json::json!({ "version": manifest.version }),
        )])
        .await?;
    let mut v = serde_json::to_value(&manifest).map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("versions".into(), versions.into());
        if let Some(d) = destroyed {
            o.insert("destroyed".into(), d.into());
        }
    }
    Ok(Json(v))
}

#[utoipa::path(get, path = "/api/v1/records/{id}/versions", tag = "records", params(("id" = String, Path)),
    responses((status = 200, description = "Every version, oldest first, with the field changes"), (status = 404, body = ErrorBody)))]
async fn record_versions(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Retrieve)?;
    let id = parse_id(&id)?;
    let history = state.archive.read().await.history(&id).await?;
    state
        .record_access(vec![access_event(
            &caller,
            RECORD_VIEWED,
            id.to_string(),
            serde_json::json!({ "versions": true }),
        )])
        .await?;
    let mut out = Vec::new();
    let mut prev: Option<&serde_json::Value> = None;
    for m in &history {
        let changes = prev
            .map(|p| archive_core::archive::metadata_diff(p, &m.metadata))
            .unwrap_or_default();
        out.push(serde_json::json!({
            "version": m.version,
            "created_at": m.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "actor": m.actor,
            "changes": changes,
            "metadata": m.metadata,
        }));
        prev = Some(&m.metadata);
    }
    Ok(Json(
        serde_json::json!({ "record_id": id.to_string(), "versions": out }),
    ))
}

/// A metadata correction.
#[derive(Deserialize, ToSchema)]
pub struct EditRequest {
    /// JSON merge patch (RFC 7396) of the metadata.
    #[schema(value_type = Object)]
    metadata: serde_json::Value,
    /// Why (kept in the journal).
    reason: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/records/{id}", tag = "records", params(("id" = String, Path)), request_body = EditRequest,
    responses((status = 200, description = "New version with the field-level changes"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_record(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<EditRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Edit)?;
    let id = parse_id(&id)?;
    let Json(body) = body.map_err(|e| ApiError::bad_request("bad_json", e.body_text()))?;
    if !body.metadata.is_object() {
        return Err(ApiError::bad_request(
            "patch_not_object",
            "metadata must be a JSON object (a merge patch)",
        )
        .field("metadata"));
    }
    let receipt = state
        .act(&caller.name, async |a| {
            a.update_metadata(&id, &body.metadata, body.reason.as_deref())
                .await
        })
        .await?;
    state.index_wake.notify_one();
    Ok(Json(
        serde_json::to_value(&receipt).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

// ---------------------------------------------------------------- download

/// `bytes=a-b` of a file of `size` bytes → the inclusive range, `Ok(None)` for
/// the whole file (no header, or several ranges), `Err` when unsatisfiable.
pub fn parse_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(h) = header else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 || size == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size - 1)
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end: u64 = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1))
        };
        if start >= size || end < start {
            return Err(());
        }
        (start, end)
    };
    Ok(Some(range))
}

/// `Content-Disposition` keeping a Vietnamese file name (RFC 6266 / 5987).
pub fn content_disposition(filename: &str) -> String {
    let ascii = ascii_fallback(filename);
    let encoded = percent_encoding::utf8_percent_encode(filename, ATTR_CHAR).to_string();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The file name without diacritics, for clients that ignore `filename*`.
fn ascii_fallback(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            '"' | '\\' => '_',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '_',
        })
        .collect()
}

/// RFC 5987 attr-char: everything else is percent-encoded.
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

#[utoipa::path(get, path = "/api/v1/records/{id}/files/{n}", tag = "records",
    params(("id" = String, Path), ("n" = usize, Path, description = "File number from 1"), ("Range" = Option<String>, Header), ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "The original bytes; ETag is the BLAKE3"), (status = 206, description = "Part of the file"), (status = 304, description = "Not modified"), (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)))]
async fn download(
    caller: Caller,
    State(state): State<Shared>,
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve_file(caller, state, id, n, headers, Method::GET).await
}

#[utoipa::path(head, path = "/api/v1/records/{id}/files/{n}", tag = "records",
    params(("id" = String, Path), ("n" = usize, Path)),
    responses((status = 200, description = "Headers of the download, no body"), (status = 404, body = ErrorBody)))]
async fn head_download(
    caller: Caller,
    State(state): State<Shared>,
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve_file(caller, state, id, n, headers, Method::HEAD).await
}

async fn serve_file(
    caller: Caller,
    state: Shared,
    id: String,
    n: String,
    headers: HeaderMap,
    method: Method,
) -> ApiResult<Response> {
    caller.require(Permission::Download)?;
    let id = parse_id(&id)?;
    let n: usize = n.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::bad_request(
            "bad_file_number",
            format!("file number {n:?} must be 1 or more"),
        )
    })?;
    let manifest = {
        let a = state.archive.read().await;
        // A destroyed record's files are gone: say so, with the decision.
        a.check_not_disposed(&id)?;
        a.manifest(&id, None).await?
    };
    let entry = manifest.files.get(n - 1).cloned().ok_or_else(|| {
        ApiError::not_found(
            "unknown_file",
            format!(
                "record {id} has {} file(s); there is no file {n}",
                manifest.files.len()
            ),
        )
    })?;
    let etag = format!("\"{}\"", entry.blake3.to_hex());
    let mut h = HeaderMap::new();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(&mut h, header::ETAG, &etag);
    set(&mut h, header::ACCEPT_RANGES, "bytes");
    set(&mut h, header::CONTENT_TYPE, &entry.media_type);
    set(
        &mut h,
        header::CONTENT_DISPOSITION,
        &content_disposition(&entry.filename),
    );
    set(&mut h, header::CACHE_CONTROL, "private, no-transform");
    set(
        &mut h,
        header::HeaderName::from_static("x-content-type-options"),
        "nosniff",
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    // A Range with If-Range that does not match sends the whole file.
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let range = match parse_range(range_header.filter(|_| if_range_ok), entry.size) {
        Ok(r) => r,
        Err(()) => {
            set(
                &mut h,
                header::CONTENT_RANGE,
                &format!("bytes */{}", entry.size),
            );
            let mut e = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!(
                    "range {:?} is outside the file of {} bytes",
                    range_header.unwrap_or(""),
                    entry.size
                ),
                "Đoạn yêu cầu nằm ngoài tệp",
            )
            .into_response();
            e.headers_mut().extend(h);
            return Ok(e);
        }
    };
    let (status, start, len) = match range {
        Some((a, b)) => {
            set(
                &mut h,
                header::CONTENT_RANGE,
                &format!("bytes {a}-{b}/{}", entry.size),
            );
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
        None => (StatusCode::OK, 0, entry.size),
    };
    set(&mut h, header::CONTENT_LENGTH, &len.to_string());
    if method == Method::HEAD {
        return Ok((status, h).into_response());
    }
    state
        .record_access(vec![access_event(
            &caller,
            FILE_DOWNLOADED,
            id.to_string(),
            serde_json::json!({ "file": n, "filename": entry.filename, "blake3": entry.blake3.to_hex(), "range": range.map(|(a, b)| format!("{a}-{b}")) }),
        )])
        .await?;
    let stream = {
        let a = state.archive.read().await;
        blob::open(a.store(), &entry.blake3, entry.encoding).await?
    };
    state
        .metrics
        .download_bytes
        .fetch_add(len, Ordering::Relaxed);
    let body = Body::from_stream(slice_stream(stream, start, len));
    Ok((status, h, body).into_response())
}

/// The bytes `[start, start + len)` of a chunk stream.
fn slice_stream(
    stream: blob::ChunkStream,
    start: u64,
    len: u64,
) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let mut pos = 0u64;
    let end = start + len;
    stream
        .take_while(move |_| {
            let more = pos < end;
            futures::future::ready(more)
        })
        .filter_map(move |chunk| {
            let out = match chunk {
                Err(e) => Some(Err(e)),
                Ok(c) => {
                    let (a, b) = (pos, pos + c.len() as u64);
                    pos = b;
                    let lo = start.max(a);
                    let hi = end.min(b);
                    if lo >= hi {
                        None
                    } else {
                        Some(Ok(c.slice((lo - a) as usize..(hi - a) as usize)))
                    }
                }
            };
            futures::future::ready(out)
        })
}

// ---------------------------------------------------------------- search

#[derive(Deserialize, IntoParams, Default)]
pub(crate) struct SearchQuery {
    /// Words with or without diacritics, "quoted phrases", document numbers.
    #[serde(default)]
    pub q: String,
    /// Issued on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Issued on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Document type.
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    /// Issuing agency (words of its name or its code).
    pub agency: Option<String>,
    /// Dossier reference.
    pub dossier: Option<String>,
    /// Urgency.
    pub urgency: Option<String>,
    /// incoming, outgoing or internal.
    pub kind: Option<String>,
    /// `relevance` (default) or `date`.
    pub sort: Option<String>,
    /// Page from 1.
    pub page: Option<usize>,
    /// Results per page (default 10, at most 100).
    pub per_page: Option<usize>,
}

/// Search results.
#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    /// Matching records in all; when `total_exact` is false, more than this.
    total: usize,
    /// Whether `total` is exact (matches are counted exactly up to 10,000).
    total_exact: bool,
    /// Page from 1.
    page: usize,
    /// Results per page.
    per_page: usize,
    /// This page's results with snippets (`snippet.highlights` are byte ranges of `snippet.text`).
    #[schema(value_type = Vec<Object>)]
    hits: serde_json::Value,
    /// Counts by type, year and agency.
    #[schema(value_type = Object)]
    facets: serde_json::Value,
    /// How the query was understood.
    #[schema(value_type = Object)]
    query: serde_json::Value,
    /// Remarks on the query.
    notes: Vec<String>,
}

/// A `YYYY-MM-DD` query parameter.
pub(crate) fn day(name: &str, v: &Option<String>) -> ApiResult<Option<time::Date>> {
    match opt(v) {
        None => Ok(None),
        Some(v) => indexer::parse_date(&v)
            .filter(|_| v.len() == 10)
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "bad_date",
                    format!("{name} must be a date as YYYY-MM-DD, not {v:?}"),
                )
                .field(name)
            }),
    }
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Runs a search for the API and the web UI, recording the access.
pub(crate) async fn run_search(
    state: &Shared,
    caller: &Caller,
    q: &SearchQuery,
) -> ApiResult<(indexer::SearchResults, usize, usize)> {
    caller.require(Permission::Search)?;
    let per_page = q.per_page.unwrap_or(10).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    let want = page.saturating_mul(per_page);
    if want > indexer::query::MAX_WINDOW {
        return Err(ApiError::bad_request(
            "page_too_deep",
            format!(
                "at most {} results can be paged through: narrow the query",
                indexer::query::MAX_WINDOW
            ),
        )
        .field("page"));
    }
    let request = indexer::SearchRequest {
        text: q.q.clone(),
        filters: indexer::Filters {
            from: day("from", &q.from)?,
            to: day("to", &q.to)?,
            doc_type: opt(&q.doc_type),
            agency: opt(&q.agency),
            dossier: opt(&q.dossier),
            urgency: opt(&q.urgency),
            kind: opt(&q.kind),
        },
        sort: match q.sort.as_deref() {
            Some("date") => indexer::SortOrder::Date,
            None | Some("") | Some("relevance") => indexer::SortOrder::Relevance,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "bad_sort",
                    format!("sort must be relevance or date, not {other:?}"),
                )
                .field("sort"));
            }
        },
        limit: per_page,
        offset: want - per_page,
        snippets: true,
        facets: true,
    };
    let st = state.clone();
    let results = tokio::task::spawn_blocking(move || {
        let guard = st.index.blocking_read();
        match guard.as_ref() {
            Some(b) => indexer::SearchBackend::search(b, &request),
            None => Err(indexer::IndexError::Missing(st.index_dir.clone())),
        }
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    state
        .record_access(vec![access_event(
            caller,
            SEARCH_RUN,
            "search".into(),
            serde_json::json!({ "q": q.q, "filters": { "from": q.from, "to": q.to, "type": q.doc_type, "agency": q.agency, "dossier": q.dossier, "urgency": q.urgency, "kind": q.kind }, "total": results.total }),
        )])
        .await?;
    state.metrics.searches.fetch_add(1, Ordering::Relaxed);
    Ok((results, page, per_page))
}

#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn search(
    caller: Caller,
    State(state): State<Shared>,
    q: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<SearchResponse>> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let (r, page, per_page) = run_search(&state, &caller, &q).await?;
    Ok(Json(SearchResponse {
        total: r.total,
        total_exact: r.total_exact,
        page,
        per_page,
        hits: serde_json::to_value(&r.hits).unwrap_or_default(),
        facets: serde_json::to_value(&r.facets).unwrap_or_default(),
        query: serde_json::to_value(&r.query).unwrap_or_default(),
        notes: r.notes,
    }))
}

// ---------------------------------------------------------------- integrity

/// One file re-hashed.
#[derive(Serialize, ToSchema)]
pub struct FileCheck {
    /// File number from 1.
    file: usize,
    /// File name.
    filename: String,
    /// BLAKE3 recorded at deposit.
    expected: String,
    /// BLAKE3 of the stored bytes now.
    actual: Option<String>,
    /// Whether they agree.
    intact: bool,
    /// What went wrong.
    problem: Option<String>,
}

/// Result of verifying a record.
#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    /// Record id.
    record_id: String,
    /// Every file intact and the manifest matches the journal.
    intact: bool,
    /// Per file.
    files: Vec<FileCheck>,
}

#[utoipa::path(post, path = "/api/v1/records/{id}/verify", tag = "integrity", params(("id" = String, Path)),
    responses((status = 200, body = VerifyResponse), (status = 404, body = ErrorBody)))]
async fn verify_record(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Json<VerifyResponse>> {
    caller.require(Permission::Verify)?;
    let id = parse_id(&id)?;
    let (manifest, store) = {
        let a = state.archive.read().await;
        (a.manifest(&id, None).await, a.store().clone())
    };
    let manifest = match manifest {
        Ok(m) => m,
        Err(e @ archive_core::ArchiveError::Damaged { .. }) => {
            state
                .append(vec![Event::new(
                    &caller.name,
                    "fixity.checked",
                    id.to_string(),
                    Outcome::Failure,
                    serde_json::json!({ "problem": e.to_string() }),
                )])
                .await?;
            return Ok(Json(VerifyResponse {
                record_id: id.to_string(),
                intact: false,
                files: Vec::new(),
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let mut files = Vec::new();
    let mut events = Vec::new();
    for (i, f) in manifest.files.iter().enumerate() {
        let check = blob::check(&store, &f.blake3, f.encoding).await;
        let (actual, problem) = match check {
            Ok(c) => (
                c.actual.map(|h| h.to_hex()),
                c.error.or_else(|| {
                    (c.actual != Some(f.blake3))
                        .then(|| "content does not hash to its recorded BLAKE3".to_string())
                }),
            ),
            Err(e) => (None, Some(e.to_string())),
        };
        let intact = problem.is_none();
        events.push(Event::new(
            &caller.name,
            "fixity.checked",
            f.blake3.to_hex(),
            if intact { Outcome::Success } else { Outcome::Failure },
            serde_json::json!({ "record": id.to_string(), "on_demand": true, "size": f.size, "problem": problem }),
        ));
        files.push(FileCheck {
            file: i + 1,
            filename: f.filename.clone(),
            expected: f.blake3.to_hex(),
            actual,
            intact,
            problem,
        });
    }
    state.append(events).await?;
    Ok(Json(VerifyResponse {
        record_id: id.to_string(),
        intact: files.iter().all(|f| f.intact),
        files,
    }))
}

async fn events_of(
    state: &Shared,
    objects: &[String],
    kinds: Option<&[&str]>,
) -> ApiResult<Vec<(u64, Event)>> {
    let mut seqs: Vec<u64> = objects.iter().flat_map(|o| state.batches_of(o)).collect();
    seqs.sort_unstable();
    seqs.dedup();
    let store = state.archive.read().await.store().clone();
    let mut out = Vec::new();
    for seq in seqs {
        let bytes = store.get(&layout::journal_batch(seq)).await?;
        let batch: Batch = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::internal(format!("journal batch {seq}: {e}")))?;
        for e in batch.events {
            if objects.contains(&e.object) && kinds.is_none_or(|k| k.contains(&e.kind.as_str())) {
                out.push((seq, e));
            }
        }
    }
    Ok(out)
}

/// Fixity history events of a record's blobs.
pub(crate) async fn fixity_of(state: &Shared, id: &RecordId) -> ApiResult<Vec<serde_json::Value>> {
    let manifest = state.archive.read().await.manifest(id, None).await?;
    let mut objects: Vec<String> = manifest.files.iter().map(|f| f.blake3.to_hex()).collect();
    objects.push(id.to_string());
    let events = events_of(state, &objects, Some(&["fixity.checked"])).await?;
    Ok(events
        .into_iter()
        .map(|(seq, e)| serde_json::json!({ "seq": seq, "time": e.time.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(), "actor": e.actor, "object": e.object, "outcome": e.outcome, "detail": e.detail }))
        .collect())
}

#[utoipa::path(get, path = "/api/v1/records/{id}/fixity", tag = "integrity", params(("id" = String, Path)),
    responses((status = 200, description = "Every fixity check of the record's files, oldest first"), (status = 404, body = ErrorBody)))]
async fn fixity_history(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    if !(caller.role.allows(Permission::Verify) || caller.role.allows(Permission::Retrieve)) {
        caller.require(Permission::Verify)?;
    }
    let id = parse_id(&id)?;
    let list = fixity_of(&state, &id).await?;
    Ok(Json(
        serde_json::json!({ "record_id": id.to_string(), "checks": list }),
    ))
}

#[utoipa::path(get, path = "/api/v1/records/{id}/events", tag = "integrity", params(("id" = String, Path)),
    responses((status = 200, description = "Every journal event about the record (deposit, versions, signatures, access)"), (status = 404, body = ErrorBody)))]
async fn record_events(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Journal)?;
    let id = parse_id(&id)?;
    if !state
        .archive
        .read()
        .await
        .catalog()
        .records
        .contains_key(&id)
    {
        return Err(archive_core::ArchiveError::UnknownRecord(id.to_string()).into());
    }
    let events = events_of(&state, &[id.to_string()], None).await?;
    let list: Vec<_> = events
        .into_iter()
        .map(|(seq, e)| serde_json::json!({ "seq": seq, "event": e }))
        .collect();
    Ok(Json(
        serde_json::json!({ "record_id": id.to_string(), "events": list }),
    ))
}

#[derive(Deserialize, IntoParams)]
struct JournalQuery {
    /// Batches after this sequence number (default 0).
    after: Option<u64>,
    /// Most batches (default 100, at most 1000).
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/journal", tag = "integrity", params(JournalQuery),
    responses((status = 200, description = "Journal batches in order with their events; `next_after` pages on"), (status = 403, body = ErrorBody)))]
async fn journal(
    caller: Caller,
    State(state): State<Shared>,
    Query(q): Query<JournalQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Journal)?;
    let (store, head) = {
        let a = state.archive.read().await;
        (a.store().clone(), a.journal_head())
    };
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let mut batches = Vec::new();
    let mut seq = after + 1;
    while seq <= head && (batches.len() as u64) < limit {
        let bytes = store.get(&layout::journal_batch(seq)).await?;
        let b: Batch = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::internal(format!("journal batch {seq}: {e}")))?;
        batches.push(serde_json::json!({ "seq": seq, "blake3": archive_core::hash::BlobHash::of(&bytes).to_hex(), "prev": b.prev.map(|p| p.to_hex()), "events": b.events }));
        seq += 1;
    }
    let next = (seq <= head).then_some(seq - 1);
    Ok(Json(
        serde_json::json!({ "head": head, "batches": batches, "next_after": next }),
    ))
}

#[utoipa::path(get, path = "/api/v1/checkpoints", tag = "integrity",
    responses((status = 200, description = "Merkle checkpoints of the journal"), (status = 403, body = ErrorBody)))]
async fn checkpoints(
    caller: Caller,
    State(state): State<Shared>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Journal)?;
    let store = state.archive.read().await.store().clone();
    let listed = store.list(layout::CHECKPOINTS).await?;
    let mut out = Vec::new();
    for m in listed.iter().rev().take(100) {
        if let Ok(bytes) = store.get(&m.location).await
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        {
            out.push(v);
        }
    }
    Ok(Json(serde_json::json!({ "checkpoints": out })))
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "service", responses((status = 200, body = Vec<JobStatus>)))]
async fn jobs(_caller: Caller, State(state): State<Shared>) -> Json<Vec<JobStatus>> {
    let jobs = state.jobs.lock().unwrap_or_else(|p| p.into_inner());
    Json(jobs.values().cloned().collect())
}

// ---------------------------------------------------------------- accounts

/// A new account.
#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    /// Login name.
    name: String,
    /// archivist, officer, auditor, backup or admin.
    role: String,
    /// Full name of the person.
    #[serde(default)]
    full_name: String,
    /// Token lifetime in days.
    expires_in_days: Option<i64>,
}

/// A token request.
#[derive(Deserialize, ToSchema, Default)]
pub struct TokenRequest {
    /// Token lifetime in days.
    expires_in_days: Option<i64>,
}

/// Disabling an account.
#[derive(Deserialize, ToSchema, Default)]
pub struct DisableRequest {
    /// Why.
    #[serde(default)]
    reason: String,
}

/// A token shown once.
#[derive(Serialize, ToSchema)]
pub struct IssuedTokenBody {
    /// Account.
    account: String,
    /// Token id.
    id: String,
    /// The token: shown now, never again.
    token: String,
}

fn expiry(days: Option<i64>) -> ApiResult<Option<time::OffsetDateTime>> {
    match days {
        Some(d) if !(1..=3650).contains(&d) => Err(ApiError::bad_request(
            "bad_expiry",
            "expires_in_days must be between 1 and 3650",
        )
        .field("expires_in_days")),
        Some(d) => Ok(Some(
            time::OffsetDateTime::now_utc() + time::Duration::days(d),
        )),
        None => Ok(None),
    }
}

#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", responses((status = 200, description = "Accounts and their token ids"), (status = 403, body = ErrorBody)))]
async fn list_users(
    caller: Caller,
    State(state): State<Shared>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Users)?;
    let list: Vec<_> = state.accounts().list().cloned().collect();
    Ok(Json(serde_json::json!({ "users": list })))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUser,
    responses((status = 201, body = IssuedTokenBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_user(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<NewUser>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<IssuedTokenBody>)> {
    caller.require(Permission::Users)?;
    let Json(u) = body.map_err(|e| ApiError::bad_request("bad_json", e.body_text()))?;
    let role = Role::parse(&u.role).ok_or_else(|| {
        ApiError::bad_request(
            "bad_role",
            format!(
                "unknown role {:?}: archivist, officer, auditor, backup or admin",
                u.role
            ),
        )
        .field("role")
    })?;
    let accounts = state.accounts();
    if accounts.get(&u.name).is_some() {
        return Err(ApiError::conflict(
            "account_exists",
            format!("account {:?} already exists", u.name),
        ));
    }
    let (events, t) = accounts
        .create_events(
            &caller.name,
            &u.name,
            &u.full_name,
            role,
            None,
            expiry(u.expires_in_days)?,
        )
        .map_err(|m| ApiError::bad_request("bad_account", m).field("name"))?;
    state.append(events).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenBody {
            account: t.account,
            id: t.id,
            token: t.token,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{name}/disable", tag = "accounts", params(("name" = String, Path)), request_body = DisableRequest,
    responses((status = 200, description = "Disabled"), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn disable_user(
    caller: Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
    body: Option<Json<DisableRequest>>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Users)?;
    let reason = body.map(|b| b.0.reason).unwrap_or_default();
    if state.account(&name).is_none() {
        return Err(ApiError::not_found(
            "unknown_account",
            format!("no account {name:?}"),
        ));
    }
    if name == caller.name {
        return Err(ApiError::conflict(
            "self_disable",
            "an admin cannot disable their own account: ask another admin",
        ));
    }
    let events = state
        .accounts()
        .disable_events(&caller.name, &name, &reason)
        .map_err(|m| ApiError::conflict("already_disabled", m))?;
    state.append(events).await?;
    Ok(Json(
        serde_json::json!({ "account": name, "disabled": true }),
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{name}/tokens", tag = "accounts", params(("name" = String, Path)), request_body = TokenRequest,
    responses((status = 201, body = IssuedTokenBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn issue_token(
    caller: Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
    body: Option<Json<TokenRequest>>,
) -> ApiResult<(StatusCode, Json<IssuedTokenBody>)> {
    caller.require(Permission::Users)?;
    let days = body.and_then(|b| b.0.expires_in_days);
    if state.account(&name).is_none() {
        return Err(ApiError::not_found(
            "unknown_account",
            format!("no account {name:?}"),
        ));
    }
    let (events, t) = state
        .accounts()
        .token_events(&caller.name, &name, expiry(days)?)
        .map_err(|m| ApiError::conflict("account_disabled", m))?;
    state.append(events).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenBody {
            account: t.account,
            id: t.id,
            token: t.token,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, description = "Revoked"), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn revoke_token(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Users)?;
    let events = state
        .accounts()
        .revoke_events(&caller.name, &id)
        .map_err(|m| ApiError::not_found("unknown_token", m))?;
    state.append(events).await?;
    Ok(Json(serde_json::json!({ "token_id": id, "revoked": true })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Ok(Some((0, 3))));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(parse_range(Some("bytes=-4"), 10), Ok(Some((6, 9))));
        assert_eq!(parse_range(Some("bytes=8-100"), 10), Ok(Some((8, 9))));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=5-2"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=x-2"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=-0"), 10), Err(()));
    }

    #[test]
    fn content_disposition_keeps_the_vietnamese_name_and_an_ascii_fallback() {
        let h = content_disposition("Quyết định số 05.pdf");
        assert!(
            h.starts_with("attachment; filename=\"Quyet dinh so 05.pdf\""),
            "{h}"
        );
        assert!(
            h.contains("filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%20s%E1%BB%91%2005.pdf"),
            "{h}"
        );
    }

    #[test]
    fn client_file_names_lose_their_directories() {
        assert_eq!(
            clean_filename("../../etc/passwd").ok().as_deref(),
            Some("passwd")
        );
        assert_eq!(
            clean_filename("C:\\Users\\a\\qd.pdf").ok().as_deref(),
            Some("qd.pdf")
        );
        assert!(clean_filename("../").is_err());
        assert!(clean_filename("a\u{0}b.pdf").is_err());
        assert!(clean_filename("").is_err());
    }
}

// ---------------------------------------------------------------- records management

#[utoipa::path(get, path = "/api/v1/dossiers", tag = "records",
    responses((status = 200, description = "Dossiers (hồ sơ) with their records, retention and state"), (status = 403, body = ErrorBody)))]
async fn dossiers(
    caller: Caller,
    State(state): State<Shared>,
) -> ApiResult<Json<serde_json::Value>> {
    if !caller.role.allows(Permission::Dossiers) {
        caller.require(Permission::Retrieve)?;
    }
    let a = state.archive.read().await;
    let list: Vec<_> = a.dossiers().iter().cloned().collect();
    Ok(Json(serde_json::json!({ "dossiers": list })))
}

#[utoipa::path(get, path = "/api/v1/holds", tag = "records",
    responses((status = 200, description = "Legal holds, active and released"), (status = 403, body = ErrorBody)))]
async fn holds(caller: Caller, State(state): State<Shared>) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Holds)?;
    let a = state.archive.read().await;
    let list: Vec<_> = a.retention_book().holds().cloned().collect();
    Ok(Json(serde_json::json!({ "holds": list })))
}

#[utoipa::path(get, path = "/api/v1/dispositions", tag = "records",
    responses((status = 200, description = "Dispositions and their state (proposed, appraised, approved, executed, rejected)"), (status = 403, body = ErrorBody)))]
async fn dispositions(
    caller: Caller,
    State(state): State<Shared>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Approve)?;
    let a = state.archive.read().await;
    let list: Vec<_> = a.retention_book().dispositions().cloned().collect();
    Ok(Json(serde_json::json!({ "dispositions": list })))
}

#[derive(Deserialize, IntoParams)]
struct ReportQuery {
    /// First day counted (YYYY-MM-DD).
    from: Option<String>,
    /// Last day counted (YYYY-MM-DD).
    to: Option<String>,
    /// `agency` (default), `type` or `month`.
    by: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/report", tag = "records", params(ReportQuery),
    responses((status = 200, description = "Documents sent and received, with and without valid signatures, per group"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn report(
    caller: Caller,
    State(state): State<Shared>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Report)?;
    let by = match q.by.as_deref() {
        None | Some("agency") => archive_core::report::GroupBy::Agency,
        Some("type") => archive_core::report::GroupBy::Type,
        Some("month") => archive_core::report::GroupBy::Month,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_grouping",
                format!("by must be agency, type or month, not {other:?}"),
            )
            .field("by"));
        }
    };
    let (from, to) = (day("from", &q.from)?, day("to", &q.to)?);
    let a = state.archive.read().await;
    let r = archive_core::report::statistics(&a, from, to, by).await?;
    Ok(Json(
        serde_json::to_value(&r).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

#[utoipa::path(get, path = "/api/v1/backup/runs", tag = "integrity",
    responses((status = 200, description = "Backup runs and verifications recorded in the journal"), (status = 403, body = ErrorBody)))]
async fn backup_runs(
    caller: Caller,
    State(state): State<Shared>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Backup)?;
    let mut objects = state.backup_targets.clone();
    objects.push(state.archive.read().await.descriptor().store_id.to_string());
    let kinds = [
        "backup.run",
        "backup.verify",
        "store.restored",
        "repair.run",
    ];
    let mut events = events_of(&state, &objects, Some(&kinds)).await?;
    events.retain(|(_, e)| kinds.contains(&e.kind.as_str()));
    let list: Vec<_> = events
        .into_iter()
        .map(|(seq, e)| serde_json::json!({ "seq": seq, "event": e }))
        .collect();
    Ok(Json(serde_json::json!({ "runs": list })))
}

#[utoipa::path(post, path = "/api/v1/jobs/{name}/run", tag = "service", params(("name" = String, Path, description = "`scrub`, `index` or `backup` (copy to every target, then verify a sample)")),
    responses((status = 202, description = "Started"), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn run_job(
    caller: Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    caller.require(Permission::Jobs)?;
    match name.as_str() {
        "index" => state.index_wake.notify_one(),
        "scrub" => {
            let st = state.clone();
            tokio::spawn(async move {
                if let Err(e) = super::jobs::scrub_slice(&st, Duration::from_secs(3600), 50.0).await
                {
                    tracing::warn!("scrub run by hand failed: {e}");
                }
            });
        }
        "backup" => {
            let targets = super::backup_job::select(&state, None)?;
            let st = state.clone();
            let actor = caller.name.clone();
            tokio::spawn(async move {
                let plan = super::backup_job::Plan {
                    copy: true,
                    verify: Some(archive_core::backup::VerifyMode::Sample),
                    limit_bytes_per_sec: None,
                };
                if let Err(e) = super::backup_job::execute(&st, &actor, targets, plan).await {
                    tracing::warn!("backup run by hand failed: {}", e.body.message);
                }
            });
        }
        other => {
            return Err(ApiError::not_found(
                "unknown_job",
                format!("no job {other:?}: scrub, index or backup"),
            ));
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "job": name, "started": true })),
    ))
}

/// A legal hold to place: exactly one of `dossier`, `record`, `query`.
#[derive(Deserialize, ToSchema)]
pub struct NewHold {
    /// Dossier code.
    dossier: Option<String>,
    /// Record id.
    record: Option<String>,
    /// Search query: every matching record is held.
    query: Option<String>,
    /// Why.
    reason: String,
    /// Who ordered it (court, inspectorate, agency head…).
    authority: String,
}

/// Releasing a hold.
#[derive(Deserialize, ToSchema)]
pub struct ReleaseHold {
    /// Why.
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/holds", tag = "records", request_body = NewHold,
    responses((status = 201, description = "The hold placed"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn place_hold(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<NewHold>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    caller.require(Permission::Holds)?;
    let Json(h) = body.map_err(|e| ApiError::bad_request("bad_json", e.body_text()))?;
    use retention_rules::HoldScope;
    let scope = match (opt(&h.dossier), opt(&h.record), opt(&h.query)) {
        (Some(d), None, None) => HoldScope::Dossier(retention_rules::DossierId::new(d)),
        (None, Some(r), None) => HoldScope::Record(retention_rules::RecordId::new(r)),
        (None, None, Some(q)) => HoldScope::Query(q),
        _ => {
            return Err(ApiError::bad_request(
                "bad_hold_scope",
                "name exactly one of dossier, record or query",
            ));
        }
    };
    let hold = state
        .act(&caller.name, async |a| {
            a.place_hold(scope, &h.reason, &h.authority).await
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(&hold).map_err(|e| ApiError::internal(e.to_string()))?),
    ))
}

#[utoipa::path(post, path = "/api/v1/holds/{id}/release", tag = "records", params(("id" = String, Path)), request_body = ReleaseHold,
    responses((status = 200, description = "The hold, released"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn release_hold(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<ReleaseHold>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Holds)?;
    let Json(r) = body.map_err(|e| ApiError::bad_request("bad_json", e.body_text()))?;
    let hold = state
        .act(&caller.name, async |a| a.release_hold(&id, &r.reason).await)
        .await?;
    Ok(Json(
        serde_json::to_value(&hold).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// Records to file in a dossier.
#[derive(Deserialize, ToSchema)]
pub struct FileRecords {
    /// Record ids.
    records: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/dossiers/{code}/records", tag = "records", params(("code" = String, Path)), request_body = FileRecords,
    responses((status = 200, description = "The dossier with its records"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn file_in_dossier(
    caller: Caller,
    State(state): State<Shared>,
    Path(code): Path<String>,
    body: Result<Json<FileRecords>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Dossiers)?;
    let Json(f) = body.map_err(|e| ApiError::bad_request("bad_json", e.body_text()))?;
    let ids = f
        .records
        .iter()
        .map(|r| parse_id(r))
        .collect::<ApiResult<Vec<_>>>()?;
    let entry = state
        .act(&caller.name, async |a| a.add_to_dossier(&code, &ids).await)
        .await?;
    Ok(Json(
        serde_json::to_value(&entry).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

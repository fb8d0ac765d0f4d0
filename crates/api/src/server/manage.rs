//! Records management over HTTP: dossiers (create, close), retention (assign,
//! what is due), disposition (propose, appraise, approve, reject, execute),
//! registers export, and backup runs and verifications. The logic is in
//! `archive_core`; these handlers check the role, parse, and record who acted.

use archive_core::backup::VerifyMode;
use archive_core::records::Dossier;
use archive_core::retention_rules::{Appraisal, Approval};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Shared;
use super::accounts::Permission;
use super::api::day;
use super::backup_job::{self, Plan};
use super::error::{ApiError, ApiResult, ErrorBody};
use super::state::Caller;
use crate::retention_cmd::IndexMatcher;

/// Routes of this module (the paths it shares with `api.rs` are routed there).
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(close_dossier))
        .routes(routes!(assign_retention))
        .routes(routes!(retention_due))
        .routes(routes!(disposition))
        .routes(routes!(appraise))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(execute))
        .routes(routes!(registers))
        .routes(routes!(backup_verify))
        .routes(routes!(backup_prune))
}

type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn body<T>(b: Body<T>) -> ApiResult<T> {
    b.map(|Json(v)| v)
        .map_err(|e| ApiError::bad_request("bad_json", e.body_text()))
}

fn json(v: &impl serde::Serialize) -> ApiResult<Json<serde_json::Value>> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn required_day(name: &str, v: &str) -> ApiResult<time::Date> {
    day(name, &Some(v.to_string()))?
        .ok_or_else(|| ApiError::bad_request("bad_date", format!("{name} is required")).field(name))
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

// ---------------------------------------------------------------- dossiers

/// A new, open dossier (hồ sơ).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDossier {
    /// Số và ký hiệu hồ sơ (at most 20 characters), unique in the archive.
    code: String,
    /// Tiêu đề hồ sơ.
    title: String,
    /// Mã phông.
    fonds: Option<String>,
    /// Retention rule code of the schedule (e.g. `10y`, `permanent`).
    retention: Option<String>,
    /// First day of the dossier's work (YYYY-MM-DD).
    start_date: Option<String>,
    /// Người lập hồ sơ.
    creator: Option<String>,
    /// Ghi chú.
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/dossiers", tag = "records", request_body = NewDossier,
    responses((status = 201, description = "The dossier, open"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn create_dossier(
    caller: Caller,
    State(state): State<Shared>,
    b: Body<NewDossier>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    caller.require(Permission::Dossiers)?;
    let n = body(b)?;
    let mut d = Dossier::new(n.code, n.title);
    d.fonds = n.fonds;
    d.retention = n.retention;
    d.creator = n.creator;
    d.note = n.note;
    d.start_date = day("start_date", &n.start_date)?;
    let entry = state
        .act(&caller.name, async |a| {
            a.create_dossier(d, &state.schedule).await
        })
        .await?;
    Ok((StatusCode::CREATED, json(&entry)?))
}

/// Closing a dossier.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseDossier {
    /// Day the work ended (YYYY-MM-DD); retention counts from the end of its year.
    end_date: String,
}

#[utoipa::path(post, path = "/api/v1/dossiers/{code}/close", tag = "records", params(("code" = String, Path)), request_body = CloseDossier,
    responses((status = 200, description = "The dossier, closed"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_dossier(
    caller: Caller,
    State(state): State<Shared>,
    Path(code): Path<String>,
    b: Body<CloseDossier>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Dossiers)?;
    let end = required_day("end_date", &body(b)?.end_date)?;
    let entry = state
        .act(&caller.name, async |a| a.close_dossier(&code, end).await)
        .await?;
    json(&entry)
}

// ---------------------------------------------------------------- retention

/// Assigning a retention rule to a dossier.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRetention {
    /// Rule code of the schedule (e.g. `10y`, `permanent`).
    rule: String,
    /// Why; required when it changes an assigned rule (an override, which may only lengthen).
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/dossiers/{code}/retention", tag = "records", params(("code" = String, Path)), request_body = AssignRetention,
    responses((status = 200, description = "The dossier with its rule and overrides"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn assign_retention(
    caller: Caller,
    State(state): State<Shared>,
    Path(code): Path<String>,
    b: Body<AssignRetention>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Dossiers)?;
    let r = body(b)?;
    let entry = state
        .act(&caller.name, async |a| {
            a.assign_retention(&code, &r.rule, r.reason.as_deref(), &state.schedule)
                .await
        })
        .await?;
    json(&entry)
}

#[derive(Deserialize, IntoParams)]
struct DueQuery {
    /// The day to decide for (YYYY-MM-DD, default today).
    as_of: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/retention/due", tag = "records", params(DueQuery),
    responses((status = 200, description = "Dossiers due for destruction, transfer or review, held ones with their holds"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn retention_due(
    caller: Caller,
    State(state): State<Shared>,
    Query(q): Query<DueQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    if !caller.role.allows(Permission::Approve) {
        caller.require(Permission::Dossiers)?;
    }
    let as_of = day("as_of", &q.as_of)?.unwrap_or_else(today);
    let a = state.archive.read().await;
    let due = a.list_due(&state.schedule, as_of)?;
    Ok(Json(
        serde_json::json!({ "as_of": as_of.to_string(), "due": json(&due)?.0 }),
    ))
}

// ---------------------------------------------------------------- disposition

/// Query holds decided with the server's index, brought up to the journal head
/// first; any query it cannot decide blocks (fail closed).
async fn hold_matcher(state: &Shared) -> IndexMatcher {
    let a = state.archive.read().await;
    let queries = IndexMatcher::hold_queries(&a);
    if queries.is_empty() {
        return IndexMatcher::default();
    }
    let mut idx = state.index.write().await;
    let Some(backend) = idx.as_mut() else {
        return IndexMatcher::default();
    };
    if indexer::catch_up_backend(&a, backend, &Default::default())
        .await
        .is_err()
    {
        return IndexMatcher::default();
    }
    use indexer::SearchBackend as _;
    let head = a.journal_head();
    match backend.position() {
        Ok(Some(p)) if p.journal_seq == head => {
            state.index_seq.send_replace(head);
            IndexMatcher::run_queries(backend, queries)
        }
        _ => IndexMatcher::default(),
    }
}

/// Proposing the destruction of dossiers.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Propose {
    /// Dossier codes: each closed, with a rule, due, not permanent and not held.
    dossiers: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/dispositions", tag = "records", request_body = Propose,
    responses((status = 201, description = "The proposed disposition"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn propose(
    caller: Caller,
    State(state): State<Shared>,
    b: Body<Propose>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    caller.require(Permission::Dossiers)?;
    let p = body(b)?;
    let matcher = hold_matcher(&state).await;
    let d = state
        .act(&caller.name, async |a| {
            a.propose_disposition(&p.dossiers, &state.schedule, &matcher)
                .await
        })
        .await?;
    Ok((StatusCode::CREATED, json(&d)?))
}

#[utoipa::path(get, path = "/api/v1/dispositions/{id}", tag = "records", params(("id" = String, Path)),
    responses((status = 200, description = "A disposition with its steps"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn disposition(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    if !caller.role.allows(Permission::Approve) {
        caller.require(Permission::Dossiers)?;
    }
    let a = state.archive.read().await;
    match a.retention_book().disposition(id.trim()) {
        Some(d) => json(d),
        None => Err(ApiError::not_found(
            "unknown_disposition",
            format!("no disposition {id:?}: GET /api/v1/dispositions lists them"),
        )),
    }
}

/// The appraisal council's review.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppraiseBody {
    /// Who records it (council chair or secretary).
    by: String,
    /// The council's remarks.
    note: Option<String>,
    /// Day of the appraisal (YYYY-MM-DD, default today).
    date: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/dispositions/{id}/appraise", tag = "records", params(("id" = String, Path)), request_body = AppraiseBody,
    responses((status = 200, description = "The disposition, appraised"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn appraise(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    b: Body<AppraiseBody>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Dossiers)?;
    let r = body(b)?;
    let appraisal = Appraisal {
        appraised_by: r.by,
        appraised_on: day("date", &r.date)?.unwrap_or_else(today),
        note: r.note,
    };
    let d = state
        .act(&caller.name, async |a| {
            a.appraise_disposition(&id, appraisal).await
        })
        .await?;
    json(&d)
}

/// The approving decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Number of the decision (e.g. `12/QĐ-UBND`).
    decision_number: String,
    /// Who approved.
    approver: String,
    /// Reference of the appraisal council's minutes.
    minutes: String,
    /// Day of the decision (YYYY-MM-DD).
    date: String,
}

#[utoipa::path(post, path = "/api/v1/dispositions/{id}/approve", tag = "records", params(("id" = String, Path)), request_body = ApproveBody,
    responses((status = 200, description = "The disposition, approved"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn approve(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    b: Body<ApproveBody>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Approve)?;
    let r = body(b)?;
    let approval = Approval {
        decision_number: r.decision_number,
        approver: r.approver,
        council_minutes: r.minutes,
        approved_on: required_day("date", &r.date)?,
    };
    let d = state
        .act(&caller.name, async |a| {
            a.approve_disposition(&id, approval).await
        })
        .await?;
    json(&d)
}

/// Rejecting a proposal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Why.
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/dispositions/{id}/reject", tag = "records", params(("id" = String, Path)), request_body = RejectBody,
    responses((status = 200, description = "The disposition, rejected"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    b: Body<RejectBody>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Approve)?;
    let r = body(b)?;
    let d = state
        .act(&caller.name, async |a| {
            a.reject_disposition(&id, &r.reason).await
        })
        .await?;
    json(&d)
}

#[utoipa::path(post, path = "/api/v1/dispositions/{id}/execute", tag = "records", params(("id" = String, Path)),
    responses((status = 200, description = "What the execution destroyed and kept"), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn execute(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Approve)?;
    let matcher = hold_matcher(&state).await;
    let rep = state
        .act(&caller.name, async |a| {
            a.execute_disposition(&id, &state.schedule, &matcher).await
        })
        .await?;
    // The text of destroyed files leaves the index now.
    state.index_wake.notify_one();
    json(&rep)
}

// ---------------------------------------------------------------- registers

#[derive(Deserialize, IntoParams)]
struct RegisterQuery {
    /// First day (YYYY-MM-DD).
    from: String,
    /// Last day, included (YYYY-MM-DD).
    to: String,
    /// `csv` (UTF-8, LF; the default) or `xlsx-csv` (UTF-8 with BOM and CRLF, which spreadsheet programs open with Vietnamese text intact).
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/registers/{kind}", tag = "records",
    params(("kind" = String, Path, description = "`outgoing` (sổ đăng ký văn bản đi) or `incoming` (văn bản đến)"), RegisterQuery),
    responses((status = 200, description = "The register for the period as CSV (NĐ 30/2020 Phụ lục IV columns)", content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn registers(
    caller: Caller,
    State(state): State<Shared>,
    Path(kind): Path<String>,
    Query(q): Query<RegisterQuery>,
) -> ApiResult<Response> {
    caller.require(Permission::Report)?;
    use archive_core::records::register::RegisterKind;
    let kind = match kind.as_str() {
        "outgoing" | "di" => RegisterKind::Outgoing,
        "incoming" | "den" => RegisterKind::Incoming,
        other => {
            return Err(ApiError::not_found(
                "unknown_register",
                format!("no register {other:?}: outgoing or incoming"),
            ));
        }
    };
    let spreadsheet = match q.format.as_deref() {
        None | Some("csv") => false,
        Some("xlsx-csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_format",
                format!("format must be csv or xlsx-csv, not {other:?}"),
            )
            .field("format"));
        }
    };
    let from = required_day("from", &q.from)?;
    let to = required_day("to", &q.to)?;
    let export = {
        let a = state.archive.read().await;
        archive_core::import::export_register(&a, kind, from, to, spreadsheet).await
    }?;
    let name = format!(
        "so-dang-ky-van-ban-{}-{from}-{to}.csv",
        match kind {
            RegisterKind::Outgoing => "di",
            RegisterKind::Incoming => "den",
        }
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-kho-rows"),
                export.rows.to_string(),
            ),
        ],
        export.text,
    )
        .into_response())
}

// ---------------------------------------------------------------- backup

/// A backup run or verification.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// Target name from kho.toml (default: every target).
    target: Option<String>,
    /// Verification mode: `full` (every blob re-hashed, the default) or `sample` (the rotation share).
    mode: Option<String>,
    /// Copy at most this many MB/s (runs only).
    limit_mb: Option<f64>,
}

fn mode(m: Option<&str>) -> ApiResult<VerifyMode> {
    match m {
        None | Some("full") => Ok(VerifyMode::Full),
        Some("sample") => Ok(VerifyMode::Sample),
        Some(other) => Err(ApiError::bad_request(
            "bad_mode",
            format!("mode must be full or sample, not {other:?}"),
        )
        .field("mode")),
    }
}

/// Runs the job in its own task: a client that goes away or times out does not
/// stop a backup half-way (though stopping would leave it consistent).
async fn run_detached(
    state: Shared,
    actor: String,
    targets: Vec<archive_core::backup::Target>,
    plan: Plan,
) -> ApiResult<Vec<backup_job::TargetOutcome>> {
    tokio::spawn(async move { backup_job::execute(&state, &actor, targets, plan).await })
        .await
        .map_err(|e| ApiError::internal(format!("the backup task failed: {e}")))?
}

fn outcome_response(
    outcomes: Vec<backup_job::TargetOutcome>,
) -> ApiResult<Json<serde_json::Value>> {
    let ok = outcomes.iter().all(|o| o.ok);
    Ok(Json(
        serde_json::json!({ "ok": ok, "targets": json(&outcomes)?.0 }),
    ))
}

#[utoipa::path(post, path = "/api/v1/backup/runs", tag = "integrity", request_body = BackupRequest,
    responses((status = 200, description = "Each target's run: objects copied, journal position, findings; `ok` is false when a target is damaged or unreachable"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn backup_run(
    caller: Caller,
    State(state): State<Shared>,
    b: Option<Json<BackupRequest>>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Backup)?;
    let r = b.map(|Json(r)| r).unwrap_or_default();
    let targets = backup_job::select(&state, r.target.as_deref())?;
    let plan = Plan {
        copy: true,
        verify: None,
        limit_bytes_per_sec: r.limit_mb.filter(|l| *l > 0.0).map(|l| (l * 1e6) as u64),
    };
    outcome_response(run_detached(state, caller.name, targets, plan).await?)
}

#[utoipa::path(post, path = "/api/v1/backup/verifications", tag = "integrity", request_body = BackupRequest,
    responses((status = 200, description = "Each target checked at its last run: completeness, blobs re-hashed against the primary, canaries detected; `ok` is false on any damage"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn backup_verify(
    caller: Caller,
    State(state): State<Shared>,
    b: Option<Json<BackupRequest>>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Backup)?;
    let r = b.map(|Json(r)| r).unwrap_or_default();
    let mode = mode(r.mode.as_deref())?;
    let targets = backup_job::select(&state, r.target.as_deref())?;
    let plan = Plan {
        copy: false,
        verify: Some(mode),
        limit_bytes_per_sec: None,
    };
    outcome_response(run_detached(state, caller.name, targets, plan).await?)
}

/// Pruning backup targets.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PruneRequest {
    /// Target name from kho.toml (default: every target).
    target: Option<String>,
    /// List what would be deleted, delete nothing.
    #[serde(default)]
    dry_run: bool,
}

#[utoipa::path(post, path = "/api/v1/backup/prunes", tag = "integrity", request_body = PruneRequest,
    responses((status = 200, description = "Per target: blobs the primary destroyed that were deleted, and those a legal hold keeps"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn backup_prune(
    caller: Caller,
    State(state): State<Shared>,
    b: Option<Json<PruneRequest>>,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Backup)?;
    let r = b.map(|Json(r)| r).unwrap_or_default();
    let targets = backup_job::select(&state, r.target.as_deref())?;
    let Ok(_running) = state.backup_running.try_lock() else {
        return Err(ApiError::conflict(
            "backup_running",
            "a backup or verification is running; prune when it has finished",
        ));
    };
    let (store, options) = {
        let a = state.archive.read().await;
        (a.store().clone(), a.options().clone())
    };
    let hold_ids = |a: &archive_core::archive::Archive| -> Vec<String> {
        let mut ids: Vec<String> = a
            .retention_book()
            .active_holds()
            .into_iter()
            .map(|h| h.id.to_string())
            .collect();
        ids.sort();
        ids
    };
    let mut reports = Vec::new();
    for t in &targets {
        // Planned on a read-only view, without holding the server's lock while
        // the target is listed; the holds are compared again when it is journaled.
        let view = archive_core::archive::Archive::open(store.clone(), options.clone()).await?;
        let rep = archive_core::backup::plan_prune(&view, t, r.dry_run).await?;
        let planned_under = hold_ids(&view);
        drop(view);
        if !r.dry_run && !rep.deleted.is_empty() {
            let event = archive_core::journal::Event::new(
                &caller.name,
                archive_core::backup::event_types::BACKUP_PRUNED,
                t.name.clone(),
                archive_core::journal::Outcome::Success,
                json(&rep)?.0,
            );
            state
                .act(&caller.name, async |a| {
                    if hold_ids(a) != planned_under {
                        return Err(archive_core::ArchiveError::DeletionRefused {
                            block: archive_core::DeletionBlock::Held,
                            message: "legal holds changed while the prune was planned; nothing was deleted: run it again".into(),
                        });
                    }
                    a.append_events(vec![event]).await
                })
                .await?;
            archive_core::backup::apply_prune(t, &rep).await?;
        }
        reports.push(rep);
    }
    Ok(Json(serde_json::json!({ "targets": json(&reports)?.0 })))
}

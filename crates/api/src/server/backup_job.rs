//! Backups inside `kho serve`: a scheduled job copies the store to every target
//! of `[backup.targets]` and then verifies a rotating sample of each copy by
//! re-hashing it against the primary; the backup role starts runs and
//! verifications through the API. Every run and verification is a journal event
//! (`backup.run`, `backup.verify`), as with `kho backup`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use archive_core::archive::Archive;
use archive_core::backup::{
    self, BackupRunRecord, RunOptions, Target, VerifyMode, VerifyOptions, event_types,
};
use serde::Serialize;

use super::Shared;
use super::error::{ApiError, ApiResult};

/// Name of the job in `/api/v1/jobs`.
pub const JOB: &str = "backup";

/// What to do.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Copy what the targets lack.
    pub copy: bool,
    /// Then verify the targets this way.
    pub verify: Option<VerifyMode>,
    /// Copy at most this many bytes per second.
    pub limit_bytes_per_sec: Option<u64>,
}

/// The outcome for one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetOutcome {
    /// Target name.
    pub target: String,
    /// The run's report (or its failure), when one was asked for.
    pub run: Option<serde_json::Value>,
    /// The verification's report (or its failure), when one was asked for.
    pub verify: Option<serde_json::Value>,
    /// Damage or failure found on this target.
    pub ok: bool,
}

/// The targets named (all configured ones for `None`).
pub fn select(state: &Shared, name: Option<&str>) -> ApiResult<Vec<Target>> {
    if state.targets.is_empty() {
        return Err(ApiError::unprocessable(
            "no_backup_targets",
            "no backup targets are configured: add [backup.targets.NAME] with url = \"...\" to kho.toml and restart kho serve",
        ));
    }
    match name {
        None => Ok(state.targets.clone()),
        Some(n) => state
            .targets
            .iter()
            .find(|t| t.name == n)
            .cloned()
            .map(|t| vec![t])
            .ok_or_else(|| {
                ApiError::not_found(
                    "unknown_backup_target",
                    format!(
                        "no backup target {n:?}; configured: {}",
                        state
                            .targets
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .field("target")
            }),
    }
}

/// Runs `plan` on `targets`, one backup job at a time; refuses with 409 when one
/// is running. Each target gets a fresh view of the primary, so each run is
/// consistent at the journal position it starts at while deposits continue.
pub async fn execute(
    state: &Shared,
    actor: &str,
    targets: Vec<Target>,
    plan: Plan,
) -> ApiResult<Vec<TargetOutcome>> {
    let Ok(_running) = state.backup_running.try_lock() else {
        return Err(ApiError::conflict(
            "backup_running",
            "a backup or verification is already running; its progress is at /api/v1/jobs",
        ));
    };
    state.job_update(JOB, |j| j.last_started = Some(super::state::now_rfc3339()));
    let (store, options) = {
        let a = state.archive.read().await;
        (a.store().clone(), a.options().clone())
    };
    let mut outcomes = Vec::new();
    let mut events = Vec::new();
    for t in &targets {
        if state.is_shutting_down() {
            break;
        }
        let mut out = TargetOutcome {
            target: t.name.clone(),
            run: None,
            verify: None,
            ok: true,
        };
        if plan.copy {
            let opts = RunOptions {
                limit_bytes_per_sec: plan.limit_bytes_per_sec,
                ..RunOptions::default()
            };
            let res = match Archive::open(store.clone(), options.clone()).await {
                Ok(primary) => backup::run(&primary, t, &opts, &|_, _| {}).await,
                Err(e) => Err(e),
            };
            match res {
                Ok(rep) => {
                    events.push(rep.record.event(actor, event_types::BACKUP_RUN));
                    out.ok &= rep.findings.is_empty();
                    out.run = serde_json::to_value(&rep).ok();
                }
                Err(e) => {
                    let rec = BackupRunRecord::failed("run", t, &e);
                    events.push(rec.event(actor, event_types::BACKUP_RUN));
                    out.ok = false;
                    out.run = Some(serde_json::json!({ "record": rec, "error": e.to_string() }));
                }
            }
        }
        if let Some(mode) = plan.verify {
            // After the run's event is in the journal, so the verification sees it.
            if !events.is_empty() {
                state.append(std::mem::take(&mut events)).await?;
            }
            let opts = VerifyOptions {
                mode,
                ..VerifyOptions::default()
            };
            let res = match Archive::open(store.clone(), options.clone()).await {
                Ok(primary) => backup::verify(&primary, t, &opts, &|_, _| {}).await,
                Err(e) => Err(e),
            };
            match res {
                Ok(rep) => {
                    events.push(rep.record.event(actor, event_types::BACKUP_VERIFY));
                    out.ok &= !rep.has_damage();
                    out.verify = serde_json::to_value(&rep).ok();
                }
                Err(e) => {
                    let mut rec = BackupRunRecord::failed("verify", t, &e);
                    rec.mode = Some(
                        match mode {
                            VerifyMode::Full => "full",
                            VerifyMode::Sample => "sample",
                        }
                        .into(),
                    );
                    events.push(rec.event(actor, event_types::BACKUP_VERIFY));
                    out.ok = false;
                    out.verify = Some(serde_json::json!({ "record": rec, "error": e.to_string() }));
                }
            }
        }
        outcomes.push(out);
    }
    if !events.is_empty() {
        state.append(events).await?;
    }
    let bad = outcomes.iter().filter(|o| !o.ok).count();
    state.metrics.backup_runs.fetch_add(1, Ordering::Relaxed);
    state.job_finished(
        JOB,
        if bad > 0 { "damage" } else { "ok" },
        format!(
            "{} target(s): {}",
            outcomes.len(),
            outcomes
                .iter()
                .map(|o| format!("{} {}", o.target, if o.ok { "ok" } else { "DAMAGE" }))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    Ok(outcomes)
}

/// Starts the scheduled backup: every `every`, copy to each target, then verify a
/// rotating sample so that every blob of every target is re-hashed within the
/// store's coverage period.
pub fn spawn(state: Shared, every: Duration, rate_mb: f64) {
    state.job_update(JOB, |j| {
        j.enabled = !every.is_zero() && !state.targets.is_empty();
        j.interval_seconds = every.as_secs();
    });
    if every.is_zero() || state.targets.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            if state.is_shutting_down() {
                return;
            }
            let plan = Plan {
                copy: true,
                verify: Some(VerifyMode::Sample),
                limit_bytes_per_sec: (rate_mb > 0.0).then_some((rate_mb * 1e6) as u64),
            };
            let targets = state.targets.clone();
            if let Err(e) = execute(&state, "system", targets, plan).await {
                tracing::warn!("scheduled backup: {}", e.body.message);
                if e.body.code != "backup_running" {
                    state.job_finished(JOB, "error", e.body.message.clone());
                }
            }
        }
    });
}

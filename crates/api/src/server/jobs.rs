//! Jobs that run inside `kho serve`: the search index follows the journal, and a
//! rate-limited scrub re-hashes a slice of the blobs at each interval so that every
//! blob is re-hashed at least once per coverage period.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use archive_core::blob;
use archive_core::journal::{Event, Outcome};
use time::OffsetDateTime;

use super::{ServeSection, Shared};

/// Journal event type of a scheduled scrub slice.
pub const SCHEDULED_SCRUB: &str = "scrub.scheduled";

/// Starts the jobs.
pub fn spawn(state: Shared, settings: ServeSection) {
    let index_every = Duration::from_secs(settings.index_interval_seconds.max(1));
    state.job_update("index", |j| {
        j.enabled = true;
        j.interval_seconds = index_every.as_secs();
    });
    tokio::spawn(index_loop(state.clone(), index_every));
    let scrub_every = Duration::from_secs(settings.scrub_interval_minutes * 60);
    state.job_update("scrub", |j| {
        j.enabled = !scrub_every.is_zero();
        j.interval_seconds = scrub_every.as_secs();
    });
    if !scrub_every.is_zero() {
        tokio::spawn(scrub_loop(
            state.clone(),
            scrub_every,
            settings.scrub_rate_mb,
        ));
    }
    tokio::spawn(lease_loop(state));
}

/// Keeps a remote store's writer lease alive while the server runs (a local
/// store's OS lock needs nothing). A lease another process took over is not
/// fought for: writes then fail with 409 and `/readyz` says why.
async fn lease_loop(state: Shared) {
    let every = archive_core::lease::LEASE_TTL / 4;
    loop {
        tokio::time::sleep(every).await;
        if state.is_shutting_down() {
            return;
        }
        let res = state.archive.write().await.keep_lease().await;
        if let Err(e) = res {
            tracing::error!("writer lease: {e}");
            if matches!(e, archive_core::ArchiveError::LeaseHeld { .. }) {
                *state.lease_lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                return;
            }
        }
    }
}

async fn index_loop(state: Shared, every: Duration) {
    loop {
        let _ = tokio::time::timeout(every, state.index_wake.notified()).await;
        if state.is_shutting_down() {
            return;
        }
        // Let a burst of deposits land before indexing them together.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let head = state.archive.read().await.journal_head();
        if *state.index_seq.borrow() >= head {
            continue;
        }
        state.job_update("index", |j| {
            j.last_started = Some(super::state::now_rfc3339())
        });
        let result = {
            let a = state.archive.read().await;
            let mut idx = state.index.write().await;
            match idx.as_mut() {
                Some(b) => indexer::catch_up_backend(&a, b, &Default::default())
                    .await
                    .map(|r| (r, a.journal_head())),
                None => Err(indexer::IndexError::Missing(state.index_dir.clone())),
            }
        };
        match result {
            Ok((r, seq)) => {
                state.index_seq.send_replace(seq);
                state.job_finished(
                    "index",
                    "ok",
                    format!("{} record(s) indexed, up to journal batch {seq}", r.indexed),
                );
            }
            Err(e) => {
                tracing::warn!("index catch-up failed: {e}");
                state.job_finished("index", "error", e.to_string());
                tokio::time::sleep(every).await;
            }
        }
    }
}

async fn scrub_loop(state: Shared, every: Duration, rate_mb: f64) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if state.is_shutting_down() {
            return;
        }
        if let Err(e) = scrub_slice(&state, every, rate_mb).await {
            tracing::warn!("scheduled scrub failed: {e}");
            state.job_finished("scrub", "error", e.to_string());
        }
    }
}

/// Re-hashes the blobs checked longest ago: enough of them that, run every
/// `every`, each blob is re-hashed within the store's coverage period.
pub async fn scrub_slice(state: &Shared, every: Duration, rate_mb: f64) -> anyhow::Result<()> {
    let started = Instant::now();
    state.job_update("scrub", |j| {
        j.last_started = Some(super::state::now_rfc3339())
    });
    let (store, mut blobs, coverage_days) = {
        let a = state.archive.read().await;
        let last = &a.catalog().last_fixity;
        let list: Vec<_> = a
            .catalog()
            .referenced_blobs()
            .into_iter()
            .map(|(h, (enc, size))| (last.get(&h).copied().unwrap_or(i64::MIN), h, enc, size))
            .collect();
        (a.store().clone(), list, a.descriptor().coverage_period_days)
    };
    blobs.sort_by_key(|(t, ..)| *t);
    let period = Duration::from_secs(u64::from(coverage_days.max(1)) * 86_400);
    let slices = (period.as_secs_f64() / every.as_secs_f64().max(1.0)).max(1.0);
    // Twice the even share, so a missed run is made up for.
    let take = ((blobs.len() as f64 / slices) * 2.0).ceil() as usize;
    let horizon = OffsetDateTime::now_utc().unix_timestamp() - period.as_secs() as i64;
    let mut chosen: Vec<_> = blobs.iter().take(take).cloned().collect();
    // Anything overdue is checked now whatever the share.
    chosen.extend(
        blobs
            .iter()
            .skip(take)
            .filter(|(t, ..)| *t < horizon)
            .cloned(),
    );
    let rate = (rate_mb * 1e6).max(1e5);
    let (mut checked, mut damaged, mut bytes) = (0u64, 0u64, 0u64);
    let mut events = Vec::new();
    let run = uuid::Uuid::now_v7().to_string();
    for (_, hash, enc, size) in chosen {
        if state.is_shutting_down() {
            break;
        }
        let (outcome, detail) = match blob::check(&store, &hash, enc).await {
            Ok(c) if c.actual == Some(hash) && c.error.is_none() => (
                Outcome::Success,
                serde_json::json!({ "run": run, "size": c.size, "scheduled": true }),
            ),
            Ok(c) => (
                Outcome::Failure,
                serde_json::json!({ "run": run, "scheduled": true, "problem": c.error.unwrap_or_else(|| "content does not hash to its name".into()) }),
            ),
            Err(e @ archive_core::ArchiveError::Damaged { .. }) => (
                Outcome::Failure,
                serde_json::json!({ "run": run, "scheduled": true, "problem": e.to_string() }),
            ),
            Err(e) => return Err(e.into()),
        };
        if outcome == Outcome::Failure {
            damaged += 1;
        }
        checked += 1;
        bytes += size;
        events.push(Event::new(
            "system",
            "fixity.checked",
            hash.to_hex(),
            outcome,
            detail,
        ));
        let due = Duration::from_secs_f64(bytes as f64 / rate);
        if due > started.elapsed() {
            tokio::time::sleep(due - started.elapsed()).await;
        }
    }
    events.push(Event::new(
        "system",
        SCHEDULED_SCRUB,
        run.clone(),
        if damaged > 0 { Outcome::Failure } else { Outcome::Success },
        serde_json::json!({ "checked": checked, "damaged": damaged, "bytes": bytes, "of": blobs.len(), "seconds": started.elapsed().as_secs_f64() }),
    ));
    state
        .append(events)
        .await
        .map_err(|e| anyhow::anyhow!(e.body.message))?;
    state.metrics.scrub_runs.fetch_add(1, Ordering::Relaxed);
    state
        .metrics
        .scrub_blobs
        .fetch_add(checked, Ordering::Relaxed);
    state
        .metrics
        .scrub_damage
        .fetch_add(damaged, Ordering::Relaxed);
    state.job_finished(
        "scrub",
        if damaged > 0 { "damage" } else { "ok" },
        format!(
            "{checked} of {} blob(s) re-hashed, {damaged} damaged",
            blobs.len()
        ),
    );
    Ok(())
}

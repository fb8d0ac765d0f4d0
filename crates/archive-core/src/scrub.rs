//! `kho scrub`: re-hash every blob against its name, with a rate limit, resumable,
//! results as journal events, canaries checked on every run.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;

use crate::archive::{Archive, event_types};
use crate::blob;
use crate::canary::{self, CanaryResult};
use crate::error::{ArchiveError, Result};
use crate::journal::{Event, Outcome};
use crate::layout;
use crate::verify::{Finding, Severity};

/// Scrub settings.
#[derive(Debug, Clone, Default)]
pub struct ScrubOptions {
    /// Limit reading to this many bytes per second.
    pub rate_bytes_per_sec: Option<u64>,
    /// Continue the last unfinished run after the last blob it recorded.
    pub resume: bool,
}

/// Result of a scrub.
#[derive(Debug, Clone, Serialize)]
pub struct ScrubReport {
    /// Run id.
    pub run: String,
    /// Run resumed after this object.
    pub resumed_after: Option<String>,
    /// Blobs re-hashed.
    pub checked: u64,
    /// Original bytes re-hashed.
    pub bytes: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// Damage found.
    pub findings: Vec<Finding>,
    /// Canary self-test.
    pub canaries: Vec<CanaryResult>,
    /// Coverage period of the store.
    pub coverage_period_days: u32,
    /// Referenced blobs whose last successful check is older than the coverage period.
    pub overdue: u64,
}

impl ScrubReport {
    /// True when damage was found.
    pub fn has_damage(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Damage)
    }
}

const EVENTS_PER_BATCH: usize = 1000;
const BATCH_INTERVAL: Duration = Duration::from_secs(10);

/// Re-hashes every blob. `progress` gets (bytes done, bytes total).
pub async fn scrub(
    archive: &mut Archive,
    opts: &ScrubOptions,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<ScrubReport> {
    let started = Instant::now();
    let store = archive.store().clone();
    // Self-test first: a checker that cannot see damage must not report a clean store.
    let canaries = canary::check_all(&store).await?;
    if let Some(c) = canaries.iter().find(|c| !c.present || !c.detected) {
        return Err(ArchiveError::Damaged {
            object: c.object.clone(),
            detail: if c.present {
                "scrub self-test failed: a deliberately damaged canary was reported intact; the fixity checker cannot be trusted".into()
            } else {
                "scrub self-test impossible: canary object is missing".into()
            },
        });
    }
    let referenced = archive.catalog().referenced_blobs();
    let mut listed = Vec::new();
    for m in store.list(layout::BLOBS).await? {
        if let Some((h, e)) = layout::parse_blob(&m.location) {
            listed.push((m.location.to_string(), h, e, m.size));
        }
    }
    let mut findings = Vec::new();
    for (h, (e, _)) in &referenced {
        let name = layout::blob(h, *e).to_string();
        if !listed.iter().any(|(n, ..)| *n == name) {
            findings.push(Finding {
                severity: Severity::Damage,
                object: name,
                detail: "referenced blob is missing".into(),
            });
        }
    }
    let (run, resumed_after) = match (&archive.catalog().last_scrub, opts.resume) {
        (Some((run, last, false)), true) if !last.is_empty() => (run.clone(), Some(last.clone())),
        _ => (uuid::Uuid::now_v7().to_string(), None),
    };
    if let Some(after) = &resumed_after {
        listed.retain(|(n, ..)| n.as_str() > after.as_str());
    }
    let total: u64 = listed.iter().map(|(.., s)| *s).sum();
    let actor = archive.options().actor.clone();
    let mut pending: Vec<Event> = Vec::new();
    let mut last_flush = Instant::now();
    let (mut checked, mut bytes, mut done_stored) = (0u64, 0u64, 0u64);
    let mut last_name = String::new();
    // A few blobs in flight: small ones are latency-bound, large ones use every core.
    let mut checks = futures::stream::iter(listed.iter())
        .map(|(name, hash, enc, stored)| {
            let store = store.clone();
            async move {
                let path = layout::blob(hash, *enc);
                let c = blob::check_path(&store, &path, *enc).await;
                (name, hash, enc, stored, c)
            }
        })
        .buffered(3);
    while let Some((name, hash, enc, stored, c)) = checks.next().await {
        let (outcome, detail) = match c {
            Ok(c) if c.actual == Some(*hash) => {
                bytes += c.size;
                (
                    Outcome::Success,
                    serde_json::json!({ "run": run, "size": c.size, "encoding": enc }),
                )
            }
            Ok(c) => {
                let what = match (&c.error, c.actual) {
                    (Some(e), _) => format!("cannot decode stored bytes: {e}"),
                    (None, Some(a)) => format!(
                        "content hashes to {a}, not to its name ({} bytes read)",
                        c.size
                    ),
                    (None, None) => "content could not be hashed".into(),
                };
                findings.push(Finding {
                    severity: Severity::Damage,
                    object: name.clone(),
                    detail: what.clone(),
                });
                (
                    Outcome::Failure,
                    serde_json::json!({ "run": run, "problem": what }),
                )
            }
            Err(ArchiveError::Damaged { detail, .. }) => {
                findings.push(Finding {
                    severity: Severity::Damage,
                    object: name.clone(),
                    detail: detail.clone(),
                });
                (
                    Outcome::Failure,
                    serde_json::json!({ "run": run, "problem": detail }),
                )
            }
            Err(e) => {
                // Store outage: record progress so far, then stop with the error.
                flush(archive, &mut pending, &actor, &run, &last_name, false).await?;
                return Err(e);
            }
        };
        pending.push(Event::new(
            &actor,
            event_types::FIXITY_CHECKED,
            hash.to_hex(),
            outcome,
            detail,
        ));
        checked += 1;
        done_stored += stored;
        last_name = name.clone();
        progress(done_stored, total);
        if pending.len() >= EVENTS_PER_BATCH || last_flush.elapsed() > BATCH_INTERVAL {
            flush(archive, &mut pending, &actor, &run, &last_name, false).await?;
            last_flush = Instant::now();
        }
        if let Some(rate) = opts.rate_bytes_per_sec.filter(|r| *r > 0) {
            let due = Duration::from_secs_f64(done_stored as f64 / rate as f64);
            let el = started.elapsed();
            if due > el {
                tokio::time::sleep(due - el).await;
            }
        }
    }
    flush(archive, &mut pending, &actor, &run, &last_name, true).await?;
    let coverage = archive.descriptor().coverage_period_days;
    let horizon = time::OffsetDateTime::now_utc().unix_timestamp() - i64::from(coverage) * 86_400;
    let overdue = referenced
        .keys()
        .filter(|h| {
            archive
                .catalog()
                .last_fixity
                .get(h)
                .is_none_or(|t| *t < horizon)
        })
        .count() as u64;
    Ok(ScrubReport {
        run,
        resumed_after,
        checked,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        findings,
        canaries,
        coverage_period_days: coverage,
        overdue,
    })
}

async fn flush(
    archive: &mut Archive,
    pending: &mut Vec<Event>,
    actor: &str,
    run: &str,
    last: &str,
    finished: bool,
) -> Result<()> {
    if pending.is_empty() && !finished {
        return Ok(());
    }
    let mut events = std::mem::take(pending);
    events.push(Event::new(
        actor,
        event_types::SCRUB_RUN,
        run.to_string(),
        Outcome::Success,
        serde_json::json!({ "run": run, "last_object": last, "finished": finished }),
    ));
    archive.append_events(events).await?;
    Ok(())
}

//! Retention, legal holds and disposition in the archive.
//!
//! The rules are the pure [`retention_rules`] crate; this module keeps their
//! state in the journal and performs the one thing they cannot: deleting bytes.
//! Every change is an event (`retention.assigned`, `hold.placed`,
//! `hold.released`, `disposition.proposed|appraised|approved|rejected`,
//! `disposition.execution_started`, `disposition.executed`,
//! `orphans.collected`); [`RetentionBook`] is the read model rebuilt from them.
//!
//! # Deleting bytes
//!
//! Every path that deletes a blob asks [`retention_rules::deletion_permitted`]
//! (holds and retention) or keeps to blobs no record references:
//!
//! - [`Archive::execute_disposition`] re-checks holds and retention for every
//!   dossier, then writes `disposition.execution_started` (the intent: from
//!   here the records count as being destroyed and their blobs are no longer
//!   referenced), deletes the blobs no live record references (a blob shared
//!   with a kept record stays), writes a tombstone manifest version per record
//!   (metadata kept, no files, the decision added) and commits them with
//!   `disposition.executed`. Running it again after a crash finishes the job:
//!   deleting a missing blob is not an error and the tombstones are
//!   byte-identical on every attempt.
//! - [`Archive::collect_orphans`] deletes only blobs that no committed record
//!   references and that are older than a grace period, never while a
//!   disposition is half-executed, and never a blob of a held record.
//!
//! Query holds cannot be decided here (the search index is not part of the
//! archive core): callers pass a [`QueryHoldMatcher`]; [`FailClosed`] makes
//! every active query hold block every disposition.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use retention_rules::{
    Appraisal, Approval, Deletion, Disposition, DispositionAction, DispositionEvent, DispositionId,
    DispositionState, DueItem, Execution, FailClosed, Hold, HoldId, HoldRelease, HoldScope,
    Proposal, QueryHoldMatcher, Rejection, RetentionOverride, Schedule, deletion_permitted,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::archive::{Archive, Catalog};
use crate::dossier::{check_not_before_1945, check_rule};
use crate::error::{ArchiveError, DeletionBlock, Result};
use crate::hash::BlobHash;
use crate::journal::{Event, Outcome};
use crate::layout::{self, Encoding};
use crate::model::{FORMAT_VERSION, RecordId, RecordManifest};

/// Event types of retention, holds and disposition.
pub mod event_types {
    /// A retention rule or a longer override was assigned to a dossier.
    pub const RETENTION_ASSIGNED: &str = "retention.assigned";
    /// The event ending a conditional period was recorded (detail: `trigger`).
    pub const RETENTION_TRIGGER_RECORDED: &str = "retention.trigger_recorded";
    /// A legal hold was placed (detail: `hold`).
    pub const HOLD_PLACED: &str = "hold.placed";
    /// A legal hold was released (detail: `release`).
    pub const HOLD_RELEASED: &str = "hold.released";
    /// A disposition was proposed (detail: the `proposed` disposition event).
    pub const DISPOSITION_PROPOSED: &str = "disposition.proposed";
    /// A disposition was appraised.
    pub const DISPOSITION_APPRAISED: &str = "disposition.appraised";
    /// A disposition was approved.
    pub const DISPOSITION_APPROVED: &str = "disposition.approved";
    /// A disposition was rejected.
    pub const DISPOSITION_REJECTED: &str = "disposition.rejected";
    /// Execution began: the records listed are being destroyed (the intent).
    pub const DISPOSITION_EXECUTION_STARTED: &str = "disposition.execution_started";
    /// Execution finished: blobs deleted, tombstones committed.
    pub const DISPOSITION_EXECUTED: &str = "disposition.executed";
    /// Unreferenced blobs older than the grace period were deleted.
    pub const ORPHANS_COLLECTED: &str = "orphans.collected";
}
use event_types::*;

/// Environment variable that stops [`Archive::execute_disposition`] at a step,
/// as a crash would (`after-intent`, `after-delete` or `after-tombstones`). For
/// crash tests only.
pub const STOP_ENV: &str = "KHO_TEST_STOP_DISPOSITION";

/// A blob named in an execution intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobRef {
    /// Its BLAKE3.
    pub blake3: BlobHash,
    /// How it is stored.
    pub encoding: Encoding,
}

/// The intent written before any byte of a disposition is deleted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecutionStart {
    /// Who executes and on which day.
    pub execution: Execution,
    /// Records being destroyed.
    pub records: Vec<RecordId>,
    /// Every blob those records referenced (those still referenced by a kept
    /// record are not deleted).
    pub blobs: Vec<BlobRef>,
    /// When the intent was written (also the time of the tombstones).
    #[serde(default = "epoch", with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Who wrote it.
    #[serde(default)]
    pub actor: String,
}

fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

/// A disposition and its execution state.
#[derive(Debug, Clone, Serialize)]
pub struct DispositionEntry {
    /// The disposition (state machine and every step).
    pub disposition: Disposition,
    /// The execution intent, once written.
    pub execution_started: Option<ExecutionStart>,
    /// When execution finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub executed_at: Option<OffsetDateTime>,
    #[serde(skip)]
    events: Vec<DispositionEvent>,
}

impl DispositionEntry {
    /// True when execution started and has not finished.
    pub fn is_incomplete(&self) -> bool {
        self.execution_started.is_some() && self.executed_at.is_none()
    }
}

/// What happened to a disposed record.
#[derive(Debug, Clone, Serialize)]
pub struct Disposal {
    /// The disposition.
    pub disposition: DispositionId,
    /// Dossier the record was in.
    pub dossier: Option<String>,
    /// When its destruction began.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it was finished (`None`: interrupted, `kho dispose execute` finishes it).
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
}

/// Read model of holds and dispositions, rebuilt from the journal.
#[derive(Debug, Default, Clone)]
pub struct RetentionBook {
    holds: BTreeMap<HoldId, Hold>,
    dispositions: BTreeMap<DispositionId, DispositionEntry>,
    disposed: BTreeMap<RecordId, Disposal>,
}

impl RetentionBook {
    /// Every hold, released ones included.
    pub fn holds(&self) -> impl Iterator<Item = &Hold> {
        self.holds.values()
    }

    /// Holds not released.
    pub fn active_holds(&self) -> Vec<Hold> {
        self.holds
            .values()
            .filter(|h| h.is_active())
            .cloned()
            .collect()
    }

    /// A hold by id.
    pub fn hold(&self, id: &str) -> Option<&Hold> {
        self.holds.get(&HoldId::new(id))
    }

    /// Every disposition.
    pub fn dispositions(&self) -> impl Iterator<Item = &DispositionEntry> {
        self.dispositions.values()
    }

    /// A disposition by id.
    pub fn disposition(&self, id: &str) -> Option<&DispositionEntry> {
        self.dispositions.get(&DispositionId::new(id))
    }

    /// What happened to a record being or having been destroyed.
    pub fn disposal_of(&self, id: &RecordId) -> Option<&Disposal> {
        self.disposed.get(id)
    }

    /// Dispositions whose execution started and did not finish.
    pub fn incomplete(&self) -> impl Iterator<Item = &DispositionEntry> {
        self.dispositions.values().filter(|d| d.is_incomplete())
    }
}

#[derive(Deserialize)]
struct AssignedDetail {
    #[serde(default)]
    rule: Option<String>,
    #[serde(default, rename = "override")]
    override_: Option<RetentionOverride>,
}

#[derive(Deserialize)]
struct TriggerDetail {
    trigger: retention_rules::TriggerEvent,
}

#[derive(Deserialize)]
struct HoldDetail {
    hold: Hold,
}

#[derive(Deserialize)]
struct ReleaseDetail {
    release: HoldRelease,
}

#[derive(Deserialize)]
struct StepDetail {
    step: DispositionEvent,
}

/// Applies a retention event to the catalog (the replay hook of [`Catalog`]).
/// Events that cannot be read are skipped: they were checked when written.
pub(crate) fn apply(catalog: &mut Catalog, ev: &Event) {
    match ev.kind.as_str() {
        RETENTION_ASSIGNED => {
            if let Ok(d) = serde_json::from_value::<AssignedDetail>(ev.detail.clone())
                && let Some(entry) = catalog.dossiers.get_mut(&ev.object)
            {
                if let Some(rule) = d.rule {
                    entry.dossier.retention = Some(rule);
                }
                if let Some(o) = d.override_ {
                    entry.overrides.push(o);
                }
            }
        }
        RETENTION_TRIGGER_RECORDED => {
            if let Ok(d) = serde_json::from_value::<TriggerDetail>(ev.detail.clone())
                && let Some(entry) = catalog.dossiers.get_mut(&ev.object)
            {
                entry.trigger = Some(d.trigger);
            }
        }
        HOLD_PLACED => {
            if let Ok(d) = serde_json::from_value::<HoldDetail>(ev.detail.clone()) {
                catalog.retention.holds.insert(d.hold.id.clone(), d.hold);
            }
        }
        HOLD_RELEASED => {
            if let Ok(d) = serde_json::from_value::<ReleaseDetail>(ev.detail.clone())
                && let Some(h) = catalog.retention.holds.get_mut(&HoldId::new(&ev.object))
            {
                h.released = Some(d.release);
            }
        }
        DISPOSITION_PROPOSED
        | DISPOSITION_APPRAISED
        | DISPOSITION_APPROVED
        | DISPOSITION_REJECTED
        | DISPOSITION_EXECUTED => {
            let Ok(d) = serde_json::from_value::<StepDetail>(ev.detail.clone()) else {
                return;
            };
            let id = DispositionId::new(&ev.object);
            let book = &mut catalog.retention;
            if let DispositionEvent::Proposed(p) = &d.step {
                if let Ok((disposition, _)) = Disposition::propose(p.clone()) {
                    book.dispositions.insert(
                        id,
                        DispositionEntry {
                            disposition,
                            execution_started: None,
                            executed_at: None,
                            events: vec![d.step],
                        },
                    );
                }
                return;
            }
            let Some(entry) = book.dispositions.get_mut(&id) else {
                return;
            };
            let mut events = entry.events.clone();
            events.push(d.step);
            if let Ok(replayed) = Disposition::replay(&events) {
                entry.disposition = replayed;
                entry.events = events;
            }
            if ev.kind == DISPOSITION_EXECUTED {
                entry.executed_at = Some(ev.time);
                if let Some(start) = &entry.execution_started {
                    for r in &start.records {
                        if let Some(d) = book.disposed.get_mut(r) {
                            d.completed_at = Some(ev.time);
                        }
                    }
                }
            }
        }
        DISPOSITION_EXECUTION_STARTED => {
            let Ok(mut start) = serde_json::from_value::<ExecutionStart>(ev.detail.clone()) else {
                return;
            };
            start.started_at = ev.time;
            start.actor = ev.actor.clone();
            let id = DispositionId::new(&ev.object);
            for r in &start.records {
                // From the intent on, the record's bytes are being destroyed: they no
                // longer count as referenced (verify, scrub and backup skip them).
                if let Some(entry) = catalog.records.get_mut(r) {
                    for v in &mut entry.versions {
                        v.files.clear();
                    }
                }
                catalog.retention.disposed.insert(
                    *r,
                    Disposal {
                        disposition: id.clone(),
                        dossier: catalog.dossiers.of_record(r).map(str::to_string),
                        started_at: ev.time,
                        completed_at: None,
                    },
                );
            }
            if let Some(entry) = catalog.retention.dispositions.get_mut(&id) {
                entry.execution_started = Some(start);
            }
        }
        _ => {}
    }
}

fn to_value(v: impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| ArchiveError::Internal(e.to_string()))
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn required(what: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ArchiveError::InvalidInput(format!(
            "{what} is required and must not be blank"
        )));
    }
    Ok(v.to_string())
}

/// Refuses a decision date in the future or before 1945.
fn check_decision_date(what: &str, date: Date) -> Result<()> {
    check_not_before_1945(what, date)?;
    if date > today() {
        return Err(ArchiveError::InvalidInput(format!(
            "{what} {date} is in the future; give the day it was decided"
        )));
    }
    Ok(())
}

/// What an execution did.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionReport {
    /// The disposition.
    pub disposition: DispositionId,
    /// Records destroyed (tombstoned).
    pub records: Vec<RecordId>,
    /// Blobs deleted.
    pub blobs_deleted: usize,
    /// Blobs kept because a kept record shares them.
    pub blobs_kept_shared: usize,
    /// True when an interrupted execution was finished.
    pub resumed: bool,
    /// Journal batch that committed the execution.
    pub journal_seq: u64,
}

/// What orphan collection did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrphanReport {
    /// Blobs deleted.
    pub deleted: Vec<String>,
    /// Unreferenced blobs left because they are younger than the grace period.
    pub too_young: usize,
    /// True when nothing was deleted because `dry_run` was asked.
    pub dry_run: bool,
}

impl Archive {
    /// Holds and dispositions as the journal knows them.
    pub fn retention_book(&self) -> &RetentionBook {
        &self.catalog().retention
    }

    /// Refuses to serve or change a record that was (or is being) destroyed,
    /// saying what happened and when.
    pub fn check_not_disposed(&self, id: &RecordId) -> Result<()> {
        let Some(d) = self.retention_book().disposal_of(id) else {
            return Ok(());
        };
        let fmt = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        let decision = self
            .retention_book()
            .disposition(&d.disposition.0)
            .and_then(|e| e.disposition.approval.as_ref())
            .map(|a| {
                format!(
                    " under decision {} approved by {} on {}",
                    a.decision_number, a.approver, a.approved_on
                )
            })
            .unwrap_or_default();
        Err(ArchiveError::Disposed(match d.completed_at {
            Some(at) => format!(
                "record {id} was destroyed on {} by disposition {}{decision}; its files no longer exist, its metadata is kept (`kho show {id} --history`)",
                fmt(at),
                d.disposition
            ),
            None => format!(
                "record {id} is being destroyed by disposition {}{decision} (started {}); run `kho dispose execute {}` to finish",
                d.disposition,
                fmt(d.started_at),
                d.disposition
            ),
        }))
    }

    /// Assigns a retention rule to a dossier. A dossier without a rule gets
    /// `code`; changing the rule of a dossier that has one is an override that
    /// needs a reason and may only lengthen retention.
    pub async fn assign_retention(
        &mut self,
        dossier: &str,
        code: &str,
        reason: Option<&str>,
        schedule: &Schedule,
    ) -> Result<crate::dossier::DossierEntry> {
        let entry = self
            .dossiers()
            .get(dossier.trim())
            .cloned()
            .ok_or_else(|| {
                ArchiveError::InvalidInput(format!(
                    "no dossier {dossier:?}: `kho dossier list` shows the dossiers"
                ))
            })?;
        let code = code.trim();
        check_rule(schedule, code)?;
        let actor = self.options().actor.clone();
        let detail = match entry.rule() {
            None => serde_json::json!({
                "rule": code,
                "reason": reason,
                "schedule": schedule.id(),
            }),
            Some(current) if current == code => {
                return Err(ArchiveError::InvalidInput(format!(
                    "dossier {} already has retention rule {code}; nothing was changed",
                    entry.code()
                )));
            }
            Some(current) => {
                let reason = required(
                    &format!(
                        "dossier {} has rule {current}: changing it is an override, and --reason",
                        entry.code()
                    ),
                    reason.unwrap_or(""),
                )?;
                let period = schedule
                    .rule(&retention_rules::RuleCode::new(code))
                    .map(|r| r.period)
                    .ok_or_else(|| ArchiveError::Internal("rule checked above".into()))?;
                let o = RetentionOverride {
                    period,
                    reason,
                    actor: actor.clone(),
                    decided_on: today(),
                };
                let mut view = retention_rules::Dossier::new(
                    entry.code(),
                    current,
                    entry.dossier.year_work_ended.unwrap_or(today().year()),
                );
                view.overrides = entry.overrides.clone();
                view.overrides.push(o.clone());
                if let Err(e @ retention_rules::EvaluationError::OverrideShortens { .. }) =
                    schedule.evaluate(&view, today())
                {
                    return Err(ArchiveError::InvalidInput(format!(
                        "{e}; nothing was changed"
                    )));
                }
                serde_json::json!({ "override": o, "schedule": schedule.id() })
            }
        };
        let ev = Event::new(
            &actor,
            RETENTION_ASSIGNED,
            entry.code(),
            Outcome::Success,
            detail,
        );
        self.append_events(vec![ev]).await?;
        self.dossiers()
            .get(entry.code())
            .cloned()
            .ok_or_else(|| ArchiveError::Internal("dossier vanished".into()))
    }

    /// Records the event that ends a dossier's conditional retention period
    /// ("until …"): retention then ends on 31 December of the event's year.
    pub async fn record_trigger(
        &mut self,
        dossier: &str,
        occurred_on: Date,
        description: &str,
        schedule: &Schedule,
    ) -> Result<crate::dossier::DossierEntry> {
        let entry = self
            .dossiers()
            .get(dossier.trim())
            .cloned()
            .ok_or_else(|| {
                ArchiveError::InvalidInput(format!(
                    "no dossier {dossier:?}: `kho dossier list` shows the dossiers"
                ))
            })?;
        let description = required("the description of the event (--description)", description)?;
        check_decision_date("event date", occurred_on)?;
        let conditional = entry
            .rule()
            .and_then(|r| schedule.rule(&retention_rules::RuleCode::new(r)))
            .is_some_and(|r| r.period == retention_rules::RetentionPeriod::Conditional);
        if !conditional {
            return Err(ArchiveError::InvalidInput(format!(
                "dossier {} has rule {}, which does not wait for an event; a trigger only ends a conditional period",
                entry.code(),
                entry.rule().unwrap_or("(none)")
            )));
        }
        if let Some(t) = &entry.trigger {
            return Err(ArchiveError::InvalidInput(format!(
                "dossier {} already has its trigger event ({} on {}); nothing was changed",
                entry.code(),
                t.description,
                t.occurred_on
            )));
        }
        let actor = self.options().actor.clone();
        let trigger = retention_rules::TriggerEvent {
            description,
            occurred_on,
            recorded_by: actor.clone(),
        };
        let ev = Event::new(
            &actor,
            RETENTION_TRIGGER_RECORDED,
            entry.code(),
            Outcome::Success,
            serde_json::json!({ "trigger": to_value(&trigger)? }),
        );
        self.append_events(vec![ev]).await?;
        self.dossiers()
            .get(entry.code())
            .cloned()
            .ok_or_else(|| ArchiveError::Internal("dossier vanished".into()))
    }

    /// Dossiers due for disposition on `as_of` (closed dossiers with a rule).
    pub fn list_due(&self, schedule: &Schedule, as_of: Date) -> Result<Vec<DueItem>> {
        check_not_before_1945("--as-of date", as_of)?;
        let views: Vec<retention_rules::Dossier> = self
            .dossiers()
            .iter()
            .filter(|d| !self.dossier_disposed(d.code()))
            .filter_map(|d| d.retention_view())
            .collect();
        Ok(retention_rules::list_due(
            &views,
            schedule,
            &self.retention_book().active_holds(),
            as_of,
        ))
    }

    /// True when a disposition of the dossier started or finished executing.
    fn dossier_disposed(&self, code: &str) -> bool {
        self.retention_book().dispositions().any(|d| {
            d.execution_started.is_some()
                && d.disposition.proposal.dossiers.iter().any(|x| x.0 == code)
        })
    }

    /// Places a legal hold. The dossier or record it names must exist.
    pub async fn place_hold(
        &mut self,
        scope: HoldScope,
        reason: &str,
        authority: &str,
    ) -> Result<Hold> {
        let reason = required("the reason of a hold (--reason)", reason)?;
        let authority = required(
            "the authority that ordered the hold (--authority)",
            authority,
        )?;
        let scope = match scope {
            HoldScope::Dossier(d) => {
                let code = d.0.trim().to_string();
                if self.dossiers().get(&code).is_none() {
                    return Err(ArchiveError::InvalidInput(format!(
                        "no dossier {code:?} to hold: `kho dossier list` shows the dossiers"
                    )));
                }
                HoldScope::Dossier(retention_rules::DossierId::new(code))
            }
            HoldScope::Record(r) => {
                let id: RecordId = r.0.parse().map_err(|e: crate::model::BadRecordId| {
                    ArchiveError::InvalidInput(e.to_string())
                })?;
                if !self.catalog().records.contains_key(&id) {
                    return Err(ArchiveError::UnknownRecord(id.to_string()));
                }
                HoldScope::Record(retention_rules::RecordId::new(id.to_string()))
            }
            HoldScope::Query(q) => HoldScope::Query(required("the query of a hold", &q)?),
        };
        let actor = self.options().actor.clone();
        let hold = Hold {
            id: HoldId::new(format!("hold-{}", uuid::Uuid::now_v7())),
            scope,
            reason,
            authority,
            placed_by: actor.clone(),
            placed_at: OffsetDateTime::now_utc(),
            released: None,
        };
        let ev = Event::new(
            &actor,
            HOLD_PLACED,
            hold.id.0.clone(),
            Outcome::Success,
            serde_json::json!({ "hold": to_value(&hold)? }),
        );
        self.append_events(vec![ev]).await?;
        Ok(hold)
    }

    /// Releases an active hold, with a reason.
    pub async fn release_hold(&mut self, id: &str, reason: &str) -> Result<Hold> {
        let id = id.trim();
        let hold = self.retention_book().hold(id).cloned().ok_or_else(|| {
            ArchiveError::InvalidInput(format!("no hold {id:?}: `kho hold list` shows the holds"))
        })?;
        if let Some(r) = &hold.released {
            return Err(ArchiveError::InvalidInput(format!(
                "hold {id} was already released by {} ({}); nothing was changed",
                r.released_by, r.reason
            )));
        }
        let reason = required("the reason of a release (--reason)", reason)?;
        let actor = self.options().actor.clone();
        let release = HoldRelease {
            released_by: actor.clone(),
            released_at: OffsetDateTime::now_utc(),
            reason,
        };
        let ev = Event::new(
            &actor,
            HOLD_RELEASED,
            id,
            Outcome::Success,
            serde_json::json!({ "release": to_value(&release)? }),
        );
        self.append_events(vec![ev]).await?;
        self.retention_book()
            .hold(id)
            .cloned()
            .ok_or_else(|| ArchiveError::Internal("hold vanished".into()))
    }

    /// Why deleting `dossier` now is refused, if it is (holds, retention, state).
    fn deletion_refusal(
        &self,
        code: &str,
        schedule: &Schedule,
        holds: &[Hold],
        matcher: &dyn QueryHoldMatcher,
    ) -> Option<(DeletionBlock, String)> {
        let Some(entry) = self.dossiers().get(code) else {
            return Some((DeletionBlock::State, format!("no dossier {code:?}")));
        };
        if entry.rule().is_none() {
            return Some((
                DeletionBlock::State,
                format!(
                    "dossier {code} has no retention rule: `kho retention assign {code} CODE` first"
                ),
            ));
        }
        let Some(view) = entry.retention_view() else {
            return Some((
                DeletionBlock::State,
                format!(
                    "dossier {code} is open: close it first (`kho dossier close {code} --end-date DATE`)"
                ),
            ));
        };
        match deletion_permitted(
            &view,
            &Deletion::WholeDossier,
            schedule,
            holds,
            matcher,
            today(),
        ) {
            Ok(_) => None,
            Err(refused) => Some((
                if refused.holds().next().is_some() {
                    DeletionBlock::Held
                } else {
                    DeletionBlock::Retention
                },
                refused.to_string(),
            )),
        }
    }

    fn disposition_or_err(&self, id: &str) -> Result<DispositionEntry> {
        self.retention_book()
            .disposition(id.trim())
            .cloned()
            .ok_or_else(|| {
                ArchiveError::InvalidInput(format!(
                    "no disposition {id:?}: `kho dispose list` shows the dispositions"
                ))
            })
    }

    async fn append_step(
        &mut self,
        kind: &str,
        id: &DispositionId,
        step: DispositionEvent,
    ) -> Result<u64> {
        let actor = self.options().actor.clone();
        let ev = Event::new(
            &actor,
            kind,
            id.0.clone(),
            Outcome::Success,
            serde_json::json!({ "step": to_value(&step)? }),
        );
        self.append_events(vec![ev]).await
    }

    /// Proposes the destruction of dossiers. Each must be closed, have a rule,
    /// be due on the day, not be held, not be permanent and not be in another
    /// open disposition; every refusal is reported and nothing is written.
    pub async fn propose_disposition(
        &mut self,
        dossiers: &[String],
        schedule: &Schedule,
        matcher: &(dyn QueryHoldMatcher + Sync),
    ) -> Result<Disposition> {
        if dossiers.is_empty() {
            return Err(ArchiveError::InvalidInput(
                "give at least one dossier to propose".into(),
            ));
        }
        let holds = self.retention_book().active_holds();
        let mut problems = Vec::new();
        let mut block = DeletionBlock::State;
        for code in dossiers {
            let code = code.trim();
            if let Some(other) = self.retention_book().dispositions().find(|d| {
                d.disposition.state != DispositionState::Rejected
                    && d.disposition.proposal.dossiers.iter().any(|x| x.0 == code)
            }) {
                problems.push(format!(
                    "dossier {code} is already in disposition {} ({})",
                    other.disposition.id(),
                    other.disposition.state
                ));
                continue;
            }
            if let Some((b, p)) = self.deletion_refusal(code, schedule, &holds, matcher) {
                block = block.max(b);
                problems.push(p);
            }
        }
        if !problems.is_empty() {
            return Err(ArchiveError::DeletionRefused {
                block,
                message: format!("{}; nothing was proposed", problems.join("; ")),
            });
        }
        let proposal = Proposal {
            id: DispositionId::new(format!("disp-{}", uuid::Uuid::now_v7())),
            action: DispositionAction::Destroy,
            dossiers: dossiers
                .iter()
                .map(|d| retention_rules::DossierId::new(d.trim()))
                .collect(),
            schedule: Some(schedule.id().clone()),
            proposed_by: self.options().actor.clone(),
            proposed_on: today(),
        };
        let (d, step) = Disposition::propose(proposal).map_err(transition)?;
        self.append_step(DISPOSITION_PROPOSED, d.id(), step).await?;
        Ok(d)
    }

    /// Records the appraisal council's review.
    pub async fn appraise_disposition(
        &mut self,
        id: &str,
        appraisal: Appraisal,
    ) -> Result<Disposition> {
        check_decision_date("appraisal date", appraisal.appraised_on)?;
        let mut d = self.disposition_or_err(id)?.disposition;
        let step = d.appraise(appraisal).map_err(transition)?;
        self.append_step(DISPOSITION_APPRAISED, &d.proposal.id, step)
            .await?;
        Ok(d)
    }

    /// Records the approving decision (decision number, approver, council
    /// minutes and date are all required).
    pub async fn approve_disposition(
        &mut self,
        id: &str,
        approval: Approval,
    ) -> Result<Disposition> {
        let approval = Approval {
            decision_number: required("--decision-number", &approval.decision_number)?,
            approver: required("--approver", &approval.approver)?,
            council_minutes: required("--minutes", &approval.council_minutes)?,
            approved_on: approval.approved_on,
        };
        check_decision_date("approval date", approval.approved_on)?;
        let mut d = self.disposition_or_err(id)?.disposition;
        if d.state == DispositionState::Proposed {
            return Err(ArchiveError::InvalidInput(format!(
                "disposition {} is proposed: the appraisal council reviews it first (`kho dispose appraise {}`)",
                d.id(),
                d.id()
            )));
        }
        let step = d.approve(approval).map_err(transition)?;
        self.append_step(DISPOSITION_APPROVED, &d.proposal.id, step)
            .await?;
        Ok(d)
    }

    /// Rejects a proposal that is not yet approved.
    pub async fn reject_disposition(&mut self, id: &str, reason: &str) -> Result<Disposition> {
        let reason = required("the reason of a rejection (--reason)", reason)?;
        let mut d = self.disposition_or_err(id)?.disposition;
        let step = d
            .reject(Rejection {
                reason,
                rejected_by: self.options().actor.clone(),
                rejected_on: today(),
            })
            .map_err(transition)?;
        self.append_step(DISPOSITION_REJECTED, &d.proposal.id, step)
            .await?;
        Ok(d)
    }

    /// Executes an approved disposition, or finishes one that was interrupted.
    ///
    /// Holds and retention are checked again for every dossier first; any
    /// refusal stops it before a byte is deleted. See the module docs for the
    /// order of the steps.
    pub async fn execute_disposition(
        &mut self,
        id: &str,
        schedule: &Schedule,
        matcher: &(dyn QueryHoldMatcher + Sync),
    ) -> Result<ExecutionReport> {
        let stop = std::env::var(STOP_ENV).ok();
        self.execute_disposition_until(id, schedule, matcher, stop.as_deref())
            .await
    }

    pub(crate) async fn execute_disposition_until(
        &mut self,
        id: &str,
        schedule: &Schedule,
        matcher: &(dyn QueryHoldMatcher + Sync),
        stop: Option<&str>,
    ) -> Result<ExecutionReport> {
        let entry = self.disposition_or_err(id)?;
        let did = entry.disposition.id().clone();
        if let Some(at) = entry.executed_at {
            return Err(ArchiveError::DeletionRefused {
                block: DeletionBlock::State,
                message: format!(
                    "disposition {did} was already executed on {}; nothing was deleted",
                    entry
                        .disposition
                        .execution
                        .as_ref()
                        .map(|e| e.executed_on.to_string())
                        .unwrap_or_else(|| at.date().to_string())
                ),
            });
        }
        let resumed = entry.execution_started.is_some();
        if !resumed && entry.disposition.state != DispositionState::Approved {
            return Err(ArchiveError::DeletionRefused {
                block: DeletionBlock::State,
                message: format!(
                    "disposition {did} is {}: only an approved disposition can be executed (`kho dispose approve {did} ...`)",
                    entry.disposition.state
                ),
            });
        }
        // Holds and retention, again, for every dossier: the last word before deleting.
        let holds = self.retention_book().active_holds();
        let mut problems = Vec::new();
        let mut block = DeletionBlock::State;
        let mut targets = Vec::new();
        for dossier in &entry.disposition.proposal.dossiers {
            let code = dossier.0.as_str();
            let Some(d) = self.dossiers().get(code) else {
                problems.push(format!("no dossier {code:?}"));
                continue;
            };
            if let Some((b, p)) = self.deletion_refusal(code, schedule, &holds, matcher) {
                block = block.max(b);
                problems.push(p);
            }
            if let Some(view) = d.retention_view() {
                targets.push(Deletion::WholeDossier.target(&view));
            }
        }
        let execution = match &entry.execution_started {
            Some(s) => s.execution.clone(),
            None => Execution {
                executed_by: self.options().actor.clone(),
                executed_on: today(),
            },
        };
        if problems.is_empty() {
            let mut check = entry.disposition.clone();
            if !resumed && let Err(e) = check.execute(execution.clone(), &targets, &holds, matcher)
            {
                problems.push(e.to_string());
            }
        }
        if !problems.is_empty() {
            let tail = if resumed {
                "; its execution started earlier and stays unfinished until this is resolved; nothing more was deleted"
            } else {
                "; nothing was deleted"
            };
            return Err(ArchiveError::DeletionRefused {
                block,
                message: format!(
                    "disposition {did} cannot be executed: {}{tail}",
                    problems.join("; ")
                ),
            });
        }

        // 1. The intent.
        if !resumed {
            let mut records = Vec::new();
            let mut blobs = BTreeSet::new();
            for dossier in &entry.disposition.proposal.dossiers {
                for r in self
                    .dossiers()
                    .get(&dossier.0)
                    .map(|d| d.records.clone())
                    .unwrap_or_default()
                {
                    if let Some(e) = self.catalog().records.get(&r) {
                        for v in &e.versions {
                            for (h, enc, _) in &v.files {
                                blobs.insert(BlobRef {
                                    blake3: *h,
                                    encoding: *enc,
                                });
                            }
                        }
                    }
                    records.push(r);
                }
            }
            let start = ExecutionStart {
                execution: execution.clone(),
                records,
                blobs: blobs.into_iter().collect(),
                started_at: OffsetDateTime::now_utc(),
                actor: self.options().actor.clone(),
            };
            let actor = self.options().actor.clone();
            let ev = Event::new(
                &actor,
                DISPOSITION_EXECUTION_STARTED,
                did.0.clone(),
                Outcome::Success,
                to_value(&start)?,
            );
            self.append_events(vec![ev]).await?;
        }
        if stop == Some("after-intent") {
            return Err(ArchiveError::Internal(format!(
                "stopped after the intent of {did} ({STOP_ENV}): simulated crash"
            )));
        }
        let start = self
            .disposition_or_err(&did.0)?
            .execution_started
            .ok_or_else(|| ArchiveError::Internal("execution intent not recorded".into()))?;

        // 2. Delete the blobs no live record references.
        let live = self.live_blobs();
        let mut deleted = 0;
        let mut kept = 0;
        for b in &start.blobs {
            if live.contains(&(b.blake3, b.encoding)) {
                kept += 1;
                continue;
            }
            self.store()
                .delete(&layout::blob(&b.blake3, b.encoding))
                .await?;
            deleted += 1;
        }
        if stop == Some("after-delete") {
            return Err(ArchiveError::Internal(format!(
                "stopped after deleting the blobs of {did} ({STOP_ENV}): simulated crash"
            )));
        }

        // 3. Tombstones and the completion, in one batch.
        let approval = entry.disposition.approval.clone();
        let mut events = Vec::new();
        for r in &start.records {
            let Some(last) = self
                .catalog()
                .records
                .get(r)
                .and_then(|e| e.versions.last())
                .cloned()
            else {
                continue;
            };
            let current = self.manifest(r, None).await?;
            let mut metadata = current.metadata.clone();
            if let Some(o) = metadata.as_object_mut() {
                o.insert(
                    "disposition".into(),
                    serde_json::json!({
                        "id": did,
                        "action": "destroy",
                        "dossier": self.dossiers().of_record(r),
                        "decision_number": approval.as_ref().map(|a| a.decision_number.clone()),
                        "approver": approval.as_ref().map(|a| a.approver.clone()),
                        "council_minutes": approval.as_ref().map(|a| a.council_minutes.clone()),
                        "approved_on": approval.as_ref().map(|a| a.approved_on.to_string()),
                        "executed_by": start.execution.executed_by,
                        "executed_on": start.execution.executed_on.to_string(),
                        "files_destroyed": current.files.len(),
                    }),
                );
            }
            let tomb = RecordManifest {
                format_version: FORMAT_VERSION,
                record_id: *r,
                version: last.version + 1,
                previous: Some(last.manifest_blake3),
                created_at: start.started_at,
                actor: start.actor.clone(),
                received_at: current.received_at,
                metadata,
                files: Vec::new(),
                signature_reports: Vec::new(),
            };
            let bytes = Bytes::from(
                serde_json::to_vec_pretty(&tomb)
                    .map_err(|e| ArchiveError::Internal(e.to_string()))?,
            );
            let path = layout::manifest(r, tomb.version);
            // Byte-identical on every attempt, so a resumed run finds its own object.
            self.store().put_create(&path, bytes.clone()).await?;
            events.push(Event::new(
                &start.actor,
                crate::archive::event_types::RECORD_VERSION_ADDED,
                r.to_string(),
                Outcome::Success,
                serde_json::json!({
                    "version": tomb.version,
                    "manifest": path.to_string(),
                    "manifest_blake3": BlobHash::of(&bytes),
                    "files": [],
                    "tombstone": true,
                    "disposition": did,
                    "reason": format!("destroyed by disposition {did}"),
                }),
            ));
        }
        if stop == Some("after-tombstones") {
            return Err(ArchiveError::Internal(format!(
                "stopped after writing the tombstones of {did} ({STOP_ENV}): simulated crash"
            )));
        }
        let step = DispositionEvent::Executed(start.execution.clone());
        let actor = self.options().actor.clone();
        events.push(Event::new(
            &actor,
            DISPOSITION_EXECUTED,
            did.0.clone(),
            Outcome::Success,
            serde_json::json!({
                "step": to_value(&step)?,
                "records": start.records,
                "blobs_deleted": deleted,
                "blobs_kept_shared": kept,
                "resumed": resumed,
            }),
        ));
        let seq = self.append_events(events).await?;
        Ok(ExecutionReport {
            disposition: did,
            records: start.records,
            blobs_deleted: deleted,
            blobs_kept_shared: kept,
            resumed,
            journal_seq: seq,
        })
    }

    /// Deletes blobs that no committed record references and that were
    /// written more than `grace` ago (left by interrupted deposits). Refused
    /// while a disposition is half-executed; blobs of held records are never
    /// candidates, whatever the catalog says.
    pub async fn collect_orphans(
        &mut self,
        grace: time::Duration,
        dry_run: bool,
    ) -> Result<OrphanReport> {
        if let Some(d) = self.retention_book().incomplete().next() {
            let id = d.disposition.id();
            return Err(ArchiveError::InvalidInput(format!(
                "disposition {id} is half-executed: run `kho dispose execute {id}` first; nothing was deleted"
            )));
        }
        let referenced = self.live_blobs();
        let protected = self.held_blobs();
        let cutoff = OffsetDateTime::now_utc() - grace;
        let mut rep = OrphanReport {
            dry_run,
            ..OrphanReport::default()
        };
        let mut doomed = Vec::new();
        for m in self.store().list(layout::BLOBS).await? {
            let Some((h, enc)) = layout::parse_blob(&m.location) else {
                continue;
            };
            if referenced.contains(&(h, enc)) || protected.contains(&h) {
                continue;
            }
            let modified = OffsetDateTime::from_unix_timestamp(m.last_modified.timestamp())
                .unwrap_or(OffsetDateTime::now_utc());
            if modified > cutoff {
                rep.too_young += 1;
                continue;
            }
            doomed.push(m.location);
        }
        if dry_run || doomed.is_empty() {
            rep.deleted = doomed.iter().map(ToString::to_string).collect();
            return Ok(rep);
        }
        for p in &doomed {
            self.store().delete(p).await?;
        }
        rep.deleted = doomed.iter().map(ToString::to_string).collect();
        let actor = self.options().actor.clone();
        let ev = Event::new(
            &actor,
            ORPHANS_COLLECTED,
            "blobs",
            Outcome::Success,
            serde_json::json!({
                "deleted": rep.deleted,
                "grace_seconds": grace.whole_seconds(),
            }),
        );
        self.append_events(vec![ev]).await?;
        Ok(rep)
    }

    /// Every stored object (blob and encoding) a committed version references.
    /// Records being or having been destroyed reference nothing (their files were
    /// cleared from the catalog by the execution intent).
    fn live_blobs(&self) -> BTreeSet<(BlobHash, Encoding)> {
        self.catalog()
            .records
            .values()
            .flat_map(|r| &r.versions)
            .flat_map(|v| v.files.iter().map(|(h, e, _)| (*h, *e)))
            .collect()
    }

    /// The records that record and dossier holds among `holds` cover (query
    /// holds are decided elsewhere, with the search index).
    pub(crate) fn records_held_by(&self, holds: &[Hold]) -> BTreeSet<RecordId> {
        let mut held = BTreeSet::new();
        for h in holds {
            match &h.scope {
                HoldScope::Record(r) => {
                    if let Ok(id) = r.0.parse() {
                        held.insert(id);
                    }
                }
                HoldScope::Dossier(d) => {
                    if let Some(e) = self.dossiers().get(&d.0) {
                        held.extend(e.records.iter().copied());
                    }
                }
                HoldScope::Query(_) => {}
            }
        }
        held
    }

    /// Every blob of a record covered by an active record or dossier hold.
    fn held_blobs(&self) -> BTreeSet<BlobHash> {
        let held_records = self.records_held_by(&self.retention_book().active_holds());
        let mut out = BTreeSet::new();
        for r in held_records {
            if let Some(e) = self.catalog().records.get(&r) {
                for v in &e.versions {
                    out.extend(v.files.iter().map(|(h, _, _)| *h));
                }
            }
        }
        out
    }
}

fn transition(e: retention_rules::TransitionError) -> ArchiveError {
    ArchiveError::InvalidInput(e.to_string())
}

/// The matcher to use when no search index is at hand: every active query hold blocks.
pub fn fail_closed() -> &'static (dyn QueryHoldMatcher + Sync) {
    &FailClosed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{ArchiveOptions, DepositFile, DepositRequest, FileSource};
    use crate::format::FormatPolicy;
    use crate::model::FileRole;
    use crate::rules::MetadataPolicy;
    use crate::store::{S3Settings, Store};
    use time::macros::date;

    fn options() -> ArchiveOptions {
        ArchiveOptions {
            formats: FormatPolicy::Any,
            metadata: MetadataPolicy::Free,
            actor: "tester".into(),
            ..ArchiveOptions::default()
        }
    }

    async fn archive() -> Archive {
        let store = Store::open_url(
            "memory://",
            &S3Settings::default(),
            std::path::Path::new("."),
        )
        .expect("memory store");
        Archive::init(store, options()).await.expect("init")
    }

    async fn deposit(a: &mut Archive, bytes: &'static [u8]) -> RecordId {
        a.deposit(DepositRequest {
            metadata: serde_json::json!({ "summary": "test" }),
            files: vec![DepositFile {
                filename: "a.txt".into(),
                role: FileRole::Main,
                source: FileSource::Bytes(Bytes::from_static(bytes)),
            }],
        })
        .await
        .expect("deposit")
        .record_id
    }

    async fn blob_count(a: &Archive) -> usize {
        a.store().list(layout::BLOBS).await.expect("list").len()
    }

    /// A closed 5-year dossier from 2010 holding `records`, approved for destruction.
    async fn approved(a: &mut Archive, code: &str, records: &[RecordId]) -> String {
        let schedule = Schedule::embedded().expect("schedule");
        let mut d = records::Dossier::new(code, "Hồ sơ thử");
        d.retention = Some("5y".into());
        a.create_dossier(d, &schedule).await.expect("create");
        a.add_to_dossier(code, records).await.expect("add");
        a.close_dossier(code, date!(2010 - 06 - 30))
            .await
            .expect("close");
        let d = a
            .propose_disposition(&[code.to_string()], &schedule, &FailClosed)
            .await
            .expect("propose");
        let id = d.id().0.clone();
        a.appraise_disposition(
            &id,
            Appraisal {
                appraised_by: "Hội đồng".into(),
                appraised_on: today(),
                note: None,
            },
        )
        .await
        .expect("appraise");
        a.approve_disposition(
            &id,
            Approval {
                decision_number: "12/QĐ-UBND".into(),
                approver: "Chủ tịch".into(),
                council_minutes: "BB-01".into(),
                approved_on: today(),
            },
        )
        .await
        .expect("approve");
        id
    }

    #[tokio::test]
    async fn dossier_state_is_rebuilt_from_the_journal_at_open() {
        let mut a = archive().await;
        let r = deposit(&mut a, b"one").await;
        let id = approved(&mut a, "HS-01", &[r]).await;
        let hold = a
            .place_hold(
                HoldScope::Record(retention_rules::RecordId::new(r.to_string())),
                "case",
                "court",
            )
            .await
            .expect("hold");
        let store = a.store().clone();
        let reopened = Archive::open(store, options()).await.expect("reopen");
        let d = reopened.dossiers().get("HS-01").expect("dossier");
        assert_eq!(d.records, vec![r]);
        assert_eq!(d.dossier.year_work_ended, Some(2010));
        assert_eq!(reopened.dossiers().of_record(&r), Some("HS-01"));
        assert_eq!(
            reopened
                .retention_book()
                .disposition(&id)
                .map(|d| d.disposition.state),
            Some(DispositionState::Approved)
        );
        assert!(
            reopened
                .retention_book()
                .hold(&hold.id.0)
                .is_some_and(Hold::is_active)
        );
    }

    #[tokio::test]
    async fn execution_keeps_blobs_shared_with_kept_records_and_tombstones_the_rest() {
        let mut a = archive().await;
        let gone = deposit(&mut a, b"only in the dossier").await;
        let shared = deposit(&mut a, b"shared bytes").await;
        let kept = deposit(&mut a, b"shared bytes").await;
        let id = approved(&mut a, "HS-02", &[gone, shared]).await;
        assert_eq!(blob_count(&a).await, 2);
        let schedule = Schedule::embedded().expect("schedule");
        let rep = a
            .execute_disposition_until(&id, &schedule, &FailClosed, None)
            .await
            .expect("execute");
        assert_eq!((rep.blobs_deleted, rep.blobs_kept_shared), (1, 1));
        assert_eq!(blob_count(&a).await, 1);
        assert!(a.open_file(&kept, 0).await.is_ok());
        let err = a
            .open_file(&gone, 0)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("was destroyed on") && err.contains("12/QĐ-UBND"),
            "{err}"
        );
        let tomb = a.manifest(&gone, None).await.expect("tombstone");
        assert!(tomb.files.is_empty());
        assert_eq!(tomb.metadata["summary"], "test");
        assert_eq!(
            tomb.metadata["disposition"]["decision_number"],
            "12/QĐ-UBND"
        );
        let rep = crate::verify::verify(&a).await.expect("verify");
        assert!(!rep.has_damage(), "{:?}", rep.findings);
        let again = a
            .execute_disposition_until(&id, &schedule, &FailClosed, None)
            .await;
        assert!(
            again
                .err()
                .is_some_and(|e| e.to_string().contains("already executed"))
        );
    }

    #[tokio::test]
    async fn interrupted_execution_finishes_when_run_again() {
        for stop in ["after-intent", "after-delete", "after-tombstones"] {
            let mut a = archive().await;
            let r = deposit(&mut a, b"to destroy").await;
            let id = approved(&mut a, "HS-03", &[r]).await;
            let schedule = Schedule::embedded().expect("schedule");
            let crashed = a
                .execute_disposition_until(&id, &schedule, &FailClosed, Some(stop))
                .await;
            assert!(crashed.is_err(), "{stop}");
            let store = a.store().clone();
            let half = Archive::open(store, options()).await.expect("reopen");
            assert!(
                half.retention_book()
                    .disposition(&id)
                    .is_some_and(DispositionEntry::is_incomplete)
            );
            let err = half
                .open_file(&r, 0)
                .await
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("is being destroyed"), "{err}");
            let v = crate::verify::verify(&half).await.expect("verify");
            assert!(!v.has_damage(), "{:?}", v.findings);
            if stop == "after-intent" {
                assert!(
                    v.findings
                        .iter()
                        .any(|f| f.detail.contains("awaits deletion by disposition")),
                    "{:?}",
                    v.findings
                );
            }
            let refused = a.collect_orphans(time::Duration::ZERO, false).await;
            assert!(
                refused
                    .err()
                    .is_some_and(|e| e.to_string().contains("half-executed"))
            );
            let rep = a
                .execute_disposition_until(&id, &schedule, &FailClosed, None)
                .await
                .expect("resume");
            assert!(rep.resumed);
            assert_eq!(blob_count(&a).await, 0, "{stop}");
            assert!(
                a.manifest(&r, None)
                    .await
                    .expect("tombstone")
                    .files
                    .is_empty()
            );
        }
    }

    #[tokio::test]
    async fn a_hold_placed_after_approval_blocks_execution_and_deletes_nothing() {
        for scope in ["record", "dossier", "query"] {
            let mut a = archive().await;
            let r = deposit(&mut a, b"held").await;
            let id = approved(&mut a, "HS-04", &[r]).await;
            let scope = match scope {
                "record" => HoldScope::Record(retention_rules::RecordId::new(r.to_string())),
                "dossier" => HoldScope::Dossier(retention_rules::DossierId::new("HS-04")),
                _ => HoldScope::Query("thanh tra".into()),
            };
            let hold = a
                .place_hold(scope, "inspection", "Thanh tra tỉnh")
                .await
                .expect("hold");
            let schedule = Schedule::embedded().expect("schedule");
            let err = a
                .execute_disposition(&id, &schedule, &FailClosed)
                .await
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains(&hold.id.0) && err.contains("nothing was deleted"),
                "{err}"
            );
            assert_eq!(blob_count(&a).await, 1);
            let gc = a
                .collect_orphans(time::Duration::ZERO, false)
                .await
                .expect("gc");
            assert!(gc.deleted.is_empty());
            assert_eq!(blob_count(&a).await, 1);
            a.release_hold(&hold.id.0, "case closed")
                .await
                .expect("release");
            a.execute_disposition(&id, &schedule, &FailClosed)
                .await
                .expect("execute after release");
            assert_eq!(blob_count(&a).await, 0);
        }
    }

    #[tokio::test]
    async fn permanent_and_not_yet_due_dossiers_cannot_be_proposed() {
        let mut a = archive().await;
        let schedule = Schedule::embedded().expect("schedule");
        for (code, rule, year) in [("P-1", "permanent", 2000), ("N-1", "10y", 2020)] {
            let mut d = records::Dossier::new(code, "x");
            d.retention = Some(rule.into());
            a.create_dossier(d, &schedule).await.expect("create");
            a.close_dossier(
                code,
                Date::from_calendar_date(year, time::Month::May, 1).expect("date"),
            )
            .await
            .expect("close");
        }
        let p = a
            .propose_disposition(&["P-1".into()], &schedule, &FailClosed)
            .await;
        assert!(
            p.err()
                .is_some_and(|e| e.to_string().contains("permanent dossier"))
        );
        let n = a
            .propose_disposition(&["N-1".into()], &schedule, &FailClosed)
            .await;
        assert!(
            n.err()
                .is_some_and(|e| e.to_string().contains("retention runs until 2030-12-31"))
        );
        assert_eq!(a.retention_book().dispositions().count(), 0);
    }

    #[tokio::test]
    async fn a_conditional_dossier_falls_due_after_its_trigger_event() {
        let mut a = archive().await;
        let schedule = Schedule::embedded().expect("schedule");
        let mut d = records::Dossier::new("C-1", "x");
        d.retention = Some("conditional".into());
        a.create_dossier(d, &schedule).await.expect("create");
        a.close_dossier("C-1", date!(2012 - 03 - 01))
            .await
            .expect("close");
        assert!(a.list_due(&schedule, today()).expect("due").is_empty());
        let bad = a
            .record_trigger("C-1", date!(1940 - 01 - 01), "replaced", &schedule)
            .await;
        assert!(
            bad.err()
                .is_some_and(|e| e.to_string().contains("before 1945"))
        );
        a.record_trigger(
            "C-1",
            date!(2015 - 07 - 01),
            "replaced by 12/QĐ-UBND",
            &schedule,
        )
        .await
        .expect("trigger");
        let store = a.store().clone();
        let reopened = Archive::open(store, options()).await.expect("reopen");
        let due = reopened.list_due(&schedule, today()).expect("due");
        assert_eq!(due.len(), 1);
        assert!(matches!(
            due[0].action,
            retention_rules::DueAction::Destroy { eligible_date } if eligible_date == date!(2015 - 12 - 31)
        ));
        let twice = a
            .record_trigger("C-1", date!(2016 - 01 - 01), "again", &schedule)
            .await;
        assert!(
            twice
                .err()
                .is_some_and(|e| e.to_string().contains("already has"))
        );
    }

    #[tokio::test]
    async fn an_override_may_lengthen_but_not_shorten_retention() {
        let mut a = archive().await;
        let schedule = Schedule::embedded().expect("schedule");
        let mut d = records::Dossier::new("O-1", "x");
        d.retention = Some("10y".into());
        a.create_dossier(d, &schedule).await.expect("create");
        let short = a
            .assign_retention("O-1", "5y", Some("save space"), &schedule)
            .await;
        assert!(
            short
                .err()
                .is_some_and(|e| e.to_string().contains("only lengthen"))
        );
        let no_reason = a.assign_retention("O-1", "20y", None, &schedule).await;
        assert!(
            no_reason
                .err()
                .is_some_and(|e| e.to_string().contains("--reason"))
        );
        let e = a
            .assign_retention("O-1", "20y", Some("dispute"), &schedule)
            .await
            .expect("assign");
        assert_eq!(e.overrides.len(), 1);
        let unknown = a.assign_retention("O-1", "7y", Some("x"), &schedule).await;
        assert!(
            unknown
                .err()
                .is_some_and(|e| e.to_string().contains("unknown retention code"))
        );
    }
}

#[cfg(test)]
mod send {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    /// The HTTP server runs these on a multi-threaded runtime: their futures must be `Send`.
    #[allow(dead_code)]
    fn library_entry_points_are_send(a: &mut Archive, s: &Schedule) {
        assert_send(a.execute_disposition("x", s, fail_closed()));
        assert_send(a.propose_disposition(&[], s, fail_closed()));
        assert_send(a.collect_orphans(time::Duration::ZERO, true));
        assert_send(a.place_hold(HoldScope::Query("q".into()), "r", "a"));
        assert_send(a.release_hold("h", "r"));
        assert_send(a.assign_retention("d", "5y", None, s));
        assert_send(a.create_dossier(records::Dossier::new("c", "t"), s));
        assert_send(a.add_to_dossier("c", &[]));
        assert_send(a.close_dossier("c", today()));
    }
}

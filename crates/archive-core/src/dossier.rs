//! Dossiers (hồ sơ) in the archive: created, filled with records, closed.
//!
//! The pure model is [`records::Dossier`]; this module keeps its life in the
//! journal. Every change is an event (`dossier.created`,
//! `dossier.record_added`, `dossier.closed`, and `retention.assigned` from
//! [`crate::retention`]), and [`Dossiers`] is the read model rebuilt by
//! replaying them when the archive opens. A record is filed in at most one
//! dossier; a closed dossier takes no more records; closing records the year
//! the work ended, from which retention counts.

use std::collections::{BTreeMap, HashMap};

use records::{Dossier, DossierStatus};
use retention_rules::{RetentionOverride, Schedule};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::archive::{Archive, Catalog};
use crate::error::{ArchiveError, Result};
use crate::journal::{Event, Outcome};
use crate::model::RecordId;

/// Event types of dossiers.
pub mod event_types {
    /// A dossier was created (detail: `dossier`, the normalised dossier).
    pub const DOSSIER_CREATED: &str = "dossier.created";
    /// A record was filed in a dossier (detail: `record`).
    pub const DOSSIER_RECORD_ADDED: &str = "dossier.record_added";
    /// A dossier was closed (detail: `end_date`, `year_work_ended`).
    pub const DOSSIER_CLOSED: &str = "dossier.closed";
}
use event_types::*;

/// Earliest date a dossier may carry: Kho's bound (1945, as retention rules).
pub const EARLIEST_YEAR: i32 = retention_rules::eligibility::EARLIEST_YEAR_ENDED;

/// One dossier as the journal knows it.
#[derive(Debug, Clone, Serialize)]
pub struct DossierEntry {
    /// The dossier (status, end date and year work ended once closed).
    pub dossier: Dossier,
    /// Records filed in it, in the order they were added.
    pub records: Vec<RecordId>,
    /// Retention overrides (longer periods decided later), oldest first.
    pub overrides: Vec<RetentionOverride>,
    /// The event that ends a conditional retention period, once recorded.
    pub trigger: Option<retention_rules::TriggerEvent>,
    /// Who created it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was closed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

impl DossierEntry {
    /// The dossier's code (its identifier in the archive).
    pub fn code(&self) -> &str {
        &self.dossier.code
    }

    /// The retention rule code assigned to it, if any.
    pub fn rule(&self) -> Option<&str> {
        self.dossier.retention.as_deref()
    }

    /// What the retention rules need to know, once the dossier is closed and
    /// has a rule; `None` otherwise.
    pub fn retention_view(&self) -> Option<retention_rules::Dossier> {
        let rule = self.rule()?;
        let year = self.dossier.year_work_ended?;
        let mut d = retention_rules::Dossier::new(self.dossier.code.clone(), rule, year);
        d.records = self
            .records
            .iter()
            .map(|r| retention_rules::RecordId::new(r.to_string()))
            .collect();
        d.overrides = self.overrides.clone();
        d.trigger = self.trigger.clone();
        Some(d)
    }
}

/// Read model of dossiers, rebuilt from the journal.
#[derive(Debug, Default, Clone)]
pub struct Dossiers {
    by_code: BTreeMap<String, DossierEntry>,
    record_dossier: HashMap<RecordId, String>,
}

impl Dossiers {
    /// A dossier by code.
    pub fn get(&self, code: &str) -> Option<&DossierEntry> {
        self.by_code.get(code)
    }

    /// Every dossier, by code.
    pub fn iter(&self) -> impl Iterator<Item = &DossierEntry> {
        self.by_code.values()
    }

    /// Number of dossiers.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// True when there is no dossier.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Code of the dossier a record is filed in.
    pub fn of_record(&self, id: &RecordId) -> Option<&str> {
        self.record_dossier.get(id).map(String::as_str)
    }

    pub(crate) fn get_mut(&mut self, code: &str) -> Option<&mut DossierEntry> {
        self.by_code.get_mut(code)
    }
}

#[derive(Deserialize)]
struct CreatedDetail {
    dossier: Dossier,
}

#[derive(Deserialize)]
struct RecordAddedDetail {
    record: RecordId,
}

#[derive(Deserialize)]
struct ClosedDetail {
    end_date: String,
}

/// Applies a dossier event to the catalog (the replay hook of [`Catalog`]).
/// Events that cannot be read are skipped: they were checked when written.
pub(crate) fn apply(catalog: &mut Catalog, ev: &Event) {
    let book = &mut catalog.dossiers;
    match ev.kind.as_str() {
        DOSSIER_CREATED => {
            if let Ok(d) = serde_json::from_value::<CreatedDetail>(ev.detail.clone()) {
                book.by_code.insert(
                    d.dossier.code.clone(),
                    DossierEntry {
                        dossier: d.dossier,
                        records: Vec::new(),
                        overrides: Vec::new(),
                        trigger: None,
                        created_by: ev.actor.clone(),
                        created_at: ev.time,
                        closed_at: None,
                    },
                );
            }
        }
        DOSSIER_RECORD_ADDED => {
            if let Ok(d) = serde_json::from_value::<RecordAddedDetail>(ev.detail.clone())
                && let Some(entry) = book.by_code.get_mut(&ev.object)
            {
                entry.records.push(d.record);
                book.record_dossier.insert(d.record, ev.object.clone());
            }
        }
        DOSSIER_CLOSED => {
            if let Ok(d) = serde_json::from_value::<ClosedDetail>(ev.detail.clone())
                && let Ok(end_date) = records::dates::parse_iso(&d.end_date)
                && let Some(entry) = book.by_code.get_mut(&ev.object)
            {
                entry.dossier.status = DossierStatus::Closed;
                entry.dossier.end_date = Some(end_date);
                entry.dossier.year_work_ended = Some(end_date.year());
                entry.closed_at = Some(ev.time);
            }
        }
        _ => {}
    }
}

fn to_value(v: impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| ArchiveError::Internal(e.to_string()))
}

/// Refuses a date before 1945 (Kho's bound for dossiers and retention).
pub(crate) fn check_not_before_1945(what: &str, date: Date) -> Result<()> {
    if date.year() < EARLIEST_YEAR {
        return Err(ArchiveError::InvalidInput(format!(
            "{what} {date} is before {EARLIEST_YEAR}: Kho keeps records from {EARLIEST_YEAR} on; check the date"
        )));
    }
    Ok(())
}

/// Checks that `code` is a rule of `schedule`, naming the codes it has when not.
pub(crate) fn check_rule(schedule: &Schedule, code: &str) -> Result<()> {
    if schedule
        .rule(&retention_rules::RuleCode::new(code))
        .is_some()
    {
        return Ok(());
    }
    let codes: Vec<&str> = schedule.rules().iter().map(|r| r.code.as_str()).collect();
    Err(ArchiveError::InvalidInput(format!(
        "unknown retention code {code:?}: schedule {} has {}; use one of them or add a row to the schedule file",
        schedule.id(),
        codes.join(", ")
    )))
}

fn problems(p: Vec<records::Problem>) -> ArchiveError {
    ArchiveError::InvalidMetadata {
        problems: p.iter().map(ToString::to_string).collect(),
    }
}

impl Archive {
    /// Dossiers as the journal knows them.
    pub fn dossiers(&self) -> &Dossiers {
        &self.catalog().dossiers
    }

    fn dossier_or_err(&self, code: &str) -> Result<&DossierEntry> {
        self.dossiers().get(code.trim()).ok_or_else(|| {
            ArchiveError::InvalidInput(format!(
                "no dossier {code:?}: `kho dossier list` shows the dossiers"
            ))
        })
    }

    /// Creates an open dossier. Its metadata is normalised and checked (every
    /// problem at once); a retention code must be a rule of `schedule`; the code
    /// must be new. Nothing is written when anything is wrong.
    pub async fn create_dossier(
        &mut self,
        dossier: Dossier,
        schedule: &Schedule,
    ) -> Result<DossierEntry> {
        let d = dossier.normalized();
        let today = OffsetDateTime::now_utc().date();
        if d.status != DossierStatus::Open || d.year_work_ended.is_some() {
            return Err(ArchiveError::InvalidInput(
                "a new dossier is open: create it without status or year_work_ended, then `kho dossier close` it".into(),
            ));
        }
        let mut p = d.validate(today);
        for (path, date) in [("start_date", d.start_date), ("end_date", d.end_date)] {
            if let Some(date) = date
                && date.year() < EARLIEST_YEAR
            {
                p.push(records::Problem::new(
                    path,
                    "not_before_1945",
                    Dossier::label_vi(path).unwrap_or(""),
                    format!("{date} is before {EARLIEST_YEAR}"),
                ));
            }
        }
        if !p.is_empty() {
            return Err(problems(p));
        }
        if let Some(code) = &d.retention {
            check_rule(schedule, code)?;
        }
        if self.dossiers().get(&d.code).is_some() {
            return Err(ArchiveError::InvalidInput(format!(
                "dossier {} already exists; choose another code",
                d.code
            )));
        }
        let actor = self.options().actor.clone();
        let ev = Event::new(
            &actor,
            DOSSIER_CREATED,
            d.code.clone(),
            Outcome::Success,
            serde_json::json!({ "dossier": to_value(&d)? }),
        );
        self.append_events(vec![ev]).await?;
        self.dossier_or_err(&d.code).cloned()
    }

    /// Files records in an open dossier. Each record must be committed, not
    /// disposed and in no dossier yet; all are added in one journal batch or none.
    pub async fn add_to_dossier(&mut self, code: &str, ids: &[RecordId]) -> Result<DossierEntry> {
        let entry = self.dossier_or_err(code)?;
        let code = entry.dossier.code.clone();
        if entry.dossier.status == DossierStatus::Closed {
            return Err(ArchiveError::InvalidInput(format!(
                "dossier {code} is closed: a closed dossier takes no more records"
            )));
        }
        if ids.is_empty() {
            return Err(ArchiveError::InvalidInput(
                "give at least one record id to add".into(),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            if !self.catalog().records.contains_key(id) {
                return Err(ArchiveError::UnknownRecord(id.to_string()));
            }
            if ids[..i].contains(id) {
                return Err(ArchiveError::InvalidInput(format!(
                    "record {id} is given twice"
                )));
            }
            if let Some(d) = self.catalog().retention.disposal_of(id) {
                return Err(ArchiveError::InvalidInput(format!(
                    "record {id} was disposed by {}; it cannot be filed",
                    d.disposition
                )));
            }
            if let Some(other) = self.dossiers().of_record(id) {
                return Err(ArchiveError::InvalidInput(format!(
                    "record {id} is already in dossier {other}: a record is filed in one dossier only"
                )));
            }
        }
        let actor = self.options().actor.clone();
        let events = ids
            .iter()
            .map(|id| {
                Event::new(
                    &actor,
                    DOSSIER_RECORD_ADDED,
                    code.clone(),
                    Outcome::Success,
                    serde_json::json!({ "record": id }),
                )
            })
            .collect();
        self.append_events(events).await?;
        self.dossier_or_err(&code).cloned()
    }

    /// Closes an open dossier on `end_date`: the year of that date is the year
    /// the work ended, from which retention counts. The date may be neither in
    /// the future nor before 1945.
    pub async fn close_dossier(&mut self, code: &str, end_date: Date) -> Result<DossierEntry> {
        let entry = self.dossier_or_err(code)?;
        let code = entry.dossier.code.clone();
        if entry.dossier.status == DossierStatus::Closed {
            return Err(ArchiveError::InvalidInput(format!(
                "dossier {code} is already closed (work ended in {}); nothing was changed",
                entry
                    .dossier
                    .year_work_ended
                    .map(|y| y.to_string())
                    .unwrap_or_else(|| "?".into())
            )));
        }
        check_not_before_1945("end date", end_date)?;
        let today = OffsetDateTime::now_utc().date();
        entry
            .dossier
            .close(end_date, today)
            .map_err(|p| problems(p.0))?;
        let actor = self.options().actor.clone();
        let ev = Event::new(
            &actor,
            DOSSIER_CLOSED,
            code.clone(),
            Outcome::Success,
            serde_json::json!({
                "end_date": records::dates::format_iso(end_date),
                "year_work_ended": end_date.year(),
            }),
        );
        self.append_events(vec![ev]).await?;
        self.dossier_or_err(&code).cloned()
    }
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

    async fn archive() -> Archive {
        let store = Store::open_url(
            "memory://",
            &S3Settings::default(),
            std::path::Path::new("."),
        )
        .expect("memory store");
        let options = ArchiveOptions {
            formats: FormatPolicy::Any,
            metadata: MetadataPolicy::Free,
            ..ArchiveOptions::default()
        };
        Archive::init(store, options).await.expect("init")
    }

    async fn deposit(a: &mut Archive) -> RecordId {
        a.deposit(DepositRequest {
            metadata: serde_json::json!({}),
            files: vec![DepositFile {
                filename: "a.txt".into(),
                role: FileRole::Main,
                source: FileSource::Bytes(bytes::Bytes::from_static(b"x")),
            }],
        })
        .await
        .expect("deposit")
        .record_id
    }

    fn schedule() -> Schedule {
        Schedule::embedded().expect("schedule")
    }

    #[tokio::test]
    async fn a_record_is_filed_in_one_dossier_only() {
        let mut a = archive().await;
        let r = deposit(&mut a).await;
        for code in ["A", "B"] {
            a.create_dossier(Dossier::new(code, "t"), &schedule())
                .await
                .expect("create");
        }
        a.add_to_dossier("A", &[r]).await.expect("add");
        let err = a
            .add_to_dossier("B", &[r])
            .await
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("already in dossier A")));
        assert!(a.dossiers().get("B").is_some_and(|d| d.records.is_empty()));
    }

    #[tokio::test]
    async fn a_closed_dossier_takes_no_more_records() {
        let mut a = archive().await;
        let r = deposit(&mut a).await;
        a.create_dossier(Dossier::new("A", "t"), &schedule())
            .await
            .expect("create");
        let closed = a
            .close_dossier("A", date!(2020 - 03 - 01))
            .await
            .expect("close");
        assert_eq!(closed.dossier.year_work_ended, Some(2020));
        let err = a
            .add_to_dossier("A", &[r])
            .await
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("is closed")));
    }

    #[tokio::test]
    async fn bad_dossiers_are_refused_and_nothing_is_written() {
        let mut a = archive().await;
        let before = a.catalog().events;
        let mut d = Dossier::new("A", "t");
        d.retention = Some("forever".into());
        let e = a
            .create_dossier(d, &schedule())
            .await
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("unknown retention code \"forever\"")));
        let mut d = Dossier::new("A", "t");
        d.start_date = Some(date!(1930 - 01 - 01));
        let e = a
            .create_dossier(d, &schedule())
            .await
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("before 1945")));
        a.create_dossier(Dossier::new("A", "t"), &schedule())
            .await
            .expect("create");
        let e = a
            .close_dossier("A", date!(1944 - 12 - 31))
            .await
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("before 1945")));
        let future = OffsetDateTime::now_utc().date() + time::Duration::days(400);
        let e = a
            .close_dossier("A", future)
            .await
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("future")));
        let e = a
            .add_to_dossier("A", &[RecordId::new()])
            .await
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("no record")));
        assert_eq!(a.catalog().events, before + 1);
    }
}

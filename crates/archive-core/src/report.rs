//! Statistics of documents sent and received in a period (the periodic report
//! on electronic sending and receiving that the exchange rules require),
//! used by `kho report` and the HTTP API.
//!
//! A record counts as **sent** when its `kind` is `outgoing`, dated by its
//! `issued_on`, and as **received** when its `kind` is `incoming`, dated by
//! its `arrival_date` (or, without one, the day the archive received it).
//! Internal records and records without a date are not counted. A document
//! has a **valid signature** when a signature check made at deposit (the
//! manifest's `signature_reports`) decided `accept`: every signature intact,
//! trusted and valid at signing time. Everything else (`accept-with-warning`,
//! unsigned, no check) counts as without a valid signature;
//! `accept-with-warning` is also counted apart.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use crate::archive::Archive;
use crate::error::Result;
use crate::model::RecordManifest;

/// How report rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// By the issuing agency (code, or name without a code).
    #[default]
    Agency,
    /// By document type (`doc_type` code).
    Type,
    /// By month of the date counted (`YYYY-MM`).
    Month,
}

/// Counts of one direction (sent or received).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Documents.
    pub documents: u64,
    /// Of which with a valid signature.
    pub valid_signature: u64,
    /// Of which without a valid signature.
    pub without_valid_signature: u64,
    /// Of those without, signed but accepted with a warning (e.g. untrusted).
    pub signed_with_warning: u64,
}

impl Counts {
    fn add(&mut self, signature: SignatureState) {
        self.documents += 1;
        match signature {
            SignatureState::Valid => self.valid_signature += 1,
            SignatureState::Warning => {
                self.without_valid_signature += 1;
                self.signed_with_warning += 1;
            }
            SignatureState::None => self.without_valid_signature += 1,
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.documents += other.documents;
        self.valid_signature += other.valid_signature;
        self.without_valid_signature += other.without_valid_signature;
        self.signed_with_warning += other.signed_with_warning;
    }
}

/// One row of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    /// Group key (agency, type or month; `(none)` when the field is empty).
    pub group: String,
    /// Documents sent (outgoing).
    pub sent: Counts,
    /// Documents received (incoming).
    pub received: Counts,
}

/// The statistics of a period.
#[derive(Debug, Clone, Serialize)]
pub struct StatisticsReport {
    /// First day counted (`YYYY-MM-DD`; none = open).
    pub from: Option<String>,
    /// Last day counted (`YYYY-MM-DD`; none = open).
    pub to: Option<String>,
    /// Grouping.
    pub by: GroupBy,
    /// Rows, by group key.
    pub rows: Vec<ReportRow>,
    /// Sums over all rows (`group` = `total`).
    pub total: ReportRow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignatureState {
    Valid,
    Warning,
    None,
}

fn signature_state(m: &RecordManifest) -> SignatureState {
    let decisions = || m.signature_reports.iter().map(|r| r.decision.as_str());
    if decisions().any(|d| d == "accept") {
        SignatureState::Valid
    } else if decisions().any(|d| d == "accept-with-warning") {
        SignatureState::Warning
    } else {
        SignatureState::None
    }
}

fn date_field(m: &RecordManifest, field: &str) -> Option<Date> {
    let text = m.metadata.get(field)?.as_str()?;
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn text_field<'a>(m: &'a RecordManifest, field: &str) -> Option<&'a str> {
    m.metadata
        .get(field)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Which direction and date a record counts under, if any.
fn counted(m: &RecordManifest) -> Option<(bool, Date)> {
    match text_field(m, "kind")? {
        "outgoing" => Some((true, date_field(m, "issued_on")?)),
        "incoming" => Some((
            false,
            date_field(m, "arrival_date").unwrap_or(m.received_at.date()),
        )),
        _ => None,
    }
}

fn group_key(m: &RecordManifest, date: Date, by: GroupBy) -> String {
    let key = match by {
        GroupBy::Agency => text_field(m, "issuer_code")
            .or_else(|| text_field(m, "issuer"))
            .map(str::to_owned),
        GroupBy::Type => text_field(m, "doc_type").map(str::to_owned),
        GroupBy::Month => Some(format!("{:04}-{:02}", date.year(), u8::from(date.month()))),
    };
    key.unwrap_or_else(|| "(none)".to_owned())
}

/// Counts the documents sent and received from `from` to `to` (both
/// included; open when `None`), grouped by `by`. Reads the latest manifest of
/// every record.
pub async fn statistics(
    archive: &Archive,
    from: Option<Date>,
    to: Option<Date>,
    by: GroupBy,
) -> Result<StatisticsReport> {
    let mut groups: BTreeMap<String, ReportRow> = BTreeMap::new();
    let ids: Vec<_> = archive.record_ids().copied().collect();
    for id in ids {
        let m = archive.manifest(&id, None).await?;
        let Some((sent, date)) = counted(&m) else {
            continue;
        };
        if from.is_some_and(|f| date < f) || to.is_some_and(|t| date > t) {
            continue;
        }
        let key = group_key(&m, date, by);
        let row = groups.entry(key.clone()).or_insert_with(|| ReportRow {
            group: key,
            ..ReportRow::default()
        });
        let state = signature_state(&m);
        if sent {
            row.sent.add(state);
        } else {
            row.received.add(state);
        }
    }
    let mut total = ReportRow {
        group: "total".into(),
        ..ReportRow::default()
    };
    for row in groups.values() {
        total.sent.merge(&row.sent);
        total.received.merge(&row.received);
    }
    let iso = |d: Option<Date>| {
        d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
    };
    Ok(StatisticsReport {
        from: iso(from),
        to: iso(to),
        by,
        rows: groups.into_values().collect(),
        total,
    })
}

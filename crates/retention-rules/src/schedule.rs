//! Retention schedules: the table of rules that say how long each kind of
//! dossier is kept.
//!
//! A schedule is data, loaded from a tab-separated table in the layout of the
//! project's reference table `retention_periods.tsv`: one header line, then
//! one row per entry, no quoting, empty cell = no value. Columns are found by
//! header name, so an agency may reorder them; the columns
//! `kind`, `rule_id`, `group_vi`, `record_type_vi`, `period_vi`,
//! `period_years`, `counted_from`, `source`, `status` and `note` must all be
//! present.
//!
//! Row kinds:
//!
//! | `kind` | becomes |
//! |---|---|
//! | `class` | a [`RetentionRule`] of kind [`RuleKind::Class`]; its period is also an allowed class |
//! | `rule` | a [`RetentionRule`] of kind [`RuleKind::Rule`]; its period must be one of the classes |
//! | `transfer` | the [`TransferPolicy`]: years within which permanent dossiers go to the historical archive |
//! | `counting`, `related` | a [`ScheduleNote`], kept for display, not used in computations |
//!
//! How a rule's period is read:
//!
//! - `period_years` not empty → [`RetentionPeriod::Years`], counted from the
//!   year the work ended (`counted_from` must be `year_work_ended`);
//! - otherwise `counted_from` = `event` → [`RetentionPeriod::Conditional`];
//! - otherwise `period_vi` = `Vĩnh viễn` (any case) or `rule_id` = `permanent`
//!   → [`RetentionPeriod::Permanent`].
//!
//! Anything else is refused with an error naming the line and column.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The reference retention table shipped with Kho, unchanged from the
/// project's shared reference tables (see `data/SOURCE.md`).
pub const DEFAULT_SCHEDULE_TSV: &str = include_str!("../data/retention_periods.tsv");

/// Name under which the embedded reference table is identified.
pub const DEFAULT_SCHEDULE_NAME: &str = "kho-reference";

/// Columns every schedule table must have, in the reference order.
pub const COLUMNS: [&str; 10] = [
    "kind",
    "rule_id",
    "group_vi",
    "record_type_vi",
    "period_vi",
    "period_years",
    "counted_from",
    "source",
    "status",
    "note",
];

/// Largest retention period in years a schedule may state.
///
/// Far above every class of the law (70 years); it only keeps date arithmetic
/// inside the calendar range.
pub const MAX_PERIOD_YEARS: u16 = 500;

/// Code of a retention rule, the `rule_id` column (e.g. `10y`,
/// `tt10_2022_dau_thau_trung`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleCode(pub String);

impl RuleCode {
    /// Wraps a rule code.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long a dossier is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionPeriod {
    /// Kept forever: transferred to the historical archive, never destroyed.
    Permanent,
    /// Kept this many years counted from the year the work ended.
    Years(u16),
    /// Kept until an event happens ("đến khi …"); needs a recorded trigger.
    Conditional,
}

impl fmt::Display for RetentionPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Permanent => f.write_str("permanent"),
            Self::Years(years) => write!(f, "{years} years"),
            Self::Conditional => f.write_str("conditional"),
        }
    }
}

/// Whether a row states a retention class or a concrete rule for a record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A retention class (permanent, 70, 50, 20, 10, 5 years, conditional).
    Class,
    /// A period for a named type of record.
    Rule,
}

/// How far a row has been checked against the legal text (column `status`).
///
/// Only [`VerificationStatus::Verified`] may be presented to users as law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Read in the text of the legal document itself.
    Verified,
    /// Read in a secondary text reporting the law.
    Secondary,
    /// Seen only in public implementations.
    Impl,
    /// Not confirmed by any text read.
    Unverified,
    /// From the superseded TT 09/2011/TT-BNV; not valid for TT 10/2022.
    UnverifiedFor2022,
    /// Kho's own convention, not a legal requirement.
    Design,
}

impl VerificationStatus {
    /// Parses the `status` cell.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "verified" => Self::Verified,
            "secondary" => Self::Secondary,
            "impl" => Self::Impl,
            "unverified" => Self::Unverified,
            "unverified-for-2022" => Self::UnverifiedFor2022,
            "design" => Self::Design,
            _ => return None,
        })
    }

    /// The cell text of this status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Secondary => "secondary",
            Self::Impl => "impl",
            Self::Unverified => "unverified",
            Self::UnverifiedFor2022 => "unverified-for-2022",
            Self::Design => "design",
        }
    }

    /// True only when the row was read in the legal text itself.
    pub fn is_verified(self) -> bool {
        self == Self::Verified
    }
}

/// One retention rule or class of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    /// Code the dossiers refer to.
    pub code: RuleCode,
    /// Class or concrete rule.
    pub kind: RuleKind,
    /// Group of records (`group_vi`), if stated.
    pub group: Option<String>,
    /// What the rule covers: the record type, or the period wording for a class.
    pub description: String,
    /// The period as worded in the source (`period_vi`).
    pub period_text: String,
    /// The period Kho computes with.
    pub period: RetentionPeriod,
    /// Where the rule comes from.
    pub source: String,
    /// How far the rule has been checked.
    pub status: VerificationStatus,
    /// Free note, if any.
    pub note: Option<String>,
    /// 1-based line of the table the rule was read from.
    pub line: usize,
}

impl RetentionRule {
    /// True only when the rule was read in the legal text itself.
    pub fn is_verified(&self) -> bool {
        self.status.is_verified()
    }
}

/// Deadline for transferring permanent dossiers to the historical archive.
///
/// Read from a `transfer` row: deadline = 31 December of (year the work ended
/// + `years`). The reference table has no such row, because the deadline of
///   the Law on Archives 2024 has not been read; an agency adds it to its own
///   table once checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferPolicy {
    /// Code of the row.
    pub code: RuleCode,
    /// Years after the year the work ended within which to transfer.
    pub years: u16,
    /// Where the deadline comes from.
    pub source: String,
    /// How far the deadline has been checked.
    pub status: VerificationStatus,
}

/// Kind of a row kept only for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// How periods are counted.
    Counting,
    /// A related deadline (deposit, notification), not a retention period.
    Related,
}

/// A `counting` or `related` row: context for people, not used in computations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleNote {
    /// Row kind.
    pub kind: NoteKind,
    /// Code of the row.
    pub code: RuleCode,
    /// Group (`group_vi`), if any.
    pub group: Option<String>,
    /// Record type (`record_type_vi`), if any.
    pub record_type: Option<String>,
    /// Period or deadline as worded (`period_vi`), if any.
    pub period_text: Option<String>,
    /// Number in `period_years`, if any.
    pub period_years: Option<u16>,
    /// What the deadline is counted from, if stated.
    pub counted_from: Option<String>,
    /// Where the row comes from.
    pub source: String,
    /// How far the row has been checked.
    pub status: VerificationStatus,
    /// Free note, if any.
    pub note: Option<String>,
}

/// Identifies one version of a schedule: a name and a fingerprint of its text.
///
/// Any edit of the table changes the fingerprint, so a decision that records
/// the identifier shows which table it was taken under. The fingerprint is
/// FNV-1a (64 bits) of the table's bytes: it detects edits, it is not a
/// security checksum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduleId {
    /// Name given by whoever loaded the table.
    pub name: String,
    /// `fnv1a64:` followed by 16 lowercase hex digits.
    pub fingerprint: String,
}

impl ScheduleId {
    /// Identifier of `text` under `name`.
    pub fn of(name: impl Into<String>, text: &str) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.as_bytes() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Self {
            name: name.into(),
            fingerprint: format!("fnv1a64:{hash:016x}"),
        }
    }
}

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.fingerprint)
    }
}

/// Why a schedule table could not be loaded. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The table has no header line.
    #[error("the schedule table is empty: expected a header line with columns {expected}")]
    Empty {
        /// The required columns, tab-separated.
        expected: String,
    },
    /// A required column is missing from the header.
    #[error("line 1: column `{column}` is missing from the header; add it (it may stay empty)")]
    MissingColumn {
        /// Name of the missing column.
        column: &'static str,
    },
    /// A column name appears twice in the header.
    #[error("line 1 column {column}: column `{name}` appears twice in the header")]
    DuplicateColumn {
        /// Position of the second occurrence.
        column: usize,
        /// The repeated name.
        name: String,
    },
    /// A row has a different number of cells than the header.
    #[error(
        "line {line}: {found} cells, the header has {expected}; check for missing or extra tabs"
    )]
    CellCount {
        /// Line of the row.
        line: usize,
        /// Cells in the header.
        expected: usize,
        /// Cells in the row.
        found: usize,
    },
    /// A cell that must have a value is empty.
    #[error("line {line} column {column} ({name}): value required")]
    EmptyCell {
        /// Line of the row.
        line: usize,
        /// Column position.
        column: usize,
        /// Column name.
        name: &'static str,
    },
    /// A cell has a value Kho does not accept.
    #[error("line {line} column {column} ({name}): `{value}` is not valid: {expected}")]
    InvalidCell {
        /// Line of the row.
        line: usize,
        /// Column position.
        column: usize,
        /// Column name.
        name: &'static str,
        /// The cell as written.
        value: String,
        /// What would be accepted.
        expected: String,
    },
    /// Two rows use the same code.
    #[error(
        "line {line} column {column} (rule_id): code `{code}` is already used on line {first_line}"
    )]
    DuplicateCode {
        /// Line of the second row.
        line: usize,
        /// Column position of `rule_id`.
        column: usize,
        /// The repeated code.
        code: String,
        /// Line of the first row with the code.
        first_line: usize,
    },
    /// A rule's period is not one of the classes of the table.
    #[error(
        "line {line} column {column} ({name}): {period} is not a class of this schedule; add a `class` row for it or use one of: {classes}"
    )]
    NotAClass {
        /// Line of the row.
        line: usize,
        /// Column position.
        column: usize,
        /// Column name.
        name: &'static str,
        /// The period of the rule.
        period: RetentionPeriod,
        /// The classes of the table.
        classes: String,
    },
}

/// A versioned retention schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    id: ScheduleId,
    rules: Vec<RetentionRule>,
    notes: Vec<ScheduleNote>,
    transfer: Option<TransferPolicy>,
}

impl Schedule {
    /// The reference schedule embedded in Kho ([`DEFAULT_SCHEDULE_TSV`]).
    pub fn embedded() -> Result<Self, ScheduleError> {
        Self::from_tsv_named(DEFAULT_SCHEDULE_NAME, DEFAULT_SCHEDULE_TSV)
    }

    /// Loads a table an agency edits; named `agency` in its identifier.
    pub fn from_tsv(text: &str) -> Result<Self, ScheduleError> {
        Self::from_tsv_named("agency", text)
    }

    /// Loads a table and names it `name` in its identifier.
    pub fn from_tsv_named(name: &str, text: &str) -> Result<Self, ScheduleError> {
        let id = ScheduleId::of(name, text);
        let mut lines = text.lines().enumerate().map(|(index, line)| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            (index + 1, line)
        });
        let header = loop {
            match lines.next() {
                None => {
                    return Err(ScheduleError::Empty {
                        expected: COLUMNS.join("\t"),
                    });
                }
                Some((_, line)) if line.trim().is_empty() => continue,
                Some((_, line)) => break line,
            }
        };
        let layout = Layout::from_header(header)?;

        let mut rules = Vec::new();
        let mut notes = Vec::new();
        let mut transfer = None;
        let mut seen_codes: BTreeMap<String, usize> = BTreeMap::new();
        for (line_no, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let row = Row::split(&layout, line_no, line)?;
            let code = row.required("rule_id")?;
            if let Some(first_line) = seen_codes.get(code) {
                return Err(ScheduleError::DuplicateCode {
                    line: line_no,
                    column: layout.position("rule_id"),
                    code: code.to_owned(),
                    first_line: *first_line,
                });
            }
            seen_codes.insert(code.to_owned(), line_no);
            let kind = row.required("kind")?;
            match kind {
                "class" | "rule" => rules.push(row.rule(kind == "class")?),
                "counting" | "related" => notes.push(row.note(kind == "counting")?),
                "transfer" => {
                    if let Some(previous) = &transfer {
                        let previous: &TransferPolicy = previous;
                        return Err(row.invalid(
                            "kind",
                            format!(
                                "only one `transfer` row is allowed; `{}` is already one",
                                previous.code
                            ),
                        ));
                    }
                    transfer = Some(row.transfer()?);
                }
                _ => {
                    return Err(row.invalid(
                        "kind",
                        "one of class, rule, transfer, counting, related".to_owned(),
                    ));
                }
            }
        }

        let classes: Vec<RetentionPeriod> = rules
            .iter()
            .filter(|rule| rule.kind == RuleKind::Class)
            .map(|rule| rule.period)
            .collect();
        for rule in rules.iter().filter(|rule| rule.kind == RuleKind::Rule) {
            if !classes.contains(&rule.period) {
                let name = match rule.period {
                    RetentionPeriod::Years(_) => "period_years",
                    _ => "period_vi",
                };
                return Err(ScheduleError::NotAClass {
                    line: rule.line,
                    column: layout.position(name),
                    name,
                    period: rule.period,
                    classes: classes
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }

        Ok(Self {
            id,
            rules,
            notes,
            transfer,
        })
    }

    /// Identifier of this version of the schedule.
    pub fn id(&self) -> &ScheduleId {
        &self.id
    }

    /// All classes and rules, in table order.
    pub fn rules(&self) -> &[RetentionRule] {
        &self.rules
    }

    /// The classes only, in table order.
    pub fn classes(&self) -> impl Iterator<Item = &RetentionRule> {
        self.rules
            .iter()
            .filter(|rule| rule.kind == RuleKind::Class)
    }

    /// The rule or class with this code.
    pub fn rule(&self, code: &RuleCode) -> Option<&RetentionRule> {
        self.rules.iter().find(|rule| &rule.code == code)
    }

    /// The `counting` and `related` rows, in table order.
    pub fn notes(&self) -> &[ScheduleNote] {
        &self.notes
    }

    /// The transfer deadline for permanent dossiers, if the table states one.
    pub fn transfer_policy(&self) -> Option<&TransferPolicy> {
        self.transfer.as_ref()
    }

    /// Number of data rows read: rules, notes and the transfer row.
    pub fn row_count(&self) -> usize {
        self.rules.len() + self.notes.len() + usize::from(self.transfer.is_some())
    }
}

/// Column positions found in the header.
struct Layout {
    positions: BTreeMap<&'static str, usize>,
    width: usize,
}

impl Layout {
    fn from_header(header: &str) -> Result<Self, ScheduleError> {
        let names: Vec<&str> = header.split('\t').map(str::trim).collect();
        let mut positions = BTreeMap::new();
        for (index, name) in names.iter().enumerate() {
            if names[..index].contains(name) && !name.is_empty() {
                return Err(ScheduleError::DuplicateColumn {
                    column: index + 1,
                    name: (*name).to_owned(),
                });
            }
        }
        for column in COLUMNS {
            let index = names
                .iter()
                .position(|name| *name == column)
                .ok_or(ScheduleError::MissingColumn { column })?;
            positions.insert(column, index);
        }
        Ok(Self {
            positions,
            width: names.len(),
        })
    }

    /// 1-based position of a required column.
    fn position(&self, column: &'static str) -> usize {
        // Every name of COLUMNS was checked present in `from_header`.
        self.positions.get(column).map_or(0, |index| index + 1)
    }
}

/// One data row with its line number.
struct Row<'a> {
    layout: &'a Layout,
    line: usize,
    cells: Vec<&'a str>,
}

impl<'a> Row<'a> {
    fn split(layout: &'a Layout, line: usize, text: &'a str) -> Result<Self, ScheduleError> {
        let cells: Vec<&str> = text.split('\t').map(str::trim).collect();
        if cells.len() != layout.width {
            return Err(ScheduleError::CellCount {
                line,
                expected: layout.width,
                found: cells.len(),
            });
        }
        Ok(Self {
            layout,
            line,
            cells,
        })
    }

    fn cell(&self, column: &'static str) -> &'a str {
        self.layout
            .positions
            .get(column)
            .and_then(|index| self.cells.get(*index))
            .copied()
            .unwrap_or("")
    }

    fn optional(&self, column: &'static str) -> Option<String> {
        let value = self.cell(column);
        (!value.is_empty()).then(|| value.to_owned())
    }

    fn required(&self, column: &'static str) -> Result<&'a str, ScheduleError> {
        let value = self.cell(column);
        if value.is_empty() {
            Err(ScheduleError::EmptyCell {
                line: self.line,
                column: self.layout.position(column),
                name: column,
            })
        } else {
            Ok(value)
        }
    }

    fn invalid(&self, column: &'static str, expected: String) -> ScheduleError {
        ScheduleError::InvalidCell {
            line: self.line,
            column: self.layout.position(column),
            name: column,
            value: self.cell(column).to_owned(),
            expected,
        }
    }

    fn status(&self) -> Result<VerificationStatus, ScheduleError> {
        let value = self.required("status")?;
        VerificationStatus::parse(value).ok_or_else(|| {
            self.invalid(
                "status",
                "one of verified, secondary, impl, unverified, unverified-for-2022, design"
                    .to_owned(),
            )
        })
    }

    fn years(&self) -> Result<Option<u16>, ScheduleError> {
        let value = self.cell("period_years");
        if value.is_empty() {
            return Ok(None);
        }
        match value.parse::<u16>() {
            Ok(years) if (1..=MAX_PERIOD_YEARS).contains(&years) => Ok(Some(years)),
            _ => Err(self.invalid(
                "period_years",
                format!("a whole number of years from 1 to {MAX_PERIOD_YEARS}"),
            )),
        }
    }

    fn rule(&self, is_class: bool) -> Result<RetentionRule, ScheduleError> {
        let code = self.required("rule_id")?;
        let period_text = self.required("period_vi")?;
        let counted_from = self.cell("counted_from");
        let period = match self.years()? {
            Some(years) => {
                if counted_from != "year_work_ended" {
                    return Err(self.invalid(
                        "counted_from",
                        "`year_work_ended` for a period in years".to_owned(),
                    ));
                }
                RetentionPeriod::Years(years)
            }
            None if counted_from == "event" => RetentionPeriod::Conditional,
            None if counted_from.is_empty()
                && (period_text.to_lowercase() == "vĩnh viễn" || code == "permanent") =>
            {
                RetentionPeriod::Permanent
            }
            None => {
                return Err(self.invalid(
                    "period_years",
                    "a number of years; or empty with counted_from `event` (conditional); \
                     or empty with period_vi `Vĩnh viễn` (permanent)"
                        .to_owned(),
                ));
            }
        };
        let (kind, description) = if is_class {
            (RuleKind::Class, period_text.to_owned())
        } else {
            (RuleKind::Rule, self.required("record_type_vi")?.to_owned())
        };
        Ok(RetentionRule {
            code: RuleCode::new(code),
            kind,
            group: self.optional("group_vi"),
            description,
            period_text: period_text.to_owned(),
            period,
            source: self.required("source")?.to_owned(),
            status: self.status()?,
            note: self.optional("note"),
            line: self.line,
        })
    }

    fn note(&self, is_counting: bool) -> Result<ScheduleNote, ScheduleError> {
        Ok(ScheduleNote {
            kind: if is_counting {
                NoteKind::Counting
            } else {
                NoteKind::Related
            },
            code: RuleCode::new(self.required("rule_id")?),
            group: self.optional("group_vi"),
            record_type: self.optional("record_type_vi"),
            period_text: self.optional("period_vi"),
            period_years: self.years()?,
            counted_from: self.optional("counted_from"),
            source: self.required("source")?.to_owned(),
            status: self.status()?,
            note: self.optional("note"),
        })
    }

    fn transfer(&self) -> Result<TransferPolicy, ScheduleError> {
        let years = match self.years()? {
            Some(years) => years,
            None => {
                return Err(ScheduleError::EmptyCell {
                    line: self.line,
                    column: self.layout.position("period_years"),
                    name: "period_years",
                });
            }
        };
        if self.cell("counted_from") != "year_work_ended" {
            return Err(self.invalid(
                "counted_from",
                "`year_work_ended` for a transfer deadline".to_owned(),
            ));
        }
        Ok(TransferPolicy {
            code: RuleCode::new(self.required("rule_id")?),
            years,
            source: self.required("source")?.to_owned(),
            status: self.status()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_fnv1a_64_of_the_text() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(
            ScheduleId::of("x", "").fingerprint,
            "fnv1a64:cbf29ce484222325"
        );
        assert_eq!(
            ScheduleId::of("x", "a").fingerprint,
            "fnv1a64:af63dc4c8601ec8c"
        );
    }

    #[test]
    fn verification_status_round_trips_its_cell_text() {
        for text in [
            "verified",
            "secondary",
            "impl",
            "unverified",
            "unverified-for-2022",
            "design",
        ] {
            assert_eq!(
                VerificationStatus::parse(text).map(VerificationStatus::as_str),
                Some(text)
            );
        }
        assert_eq!(VerificationStatus::parse("Verified"), None);
    }
}

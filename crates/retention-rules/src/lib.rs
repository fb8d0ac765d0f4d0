//! Retention schedules, legal holds and disposition for Kho.
//!
//! A pure crate: no I/O, no clock, no async. The archive passes in the
//! schedule, dossiers, holds and the day to decide for, and stores what comes
//! out (evaluations, refusals, disposition events as JSON).
//!
//! - [`schedule`]: retention schedules as versioned, editable data; the
//!   reference table is embedded ([`Schedule::embedded`]) and an agency's own
//!   table loads with [`Schedule::from_tsv`].
//! - [`eligibility`]: the date convention (a period of `P` years for work
//!   that ended in year `Y` runs until 31 December of `Y + P`; deletion is
//!   permitted from the next day), permanent dossiers transferred rather
//!   than destroyed, conditional periods with trigger events, overrides that
//!   may only lengthen.
//! - [`hold`]: legal holds on records, dossiers and queries, and which of
//!   them block a deletion.
//! - [`deletion`]: [`deletion_permitted`], the one check every deletion path
//!   makes, combining holds and retention.
//! - [`disposition`]: proposed → appraised → approved → executed, or rejected.
//! - [`due`]: [`list_due`], what is due on a given day.
//!
//! Rows of the schedule that are not `verified` are data an agency can edit,
//! not law: [`RetentionRule::is_verified`] tells which is which.
//!
//! ```
//! use retention_rules::{Deletion, Dossier, FailClosed, Schedule, deletion_permitted};
//! use time::macros::date;
//!
//! let schedule = Schedule::embedded()?;
//! // A 10-year dossier whose work ended in 2014 is kept until 31 December 2024.
//! let dossier = Dossier::new("hs-2014-017", "10y", 2014);
//! let check = |as_of| {
//!     deletion_permitted(&dossier, &Deletion::WholeDossier, &schedule, &[], &FailClosed, as_of)
//! };
//! assert!(check(date!(2024 - 12 - 31)).is_err());
//! assert!(check(date!(2025 - 01 - 01)).is_ok());
//! # Ok::<(), retention_rules::ScheduleError>(())
//! ```

pub mod deletion;
pub mod disposition;
pub mod due;
pub mod eligibility;
pub mod hold;
pub mod schedule;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use deletion::{Deletion, DeletionRefused, RefusalReason, deletion_permitted};
pub use disposition::{
    Appraisal, Approval, Disposition, DispositionAction, DispositionEvent, DispositionId,
    DispositionState, Execution, Proposal, Rejection, TransitionError,
};
pub use due::{DueAction, DueItem, list_due, list_due_with};
pub use eligibility::{
    Dossier, Evaluation, EvaluationError, Outcome, RetentionOverride, TriggerEvent, eligible_date,
};
pub use hold::{
    BlockedBy, BlockingHold, DeletionTarget, FailClosed, Hold, HoldId, HoldRelease, HoldScope,
    QueryHoldMatcher, QueryMatch, blocking_holds,
};
pub use schedule::{
    RetentionPeriod, RetentionRule, RuleCode, RuleKind, Schedule, ScheduleError, ScheduleId,
    TransferPolicy, VerificationStatus,
};

/// Identifier of a dossier (hồ sơ), as the archive assigns it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DossierId(pub String);

impl DossierId {
    /// Wraps a dossier identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for DossierId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifier of a record (tài liệu), as the archive assigns it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub String);

impl RecordId {
    /// Wraps a record identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Calendar dates in stored JSON as `YYYY-MM-DD`.
mod date_format {
    time::serde::format_description!(date_format, Date, "[year]-[month]-[day]");
    pub use date_format::*;
}

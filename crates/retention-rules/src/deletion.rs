//! The single decision every deletion path asks: may this go now?
//!
//! [`deletion_permitted`] combines legal holds and retention. It reports
//! every reason that refuses a deletion, not only the first, so a records
//! manager sees at once that a dossier is both held and not yet due.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::eligibility::{Dossier, Evaluation, EvaluationError, Outcome, permitted_from};
use crate::hold::{BlockedBy, DeletionTarget, Hold, HoldId, QueryHoldMatcher, blocking_holds};
use crate::schedule::{RuleCode, Schedule};
use crate::{DossierId, RecordId, date_format};

/// What a deletion removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Deletion {
    /// The dossier and all its records.
    WholeDossier,
    /// One record of the dossier.
    Record(RecordId),
}

impl Deletion {
    /// The records and dossier this deletion of `dossier` would remove.
    pub fn target(&self, dossier: &Dossier) -> DeletionTarget {
        match self {
            Self::WholeDossier => {
                DeletionTarget::dossier(dossier.id.clone(), dossier.records.clone())
            }
            Self::Record(record) => {
                DeletionTarget::record(record.clone(), Some(dossier.id.clone()))
            }
        }
    }
}

/// One reason a deletion is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum RefusalReason {
    /// A legal hold covers the target.
    Held {
        /// The hold.
        hold: HoldId,
        /// Authority that ordered it.
        authority: String,
        /// How it covers the target.
        by: BlockedBy,
    },
    /// Retention has not ended.
    NotYetDue {
        /// Last day covered by retention.
        #[serde(with = "date_format")]
        eligible_date: Date,
        /// First day deletion would be permitted (absent only after year 9999).
        #[serde(with = "date_format::option")]
        permitted_from: Option<Date>,
    },
    /// The dossier is permanent: it is transferred, never destroyed.
    Permanent {
        /// Transfer deadline, when the schedule states one.
        #[serde(with = "date_format::option")]
        transfer_deadline: Option<Date>,
    },
    /// Conditional retention whose trigger event has not been recorded.
    AwaitingTrigger {
        /// The rule that needs the trigger.
        rule: RuleCode,
    },
    /// The record to delete is not listed in the dossier.
    RecordNotInDossier {
        /// The record.
        record: RecordId,
    },
    /// Retention could not be computed.
    Retention(EvaluationError),
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Held {
                hold, authority, ..
            } => write!(f, "legal hold {hold} ordered by {authority}"),
            Self::NotYetDue {
                eligible_date,
                permitted_from: Some(from),
            } => write!(
                f,
                "retention runs until {eligible_date}; deletion permitted from {from}"
            ),
            Self::NotYetDue { eligible_date, .. } => {
                write!(f, "retention runs until {eligible_date}")
            }
            Self::Permanent {
                transfer_deadline: Some(deadline),
            } => write!(
                f,
                "permanent dossier: transfer it to the historical archive by {deadline} instead"
            ),
            Self::Permanent { .. } => {
                f.write_str("permanent dossier: transfer it to the historical archive instead")
            }
            Self::AwaitingTrigger { rule } => write!(
                f,
                "rule {rule} keeps the dossier until an event; record the trigger event first"
            ),
            Self::RecordNotInDossier { record } => {
                write!(f, "record {record} is not listed in the dossier")
            }
            Self::Retention(error) => error.fmt(f),
        }
    }
}

/// A refused deletion with every reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("deletion in dossier {dossier} refused: {}", join(.reasons))]
pub struct DeletionRefused {
    /// The dossier.
    pub dossier: DossierId,
    /// Every reason, holds first; never empty.
    pub reasons: Vec<RefusalReason>,
}

impl DeletionRefused {
    /// The holds among the reasons.
    pub fn holds(&self) -> impl Iterator<Item = &HoldId> {
        self.reasons.iter().filter_map(|reason| match reason {
            RefusalReason::Held { hold, .. } => Some(hold),
            _ => None,
        })
    }
}

fn join(reasons: &[RefusalReason]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether `deletion` in `dossier` may happen on `as_of`.
///
/// Permitted only when no active hold covers the target, the record (if one)
/// is listed in the dossier, and retention ended before `as_of` (see
/// [`crate::eligibility`] for the date convention). On success returns the
/// retention evaluation to store with the disposition.
pub fn deletion_permitted(
    dossier: &Dossier,
    deletion: &Deletion,
    schedule: &Schedule,
    holds: &[Hold],
    matcher: &dyn QueryHoldMatcher,
    as_of: Date,
) -> Result<Evaluation, DeletionRefused> {
    let target = deletion.target(dossier);
    let mut reasons: Vec<RefusalReason> = blocking_holds(holds, &target, matcher)
        .into_iter()
        .map(|blocking| RefusalReason::Held {
            hold: blocking.hold.id.clone(),
            authority: blocking.hold.authority.clone(),
            by: blocking.by,
        })
        .collect();
    if let Deletion::Record(record) = deletion
        && !dossier.records.contains(record)
    {
        reasons.push(RefusalReason::RecordNotInDossier {
            record: record.clone(),
        });
    }
    let evaluation = match schedule.evaluate(dossier, as_of) {
        Ok(evaluation) => {
            if let Some(reason) = retention_refusal(&evaluation, as_of) {
                reasons.push(reason);
            }
            Some(evaluation)
        }
        Err(error) => {
            reasons.push(RefusalReason::Retention(error));
            None
        }
    };
    match evaluation {
        Some(evaluation) if reasons.is_empty() => Ok(evaluation),
        _ => Err(DeletionRefused {
            dossier: dossier.id.clone(),
            reasons,
        }),
    }
}

/// Why retention alone refuses deletion on `as_of`, if it does.
pub fn retention_refusal(evaluation: &Evaluation, as_of: Date) -> Option<RefusalReason> {
    match &evaluation.outcome {
        Outcome::Destroy { eligible_date } if as_of > *eligible_date => None,
        Outcome::Destroy { eligible_date } => Some(RefusalReason::NotYetDue {
            eligible_date: *eligible_date,
            permitted_from: permitted_from(*eligible_date),
        }),
        Outcome::Transfer { deadline } => Some(RefusalReason::Permanent {
            transfer_deadline: *deadline,
        }),
        Outcome::AwaitingTrigger => Some(RefusalReason::AwaitingTrigger {
            rule: evaluation.rule.clone(),
        }),
    }
}

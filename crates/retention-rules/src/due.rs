//! What is due for disposition on a given day.
//!
//! [`list_due`] lists, for a set of dossiers:
//!
//! - dossiers whose retention ended before `as_of` ([`DueAction::Destroy`]);
//! - permanent dossiers whose transfer deadline falls in `as_of`'s year or
//!   earlier ([`DueAction::Transfer`]), when the schedule states a transfer
//!   deadline; the whole deadline year is the window to prepare the transfer;
//! - dossiers whose retention cannot be computed ([`DueAction::Review`]), so
//!   that a wrong rule code or year is seen rather than silently skipped.
//!
//! Held dossiers are listed too, with the holds that block them in
//! [`DueItem::blocked_by`]: a records manager needs to see why a due dossier
//! cannot be proposed. Dossiers not yet due, and conditional dossiers
//! without a trigger event, are not listed.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::deletion::Deletion;
use crate::eligibility::{Dossier, EvaluationError, Outcome};
use crate::hold::{FailClosed, Hold, HoldId, QueryHoldMatcher, blocking_holds};
use crate::schedule::{RuleCode, Schedule};
use crate::{DossierId, date_format};

/// What is due for a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum DueAction {
    /// Retention ended: may be proposed for destruction.
    Destroy {
        /// Last day covered by retention.
        #[serde(with = "date_format")]
        eligible_date: Date,
    },
    /// Permanent: transfer to the historical archive by the deadline.
    Transfer {
        /// Transfer deadline.
        #[serde(with = "date_format")]
        deadline: Date,
    },
    /// Retention could not be computed; a person must fix the dossier.
    Review {
        /// What is wrong.
        problem: EvaluationError,
    },
}

/// One line of the due list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// The dossier.
    pub dossier: DossierId,
    /// Rule assigned to it.
    pub rule: RuleCode,
    /// What is due.
    pub action: DueAction,
    /// True when an override set the date.
    pub overridden: bool,
    /// Active holds covering the whole dossier; empty when it may proceed.
    pub blocked_by: Vec<HoldId>,
}

impl DueItem {
    /// True when the item can go into a disposition proposal now.
    pub fn is_actionable(&self) -> bool {
        self.blocked_by.is_empty() && !matches!(self.action, DueAction::Review { .. })
    }
}

/// Due list on `as_of`; query holds block every dossier ([`FailClosed`]).
pub fn list_due(
    dossiers: &[Dossier],
    schedule: &Schedule,
    holds: &[Hold],
    as_of: Date,
) -> Vec<DueItem> {
    list_due_with(dossiers, schedule, holds, &FailClosed, as_of)
}

/// Due list on `as_of`, deciding query holds with `matcher`.
///
/// Sorted: items to review first, then by date (eligible date or transfer
/// deadline), then by dossier id.
pub fn list_due_with(
    dossiers: &[Dossier],
    schedule: &Schedule,
    holds: &[Hold],
    matcher: &dyn QueryHoldMatcher,
    as_of: Date,
) -> Vec<DueItem> {
    let mut items: Vec<DueItem> = dossiers
        .iter()
        .filter_map(|dossier| {
            let (action, overridden) = match schedule.evaluate(dossier, as_of) {
                Err(problem) => (DueAction::Review { problem }, false),
                Ok(evaluation) => {
                    let action = match evaluation.outcome {
                        Outcome::Destroy { eligible_date } if as_of > eligible_date => {
                            DueAction::Destroy { eligible_date }
                        }
                        Outcome::Transfer {
                            deadline: Some(deadline),
                        } if as_of.year() >= deadline.year() => DueAction::Transfer { deadline },
                        _ => return None,
                    };
                    (action, evaluation.overridden)
                }
            };
            let target = Deletion::WholeDossier.target(dossier);
            let blocked_by = blocking_holds(holds, &target, matcher)
                .into_iter()
                .map(|blocking| blocking.hold.id.clone())
                .collect();
            Some(DueItem {
                dossier: dossier.id.clone(),
                rule: dossier.rule.clone(),
                action,
                overridden,
                blocked_by,
            })
        })
        .collect();
    items.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    items
}

fn sort_key(item: &DueItem) -> (u8, Option<Date>, &DossierId) {
    match &item.action {
        DueAction::Review { .. } => (0, None, &item.dossier),
        DueAction::Destroy { eligible_date } => (1, Some(*eligible_date), &item.dossier),
        DueAction::Transfer { deadline } => (1, Some(*deadline), &item.dossier),
    }
}

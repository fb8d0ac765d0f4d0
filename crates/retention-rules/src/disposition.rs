//! The disposition procedure as a state machine.
//!
//! ```text
//! proposed ──appraise──▶ appraised ──approve──▶ approved ──execute──▶ executed
//!    │                      │
//!    └──────reject──────────┴──▶ rejected
//! ```
//!
//! Every transition is an [`DispositionEvent`] that the archive stores as
//! JSON (tag `event`, snake_case names, dates as `YYYY-MM-DD`; the layout is
//! format [`EVENT_FORMAT_VERSION`]). The methods of [`Disposition`] validate
//! a transition and return the event to store; [`Disposition::replay`]
//! rebuilds the state from stored events with the same validation.
//!
//! Rules:
//!
//! - only the arrows above are allowed; an approved disposition can no longer
//!   be rejected, and executing twice is refused;
//! - text fields (who, decision number, council minutes, reason) must not be
//!   blank, and each date must not be earlier than the previous step's;
//! - executing re-checks legal holds at that moment, for both destruction and
//!   transfer (a transfer also removes the dossier from the agency's custody),
//!   and needs a [`DeletionTarget`] for every dossier of the disposition.
//!   Retention itself is re-checked per dossier by
//!   [`crate::deletion_permitted`] before bytes are removed.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::hold::{DeletionTarget, Hold, HoldId, QueryHoldMatcher, blocking_holds};
use crate::schedule::ScheduleId;
use crate::{DossierId, date_format};

/// Version of the JSON layout of [`DispositionEvent`] and [`Disposition`].
pub const EVENT_FORMAT_VERSION: u32 = 1;

/// Identifier of a disposition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DispositionId(pub String);

impl DispositionId {
    /// Wraps a disposition identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for DispositionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a disposition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionState {
    /// Listed for disposition.
    Proposed,
    /// Reviewed by the appraisal council.
    Appraised,
    /// Approved by a decision.
    Approved,
    /// Carried out.
    Executed,
    /// Refused; final.
    Rejected,
}

impl DispositionState {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Appraised => "appraised",
            Self::Approved => "approved",
            Self::Executed => "executed",
            Self::Rejected => "rejected",
        }
    }

    /// True when `self → to` is an allowed transition.
    pub fn can_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Proposed, Self::Appraised)
                | (Self::Appraised, Self::Approved)
                | (Self::Approved, Self::Executed)
                | (Self::Proposed | Self::Appraised, Self::Rejected)
        )
    }
}

impl fmt::Display for DispositionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the disposition does with its dossiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionAction {
    /// Destroy dossiers whose retention ended.
    Destroy,
    /// Transfer permanent dossiers to the historical archive.
    Transfer,
}

/// The proposal that opens a disposition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Identifier of the disposition.
    pub id: DispositionId,
    /// Destroy or transfer.
    pub action: DispositionAction,
    /// Dossiers concerned; not empty, no repeats.
    pub dossiers: Vec<DossierId>,
    /// Schedule version the list was drawn from, if known.
    #[serde(default)]
    pub schedule: Option<ScheduleId>,
    /// Who proposed.
    pub proposed_by: String,
    /// Day of the proposal.
    #[serde(with = "date_format")]
    pub proposed_on: Date,
}

/// The appraisal council's review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    /// Who recorded the appraisal (council secretary or chair).
    pub appraised_by: String,
    /// Day of the appraisal.
    #[serde(with = "date_format")]
    pub appraised_on: Date,
    /// Council's remarks, if any.
    #[serde(default)]
    pub note: Option<String>,
}

/// The approving decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Number of the decision (e.g. `12/QĐ-UBND`).
    pub decision_number: String,
    /// Who approved.
    pub approver: String,
    /// Reference of the appraisal council's minutes.
    pub council_minutes: String,
    /// Day of the decision.
    #[serde(with = "date_format")]
    pub approved_on: Date,
}

/// The execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// Who carried it out.
    pub executed_by: String,
    /// Day it was carried out.
    #[serde(with = "date_format")]
    pub executed_on: Date,
}

/// The rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Why.
    pub reason: String,
    /// Who rejected.
    pub rejected_by: String,
    /// Day of the rejection.
    #[serde(with = "date_format")]
    pub rejected_on: Date,
}

/// One stored step of a disposition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum DispositionEvent {
    /// The disposition was proposed.
    Proposed(Proposal),
    /// The council appraised it.
    Appraised(Appraisal),
    /// It was approved.
    Approved(Approval),
    /// It was executed.
    Executed(Execution),
    /// It was rejected.
    Rejected(Rejection),
}

impl DispositionEvent {
    /// State the disposition is in after this event.
    pub fn state(&self) -> DispositionState {
        match self {
            Self::Proposed(_) => DispositionState::Proposed,
            Self::Appraised(_) => DispositionState::Appraised,
            Self::Approved(_) => DispositionState::Approved,
            Self::Executed(_) => DispositionState::Executed,
            Self::Rejected(_) => DispositionState::Rejected,
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The transition is not one of the allowed arrows.
    #[error("disposition {id}: cannot go from {from} to {to}")]
    NotAllowed {
        /// The disposition.
        id: DispositionId,
        /// Current state.
        from: DispositionState,
        /// Requested state.
        to: DispositionState,
    },
    /// A required field is blank.
    #[error("disposition {id}: {} to {to} needs `{field}`", from_name(*.from))]
    MissingField {
        /// The disposition.
        id: DispositionId,
        /// Current state; `None` for a new proposal.
        from: Option<DispositionState>,
        /// Requested state.
        to: DispositionState,
        /// Name of the blank field.
        field: &'static str,
    },
    /// A date is earlier than the previous step's.
    #[error(
        "disposition {id}: {from} to {to}: `{field}` {date} is before the {from} date {previous}"
    )]
    DateBeforePrevious {
        /// The disposition.
        id: DispositionId,
        /// Current state.
        from: DispositionState,
        /// Requested state.
        to: DispositionState,
        /// Name of the date field.
        field: &'static str,
        /// The date given.
        date: Date,
        /// Date of the current state.
        previous: Date,
    },
    /// A dossier is listed twice in the proposal.
    #[error("disposition {id}: dossier {dossier} is listed twice")]
    DuplicateDossier {
        /// The disposition.
        id: DispositionId,
        /// The repeated dossier.
        dossier: DossierId,
    },
    /// Executing needs a deletion target for every dossier.
    #[error("disposition {id}: approved to executed needs the records of dossiers {}", list(.missing))]
    MissingTargets {
        /// The disposition.
        id: DispositionId,
        /// Dossiers without a target.
        missing: Vec<DossierId>,
    },
    /// A deletion target names a dossier outside the disposition.
    #[error("disposition {id}: deletion target outside the disposition (dossier {dossier:?})")]
    ForeignTarget {
        /// The disposition.
        id: DispositionId,
        /// Dossier of the foreign target, if any.
        dossier: Option<DossierId>,
    },
    /// Legal holds block execution.
    #[error("disposition {id}: approved to executed is blocked by legal holds {}", list(.holds))]
    Held {
        /// The disposition.
        id: DispositionId,
        /// The blocking holds, each once.
        holds: Vec<HoldId>,
    },
    /// A replay did not start with a proposal.
    #[error("disposition events must start with `proposed`, found `{found}`")]
    NoProposal {
        /// State of the first event, if there was one.
        found: String,
    },
}

fn from_name(from: Option<DispositionState>) -> String {
    match from {
        Some(state) => format!("from {state}"),
        None => "proposal".to_owned(),
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A disposition and everything recorded about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposition {
    /// Current state.
    pub state: DispositionState,
    /// The proposal.
    pub proposal: Proposal,
    /// The appraisal, once appraised.
    pub appraisal: Option<Appraisal>,
    /// The approval, once approved.
    pub approval: Option<Approval>,
    /// The execution, once executed.
    pub execution: Option<Execution>,
    /// The rejection, once rejected.
    pub rejection: Option<Rejection>,
}

impl Disposition {
    /// Opens a disposition; returns it with the event to store.
    pub fn propose(proposal: Proposal) -> Result<(Self, DispositionEvent), TransitionError> {
        let to = DispositionState::Proposed;
        let missing = |field| TransitionError::MissingField {
            id: proposal.id.clone(),
            from: None,
            to,
            field,
        };
        if proposal.id.0.trim().is_empty() {
            return Err(missing("id"));
        }
        if proposal.proposed_by.trim().is_empty() {
            return Err(missing("proposed_by"));
        }
        if proposal.dossiers.is_empty() {
            return Err(missing("dossiers"));
        }
        for (index, dossier) in proposal.dossiers.iter().enumerate() {
            if proposal.dossiers[..index].contains(dossier) {
                return Err(TransitionError::DuplicateDossier {
                    id: proposal.id.clone(),
                    dossier: dossier.clone(),
                });
            }
        }
        let event = DispositionEvent::Proposed(proposal.clone());
        let disposition = Self {
            state: to,
            proposal,
            appraisal: None,
            approval: None,
            execution: None,
            rejection: None,
        };
        Ok((disposition, event))
    }

    /// Identifier.
    pub fn id(&self) -> &DispositionId {
        &self.proposal.id
    }

    /// Records the council's appraisal.
    pub fn appraise(&mut self, appraisal: Appraisal) -> Result<DispositionEvent, TransitionError> {
        let to = DispositionState::Appraised;
        self.check(to)?;
        self.require(to, "appraised_by", &appraisal.appraised_by)?;
        self.check_date(to, "appraised_on", appraisal.appraised_on)?;
        self.appraisal = Some(appraisal.clone());
        self.state = to;
        Ok(DispositionEvent::Appraised(appraisal))
    }

    /// Records the approving decision.
    pub fn approve(&mut self, approval: Approval) -> Result<DispositionEvent, TransitionError> {
        let to = DispositionState::Approved;
        self.check(to)?;
        self.require(to, "decision_number", &approval.decision_number)?;
        self.require(to, "approver", &approval.approver)?;
        self.require(to, "council_minutes", &approval.council_minutes)?;
        self.check_date(to, "approved_on", approval.approved_on)?;
        self.approval = Some(approval.clone());
        self.state = to;
        Ok(DispositionEvent::Approved(approval))
    }

    /// Rejects the proposal.
    pub fn reject(&mut self, rejection: Rejection) -> Result<DispositionEvent, TransitionError> {
        let to = DispositionState::Rejected;
        self.check(to)?;
        self.require(to, "reason", &rejection.reason)?;
        self.require(to, "rejected_by", &rejection.rejected_by)?;
        self.check_date(to, "rejected_on", rejection.rejected_on)?;
        self.rejection = Some(rejection.clone());
        self.state = to;
        Ok(DispositionEvent::Rejected(rejection))
    }

    /// Executes an approved disposition, re-checking `holds` now.
    ///
    /// `targets` must hold one [`DeletionTarget`] per dossier of the
    /// disposition, listing all the records that would be removed.
    pub fn execute(
        &mut self,
        execution: Execution,
        targets: &[DeletionTarget],
        holds: &[Hold],
        matcher: &dyn QueryHoldMatcher,
    ) -> Result<DispositionEvent, TransitionError> {
        let to = DispositionState::Executed;
        self.check(to)?;
        self.require(to, "executed_by", &execution.executed_by)?;
        self.check_date(to, "executed_on", execution.executed_on)?;

        if let Some(foreign) = targets.iter().find(|target| {
            target
                .dossier
                .as_ref()
                .is_none_or(|dossier| !self.proposal.dossiers.contains(dossier))
        }) {
            return Err(TransitionError::ForeignTarget {
                id: self.id().clone(),
                dossier: foreign.dossier.clone(),
            });
        }
        let missing: Vec<DossierId> = self
            .proposal
            .dossiers
            .iter()
            .filter(|dossier| {
                !targets
                    .iter()
                    .any(|target| target.dossier.as_ref() == Some(*dossier))
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(TransitionError::MissingTargets {
                id: self.id().clone(),
                missing,
            });
        }

        let mut blocking: Vec<HoldId> = Vec::new();
        for target in targets {
            for hold in blocking_holds(holds, target, matcher) {
                if !blocking.contains(&hold.hold.id) {
                    blocking.push(hold.hold.id.clone());
                }
            }
        }
        if !blocking.is_empty() {
            return Err(TransitionError::Held {
                id: self.id().clone(),
                holds: blocking,
            });
        }

        self.execution = Some(execution.clone());
        self.state = to;
        Ok(DispositionEvent::Executed(execution))
    }

    /// Rebuilds a disposition from its stored events, validating each step.
    ///
    /// Holds are not re-checked: the events are history, checked when they
    /// were recorded.
    pub fn replay(events: &[DispositionEvent]) -> Result<Self, TransitionError> {
        let (first, rest) = match events.split_first() {
            Some((DispositionEvent::Proposed(proposal), rest)) => (proposal, rest),
            Some((other, _)) => {
                return Err(TransitionError::NoProposal {
                    found: other.state().as_str().to_owned(),
                });
            }
            None => {
                return Err(TransitionError::NoProposal {
                    found: "no event".to_owned(),
                });
            }
        };
        let (mut disposition, _) = Self::propose(first.clone())?;
        for event in rest {
            match event {
                DispositionEvent::Proposed(_) => {
                    return Err(TransitionError::NotAllowed {
                        id: disposition.id().clone(),
                        from: disposition.state,
                        to: DispositionState::Proposed,
                    });
                }
                DispositionEvent::Appraised(appraisal) => {
                    disposition.appraise(appraisal.clone())?;
                }
                DispositionEvent::Approved(approval) => {
                    disposition.approve(approval.clone())?;
                }
                DispositionEvent::Executed(execution) => {
                    let to = DispositionState::Executed;
                    disposition.check(to)?;
                    disposition.require(to, "executed_by", &execution.executed_by)?;
                    disposition.check_date(to, "executed_on", execution.executed_on)?;
                    disposition.execution = Some(execution.clone());
                    disposition.state = to;
                }
                DispositionEvent::Rejected(rejection) => {
                    disposition.reject(rejection.clone())?;
                }
            }
        }
        Ok(disposition)
    }

    /// Date the current state was reached.
    pub fn state_date(&self) -> Date {
        let step = match self.state {
            DispositionState::Proposed => None,
            DispositionState::Appraised => self.appraisal.as_ref().map(|a| a.appraised_on),
            DispositionState::Approved => self.approval.as_ref().map(|a| a.approved_on),
            DispositionState::Executed => self.execution.as_ref().map(|e| e.executed_on),
            DispositionState::Rejected => self.rejection.as_ref().map(|r| r.rejected_on),
        };
        step.unwrap_or(self.proposal.proposed_on)
    }

    fn check(&self, to: DispositionState) -> Result<(), TransitionError> {
        if self.state.can_become(to) {
            Ok(())
        } else {
            Err(TransitionError::NotAllowed {
                id: self.id().clone(),
                from: self.state,
                to,
            })
        }
    }

    fn require(
        &self,
        to: DispositionState,
        field: &'static str,
        value: &str,
    ) -> Result<(), TransitionError> {
        if value.trim().is_empty() {
            Err(TransitionError::MissingField {
                id: self.id().clone(),
                from: Some(self.state),
                to,
                field,
            })
        } else {
            Ok(())
        }
    }

    fn check_date(
        &self,
        to: DispositionState,
        field: &'static str,
        date: Date,
    ) -> Result<(), TransitionError> {
        let previous = self.state_date();
        if date < previous {
            Err(TransitionError::DateBeforePrevious {
                id: self.id().clone(),
                from: self.state,
                to,
                field,
                date,
                previous,
            })
        } else {
            Ok(())
        }
    }
}

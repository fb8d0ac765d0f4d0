//! When a dossier may be destroyed or must be transferred.
//!
//! # The date convention
//!
//! A period of `P` years for a dossier whose work ended in year `Y` ends on
//! **31 December of `Y + P`**: that day is the *eligible date*
//! ([`eligible_date`]). The period covers the whole of that day, so deletion
//! is permitted from the next day, **1 January of `Y + P + 1`**
//! ([`Outcome::is_due`]).
//!
//! Why: the schedules count periods from the *year* the work ended, not from
//! a day, and the reference table states Kho's reading as "eligible after 31
//! December of (end year + period)". Counting whole calendar years after the
//! end year means the exact day the work ended never matters (work that ended
//! on 1 January and on 31 December of the same year fall due together), leap
//! years cannot shift anything, and a dossier is never destroyed early: a
//! day late costs nothing, a day early cannot be undone.
//!
//! Conditional periods ("until …") end on 31 December of the year the
//! recorded trigger event happened, by the same reasoning.
//!
//! # Overrides
//!
//! A [`RetentionOverride`] on a dossier can only keep it *longer*: the
//! effective date is the later of the schedule's date and every override's
//! date, and an override to permanent makes the dossier permanent. An
//! override that would shorten the schedule's period (fewer years, or
//! anything but permanent on a permanent rule) is refused with
//! [`EvaluationError::OverrideShortens`] rather than silently ignored.
//! Shortening a legal period is not something an archive decides. Each
//! override records who made it, when and why.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::schedule::{RetentionPeriod, RuleCode, Schedule, ScheduleId};
use crate::{DossierId, RecordId, date_format};

/// Earliest year a dossier's work may have ended (founding of the Democratic
/// Republic of Viet Nam); Kho's own bound, refused below.
pub const EARLIEST_YEAR_ENDED: i32 = 1945;

/// 31 December of `year_ended + years`: the last day covered by the period.
///
/// `None` only when the year falls outside the calendar (beyond year 9999).
pub fn eligible_date(year_ended: i32, years: u16) -> Option<Date> {
    let year = year_ended.checked_add(i32::from(years))?;
    end_of_year(year)
}

/// 31 December of `year`, `None` outside the calendar's range.
pub fn end_of_year(year: i32) -> Option<Date> {
    Date::from_calendar_date(year, Month::December, 31).ok()
}

/// The day after [`eligible_date`]: the first day deletion is permitted.
pub fn permitted_from(eligible: Date) -> Option<Date> {
    eligible.next_day()
}

/// The event that ends a conditional period ("until …").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerEvent {
    /// What happened (e.g. "replaced by decision 12/QĐ-UBND").
    pub description: String,
    /// Day the event happened.
    #[serde(with = "date_format")]
    pub occurred_on: Date,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A per-dossier change of the retention period, recorded with who and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionOverride {
    /// The period to apply instead, if longer.
    pub period: RetentionPeriod,
    /// Why (e.g. "ongoing land dispute").
    pub reason: String,
    /// Who decided.
    pub actor: String,
    /// Day it was decided.
    #[serde(with = "date_format")]
    pub decided_on: Date,
}

/// What retention needs to know about a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    /// The dossier.
    pub id: DossierId,
    /// Code of the schedule rule assigned to it.
    pub rule: RuleCode,
    /// Year the work of the dossier ended.
    pub year_work_ended: i32,
    /// Records of the dossier: a deletion of the dossier deletes all of them.
    #[serde(default)]
    pub records: Vec<RecordId>,
    /// Trigger event for a conditional period, once it happened.
    #[serde(default)]
    pub trigger: Option<TriggerEvent>,
    /// Overrides, oldest first.
    #[serde(default)]
    pub overrides: Vec<RetentionOverride>,
}

impl Dossier {
    /// A dossier with no records, trigger or override.
    pub fn new(id: impl Into<String>, rule: impl Into<String>, year_work_ended: i32) -> Self {
        Self {
            id: DossierId::new(id),
            rule: RuleCode::new(rule),
            year_work_ended,
            records: Vec::new(),
            trigger: None,
            overrides: Vec::new(),
        }
    }
}

/// What happens to a dossier at the end of retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// May be destroyed after `eligible_date` (from the next day on).
    Destroy {
        /// Last day covered by retention.
        #[serde(with = "date_format")]
        eligible_date: Date,
    },
    /// Permanent: goes to the historical archive, never destroyed.
    Transfer {
        /// Transfer deadline, when the schedule states a transfer policy.
        #[serde(with = "date_format::option")]
        deadline: Option<Date>,
    },
    /// Conditional period whose trigger event has not been recorded.
    AwaitingTrigger,
}

impl Outcome {
    /// True when, on `as_of`, the dossier may be destroyed.
    pub fn is_due(&self, as_of: Date) -> bool {
        matches!(self, Self::Destroy { eligible_date } if as_of > *eligible_date)
    }
}

/// The retention decision for one dossier under one schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The dossier.
    pub dossier: DossierId,
    /// The rule applied.
    pub rule: RuleCode,
    /// Schedule version the decision was taken under.
    pub schedule: ScheduleId,
    /// The period after overrides.
    pub effective_period: RetentionPeriod,
    /// True when an override made the outcome later than the schedule's.
    pub overridden: bool,
    /// What happens at the end of retention.
    pub outcome: Outcome,
}

/// Why a dossier's retention could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "error")]
#[non_exhaustive]
pub enum EvaluationError {
    /// The dossier names a rule the schedule does not have.
    #[error(
        "dossier {dossier}: retention rule `{rule}` is not in schedule {schedule}; assign a rule of this schedule"
    )]
    UnknownRule {
        /// The dossier.
        dossier: DossierId,
        /// The unknown code.
        rule: RuleCode,
        /// The schedule searched.
        schedule: String,
    },
    /// The year the work ended is before [`EARLIEST_YEAR_ENDED`].
    #[error(
        "dossier {dossier}: work ended in {year}, before {EARLIEST_YEAR_ENDED}; check the year"
    )]
    YearTooEarly {
        /// The dossier.
        dossier: DossierId,
        /// The year given.
        year: i32,
    },
    /// The year the work ended is after the evaluation date.
    #[error(
        "dossier {dossier}: work ended in {year}, which is in the future on {as_of}; check the year"
    )]
    YearInFuture {
        /// The dossier.
        dossier: DossierId,
        /// The year given.
        year: i32,
        /// The evaluation date.
        #[serde(with = "date_format")]
        as_of: Date,
    },
    /// A trigger event is dated after the evaluation date.
    #[error(
        "dossier {dossier}: trigger event dated {occurred_on}, which is in the future on {as_of}"
    )]
    TriggerInFuture {
        /// The dossier.
        dossier: DossierId,
        /// The event date.
        #[serde(with = "date_format")]
        occurred_on: Date,
        /// The evaluation date.
        #[serde(with = "date_format")]
        as_of: Date,
    },
    /// An override would keep the dossier for less time than the schedule.
    #[error(
        "dossier {dossier}: override to {requested} by {actor} would shorten the schedule's {scheduled}; overrides may only lengthen retention"
    )]
    OverrideShortens {
        /// The dossier.
        dossier: DossierId,
        /// Period of the schedule's rule.
        scheduled: RetentionPeriod,
        /// Period the override asks for.
        requested: RetentionPeriod,
        /// Who made the override.
        actor: String,
    },
    /// The date falls outside the calendar's range.
    #[error("dossier {dossier}: the retention date falls after year 9999")]
    DateOutOfRange {
        /// The dossier.
        dossier: DossierId,
    },
}

/// Intermediate result: a date (or permanence, or a missing trigger).
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    On(Date),
    Never,
    Waiting,
}

impl End {
    /// The later of two ends: never beats everything, waiting beats a date.
    fn later(self, other: Self) -> Self {
        match (self, other) {
            (Self::Never, _) | (_, Self::Never) => Self::Never,
            (Self::Waiting, _) | (_, Self::Waiting) => Self::Waiting,
            (Self::On(a), Self::On(b)) => Self::On(a.max(b)),
        }
    }
}

impl Schedule {
    /// Computes what happens to `dossier` at the end of retention, on `as_of`.
    pub fn evaluate(&self, dossier: &Dossier, as_of: Date) -> Result<Evaluation, EvaluationError> {
        let rule = self
            .rule(&dossier.rule)
            .ok_or_else(|| EvaluationError::UnknownRule {
                dossier: dossier.id.clone(),
                rule: dossier.rule.clone(),
                schedule: self.id().to_string(),
            })?;
        if dossier.year_work_ended < EARLIEST_YEAR_ENDED {
            return Err(EvaluationError::YearTooEarly {
                dossier: dossier.id.clone(),
                year: dossier.year_work_ended,
            });
        }
        if dossier.year_work_ended > as_of.year() {
            return Err(EvaluationError::YearInFuture {
                dossier: dossier.id.clone(),
                year: dossier.year_work_ended,
                as_of,
            });
        }
        if let Some(trigger) = &dossier.trigger
            && trigger.occurred_on > as_of
        {
            return Err(EvaluationError::TriggerInFuture {
                dossier: dossier.id.clone(),
                occurred_on: trigger.occurred_on,
                as_of,
            });
        }

        let scheduled = self.end_of(dossier, rule.period)?;
        let mut end = scheduled;
        let mut effective_period = rule.period;
        for item in &dossier.overrides {
            if shortens(rule.period, item.period) {
                return Err(EvaluationError::OverrideShortens {
                    dossier: dossier.id.clone(),
                    scheduled: rule.period,
                    requested: item.period,
                    actor: item.actor.clone(),
                });
            }
            let candidate = self.end_of(dossier, item.period)?;
            let later = end.later(candidate);
            if later != end {
                effective_period = item.period;
                end = later;
            }
        }

        let outcome = match end {
            End::On(eligible_date) => Outcome::Destroy { eligible_date },
            End::Waiting => Outcome::AwaitingTrigger,
            End::Never => Outcome::Transfer {
                deadline: match self.transfer_policy() {
                    Some(policy) => Some(
                        eligible_date(dossier.year_work_ended, policy.years).ok_or_else(|| {
                            EvaluationError::DateOutOfRange {
                                dossier: dossier.id.clone(),
                            }
                        })?,
                    ),
                    None => None,
                },
            },
        };
        Ok(Evaluation {
            dossier: dossier.id.clone(),
            rule: rule.code.clone(),
            schedule: self.id().clone(),
            effective_period,
            overridden: end != scheduled,
            outcome,
        })
    }

    fn end_of(&self, dossier: &Dossier, period: RetentionPeriod) -> Result<End, EvaluationError> {
        let out_of_range = || EvaluationError::DateOutOfRange {
            dossier: dossier.id.clone(),
        };
        Ok(match period {
            RetentionPeriod::Permanent => End::Never,
            RetentionPeriod::Years(years) => {
                End::On(eligible_date(dossier.year_work_ended, years).ok_or_else(out_of_range)?)
            }
            RetentionPeriod::Conditional => match &dossier.trigger {
                Some(trigger) => {
                    End::On(end_of_year(trigger.occurred_on.year()).ok_or_else(out_of_range)?)
                }
                None => End::Waiting,
            },
        })
    }
}

/// True when `requested` is clearly shorter than `scheduled`.
///
/// Years against a conditional period cannot be compared; such overrides
/// are allowed and the later of the two dates applies.
fn shortens(scheduled: RetentionPeriod, requested: RetentionPeriod) -> bool {
    match (scheduled, requested) {
        (RetentionPeriod::Permanent, requested) => requested != RetentionPeriod::Permanent,
        (RetentionPeriod::Years(scheduled), RetentionPeriod::Years(requested)) => {
            requested < scheduled
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn later_end_prefers_permanent_then_waiting_then_the_later_date() {
        let early = End::On(date!(2020 - 12 - 31));
        let late = End::On(date!(2030 - 12 - 31));
        assert!(early.later(late) == late && late.later(early) == late);
        assert!(late.later(End::Waiting) == End::Waiting);
        assert!(End::Waiting.later(End::Never) == End::Never);
    }

    #[test]
    fn only_fewer_years_or_leaving_permanent_shortens() {
        use RetentionPeriod::{Conditional, Permanent, Years};
        assert!(shortens(Years(20), Years(5)));
        assert!(!shortens(Years(20), Years(20)));
        assert!(!shortens(Years(5), Permanent));
        assert!(shortens(Permanent, Years(70)));
        assert!(shortens(Permanent, Conditional));
        assert!(!shortens(Conditional, Years(5)));
        assert!(!shortens(Years(5), Conditional));
    }
}

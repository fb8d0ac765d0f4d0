//! Eligible dates, permanent dossiers, conditional periods and overrides.

use retention_rules::eligibility::{EARLIEST_YEAR_ENDED, end_of_year, permitted_from};
use retention_rules::{
    Dossier, EvaluationError, Outcome, RetentionOverride, RetentionPeriod, Schedule, TriggerEvent,
    eligible_date,
};
use time::Date;
use time::macros::date;

fn schedule() -> Schedule {
    match Schedule::embedded() {
        Ok(schedule) => schedule,
        Err(error) => panic!("{error}"),
    }
}

fn agency_schedule_with_transfer(years: u16) -> Schedule {
    let text = format!(
        "{}transfer\thistorical_archive\t\t\ttrong {years} năm\t{years}\tyear_work_ended\tagency checked\tverified\t\n",
        retention_rules::schedule::DEFAULT_SCHEDULE_TSV
    );
    match Schedule::from_tsv(&text) {
        Ok(schedule) => schedule,
        Err(error) => panic!("{error}"),
    }
}

fn outcome(dossier: &Dossier, as_of: Date) -> Outcome {
    match schedule().evaluate(dossier, as_of) {
        Ok(evaluation) => evaluation.outcome,
        Err(error) => panic!("{error}"),
    }
}

fn override_to(period: RetentionPeriod) -> RetentionOverride {
    RetentionOverride {
        period,
        reason: "ongoing land dispute".to_owned(),
        actor: "chánh văn phòng".to_owned(),
        decided_on: date!(2024 - 03 - 01),
    }
}

#[test]
fn eligible_date_is_31_december_of_end_year_plus_period() {
    assert_eq!(eligible_date(2020, 5), Some(date!(2025 - 12 - 31)));
    assert_eq!(eligible_date(2020, 70), Some(date!(2090 - 12 - 31)));
}

#[test]
fn work_ended_on_1_january_and_31_december_fall_due_together() {
    // The day the work ended within its year never matters: only the year.
    let early = Dossier::new("d-early", "10y", 2014);
    let late = Dossier::new("d-late", "10y", 2014);
    assert_eq!(
        outcome(&early, date!(2030 - 01 - 01)),
        outcome(&late, date!(2030 - 01 - 01))
    );
}

#[test]
fn deletion_is_not_due_on_the_eligible_date_itself() {
    let dossier = Dossier::new("d", "5y", 2019);
    let result = outcome(&dossier, date!(2024 - 12 - 31));
    assert_eq!(
        result,
        Outcome::Destroy {
            eligible_date: date!(2024 - 12 - 31)
        }
    );
    assert!(!result.is_due(date!(2024 - 12 - 31)));
}

#[test]
fn deletion_is_due_from_1_january_after_the_eligible_date() {
    let dossier = Dossier::new("d", "5y", 2019);
    assert!(outcome(&dossier, date!(2025 - 01 - 01)).is_due(date!(2025 - 01 - 01)));
    assert_eq!(
        permitted_from(date!(2024 - 12 - 31)),
        Some(date!(2025 - 01 - 01))
    );
}

#[test]
fn leap_years_do_not_shift_the_eligible_date() {
    // 2020 and 2024 are leap years; the end of year is still 31 December.
    assert_eq!(eligible_date(2019, 5), Some(date!(2024 - 12 - 31)));
    assert_eq!(eligible_date(2020, 5), Some(date!(2025 - 12 - 31)));
    assert_eq!(date!(2024 - 12 - 31).ordinal(), 366);
}

#[test]
fn conditional_period_ending_on_29_february_is_due_after_that_year() {
    let mut dossier = Dossier::new("d", "conditional", 2018);
    dossier.trigger = Some(TriggerEvent {
        description: "replaced by decision 12/QĐ-UBND".to_owned(),
        occurred_on: date!(2024 - 02 - 29),
        recorded_by: "văn thư".to_owned(),
    });
    assert_eq!(
        outcome(&dossier, date!(2024 - 03 - 01)),
        Outcome::Destroy {
            eligible_date: date!(2024 - 12 - 31)
        }
    );
}

#[test]
fn eligible_date_beyond_the_calendar_is_none_not_a_panic() {
    assert_eq!(eligible_date(9990, 70), None);
    assert_eq!(eligible_date(i32::MAX, 5), None);
    assert_eq!(end_of_year(10_000), None);
}

#[test]
fn permanent_dossier_is_transferred_not_destroyed() {
    let dossier = Dossier::new("d", "permanent", 1990);
    let result = outcome(&dossier, date!(2100 - 01 - 01));
    assert_eq!(result, Outcome::Transfer { deadline: None });
    assert!(!result.is_due(date!(2100 - 01 - 01)));
}

#[test]
fn permanent_dossier_gets_the_transfer_deadline_of_the_schedule() {
    let schedule = agency_schedule_with_transfer(10);
    let dossier = Dossier::new("d", "permanent", 2015);
    let evaluation = schedule.evaluate(&dossier, date!(2025 - 06 - 01));
    assert_eq!(
        evaluation.map(|e| e.outcome),
        Ok(Outcome::Transfer {
            deadline: Some(date!(2025 - 12 - 31))
        })
    );
}

#[test]
fn ten_year_dossier_is_destroyed_after_its_period() {
    let dossier = Dossier::new("d", "tt10_2022_quy_hoach_can_bo_khac", 2015);
    assert_eq!(
        outcome(&dossier, date!(2026 - 01 - 01)),
        Outcome::Destroy {
            eligible_date: date!(2025 - 12 - 31)
        }
    );
}

#[test]
fn conditional_dossier_without_trigger_awaits_it() {
    let dossier = Dossier::new("d", "conditional", 2010);
    assert_eq!(
        outcome(&dossier, date!(2030 - 01 - 01)),
        Outcome::AwaitingTrigger
    );
}

#[test]
fn trigger_in_the_future_is_refused() {
    let mut dossier = Dossier::new("d", "conditional", 2010);
    dossier.trigger = Some(TriggerEvent {
        description: "x".to_owned(),
        occurred_on: date!(2031 - 01 - 01),
        recorded_by: "y".to_owned(),
    });
    assert!(matches!(
        schedule().evaluate(&dossier, date!(2030 - 01 - 01)),
        Err(EvaluationError::TriggerInFuture { .. })
    ));
}

#[test]
fn unknown_rule_code_is_refused_with_the_schedule_named() {
    let dossier = Dossier::new("d", "99y", 2010);
    let error = schedule().evaluate(&dossier, date!(2030 - 01 - 01));
    assert!(matches!(error, Err(EvaluationError::UnknownRule { .. })));
    if let Err(error) = error {
        assert!(error.to_string().contains("kho-reference@fnv1a64:"));
    }
}

#[test]
fn work_ended_before_1945_is_refused() {
    let dossier = Dossier::new("d", "5y", EARLIEST_YEAR_ENDED - 1);
    assert!(matches!(
        schedule().evaluate(&dossier, date!(2030 - 01 - 01)),
        Err(EvaluationError::YearTooEarly { year: 1944, .. })
    ));
    let dossier = Dossier::new("d", "5y", EARLIEST_YEAR_ENDED);
    assert!(schedule().evaluate(&dossier, date!(2030 - 01 - 01)).is_ok());
}

#[test]
fn work_ended_in_the_future_is_refused() {
    let dossier = Dossier::new("d", "5y", 2031);
    assert!(matches!(
        schedule().evaluate(&dossier, date!(2030 - 12 - 31)),
        Err(EvaluationError::YearInFuture { year: 2031, .. })
    ));
}

#[test]
fn override_lengthens_the_period_and_records_who() {
    let mut dossier = Dossier::new("d", "5y", 2015);
    dossier
        .overrides
        .push(override_to(RetentionPeriod::Years(20)));
    let evaluation = schedule().evaluate(&dossier, date!(2026 - 01 - 01));
    let Ok(evaluation) = evaluation else {
        panic!("{evaluation:?}")
    };
    assert!(evaluation.overridden);
    assert_eq!(evaluation.effective_period, RetentionPeriod::Years(20));
    assert_eq!(
        evaluation.outcome,
        Outcome::Destroy {
            eligible_date: date!(2035 - 12 - 31)
        }
    );
}

#[test]
fn override_to_permanent_makes_the_dossier_transferred() {
    let mut dossier = Dossier::new("d", "10y", 2015);
    dossier
        .overrides
        .push(override_to(RetentionPeriod::Permanent));
    assert_eq!(
        outcome(&dossier, date!(2030 - 01 - 01)),
        Outcome::Transfer { deadline: None }
    );
}

#[test]
fn override_shorter_than_the_schedule_is_refused() {
    let mut dossier = Dossier::new("d", "20y", 2015);
    dossier
        .overrides
        .push(override_to(RetentionPeriod::Years(5)));
    let error = schedule().evaluate(&dossier, date!(2030 - 01 - 01));
    assert!(matches!(
        error,
        Err(EvaluationError::OverrideShortens {
            scheduled: RetentionPeriod::Years(20),
            requested: RetentionPeriod::Years(5),
            ..
        })
    ));
    if let Err(error) = error {
        assert!(error.to_string().contains("chánh văn phòng"));
    }
}

#[test]
fn override_of_a_permanent_dossier_to_years_is_refused() {
    let mut dossier = Dossier::new("d", "permanent", 2015);
    dossier
        .overrides
        .push(override_to(RetentionPeriod::Years(70)));
    assert!(matches!(
        schedule().evaluate(&dossier, date!(2030 - 01 - 01)),
        Err(EvaluationError::OverrideShortens { .. })
    ));
}

#[test]
fn override_of_equal_length_changes_nothing() {
    let mut dossier = Dossier::new("d", "10y", 2015);
    dossier
        .overrides
        .push(override_to(RetentionPeriod::Years(10)));
    let evaluation = schedule().evaluate(&dossier, date!(2030 - 01 - 01));
    assert!(evaluation.is_ok_and(|e| !e.overridden));
}

#[test]
fn years_override_on_conditional_rule_keeps_the_later_date() {
    let mut dossier = Dossier::new("d", "conditional", 2015);
    dossier.trigger = Some(TriggerEvent {
        description: "replaced".to_owned(),
        occurred_on: date!(2016 - 05 - 01),
        recorded_by: "y".to_owned(),
    });
    dossier
        .overrides
        .push(override_to(RetentionPeriod::Years(5)));
    assert_eq!(
        outcome(&dossier, date!(2030 - 01 - 01)),
        Outcome::Destroy {
            eligible_date: date!(2020 - 12 - 31)
        }
    );
}

#[test]
fn outcome_serialises_with_snake_case_tag_and_iso_dates() {
    let json = serde_json::to_string(&Outcome::Destroy {
        eligible_date: date!(2025 - 12 - 31),
    });
    assert_eq!(
        json.ok().as_deref(),
        Some(r#"{"outcome":"destroy","eligible_date":"2025-12-31"}"#)
    );
    let json = serde_json::to_string(&Outcome::Transfer { deadline: None });
    assert_eq!(
        json.ok().as_deref(),
        Some(r#"{"outcome":"transfer","deadline":null}"#)
    );
}

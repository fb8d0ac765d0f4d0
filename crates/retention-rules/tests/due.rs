//! The due list.

use retention_rules::{
    DeletionTarget, Dossier, DossierId, DueAction, Hold, HoldId, HoldScope, QueryMatch, RecordId,
    Schedule, list_due, list_due_with,
};
use time::macros::{date, datetime};

fn schedule() -> Schedule {
    match Schedule::embedded() {
        Ok(schedule) => schedule,
        Err(error) => panic!("{error}"),
    }
}

fn hold(id: &str, scope: HoldScope) -> Hold {
    Hold {
        id: HoldId::new(id),
        scope,
        reason: "lawsuit".to_owned(),
        authority: "TAND".to_owned(),
        placed_by: "pháp chế".to_owned(),
        placed_at: datetime!(2025-01-10 09:00 +7),
        released: None,
    }
}

fn dossiers() -> Vec<Dossier> {
    let mut held = Dossier::new("d-held", "5y", 2012);
    held.records = vec![RecordId::new("r-held")];
    vec![
        Dossier::new("d-late", "10y", 2014),    // due after 2024-12-31
        Dossier::new("d-early", "5y", 2010),    // due after 2015-12-31
        Dossier::new("d-not-yet", "20y", 2014), // not due until 2034
        Dossier::new("d-permanent", "permanent", 1990),
        Dossier::new("d-waiting", "conditional", 2000),
        Dossier::new("d-bad", "99y", 2000),
        held,
    ]
}

fn names(items: &[retention_rules::DueItem]) -> Vec<&str> {
    items.iter().map(|item| item.dossier.0.as_str()).collect()
}

#[test]
fn lists_review_items_first_then_due_dossiers_by_date() {
    let items = list_due(&dossiers(), &schedule(), &[], date!(2025 - 01 - 01));
    assert_eq!(names(&items), vec!["d-bad", "d-early", "d-held", "d-late"]);
    assert!(matches!(items[0].action, DueAction::Review { .. }));
    assert_eq!(
        items[3].action,
        DueAction::Destroy {
            eligible_date: date!(2024 - 12 - 31)
        }
    );
}

#[test]
fn dossier_is_not_listed_on_its_eligible_date() {
    let items = list_due(&dossiers(), &schedule(), &[], date!(2024 - 12 - 31));
    assert!(!names(&items).contains(&"d-late"));
}

#[test]
fn permanent_and_waiting_dossiers_are_not_listed_without_a_transfer_deadline() {
    let items = list_due(&dossiers(), &schedule(), &[], date!(2100 - 01 - 01));
    assert!(!names(&items).contains(&"d-permanent"));
    assert!(!names(&items).contains(&"d-waiting"));
}

#[test]
fn permanent_dossier_is_listed_for_transfer_in_its_deadline_year() {
    let text = format!(
        "{}transfer\thistorical_archive\t\t\ttrong 10 năm\t10\tyear_work_ended\tagency checked\tverified\t\n",
        retention_rules::schedule::DEFAULT_SCHEDULE_TSV
    );
    let Ok(schedule) = Schedule::from_tsv(&text) else {
        panic!("table must load")
    };
    let dossier = [Dossier::new("d-permanent", "permanent", 2015)];
    assert!(list_due(&dossier, &schedule, &[], date!(2024 - 12 - 31)).is_empty());
    let items = list_due(&dossier, &schedule, &[], date!(2025 - 01 - 01));
    assert_eq!(
        items.first().map(|item| &item.action),
        Some(&DueAction::Transfer {
            deadline: date!(2025 - 12 - 31)
        })
    );
}

#[test]
fn held_dossier_is_listed_with_its_holds_and_not_actionable() {
    let holds = [
        hold("h1", HoldScope::Record(RecordId::new("r-held"))),
        hold("h2", HoldScope::Dossier(DossierId::new("d-late"))),
    ];
    let items = list_due(&dossiers(), &schedule(), &holds, date!(2025 - 01 - 01));
    let held = items.iter().find(|item| item.dossier.0 == "d-held");
    assert_eq!(
        held.map(|item| item.blocked_by.clone()),
        Some(vec![HoldId::new("h1")])
    );
    assert!(held.is_some_and(|item| !item.is_actionable()));
    let late = items.iter().find(|item| item.dossier.0 == "d-late");
    assert!(late.is_some_and(|item| item.blocked_by == vec![HoldId::new("h2")]));
    let early = items.iter().find(|item| item.dossier.0 == "d-early");
    assert!(early.is_some_and(|item| item.is_actionable()));
}

#[test]
fn query_hold_blocks_everything_when_it_cannot_be_decided() {
    let holds = [hold("hq", HoldScope::Query("thanh tra".to_owned()))];
    let items = list_due(&dossiers(), &schedule(), &holds, date!(2025 - 01 - 01));
    assert!(
        items
            .iter()
            .all(|item| item.blocked_by == vec![HoldId::new("hq")])
    );
}

#[test]
fn query_hold_blocks_only_what_the_matcher_finds() {
    let holds = [hold("hq", HoldScope::Query("thanh tra".to_owned()))];
    let matcher = |_: &str, target: &DeletionTarget| {
        if target.dossier == Some(DossierId::new("d-early")) {
            QueryMatch::Matches
        } else {
            QueryMatch::NoMatch
        }
    };
    let items = list_due_with(
        &dossiers(),
        &schedule(),
        &holds,
        &matcher,
        date!(2025 - 01 - 01),
    );
    let blocked: Vec<&str> = items
        .iter()
        .filter(|item| !item.blocked_by.is_empty())
        .map(|item| item.dossier.0.as_str())
        .collect();
    assert_eq!(blocked, vec!["d-early"]);
}

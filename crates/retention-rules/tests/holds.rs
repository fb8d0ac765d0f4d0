//! Legal holds and the combined deletion check.

use retention_rules::{
    BlockedBy, Deletion, DeletionTarget, Dossier, DossierId, FailClosed, Hold, HoldId, HoldRelease,
    HoldScope, QueryMatch, RecordId, RefusalReason, Schedule, blocking_holds, deletion_permitted,
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
        reason: "lawsuit over land allocation".to_owned(),
        authority: "TAND tỉnh Nam Định".to_owned(),
        placed_by: "pháp chế".to_owned(),
        placed_at: datetime!(2025-01-10 09:00 +7),
        released: None,
    }
}

fn released(mut hold: Hold) -> Hold {
    hold.released = Some(HoldRelease {
        released_by: "pháp chế".to_owned(),
        released_at: datetime!(2025-06-01 09:00 +7),
        reason: "judgment final".to_owned(),
    });
    hold
}

/// A 5-year dossier whose work ended in 2015 with records r1 and r2: due since 2021.
fn due_dossier() -> Dossier {
    let mut dossier = Dossier::new("d1", "5y", 2015);
    dossier.records = vec![RecordId::new("r1"), RecordId::new("r2")];
    dossier
}

fn ids(blocking: &[retention_rules::BlockingHold<'_>]) -> Vec<String> {
    blocking.iter().map(|b| b.hold.id.0.clone()).collect()
}

#[test]
fn record_hold_blocks_deleting_that_record() {
    let holds = [hold("h1", HoldScope::Record(RecordId::new("r1")))];
    let target = DeletionTarget::record(RecordId::new("r1"), Some(DossierId::new("d1")));
    let blocking = blocking_holds(&holds, &target, &FailClosed);
    assert_eq!(ids(&blocking), vec!["h1"]);
    assert_eq!(blocking[0].by, BlockedBy::Record(RecordId::new("r1")));
}

#[test]
fn record_hold_does_not_block_another_record_of_the_dossier() {
    let holds = [hold("h1", HoldScope::Record(RecordId::new("r1")))];
    let target = DeletionTarget::record(RecordId::new("r2"), Some(DossierId::new("d1")));
    assert!(blocking_holds(&holds, &target, &FailClosed).is_empty());
}

#[test]
fn record_hold_blocks_deleting_its_whole_dossier() {
    let holds = [hold("h1", HoldScope::Record(RecordId::new("r2")))];
    let target = DeletionTarget::dossier(
        DossierId::new("d1"),
        vec![RecordId::new("r1"), RecordId::new("r2")],
    );
    assert_eq!(
        ids(&blocking_holds(&holds, &target, &FailClosed)),
        vec!["h1"]
    );
}

#[test]
fn dossier_hold_blocks_deleting_the_dossier() {
    let holds = [hold("h1", HoldScope::Dossier(DossierId::new("d1")))];
    let target = DeletionTarget::dossier(DossierId::new("d1"), vec![]);
    let blocking = blocking_holds(&holds, &target, &FailClosed);
    assert_eq!(blocking[0].by, BlockedBy::Dossier(DossierId::new("d1")));
}

#[test]
fn dossier_hold_blocks_deleting_one_of_its_records() {
    let holds = [hold("h1", HoldScope::Dossier(DossierId::new("d1")))];
    let target = DeletionTarget::record(RecordId::new("r1"), Some(DossierId::new("d1")));
    assert_eq!(
        ids(&blocking_holds(&holds, &target, &FailClosed)),
        vec!["h1"]
    );
}

#[test]
fn dossier_hold_does_not_block_another_dossier() {
    let holds = [hold("h1", HoldScope::Dossier(DossierId::new("d1")))];
    let target = DeletionTarget::dossier(DossierId::new("d2"), vec![RecordId::new("r9")]);
    assert!(blocking_holds(&holds, &target, &FailClosed).is_empty());
}

#[test]
fn query_hold_blocks_when_the_query_matches() {
    let holds = [hold("h1", HoldScope::Query("đất đai".to_owned()))];
    let target = DeletionTarget::record(RecordId::new("r1"), None);
    let matcher = |query: &str, _: &DeletionTarget| {
        if query == "đất đai" {
            QueryMatch::Matches
        } else {
            QueryMatch::NoMatch
        }
    };
    let blocking = blocking_holds(&holds, &target, &matcher);
    assert_eq!(blocking[0].by, BlockedBy::Query);
}

#[test]
fn query_hold_does_not_block_when_the_query_does_not_match() {
    let holds = [hold("h1", HoldScope::Query("đất đai".to_owned()))];
    let target = DeletionTarget::record(RecordId::new("r1"), None);
    let matcher = |_: &str, _: &DeletionTarget| QueryMatch::NoMatch;
    assert!(blocking_holds(&holds, &target, &matcher).is_empty());
}

#[test]
fn undecided_query_hold_blocks() {
    let holds = [hold("h1", HoldScope::Query("đất đai".to_owned()))];
    let target = DeletionTarget::record(RecordId::new("r1"), None);
    let blocking = blocking_holds(&holds, &target, &FailClosed);
    assert_eq!(blocking[0].by, BlockedBy::UndecidedQuery);
}

#[test]
fn released_hold_no_longer_blocks() {
    let holds = [
        released(hold("h1", HoldScope::Record(RecordId::new("r1")))),
        released(hold("h2", HoldScope::Dossier(DossierId::new("d1")))),
        released(hold("h3", HoldScope::Query("x".to_owned()))),
    ];
    let target = DeletionTarget::dossier(DossierId::new("d1"), vec![RecordId::new("r1")]);
    assert!(blocking_holds(&holds, &target, &FailClosed).is_empty());
}

#[test]
fn every_blocking_hold_is_returned_in_order() {
    let holds = [
        hold("h1", HoldScope::Record(RecordId::new("r1"))),
        hold("h2", HoldScope::Dossier(DossierId::new("d2"))),
        hold("h3", HoldScope::Dossier(DossierId::new("d1"))),
    ];
    let target = DeletionTarget::dossier(DossierId::new("d1"), vec![RecordId::new("r1")]);
    assert_eq!(
        ids(&blocking_holds(&holds, &target, &FailClosed)),
        vec!["h1", "h3"]
    );
}

#[test]
fn deletion_of_a_due_unheld_dossier_is_permitted() {
    let result = deletion_permitted(
        &due_dossier(),
        &Deletion::WholeDossier,
        &schedule(),
        &[],
        &FailClosed,
        date!(2021 - 01 - 01),
    );
    assert!(result.is_ok());
}

#[test]
fn deletion_before_due_is_refused_with_the_due_date() {
    let result = deletion_permitted(
        &due_dossier(),
        &Deletion::WholeDossier,
        &schedule(),
        &[],
        &FailClosed,
        date!(2020 - 12 - 31),
    );
    let Err(refused) = result else {
        panic!("must be refused")
    };
    assert_eq!(
        refused.reasons,
        vec![RefusalReason::NotYetDue {
            eligible_date: date!(2020 - 12 - 31),
            permitted_from: Some(date!(2021 - 01 - 01)),
        }]
    );
    assert!(
        refused
            .to_string()
            .contains("deletion permitted from 2021-01-01")
    );
}

#[test]
fn deletion_of_a_held_record_is_refused_naming_the_hold() {
    let holds = [hold("h1", HoldScope::Record(RecordId::new("r1")))];
    let result = deletion_permitted(
        &due_dossier(),
        &Deletion::Record(RecordId::new("r1")),
        &schedule(),
        &holds,
        &FailClosed,
        date!(2030 - 01 - 01),
    );
    let Err(refused) = result else {
        panic!("must be refused")
    };
    assert_eq!(
        refused.holds().collect::<Vec<_>>(),
        vec![&HoldId::new("h1")]
    );
}

#[test]
fn held_and_not_due_gives_both_reasons() {
    let holds = [hold("h1", HoldScope::Dossier(DossierId::new("d1")))];
    let result = deletion_permitted(
        &due_dossier(),
        &Deletion::WholeDossier,
        &schedule(),
        &holds,
        &FailClosed,
        date!(2018 - 01 - 01),
    );
    assert!(result.is_err_and(|refused| refused.reasons.len() == 2
        && matches!(refused.reasons[0], RefusalReason::Held { .. })
        && matches!(refused.reasons[1], RefusalReason::NotYetDue { .. })));
}

#[test]
fn deletion_permitted_again_once_the_hold_is_released() {
    let holds = [released(hold(
        "h1",
        HoldScope::Dossier(DossierId::new("d1")),
    ))];
    let result = deletion_permitted(
        &due_dossier(),
        &Deletion::WholeDossier,
        &schedule(),
        &holds,
        &FailClosed,
        date!(2030 - 01 - 01),
    );
    assert!(result.is_ok());
}

#[test]
fn deletion_of_a_permanent_dossier_is_refused() {
    let dossier = Dossier::new("d9", "permanent", 1960);
    let result = deletion_permitted(
        &dossier,
        &Deletion::WholeDossier,
        &schedule(),
        &[],
        &FailClosed,
        date!(2100 - 01 - 01),
    );
    assert!(result.is_err_and(|refused| refused.reasons
        == vec![RefusalReason::Permanent {
            transfer_deadline: None
        }]));
}

#[test]
fn deletion_of_a_conditional_dossier_without_trigger_is_refused() {
    let dossier = Dossier::new("d9", "conditional", 2000);
    let result = deletion_permitted(
        &dossier,
        &Deletion::WholeDossier,
        &schedule(),
        &[],
        &FailClosed,
        date!(2100 - 01 - 01),
    );
    assert!(result.is_err_and(|refused| matches!(
        refused.reasons[..],
        [RefusalReason::AwaitingTrigger { .. }]
    )));
}

#[test]
fn deletion_of_a_record_outside_the_dossier_is_refused() {
    let result = deletion_permitted(
        &due_dossier(),
        &Deletion::Record(RecordId::new("r9")),
        &schedule(),
        &[],
        &FailClosed,
        date!(2030 - 01 - 01),
    );
    assert!(result.is_err_and(|refused| matches!(
        refused.reasons[..],
        [RefusalReason::RecordNotInDossier { .. }]
    )));
}

#[test]
fn deletion_with_unknown_rule_is_refused() {
    let dossier = Dossier::new("d9", "nope", 2000);
    let result = deletion_permitted(
        &dossier,
        &Deletion::WholeDossier,
        &schedule(),
        &[],
        &FailClosed,
        date!(2030 - 01 - 01),
    );
    assert!(
        result.is_err_and(|refused| matches!(refused.reasons[..], [RefusalReason::Retention(_)]))
    );
}

#[test]
fn hold_round_trips_through_json() {
    let original = released(hold("h1", HoldScope::Query("đất đai".to_owned())));
    let json = serde_json::to_string(&original).unwrap_or_default();
    assert!(json.contains(r#""scope":{"kind":"query","value":"đất đai"}"#));
    assert!(json.contains(r#""placed_at":"2025-01-10T09:00:00+07:00""#));
    let back: Result<Hold, _> = serde_json::from_str(&json);
    assert_eq!(back.ok(), Some(original));
}

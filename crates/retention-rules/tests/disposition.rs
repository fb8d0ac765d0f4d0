//! The disposition state machine: every transition allowed and refused.

use retention_rules::{
    Appraisal, Approval, DeletionTarget, Disposition, DispositionAction, DispositionEvent,
    DispositionId, DispositionState, DossierId, Execution, FailClosed, Hold, HoldId, HoldScope,
    Proposal, RecordId, Rejection, TransitionError,
};
use time::macros::{date, datetime};

fn proposal() -> Proposal {
    Proposal {
        id: DispositionId::new("disp-2025-01"),
        action: DispositionAction::Destroy,
        dossiers: vec![DossierId::new("d1"), DossierId::new("d2")],
        schedule: None,
        proposed_by: "lưu trữ viên".to_owned(),
        proposed_on: date!(2025 - 02 - 01),
    }
}

fn appraisal() -> Appraisal {
    Appraisal {
        appraised_by: "thư ký hội đồng".to_owned(),
        appraised_on: date!(2025 - 03 - 01),
        note: None,
    }
}

fn approval() -> Approval {
    Approval {
        decision_number: "12/QĐ-UBND".to_owned(),
        approver: "chủ tịch UBND".to_owned(),
        council_minutes: "BB-HĐXĐGTTL-2025-03".to_owned(),
        approved_on: date!(2025 - 04 - 01),
    }
}

fn execution() -> Execution {
    Execution {
        executed_by: "lưu trữ viên".to_owned(),
        executed_on: date!(2025 - 05 - 01),
    }
}

fn rejection() -> Rejection {
    Rejection {
        reason: "dossiers still used by the inspectorate".to_owned(),
        rejected_by: "hội đồng".to_owned(),
        rejected_on: date!(2025 - 03 - 15),
    }
}

fn targets() -> Vec<DeletionTarget> {
    vec![
        DeletionTarget::dossier(DossierId::new("d1"), vec![RecordId::new("r1")]),
        DeletionTarget::dossier(DossierId::new("d2"), vec![RecordId::new("r2")]),
    ]
}

fn proposed() -> Disposition {
    match Disposition::propose(proposal()) {
        Ok((disposition, _)) => disposition,
        Err(error) => panic!("{error}"),
    }
}

fn appraised() -> Disposition {
    let mut disposition = proposed();
    if let Err(error) = disposition.appraise(appraisal()) {
        panic!("{error}");
    }
    disposition
}

fn approved() -> Disposition {
    let mut disposition = appraised();
    if let Err(error) = disposition.approve(approval()) {
        panic!("{error}");
    }
    disposition
}

fn executed() -> Disposition {
    let mut disposition = approved();
    if let Err(error) = disposition.execute(execution(), &targets(), &[], &FailClosed) {
        panic!("{error}");
    }
    disposition
}

fn rejected() -> Disposition {
    let mut disposition = proposed();
    if let Err(error) = disposition.reject(rejection()) {
        panic!("{error}");
    }
    disposition
}

fn not_allowed(from: DispositionState, to: DispositionState) -> TransitionError {
    TransitionError::NotAllowed {
        id: DispositionId::new("disp-2025-01"),
        from,
        to,
    }
}

fn dossier_hold(id: &str, dossier: &str) -> Hold {
    Hold {
        id: HoldId::new(id),
        scope: HoldScope::Dossier(DossierId::new(dossier)),
        reason: "inspection".to_owned(),
        authority: "Thanh tra tỉnh".to_owned(),
        placed_by: "pháp chế".to_owned(),
        placed_at: datetime!(2025-04-20 08:00 +7),
        released: None,
    }
}

#[test]
fn proposal_opens_a_disposition_in_proposed_state() {
    let result = Disposition::propose(proposal());
    let Ok((disposition, event)) = result else {
        panic!("{result:?}")
    };
    assert_eq!(disposition.state, DispositionState::Proposed);
    assert_eq!(event, DispositionEvent::Proposed(proposal()));
}

#[test]
fn proposal_without_dossiers_is_refused_naming_the_field() {
    let mut empty = proposal();
    empty.dossiers.clear();
    assert_eq!(
        Disposition::propose(empty).err(),
        Some(TransitionError::MissingField {
            id: DispositionId::new("disp-2025-01"),
            from: None,
            to: DispositionState::Proposed,
            field: "dossiers"
        })
    );
}

#[test]
fn proposal_listing_a_dossier_twice_is_refused() {
    let mut twice = proposal();
    twice.dossiers.push(DossierId::new("d1"));
    assert!(matches!(
        Disposition::propose(twice),
        Err(TransitionError::DuplicateDossier { .. })
    ));
}

#[test]
fn proposed_can_be_appraised() {
    assert_eq!(appraised().state, DispositionState::Appraised);
}

#[test]
fn appraisal_without_appraiser_is_refused() {
    let mut blank = appraisal();
    blank.appraised_by = "  ".to_owned();
    assert!(matches!(
        proposed().appraise(blank),
        Err(TransitionError::MissingField {
            from: Some(DispositionState::Proposed),
            to: DispositionState::Appraised,
            field: "appraised_by",
            ..
        })
    ));
}

#[test]
fn proposed_cannot_be_approved_without_appraisal() {
    assert_eq!(
        proposed().approve(approval()).err(),
        Some(not_allowed(
            DispositionState::Proposed,
            DispositionState::Approved
        ))
    );
}

#[test]
fn proposed_cannot_be_executed() {
    assert_eq!(
        proposed()
            .execute(execution(), &targets(), &[], &FailClosed)
            .err(),
        Some(not_allowed(
            DispositionState::Proposed,
            DispositionState::Executed
        ))
    );
}

#[test]
fn appraised_can_be_approved_with_decision_approver_minutes_and_date() {
    let disposition = approved();
    assert_eq!(disposition.state, DispositionState::Approved);
    assert_eq!(disposition.approval, Some(approval()));
}

#[test]
fn approval_without_each_required_field_is_refused_naming_it() {
    type Blank = fn(&mut Approval);
    let cases: [(&str, Blank); 3] = [
        ("decision_number", |a| a.decision_number.clear()),
        ("approver", |a| a.approver.clear()),
        ("council_minutes", |a| a.council_minutes.clear()),
    ];
    for (field, blank) in cases {
        let mut incomplete = approval();
        blank(&mut incomplete);
        let error = appraised().approve(incomplete).err();
        assert_eq!(
            error,
            Some(TransitionError::MissingField {
                id: DispositionId::new("disp-2025-01"),
                from: Some(DispositionState::Appraised),
                to: DispositionState::Approved,
                field
            })
        );
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            format!("disposition disp-2025-01: from appraised to approved needs `{field}`")
        );
    }
}

#[test]
fn approval_dated_before_the_appraisal_is_refused() {
    let mut early = approval();
    early.approved_on = date!(2025 - 02 - 28);
    assert!(matches!(
        appraised().approve(early),
        Err(TransitionError::DateBeforePrevious {
            field: "approved_on",
            ..
        })
    ));
}

#[test]
fn appraised_cannot_be_appraised_again() {
    assert_eq!(
        appraised().appraise(appraisal()).err(),
        Some(not_allowed(
            DispositionState::Appraised,
            DispositionState::Appraised
        ))
    );
}

#[test]
fn appraised_cannot_be_executed() {
    assert_eq!(
        appraised()
            .execute(execution(), &targets(), &[], &FailClosed)
            .err(),
        Some(not_allowed(
            DispositionState::Appraised,
            DispositionState::Executed
        ))
    );
}

#[test]
fn approved_can_be_executed() {
    assert_eq!(executed().state, DispositionState::Executed);
}

#[test]
fn executing_twice_is_refused() {
    assert_eq!(
        executed()
            .execute(execution(), &targets(), &[], &FailClosed)
            .err(),
        Some(not_allowed(
            DispositionState::Executed,
            DispositionState::Executed
        ))
    );
}

#[test]
fn execution_is_blocked_by_a_hold_placed_after_approval() {
    let holds = [
        dossier_hold("h1", "d2"),
        dossier_hold("h2", "d3"),
        dossier_hold("h3", "d1"),
    ];
    let mut disposition = approved();
    let error = disposition.execute(execution(), &targets(), &holds, &FailClosed);
    assert_eq!(
        error.err(),
        Some(TransitionError::Held {
            id: DispositionId::new("disp-2025-01"),
            holds: vec![HoldId::new("h3"), HoldId::new("h1")],
        })
    );
    assert_eq!(disposition.state, DispositionState::Approved);
    assert_eq!(disposition.execution, None);
}

#[test]
fn execution_without_the_records_of_every_dossier_is_refused() {
    let only_first = &targets()[..1];
    assert!(matches!(
        approved().execute(execution(), only_first, &[], &FailClosed),
        Err(TransitionError::MissingTargets { missing, .. }) if missing == vec![DossierId::new("d2")]
    ));
}

#[test]
fn execution_with_a_target_outside_the_disposition_is_refused() {
    let mut more = targets();
    more.push(DeletionTarget::dossier(DossierId::new("d9"), vec![]));
    assert!(matches!(
        approved().execute(execution(), &more, &[], &FailClosed),
        Err(TransitionError::ForeignTarget { .. })
    ));
}

#[test]
fn approved_cannot_be_rejected() {
    assert_eq!(
        approved().reject(rejection()).err(),
        Some(not_allowed(
            DispositionState::Approved,
            DispositionState::Rejected
        ))
    );
}

#[test]
fn proposed_can_be_rejected_with_reason() {
    let disposition = rejected();
    assert_eq!(disposition.state, DispositionState::Rejected);
    assert_eq!(disposition.rejection, Some(rejection()));
}

#[test]
fn appraised_can_be_rejected() {
    let mut disposition = appraised();
    assert!(disposition.reject(rejection()).is_ok());
}

#[test]
fn rejection_without_reason_is_refused() {
    let mut blank = rejection();
    blank.reason.clear();
    assert!(matches!(
        proposed().reject(blank),
        Err(TransitionError::MissingField {
            field: "reason",
            ..
        })
    ));
}

#[test]
fn rejected_is_final() {
    assert_eq!(
        rejected().appraise(appraisal()).err(),
        Some(not_allowed(
            DispositionState::Rejected,
            DispositionState::Appraised
        ))
    );
    assert_eq!(
        rejected().reject(rejection()).err(),
        Some(not_allowed(
            DispositionState::Rejected,
            DispositionState::Rejected
        ))
    );
}

#[test]
fn executed_cannot_be_rejected() {
    assert_eq!(
        executed().reject(rejection()).err(),
        Some(not_allowed(
            DispositionState::Executed,
            DispositionState::Rejected
        ))
    );
}

#[test]
fn allowed_transitions_are_exactly_the_five_arrows() {
    use DispositionState::*;
    let all = [Proposed, Appraised, Approved, Executed, Rejected];
    let allowed: Vec<(DispositionState, DispositionState)> = all
        .iter()
        .flat_map(|from| all.iter().map(move |to| (*from, *to)))
        .filter(|(from, to)| from.can_become(*to))
        .collect();
    assert_eq!(
        allowed,
        vec![
            (Proposed, Appraised),
            (Proposed, Rejected),
            (Appraised, Approved),
            (Appraised, Rejected),
            (Approved, Executed),
        ]
    );
}

#[test]
fn events_replay_to_the_same_disposition() {
    let mut disposition = proposed();
    let mut events = vec![DispositionEvent::Proposed(proposal())];
    events.extend(disposition.appraise(appraisal()));
    events.extend(disposition.approve(approval()));
    events.extend(disposition.execute(execution(), &targets(), &[], &FailClosed));
    assert_eq!(events.len(), 4);
    assert_eq!(Disposition::replay(&events), Ok(disposition));
}

#[test]
fn replay_refuses_an_execution_without_approval() {
    let events = [
        DispositionEvent::Proposed(proposal()),
        DispositionEvent::Executed(execution()),
    ];
    assert_eq!(
        Disposition::replay(&events).err(),
        Some(not_allowed(
            DispositionState::Proposed,
            DispositionState::Executed
        ))
    );
}

#[test]
fn replay_must_start_with_a_proposal() {
    assert!(matches!(
        Disposition::replay(&[DispositionEvent::Appraised(appraisal())]),
        Err(TransitionError::NoProposal { .. })
    ));
    assert!(matches!(
        Disposition::replay(&[]),
        Err(TransitionError::NoProposal { .. })
    ));
}

#[test]
fn events_serialise_with_stable_snake_case_names() {
    let json = serde_json::to_value(DispositionEvent::Approved(approval())).ok();
    assert_eq!(
        json,
        Some(serde_json::json!({
            "event": "approved",
            "decision_number": "12/QĐ-UBND",
            "approver": "chủ tịch UBND",
            "council_minutes": "BB-HĐXĐGTTL-2025-03",
            "approved_on": "2025-04-01",
        }))
    );
    let json = serde_json::to_value(DispositionEvent::Proposed(proposal())).ok();
    assert_eq!(
        json.as_ref().and_then(|v| v.get("action")),
        Some(&serde_json::json!("destroy"))
    );
}

#[test]
fn disposition_round_trips_through_json() {
    let disposition = executed();
    let json = serde_json::to_string(&disposition).unwrap_or_default();
    assert!(json.contains(r#""state":"executed""#));
    let back: Result<Disposition, _> = serde_json::from_str(&json);
    assert_eq!(back.ok(), Some(disposition));
}

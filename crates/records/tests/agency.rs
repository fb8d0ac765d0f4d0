//! Agency codes: every row of the reference examples, and the alias table.

mod common;

use records::{AgencyAliases, AgencyCode, AgencyCodeError, AgencyCodeForm, AgencyId};

#[test]
fn every_reference_example_is_classified_as_expected() {
    let mut failures = Vec::new();
    for row in common::tsv_rows(include_str!("../data/agency_code_examples.tsv")) {
        let input = common::unescape(&row["input_escaped"]);
        assert_eq!(
            input.chars().count().to_string(),
            row["length"],
            "{input:?}"
        );
        let parsed = AgencyCode::parse(&input);
        let form = parsed
            .as_ref()
            .map_or(AgencyCodeForm::Unknown, AgencyCode::form);
        let got = (
            if form == AgencyCodeForm::Qd20 {
                "yes"
            } else {
                "no"
            },
            if form == AgencyCodeForm::Qcvn102 {
                "yes"
            } else {
                "no"
            },
            parsed
                .as_ref()
                .ok()
                .and_then(|c| c.level1())
                .unwrap_or_default(),
        );
        let expected = (
            row["valid_qd20_form"].as_str(),
            row["valid_qcvn102_form"].as_str(),
            row["level1"].as_str(),
        );
        if got != expected {
            failures.push(format!("{input:?}: got {got:?}, expected {expected:?}"));
        }
        if parsed.is_ok() {
            assert_eq!(
                parsed.as_ref().map(AgencyCode::as_str),
                Ok(input.as_str()),
                "stored as received"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn storage_refuses_empty_long_and_spaced_codes_but_keeps_test_codes() {
    assert_eq!(AgencyCode::parse(""), Err(AgencyCodeError::Empty));
    assert_eq!(
        AgencyCode::parse("H49.64.33.01.02.03.04.05.06.07.08.09"),
        Err(AgencyCodeError::TooLong { length: 36 })
    );
    assert_eq!(
        AgencyCode::parse("H49 64 33"),
        Err(AgencyCodeError::Charset { character: ' ' })
    );
    assert_eq!(
        AgencyCode::parse("H49.64.33").map(|c| c.form()),
        Ok(AgencyCodeForm::Qd20)
    );
    assert_eq!(
        AgencyCode::parse("vxp.saas.03").map(|c| c.form()),
        Ok(AgencyCodeForm::Unknown)
    );
    assert_eq!(
        AgencyCode::parse("h49.64.33").map(|c| c.to_string()),
        Ok("h49.64.33".to_owned())
    );
}

const ALIASES: &str = "code\tform\tagency_id\tvalid_from\tvalid_to\tsource
000.00.00.H40\tqcvn102\tubnd-nam-dinh\t\t2020-09-14\tillustrative
H40\tqd20\tubnd-nam-dinh\t2020-09-15\t2025-06-30\tillustrative
H31\tqd20\tubnd-ninh-binh\t2025-07-01\t\tillustrative
H40\tqd20\tubnd-ninh-binh\t2025-07-01\t\tillustrative: merged province reusing the code
";

fn code(text: &str) -> AgencyCode {
    AgencyCode::parse(text).expect("valid code")
}

#[test]
fn old_and_renumbered_codes_find_the_same_agency() {
    let table = AgencyAliases::from_tsv(ALIASES).expect("loads");
    let nam_dinh = AgencyId::new("ubnd-nam-dinh");
    assert_eq!(
        table.agency_of(&code("000.00.00.H40"), None),
        Some(&nam_dinh)
    );
    assert_eq!(
        table.agency_of(&code("H40"), Some(time::macros::date!(2021 - 01 - 01))),
        Some(&nam_dinh)
    );
    assert_eq!(
        table.agency_of(&code("H40"), Some(time::macros::date!(2025 - 08 - 01))),
        Some(&AgencyId::new("ubnd-ninh-binh"))
    );
    assert!(table.same_agency(&code("000.00.00.H40"), &code("000.00.00.H40")));
    assert_eq!(table.codes_of(&nam_dinh).len(), 2);
    assert_eq!(table.canonical(&code("000.00.00.H40")), Some(&code("H40")));
    assert_eq!(table.agency_of(&code("G09"), None), None);
}

#[test]
fn a_code_given_to_two_agencies_at_once_is_refused() {
    let conflicting = "code\tform\tagency_id\tvalid_from\tvalid_to\tsource
H40\tqd20\ta\t2020-01-01\t\t
H40\tqd20\tb\t2021-01-01\t\t
";
    assert!(AgencyAliases::from_tsv(conflicting).is_err());
    let bad_code = "code\tform\tagency_id\tvalid_from\tvalid_to\tsource\nH 40\t\ta\t\t\t\n";
    assert!(AgencyAliases::from_tsv(bad_code).is_err());
    let bad_date =
        "code\tform\tagency_id\tvalid_from\tvalid_to\tsource\nH40\t\ta\t2020-02-30\t\t\n";
    assert!(AgencyAliases::from_tsv(bad_date).is_err());
}

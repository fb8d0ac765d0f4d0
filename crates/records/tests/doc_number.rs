//! Document numbers: every row of the reference examples, and properties.

mod common;

use proptest::prelude::*;
use records::{DocNumber, DocNumberError};

const EXAMPLES: &str = include_str!("../data/doc_number_examples.tsv");

#[test]
fn every_reference_example_parses_as_expected() {
    let rows = common::tsv_rows(EXAMPLES);
    assert_eq!(rows.len(), 62, "the reference lists 62 inputs");
    let mut failures = Vec::new();
    for row in &rows {
        let input = common::unescape(&row["input_escaped"]);
        let result = DocNumber::parse(&input);
        let got = match &result {
            Ok(n) => vec![
                "yes".to_owned(),
                if n.is_conforming() { "yes" } else { "no" }.to_owned(),
                n.number().to_owned(),
                n.year().map(|y| y.to_string()).unwrap_or_default(),
                n.type_abbr().unwrap_or_default().to_owned(),
                n.issuer_abbr().to_owned(),
                n.unit_abbr().unwrap_or_default().to_owned(),
                n.key().to_string(),
            ],
            Err(_) => vec![
                "no".to_owned(),
                "no".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        };
        let expected: Vec<String> = [
            "valid",
            "conforming",
            "number",
            "year",
            "type_abbr",
            "issuer_abbr",
            "unit_abbr",
            "key",
        ]
        .iter()
        .map(|c| row[*c].clone())
        .collect();
        if got != expected {
            failures.push(format!("{input:?}: got {got:?}, expected {expected:?}"));
        }
        if let Err(e) = result {
            // The note ends with the reason the rules give.
            let reason = row["note"].rsplit("; ").next().unwrap_or_default();
            if e.to_string() != reason {
                failures.push(format!(
                    "{input:?}: error {e:?} ({e}), note says {reason:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn key_agrees_with_the_text_pipeline_key() {
    let mut failures = Vec::new();
    for row in common::tsv_rows(EXAMPLES) {
        let input = common::unescape(&row["input_escaped"]);
        let ours = DocNumber::parse(&input).ok().map(|n| n.key().to_string());
        let theirs = vietnamese::doc_number_key(&input);
        if ours != theirs {
            failures.push(format!(
                "{input:?}: records {ours:?}, vietnamese {theirs:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lower_case_type_is_reported_in_table_spelling() {
    let n = DocNumber::parse("03/qyđ-ubnd").expect("valid");
    assert_eq!(n.type_abbr(), Some("QyĐ"));
    assert_eq!(n.presentation(), "03/qyđ-ubnd");
}

#[test]
fn notation_longer_than_thirty_characters_is_refused() {
    let long = format!("12/QĐ-{}", "A".repeat(30));
    assert_eq!(
        DocNumber::parse(&long),
        Err(DocNumberError::NotationTooLong)
    );
}

fn doc_number() -> impl Strategy<Value = (u64, usize, Option<u16>, Vec<String>)> {
    let group = prop_oneof![
        Just("QĐ".to_owned()),
        Just("UBND".to_owned()),
        Just("TTr".to_owned()),
        Just("ĐA".to_owned()),
        Just("VPTƯ".to_owned()),
        Just("QH15".to_owned()),
        "[A-Z][A-Z0-9]{0,5}",
    ];
    (
        1u64..100_000,
        0usize..3,
        proptest::option::of(1945u16..2100),
        proptest::collection::vec(group, 2..4),
    )
}

fn render(
    number: u64,
    zeros: usize,
    year: Option<u16>,
    groups: &[String],
    slash: &str,
    dash: &str,
) -> String {
    let mut s = format!("{}{number}", "0".repeat(zeros));
    if let Some(y) = year {
        s.push_str(&format!("{slash}{y}"));
    }
    s.push_str(slash);
    s.push_str(&groups.join(dash));
    s
}

proptest! {
    #[test]
    fn parser_never_panics(input in "\\PC{0,40}") {
        let _ = DocNumber::parse(&input);
    }

    #[test]
    fn parser_never_panics_on_number_like_input(input in "[Số: 0-9/／∕\\-–—ĐÐđqQUBND .]{0,30}") {
        let _ = DocNumber::parse(&input);
    }

    #[test]
    fn key_is_stable_under_lookalikes_spaces_eth_and_case(
        (number, zeros, year, groups) in doc_number(),
        slash in prop_oneof![Just("/"), Just("／"), Just("∕"), Just(" / "), Just("/ ")],
        dash in prop_oneof![Just("-"), Just("–"), Just("—"), Just("‐"), Just(" - ")],
        eth in any::<bool>(),
        case in 0u8..3,
        prefix in prop_oneof![Just(""), Just("Số: "), Just("số "), Just("\u{a0}")],
    ) {
        let plain = render(number, zeros, year, &groups, "/", "-");
        let Ok(reference) = DocNumber::parse(&plain) else {
            // e.g. a type abbreviation with nothing after it.
            return Ok(());
        };
        let mut variant = render(number, zeros, year, &groups, slash, dash);
        if eth {
            variant = variant.replace('Đ', "\u{00d0}");
        }
        variant = match case {
            0 => variant,
            1 => variant.to_lowercase(),
            _ => variant.to_uppercase(),
        };
        let variant = format!("{prefix}{variant}");
        let parsed = DocNumber::parse(&variant);
        prop_assert!(parsed.is_ok(), "{:?} failed: {:?}", variant, parsed);
        if let Ok(parsed) = parsed {
            prop_assert_eq!(parsed.key(), reference.key(), "{:?} vs {:?}", variant, plain);
        }
    }
}

#[test]
fn eth_after_a_no_break_space_is_not_taken_for_misdecoded_text() {
    // Found by the property test: the text pipeline read "\u{a0}1/ÐA" as
    // mis-decoded text; look-alikes are now mapped before it runs.
    let n = DocNumber::parse("\u{a0}1/\u{d0}A - Q\u{d0}").expect("valid");
    assert_eq!(n.key().as_str(), "1/da-qd");
}

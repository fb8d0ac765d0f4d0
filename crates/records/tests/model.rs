//! The records model: tables, labels, normalisation, validation, refusal, diff.

mod common;

use records::{
    DepositError, DocTypeKind, DocTypes, Dossier, DossierStatus, Problem, RecordKind,
    RecordMetadata, Refusal, SecretLevel, Vocabularies, VocabularyName, diff, parse_deposit_json,
};
use time::macros::date;

#[test]
fn embedded_tables_have_no_unreadable_rows() {
    assert_eq!(records::table_errors(), &[]);
}

#[test]
fn there_are_29_administrative_types_3_copy_types_and_6_legal_normative_types() {
    let count = |kind| {
        DocTypes::builtin()
            .entries()
            .filter(|e| e.kind == kind)
            .count()
    };
    assert_eq!(count(DocTypeKind::Administrative), 29);
    assert_eq!(count(DocTypeKind::Copy), 3);
    assert_eq!(count(DocTypeKind::LegalNormative), 6);
}

#[test]
fn every_vocabulary_of_the_table_is_known_and_codes_are_unique() {
    let vocab = Vocabularies::builtin();
    for name in VocabularyName::ALL {
        let codes: Vec<&str> = vocab.entries(name).map(|e| e.code).collect();
        assert!(!codes.is_empty(), "{name:?} has no values");
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "{name:?} repeats a code");
    }
}

#[test]
fn record_kinds_match_the_vocabulary() {
    for kind in [
        RecordKind::Outgoing,
        RecordKind::Incoming,
        RecordKind::Internal,
    ] {
        assert!(
            Vocabularies::builtin()
                .by_code(VocabularyName::RecordKind, kind.vocabulary_code())
                .is_some()
        );
    }
    assert_eq!(RecordKind::Incoming.label_vi(), "Văn bản đến");
}

#[test]
fn vocabulary_labels_are_recognised_in_any_case() {
    let vocab = Vocabularies::builtin();
    let code = |v, input| vocab.lookup(v, input).map(|e| e.code);
    assert_eq!(code(VocabularyName::Urgency, "Hỏa tốc"), Some("hoa_toc"));
    assert_eq!(code(VocabularyName::Secrecy, "TỐI MẬT"), Some("toi_mat"));
    assert_eq!(code(VocabularyName::AuthorityMark, "KT."), Some("kt"));
    assert_eq!(code(VocabularyName::AuthorityMark, "TUQ"), Some("tuq"));
    assert_eq!(code(VocabularyName::Language, "Tiếng Việt"), Some("vi"));
    assert_eq!(code(VocabularyName::Urgency, "rất gấp"), None);
}

#[test]
fn doc_type_names_abbreviations_and_codes_are_recognised() {
    let code = |input| DocTypes::builtin().lookup(input).map(|e| e.code);
    assert_eq!(code("Quyết định"), Some("quyet_dinh"));
    assert_eq!(code("quyet_dinh"), Some("quyet_dinh"));
    assert_eq!(code("Tờ trình"), Some("to_trinh"));
    assert_eq!(code("QyĐ"), Some("quy_dinh"));
    assert_eq!(code("DA"), Some("du_an"));
    assert_eq!(code("ĐA"), Some("de_an"));
    assert_eq!(code("Công văn"), Some("cong_van"));
}

#[test]
fn every_field_of_the_schema_has_a_vietnamese_label() {
    let schema = records::deposit_schema();
    let mut missing = Vec::new();
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(properties.len() > 20);
    for name in properties.keys() {
        if RecordMetadata::label_vi(name).is_none() {
            missing.push(name.clone());
        }
    }
    for sub in ["Signer", "Recipient"] {
        let prefix = if sub == "Signer" {
            "signer"
        } else {
            "recipients"
        };
        let props = schema["$defs"][sub]["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(!props.is_empty(), "{sub} not in $defs");
        for name in props.keys() {
            if RecordMetadata::label_vi(&format!("{prefix}.{name}")).is_none() {
                missing.push(format!("{prefix}.{name}"));
            }
        }
    }
    assert!(missing.is_empty(), "no label for {missing:?}");
    assert_eq!(
        RecordMetadata::label_vi("recipients[3].name"),
        Some("tên cơ quan, tổ chức nhận")
    );
}

fn valid() -> RecordMetadata {
    let mut m = RecordMetadata::new(RecordKind::Outgoing);
    m.doc_number = Some("05/2016/QĐ-UBND".into());
    m.doc_type = Some("quyet_dinh".into());
    m.issued_on = Some(date!(2016 - 03 - 16));
    m.issuer = Some("Ủy ban nhân dân tỉnh Nam Định".into());
    m.summary = Some("Ban hành Quy định về văn bản điện tử".into());
    m
}

#[test]
fn valid_metadata_has_no_problem() {
    assert_eq!(valid().validate(common::today()), Vec::<Problem>::new());
    assert!(valid().check(common::today()).is_ok());
}

#[test]
fn issue_date_in_the_future_is_reported_with_path_rule_and_label() {
    let mut m = valid();
    m.issued_on = Some(date!(2030 - 01 - 01));
    let problems = m.validate(common::today());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "issued_on");
    assert_eq!(problems[0].rule, "not_in_future");
    assert_eq!(problems[0].label_vi, "ngày ban hành");
    assert!(
        problems[0]
            .to_string()
            .starts_with("issued_on: ngày ban hành is in the future"),
        "{}",
        problems[0]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut m = valid();
    m.issued_on = Some(date!(2030 - 01 - 01));
    m.summary = None;
    m.doc_number = Some("12a/QĐ-UBND".into());
    m.urgency = Some("rất gấp".into());
    m.issuer_code = Some("H49.64.33.01.02.03.04.05.06.07.08.09".into());
    m.page_count = Some(1000);
    m.arrival_number = Some(3);
    m.extra
        .insert("sent_at".into(), serde_json::json!("2026-01-01T00:00:00Z"));
    let rules: Vec<(String, &str)> = m
        .validate(common::today())
        .into_iter()
        .map(|p| (p.path, p.rule))
        .collect();
    for expected in [
        ("issued_on", "not_in_future"),
        ("summary", "required"),
        ("doc_number", "doc_number_format"),
        ("urgency", "in_vocabulary"),
        ("issuer_code", "agency_code"),
        ("page_count", "max_value"),
        ("arrival_number", "incoming_only"),
        ("sent_at", "set_by_system"),
    ] {
        assert!(
            rules.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} missing from {rules:?}"
        );
    }
}

#[test]
fn doc_type_that_contradicts_the_number_is_reported() {
    let mut m = valid();
    m.doc_type = Some("Thông báo".into());
    let problems = m.validate(common::today());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].rule, "matches_doc_number");
}

#[test]
fn cong_van_of_an_issuer_abbreviated_ct_is_accepted() {
    let mut m = valid();
    m.doc_number = Some("1234/CT-TTHT".into());
    m.doc_type = Some("Công văn".into());
    assert_eq!(m.validate(common::today()), Vec::<Problem>::new());
}

#[test]
fn secret_documents_are_refused_at_every_level_in_json() {
    for (text, level) in [
        ("Mật", SecretLevel::Mat),
        ("Tối mật", SecretLevel::ToiMat),
        ("tuyet_mat", SecretLevel::TuyetMat),
        ("TUYỆT MẬT", SecretLevel::TuyetMat),
    ] {
        let json = serde_json::json!({"kind": "outgoing", "summary": "x", "issuer": "y", "secrecy": text, "issued_on": "not a date"});
        match parse_deposit_json(&json.to_string(), common::today()) {
            Err(DepositError::Refused(Refusal::Secret { level: found, rule })) => {
                assert_eq!(found, level);
                assert_eq!(rule, "secret_documents_refused");
            }
            other => panic!("{text}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn refusal_names_the_rule() {
    let mut m = valid();
    m.secrecy = Some("mat".into());
    let error = m.check(common::today()).expect_err("must fail");
    let text = error.to_string();
    assert!(
        text.contains("secret_documents_refused") && text.contains("Mật"),
        "{text}"
    );
}

#[test]
fn not_secret_is_accepted() {
    let mut m = valid();
    m.secrecy = Some("Không mật".into());
    assert!(m.check(common::today()).is_ok());
    assert_eq!(m.normalized().secrecy.as_deref(), Some("none"));
}

#[test]
fn json_reports_every_malformed_field_and_invalid_date() {
    let json = r#"{"kind": "outgoing", "summary": "x", "issuer": "y",
        "issued_on": "2016-02-30", "page_count": "ba", "arrival_date": "2016-01-01",
        "received_at": "2026-01-01T00:00:00Z", "so_cong_van": 5}"#;
    let Err(DepositError::Invalid(problems)) = parse_deposit_json(json, common::today()) else {
        panic!("expected problems");
    };
    let rules: Vec<(&str, &str)> = problems
        .0
        .iter()
        .map(|p| (p.path.as_str(), p.rule))
        .collect();
    assert!(rules.contains(&("issued_on", "type")), "{rules:?}");
    assert!(rules.contains(&("page_count", "type")), "{rules:?}");
    assert!(
        rules.contains(&("arrival_date", "incoming_only")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("received_at", "set_by_system")),
        "{rules:?}"
    );
    assert_eq!(rules.len(), 4, "{problems}");
    let issued = problems
        .0
        .iter()
        .find(|p| p.path == "issued_on")
        .map(|p| p.to_string());
    assert!(issued.is_some_and(|t| t.contains("day 30 does not exist in February 2016")));
}

#[test]
fn malformed_json_and_non_objects_are_specific_errors() {
    assert!(matches!(
        parse_deposit_json("{", common::today()),
        Err(DepositError::Json(_))
    ));
    assert!(matches!(
        parse_deposit_json("[]", common::today()),
        Err(DepositError::NotAnObject { found: "an array" })
    ));
    let Err(DepositError::Invalid(p)) = parse_deposit_json("{}", common::today()) else {
        panic!("missing kind must be a problem");
    };
    assert!(p.0.iter().any(|p| p.path == "kind" && p.rule == "required"));
}

#[test]
fn unknown_fields_are_kept_and_warned_about() {
    let json = r#"{"kind": "incoming", "summary": "x", "issuer": "y", "so_cong_van": 5}"#;
    let m = parse_deposit_json(json, common::today()).expect("valid");
    assert_eq!(m.extra.get("so_cong_van"), Some(&serde_json::json!(5)));
    let warnings = m.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.path == "so_cong_van" && w.rule == "unknown_field")
    );
    let back = serde_json::to_value(&m).expect("serialises");
    assert_eq!(back["so_cong_van"], 5);
}

#[test]
fn normalized_text_is_nfc_trimmed_and_coded() {
    let mut m = valid();
    m.summary = Some("  Quy \u{111}i\u{323}nh ve\u{302}\u{300} va\u{306}n ba\u{309}n  ".into());
    m.urgency = Some("Thượng khẩn".into());
    m.doc_type = Some("Quyết định".into());
    m.note = Some("   ".into());
    m.signer = Some(records::Signer::default());
    let n = m.normalized();
    let summary = n.summary.clone().unwrap_or_default();
    assert!(!summary.starts_with(' ') && !summary.ends_with(' '));
    assert!(
        summary
            .chars()
            .all(|c| !('\u{300}'..='\u{36f}').contains(&c)),
        "{summary:?} is not NFC"
    );
    assert_eq!(n.urgency.as_deref(), Some("thuong_khan"));
    assert_eq!(n.doc_type.as_deref(), Some("quyet_dinh"));
    assert_eq!(n.note, None);
    assert_eq!(n.signer, None);
    assert_eq!(n.normalized(), n, "normalized is idempotent");
}

#[test]
fn competence_lines_split_into_mark_and_body() {
    let split = records::Signer::split_competence;
    assert_eq!(
        split("TM. ỦY BAN NHÂN DÂN"),
        (Some("tm".into()), Some("ỦY BAN NHÂN DÂN".into()))
    );
    assert_eq!(
        split("KT. CHỦ TỊCH"),
        (Some("kt".into()), Some("CHỦ TỊCH".into()))
    );
    assert_eq!(split("Trực tiếp"), (Some("none".into()), None));
    assert_eq!(split("Giám đốc"), (None, Some("Giám đốc".into())));
}

#[test]
fn diff_lists_changed_fields_by_path() {
    let old = valid();
    let mut new = valid();
    new.summary = Some("Trích yếu mới".into());
    new.signer = Some(records::Signer {
        full_name: Some("Nguyễn Văn A".into()),
        ..Default::default()
    });
    new.doc_number = None;
    let changes = diff(&old, &new);
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["doc_number", "signer.full_name", "summary"]);
    assert_eq!(changes[0].new, None);
    assert_eq!(changes[1].old, None);
    assert!(diff(&old, &old).is_empty());
}

#[test]
fn closing_a_dossier_records_the_year_work_ended() {
    let dossier = Dossier::new("01/HS-VP", "Hồ sơ văn thư năm 2025");
    assert!(dossier.validate(common::today()).is_empty());
    let closed = dossier
        .close(date!(2025 - 12 - 31), common::today())
        .expect("closes");
    assert_eq!(closed.status, DossierStatus::Closed);
    assert_eq!(closed.year_work_ended, Some(2025));
    let mut wrong = closed.clone();
    wrong.year_work_ended = Some(2024);
    wrong.start_date = Some(date!(2026 - 01 - 01));
    let rules: Vec<&str> = wrong
        .validate(common::today())
        .iter()
        .map(|p| p.rule)
        .collect();
    assert_eq!(rules, ["not_before_start_date", "matches_end_date"]);
    let mut open_with_year = dossier.clone();
    open_with_year.year_work_ended = Some(2025);
    let problems = open_with_year.validate(common::today());
    assert_eq!(
        problems[0].to_string(),
        "year_work_ended: năm kết thúc công việc is set on an open dossier: it is set when the dossier is closed"
    );
}

#[test]
fn sample_documents_parse_and_validate() {
    let text = include_str!("../../../examples/documents/metadata.json");
    let entries: Vec<serde_json::Value> = serde_json::from_str(text).expect("array");
    assert_eq!(entries.len(), 5);
    for entry in entries {
        let m = parse_deposit_json(&entry.to_string(), common::today())
            .unwrap_or_else(|e| panic!("{}: {e}", entry["file"]));
        assert_eq!(m.kind, RecordKind::Outgoing);
        assert_eq!(m.doc_type.as_deref(), Some("quyet_dinh"));
        assert!(
            m.extra.contains_key("file"),
            "file name kept as an extra field"
        );
        let file = entry["file"].as_str().unwrap_or_default();
        let path = format!(
            "{}/../../examples/documents/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        assert!(std::path::Path::new(&path).exists(), "{path}");
    }
}

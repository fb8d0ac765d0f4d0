//! Loading retention schedules: the embedded reference table and edited ones.

use retention_rules::schedule::{DEFAULT_SCHEDULE_TSV, NoteKind};
use retention_rules::{RetentionPeriod, RuleCode, RuleKind, Schedule, ScheduleError};

fn embedded() -> Schedule {
    match Schedule::embedded() {
        Ok(schedule) => schedule,
        Err(error) => panic!("embedded schedule must load: {error}"),
    }
}

fn header() -> &'static str {
    "kind\trule_id\tgroup_vi\trecord_type_vi\tperiod_vi\tperiod_years\tcounted_from\tsource\tstatus\tnote"
}

fn table(rows: &[&str]) -> String {
    let mut text = header().to_owned();
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text
}

const CLASSES: &[&str] = &[
    "class\tpermanent\t\t\tVĩnh viễn\t\t\tsrc\tverified\t",
    "class\t10y\t\t\t10 năm\t10\tyear_work_ended\tsrc\tsecondary\t",
    "class\t5y\t\t\t05 năm\t5\tyear_work_ended\tsrc\tsecondary\t",
    "class\tconditional\t\t\tđến khi\t\tevent\tsrc\tunverified\t",
];

fn with_classes(extra: &[&str]) -> String {
    let mut rows: Vec<&str> = CLASSES.to_vec();
    rows.extend_from_slice(extra);
    table(&rows)
}

#[test]
fn embedded_copy_is_identical_to_the_shared_reference_table() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/retention_periods.tsv"
    );
    // The shared folder may be absent where only the repository is checked out.
    if let Ok(text) = std::fs::read_to_string(shared) {
        assert_eq!(text, DEFAULT_SCHEDULE_TSV);
    }
}

#[test]
fn every_row_of_the_reference_table_loads() {
    let schedule = embedded();
    let data_rows: Vec<&str> = DEFAULT_SCHEDULE_TSV
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(schedule.row_count(), data_rows.len());
    for row in data_rows {
        let code = row.split('\t').nth(1).unwrap_or_default();
        let code = RuleCode::new(code);
        let found =
            schedule.rule(&code).is_some() || schedule.notes().iter().any(|note| note.code == code);
        assert!(found, "row {code} not loaded");
    }
}

#[test]
fn reference_table_has_all_classes_of_the_law() {
    let schedule = embedded();
    let periods: Vec<RetentionPeriod> = schedule.classes().map(|rule| rule.period).collect();
    assert_eq!(
        periods,
        vec![
            RetentionPeriod::Permanent,
            RetentionPeriod::Years(70),
            RetentionPeriod::Years(50),
            RetentionPeriod::Years(20),
            RetentionPeriod::Years(10),
            RetentionPeriod::Years(5),
            RetentionPeriod::Conditional,
        ]
    );
}

#[test]
fn reference_table_rules_keep_code_source_and_verified_flag() {
    let schedule = embedded();
    let rule = schedule.rule(&RuleCode::new("tt10_2022_dau_thau_trung"));
    let Some(rule) = rule else {
        panic!("rule missing")
    };
    assert_eq!(rule.kind, RuleKind::Rule);
    assert_eq!(rule.period, RetentionPeriod::Years(20));
    assert!(rule.source.contains("TT 10/2022"));
    assert!(!rule.is_verified());
    assert!(rule.description.starts_with("Hồ sơ đấu thầu"));
    let permanent = schedule.rule(&RuleCode::new("permanent"));
    assert!(permanent.is_some_and(|rule| rule.is_verified()));
}

#[test]
fn reference_table_keeps_counting_and_related_rows_as_notes() {
    let schedule = embedded();
    let counting = schedule
        .notes()
        .iter()
        .filter(|note| note.kind == NoteKind::Counting)
        .count();
    let related = schedule
        .notes()
        .iter()
        .filter(|note| note.kind == NoteKind::Related)
        .count();
    assert_eq!((counting, related), (2, 6));
}

#[test]
fn reference_table_states_no_transfer_deadline() {
    assert!(embedded().transfer_policy().is_none());
}

#[test]
fn schedule_id_changes_when_the_table_is_edited() {
    let original = embedded();
    let edited_text = DEFAULT_SCHEDULE_TSV.replacen("05 năm\t5", "05 năm\t5 ", 1);
    let edited = match Schedule::from_tsv_named("kho-reference", &edited_text) {
        Ok(schedule) => schedule,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(original.rules(), edited.rules());
    assert_ne!(original.id(), edited.id());
    assert!(
        original
            .id()
            .to_string()
            .starts_with("kho-reference@fnv1a64:")
    );
}

#[test]
fn agency_table_with_reordered_columns_loads() {
    let text = "rule_id\tkind\tgroup_vi\trecord_type_vi\tperiod_vi\tperiod_years\tcounted_from\tsource\tstatus\tnote\n\
                10y\tclass\t\t\t10 năm\t10\tyear_work_ended\tsrc\tverified\t\n";
    let schedule = Schedule::from_tsv(text);
    assert!(schedule.is_ok_and(|s| s.rules().len() == 1));
}

#[test]
fn agency_table_with_a_transfer_row_gives_a_transfer_policy() {
    let text = with_classes(&[
        "transfer\thistorical_archive\t\t\ttrong 10 năm\t10\tyear_work_ended\tagency checked\tverified\t",
    ]);
    let schedule = Schedule::from_tsv(&text);
    assert!(schedule.is_ok_and(|s| s.transfer_policy().is_some_and(|p| p.years == 10)));
}

#[test]
fn agency_table_with_crlf_line_ends_loads() {
    let text = with_classes(&[]).replace('\n', "\r\n");
    assert!(Schedule::from_tsv(&text).is_ok());
}

#[test]
fn empty_table_is_refused() {
    assert!(matches!(
        Schedule::from_tsv("\n\n"),
        Err(ScheduleError::Empty { .. })
    ));
}

#[test]
fn missing_column_is_named() {
    let text = "kind\trule_id\n";
    assert_eq!(
        Schedule::from_tsv(text),
        Err(ScheduleError::MissingColumn { column: "group_vi" })
    );
}

#[test]
fn duplicate_column_is_named() {
    let text = format!("{}\tkind\n", header());
    assert_eq!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::DuplicateColumn {
            column: 11,
            name: "kind".to_owned()
        })
    );
}

#[test]
fn row_with_missing_tab_names_its_line() {
    let text = with_classes(&["rule\tx\tg\tt\t05 năm\t5\tyear_work_ended\tsrc\tsecondary"]);
    assert_eq!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::CellCount {
            line: 6,
            expected: 10,
            found: 9
        })
    );
}

#[test]
fn bad_period_years_names_line_and_column() {
    let text = with_classes(&["rule\tx\tg\tt\tmười năm\tten\tyear_work_ended\tsrc\tsecondary\t"]);
    let error = Schedule::from_tsv(&text);
    assert!(matches!(
        error,
        Err(ScheduleError::InvalidCell {
            line: 6,
            column: 6,
            name: "period_years",
            ..
        })
    ));
    if let Err(error) = error {
        assert!(
            error
                .to_string()
                .starts_with("line 6 column 6 (period_years)")
        );
    }
}

#[test]
fn zero_years_is_refused() {
    let text = with_classes(&["rule\tx\tg\tt\t0 năm\t0\tyear_work_ended\tsrc\tsecondary\t"]);
    assert!(matches!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::InvalidCell {
            line: 6,
            name: "period_years",
            ..
        })
    ));
}

#[test]
fn unknown_status_names_line_and_column() {
    let text = with_classes(&["rule\tx\tg\tt\t05 năm\t5\tyear_work_ended\tsrc\tmaybe\t"]);
    assert!(matches!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::InvalidCell {
            line: 6,
            column: 9,
            name: "status",
            ..
        })
    ));
}

#[test]
fn unknown_kind_names_line_and_column() {
    let text = with_classes(&["rules\tx\tg\tt\t05 năm\t5\tyear_work_ended\tsrc\tsecondary\t"]);
    assert!(matches!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::InvalidCell {
            line: 6,
            column: 1,
            name: "kind",
            ..
        })
    ));
}

#[test]
fn years_counted_from_another_start_are_refused() {
    let text = with_classes(&["rule\tx\tg\tt\t05 năm\t5\tdate_signed\tsrc\tsecondary\t"]);
    assert!(matches!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::InvalidCell {
            line: 6,
            column: 7,
            name: "counted_from",
            ..
        })
    ));
}

#[test]
fn period_that_is_neither_years_event_nor_permanent_is_refused() {
    let text = with_classes(&["rule\tx\tg\tt\tlâu dài\t\t\tsrc\tsecondary\t"]);
    assert!(matches!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::InvalidCell {
            line: 6,
            name: "period_years",
            ..
        })
    ));
}

#[test]
fn rule_without_record_type_is_refused() {
    let text = with_classes(&["rule\tx\tg\t\t05 năm\t5\tyear_work_ended\tsrc\tsecondary\t"]);
    assert_eq!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::EmptyCell {
            line: 6,
            column: 4,
            name: "record_type_vi"
        })
    );
}

#[test]
fn duplicate_code_names_both_lines() {
    let text = with_classes(&[
        "rule\tx\tg\tt\t05 năm\t5\tyear_work_ended\tsrc\tsecondary\t",
        "rule\tx\tg\tt\t10 năm\t10\tyear_work_ended\tsrc\tsecondary\t",
    ]);
    assert_eq!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::DuplicateCode {
            line: 7,
            column: 2,
            code: "x".to_owned(),
            first_line: 6
        })
    );
}

#[test]
fn rule_period_outside_the_classes_is_refused() {
    let text = with_classes(&["rule\tx\tg\tt\t15 năm\t15\tyear_work_ended\tsrc\tsecondary\t"]);
    let error = Schedule::from_tsv(&text);
    assert!(matches!(
        error,
        Err(ScheduleError::NotAClass {
            line: 6,
            column: 6,
            period: RetentionPeriod::Years(15),
            ..
        })
    ));
}

#[test]
fn agency_may_add_a_class_and_use_it() {
    let text = with_classes(&[
        "class\t15y\t\t\t15 năm\t15\tyear_work_ended\tagency\tdesign\t",
        "rule\tx\tg\tt\t15 năm\t15\tyear_work_ended\tsrc\tsecondary\t",
    ]);
    assert!(Schedule::from_tsv(&text).is_ok());
}

#[test]
fn second_transfer_row_is_refused() {
    let text = with_classes(&[
        "transfer\ta\t\t\t10 năm\t10\tyear_work_ended\tsrc\tverified\t",
        "transfer\tb\t\t\t10 năm\t10\tyear_work_ended\tsrc\tverified\t",
    ]);
    assert!(matches!(
        Schedule::from_tsv(&text),
        Err(ScheduleError::InvalidCell {
            line: 7,
            name: "kind",
            ..
        })
    ));
}

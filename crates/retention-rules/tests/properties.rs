//! Properties of the eligible date and of schedule parsing.

use proptest::prelude::*;
use retention_rules::{Schedule, eligible_date};

proptest! {
    #[test]
    fn eligible_date_is_monotonic_in_period(year in 1945i32..2100, a in 1u16..=500, b in 1u16..=500) {
        let (short, long) = (a.min(b), a.max(b));
        prop_assert!(eligible_date(year, short) <= eligible_date(year, long));
    }

    #[test]
    fn eligible_date_is_monotonic_in_year(a in 1945i32..2100, b in 1945i32..2100, years in 1u16..=500) {
        let (early, late) = (a.min(b), a.max(b));
        prop_assert!(eligible_date(early, years) <= eligible_date(late, years));
    }

    #[test]
    fn eligible_date_is_always_31_december(year in 1945i32..2100, years in 1u16..=500) {
        let date = eligible_date(year, years);
        prop_assert!(date.is_some_and(|d| d.month() == time::Month::December && d.day() == 31));
        prop_assert_eq!(date.map(|d| d.year()), Some(year + i32::from(years)));
    }

    #[test]
    fn eligible_date_never_panics(year in any::<i32>(), years in any::<u16>()) {
        let _ = eligible_date(year, years);
    }

    #[test]
    fn any_text_loads_or_errors_without_panicking(text in "\\PC{0,400}") {
        let _ = Schedule::from_tsv(&text);
    }

    #[test]
    fn any_row_under_the_reference_header_loads_or_errors(row in "([a-z0-9 ]{0,6}\t){0,12}[a-zđ ]{0,6}") {
        let text = format!("{}{}\n", retention_rules::schedule::DEFAULT_SCHEDULE_TSV, row);
        let _ = Schedule::from_tsv(&text);
    }
}

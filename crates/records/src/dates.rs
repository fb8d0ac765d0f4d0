//! Calendar dates: ISO 8601 in stored metadata, Vietnamese `dd/mm/yyyy` in
//! registers, and the forms seen in edXML messages.

use time::{Date, Month};

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a date: {reason}")]
pub struct DateError {
    /// The text given.
    pub text: String,
    /// What is wrong, e.g. `day 30 does not exist in February 2016`.
    pub reason: String,
}

fn error(text: &str, reason: impl Into<String>) -> DateError {
    DateError {
        text: text.to_owned(),
        reason: reason.into(),
    }
}

fn number(
    text: &str,
    part: &str,
    digits: std::ops::RangeInclusive<usize>,
) -> Result<u16, DateError> {
    if !digits.contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(text, "expected digits in year, month and day"));
    }
    part.parse()
        .map_err(|_| error(text, "expected digits in year, month and day"))
}

fn build(text: &str, year: u16, month: u16, day: u16) -> Result<Date, DateError> {
    let month_value = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok());
    let Some(month) = month_value else {
        return Err(error(text, format!("month {month} does not exist")));
    };
    let day_value = u8::try_from(day).unwrap_or(0);
    Date::from_calendar_date(i32::from(year), month, day_value)
        .map_err(|_| error(text, format!("day {day} does not exist in {month} {year}")))
}

/// Parses `YYYY-MM-DD`, the only form stored.
pub fn parse_iso(text: &str) -> Result<Date, DateError> {
    let parts: Vec<&str> = text.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => build(
            text,
            number(text, y, 4..=4)?,
            number(text, m, 2..=2)?,
            number(text, d, 2..=2)?,
        ),
        _ => Err(error(text, "expected YYYY-MM-DD, e.g. 2016-03-16")),
    }
}

/// Parses the Vietnamese form `dd/mm/yyyy` (day and month with one or two
/// digits), as written in registers.
pub fn parse_vi(text: &str) -> Result<Date, DateError> {
    let parts: Vec<&str> = text.trim().split('/').collect();
    match parts.as_slice() {
        [d, m, y] if y.len() == 4 => build(
            text,
            number(text, y, 4..=4)?,
            number(text, m, 1..=2)?,
            number(text, d, 1..=2)?,
        ),
        _ => Err(error(text, "expected dd/mm/yyyy, e.g. 16/03/2016")),
    }
}

/// Parses any of `YYYY-MM-DD`, `YYYY/MM/DD` and `dd/mm/yyyy` (edXML
/// implementations differ), ignoring a time part after a space or `T`.
pub fn parse_lenient(text: &str) -> Result<Date, DateError> {
    let date = text.trim().split([' ', 'T']).next().unwrap_or_default();
    if date.contains('-') {
        return parse_iso(date);
    }
    let parts: Vec<&str> = date.split('/').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => build(
            text,
            number(text, y, 4..=4)?,
            number(text, m, 1..=2)?,
            number(text, d, 1..=2)?,
        ),
        _ => parse_vi(date).map_err(|_| {
            error(
                text,
                "expected YYYY-MM-DD, YYYY/MM/DD or dd/mm/yyyy, e.g. 2016-03-16",
            )
        }),
    }
}

/// Formats as `YYYY-MM-DD`.
pub fn format_iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Formats as `dd/mm/yyyy`.
pub fn format_vi(date: Date) -> String {
    format!(
        "{:02}/{:02}/{:04}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// Serde for `Option<Date>` as `"YYYY-MM-DD"` or null.
pub(crate) mod option_iso {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub(crate) fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => s.serialize_str(&super::format_iso(*date)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| super::parse_iso(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thirtieth_of_february_is_refused_with_a_reason() {
        let err = parse_vi("30/02/2016").expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "`30/02/2016` is not a date: day 30 does not exist in February 2016"
        );
    }

    #[test]
    fn edxml_forms_are_read() {
        let expected = Date::from_calendar_date(2016, Month::March, 15).ok();
        assert_eq!(parse_lenient("2016/03/15").ok(), expected);
        assert_eq!(parse_lenient("15/03/2016").ok(), expected);
        assert_eq!(parse_lenient("2016-03-15").ok(), expected);
        assert_eq!(parse_lenient("2016/03/15 16:20:00").ok(), expected);
    }

    #[test]
    fn iso_round_trip() {
        let date = parse_iso("2016-03-05").ok();
        assert_eq!(date.map(format_iso).as_deref(), Some("2016-03-05"));
        assert_eq!(date.map(format_vi).as_deref(), Some("05/03/2016"));
    }
}

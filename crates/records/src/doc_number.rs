//! Số, ký hiệu: parsing document numbers and their normalised key.
//!
//! Rules (see `data/doc_number_rules.md`): NĐ 30/2020 Điều 15 and Phụ lục I
//! for the presentation form; Kho's own parsing and key rules on top.
//! `NUMBER [ "/" YEAR ] "/" NOTATION`, NUMBER 1–11 digits with value ≥ 1,
//! YEAR four digits, NOTATION groups joined by `-`, at most 30 characters.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::vocabulary::DocTypes;

/// Longest number part (CodeNumber, String 11, NĐ 30 Phụ lục VI).
pub const MAX_NUMBER_LEN: usize = 11;
/// Longest notation part (CodeNotation, String 30, NĐ 30 Phụ lục VI).
pub const MAX_NOTATION_LEN: usize = 30;

/// Why a text is not a document number. The messages are those of the
/// reference examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocNumberError {
    /// The text does not have the shape `number[/year]/notation`.
    #[error("does not match number[/year]/notation")]
    Shape,
    /// A group of the notation is empty or does not start with a letter.
    #[error("empty or malformed notation group")]
    NotationGroup,
    /// A known type abbreviation with no issuer after it (`12/QĐ`).
    #[error("type abbreviation without issuer")]
    TypeWithoutIssuer,
    /// The number is zero; numbering starts at 01.
    #[error("number 0 (numbering starts at 01)")]
    ZeroNumber,
    /// The number has more digits than the data standard allows.
    #[error("number longer than 11 characters (CodeNumber String 11)")]
    NumberTooLong,
    /// The notation is longer than the data standard allows.
    #[error("notation longer than 30 characters (CodeNotation String 30)")]
    NotationTooLong,
}

/// Normalised key of a document number (`Số: 05/2016/QĐ-UBND` →
/// `5/2016/qd-ubnd`), for search and duplicate warnings. It is not an
/// identifier: combine it with the issuer and the issue date.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocNumberKey(String);

impl DocNumberKey {
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocNumberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed document number (số, ký hiệu).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocNumber {
    number: String,
    year: Option<u16>,
    notation: String,
    type_abbr: Option<&'static str>,
    issuer_abbr: String,
    unit_abbr: Option<String>,
    key: DocNumberKey,
    conforming: bool,
}

impl DocNumber {
    /// Parses a document number as written (with or without `Số:`), robust to
    /// full-width and look-alike characters, spaces around separators, `Ð`
    /// for `Đ`, zero-width characters and case.
    pub fn parse(input: &str) -> Result<DocNumber, DocNumberError> {
        let cleaned = clean(input);
        let parts: Vec<&str> = cleaned.split('/').collect();
        let (number, year, notation) = match parts.as_slice() {
            [number, notation] => (*number, None, *notation),
            [number, year, notation] => (*number, Some(*year), *notation),
            _ => return Err(DocNumberError::Shape),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(number) || notation.is_empty() || cleaned.contains(' ') {
            return Err(DocNumberError::Shape);
        }
        let year = match year {
            None => None,
            Some(y) if y.len() == 4 && all_digits(y) => {
                Some(y.parse::<u16>().map_err(|_| DocNumberError::Shape)?)
            }
            Some(_) => return Err(DocNumberError::Shape),
        };
        if number.len() > MAX_NUMBER_LEN {
            return Err(DocNumberError::NumberTooLong);
        }
        let significant = number.trim_start_matches('0');
        if significant.is_empty() {
            return Err(DocNumberError::ZeroNumber);
        }
        let groups: Vec<&str> = notation.split('-').collect();
        if !groups.iter().all(|g| is_group(g)) {
            return Err(DocNumberError::NotationGroup);
        }
        if notation.chars().count() > MAX_NOTATION_LEN {
            return Err(DocNumberError::NotationTooLong);
        }
        let (type_abbr, issuer_abbr, unit_abbr) =
            match groups.split_first().and_then(|(first, rest)| {
                DocTypes::builtin()
                    .by_abbreviation(first)
                    .and_then(|t| t.abbreviation)
                    .map(|abbr| (abbr, rest))
            }) {
                Some((_, [])) => return Err(DocNumberError::TypeWithoutIssuer),
                Some((abbr, rest)) => (Some(abbr), rest.join("-"), None),
                None => {
                    let (first, rest) = groups.split_first().ok_or(DocNumberError::Shape)?;
                    let unit = Some(rest.join("-")).filter(|u| !u.is_empty());
                    (None, (*first).to_owned(), unit)
                }
            };
        let mut key = significant.to_owned();
        if let Some(year) = year {
            key.push('/');
            key.push_str(&year.to_string());
        }
        key.push('/');
        key.push_str(&vietnamese::fold_form(notation));

        let presentation = presentation(significant, year, notation);
        let conforming = (input == presentation || input == format!("Số: {presentation}"))
            && groups
                .iter()
                .all(|g| g.chars().next().is_some_and(char::is_uppercase))
            && !(type_abbr.is_none() && year.is_none() && groups.len() < 2);

        Ok(DocNumber {
            number: number.to_owned(),
            year,
            notation: notation.to_owned(),
            type_abbr,
            issuer_abbr,
            unit_abbr,
            key: DocNumberKey(key),
            conforming,
        })
    }

    /// The number as written, after canonicalisation (ASCII digits, leading
    /// zeros kept), e.g. `05`.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The number's value.
    pub fn number_value(&self) -> u64 {
        // Up to 11 ASCII digits, checked by `parse`: always fits.
        self.number.parse().unwrap_or(0)
    }

    /// The year between number and notation (legal normative documents).
    pub fn year(&self) -> Option<u16> {
        self.year
    }

    /// The notation (ký hiệu) as written after canonicalisation, e.g. `QĐ-UBND`.
    pub fn notation(&self) -> &str {
        &self.notation
    }

    /// The type abbreviation as spelled in the table (`QĐ` even when written
    /// `qđ`); `None` for công văn and laws.
    pub fn type_abbr(&self) -> Option<&'static str> {
        self.type_abbr
    }

    /// The issuer part: the groups after the type, or the first group when
    /// there is no type (`BTC-BNV`, `UBND`).
    pub fn issuer_abbr(&self) -> &str {
        &self.issuer_abbr
    }

    /// The drafting unit or field of a công văn (`VX` in `123/UBND-VX`).
    pub fn unit_abbr(&self) -> Option<&str> {
        self.unit_abbr.as_deref()
    }

    /// The normalised key.
    pub fn key(&self) -> &DocNumberKey {
        &self.key
    }

    /// Whether the input already followed the decree's presentation rules.
    pub fn is_conforming(&self) -> bool {
        self.conforming
    }

    /// The decree's presentation form, without the word `Số:`
    /// (`5/qđ-ubnd` → `05/qđ-ubnd`: only the number and separators change).
    pub fn presentation(&self) -> String {
        presentation(
            self.number.trim_start_matches('0'),
            self.year,
            &self.notation,
        )
    }
}

impl fmt::Display for DocNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.presentation())
    }
}

fn presentation(significant: &str, year: Option<u16>, notation: &str) -> String {
    let number = if significant.len() == 1 {
        format!("0{significant}")
    } else {
        significant.to_owned()
    };
    match year {
        Some(year) => format!("{number}/{year}/{notation}"),
        None => format!("{number}/{notation}"),
    }
}

/// A notation group: a letter followed by letters or digits.
fn is_group(group: &str) -> bool {
    let mut chars = group.chars();
    chars.next().is_some_and(char::is_alphabetic) && chars.all(char::is_alphanumeric)
}

/// Steps 1–3 of the parsing rules: canonical text, look-alike characters,
/// the optional `Số` prefix, spaces around separators, trailing punctuation.
fn clean(input: &str) -> String {
    // Look-alikes are mapped before and after canonicalisation, so that the
    // text pipeline sees `Đ` and plain spaces (never an eth next to a
    // no-break space, which could read as mis-decoded text).
    let text = vietnamese::canonicalize(&map_lookalikes(input));
    strip_prefix_and_spaces(&map_lookalikes(&text))
}

/// Step 2 of the parsing rules: look-alike characters to their plain form.
fn map_lookalikes(input: &str) -> String {
    let mut text = String::with_capacity(input.len());
    for c in input.chars() {
        let mapped = match c {
            '\u{00D0}' | '\u{0189}' => 'Đ',
            '\u{00F0}' | '\u{0256}' => 'đ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{2215}' | '\u{2044}' | '\u{29F8}' => '/',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => '-',
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => continue,
            c if c.is_whitespace() => ' ',
            c => c,
        };
        text.push(mapped);
    }
    text
}

fn strip_prefix_and_spaces(text: &str) -> String {
    let mut rest = text.trim();
    let mut chars = rest.char_indices();
    if let (Some((_, s)), Some((_, o)), next) = (chars.next(), chars.next(), chars.next()) {
        let prefix = matches!(s, 'S' | 's') && matches!(o, 'ố' | 'Ố');
        let boundary = next.is_none_or(|(_, c)| c == ':' || c == ' ' || c.is_ascii_digit());
        if prefix && boundary {
            let after = next.map_or(rest.len(), |(i, _)| i);
            rest = rest[after..].trim_start();
            rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
        }
    }
    let mut out = String::with_capacity(rest.len());
    let mut pending_space = false;
    for c in rest.chars() {
        match c {
            ' ' => pending_space = true,
            '/' | '-' => {
                pending_space = false;
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
            }
            c => {
                if pending_space && !out.ends_with(['/', '-']) && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    while out.ends_with(['.', ',', ';']) {
        out.pop();
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_spaces_are_removed() {
        assert_eq!(clean("Số:  05 / 2016 / QĐ - UBND ."), "05/2016/QĐ-UBND");
        assert_eq!(clean("số 12/QĐ-UBND"), "12/QĐ-UBND");
        assert_eq!(clean("12/QĐ-UB ND"), "12/QĐ-UB ND");
    }

    #[test]
    fn a_word_starting_with_so_is_not_a_prefix() {
        assert_eq!(clean("Sốt/QĐ"), "Sốt/QĐ");
    }
}

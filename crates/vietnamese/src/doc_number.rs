//! Document numbers (số, ký hiệu): `Số: 05/2016/QĐ-UBND` → `5/2016/qd-ubnd`.

use crate::search_form::fold_from_exact;

/// Type abbreviations of administrative, copy and legal normative documents
/// (Nghị định 30/2020/NĐ-CP, Phụ lục III, and the usual numbering of legal
/// normative documents), lower case. A notation that is one of these alone
/// names a type without an issuer and is not a document number.
const TYPE_ABBREVIATIONS: [&str; 33] = [
    "bb", "bc", "bgn", "btt", "ct", "ctr", "cđ", "da", "ggt", "gm", "gnp", "guq", "hd", "hđ", "kh",
    "nq", "nđ", "pa", "pb", "pc", "pg", "qc", "qyđ", "qđ", "sl", "sy", "tb", "tc", "trs", "tt",
    "ttlt", "ttr", "đa",
];

const MAX_NUMBER_DIGITS: usize = 11;
const MAX_NOTATION_CHARS: usize = 30;

/// Drops a leading `Số` in any case, then an optional colon.
fn strip_so(text: &str) -> &str {
    let mut chars = text.chars();
    let is_so = matches!(chars.next(), Some('S' | 's')) && matches!(chars.next(), Some('ố' | 'Ố'));
    if !is_so {
        return text;
    }
    let rest = chars.as_str().trim_start_matches(' ');
    rest.strip_prefix(':').unwrap_or(rest).trim_matches(' ')
}

/// Removes the spaces around `/` and `-`.
fn join_separators(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_spaces = 0;
    for c in text.chars() {
        match c {
            ' ' => pending_spaces += 1,
            '/' | '-' => {
                pending_spaces = 0;
                out.push(c);
            }
            _ => {
                let after_separator = out.ends_with(['/', '-']);
                if !after_separator {
                    out.extend(std::iter::repeat_n(' ', pending_spaces));
                }
                pending_spaces = 0;
                out.push(c);
            }
        }
    }
    out
}

fn is_notation_group(group: &str) -> bool {
    let mut chars = group.chars();
    chars.next().is_some_and(char::is_alphabetic) && chars.all(char::is_alphanumeric)
}

/// The key of a canonical text that is a document number and nothing else.
pub(crate) fn key_of_canonical(canonical: &str) -> Option<String> {
    let first = canonical.chars().next()?;
    if !(first.is_ascii_digit() || matches!(first, 'S' | 's')) {
        return None;
    }
    let joined = join_separators(strip_so(canonical));
    let trimmed = joined.trim_end_matches(['.', ',', ';']).trim_matches(' ');
    let (number, rest) = trimmed.split_once('/')?;
    if number.is_empty()
        || number.len() > MAX_NUMBER_DIGITS
        || !number.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (year, notation) = match rest.split_once('/') {
        Some((year, notation)) => (Some(year), notation),
        None => (None, rest),
    };
    if let Some(year) = year
        && (year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if notation.chars().count() > MAX_NOTATION_CHARS {
        return None;
    }
    let mut groups = notation.split('-');
    if !notation.split('-').all(is_notation_group) {
        return None;
    }
    let number = number.trim_start_matches('0');
    if number.is_empty() {
        return None;
    }
    let notation_lower = notation.to_lowercase();
    let first_group = groups.next().map(str::to_lowercase).unwrap_or_default();
    if groups.next().is_none() && TYPE_ABBREVIATIONS.contains(&first_group.as_str()) {
        return None;
    }
    let folded = fold_from_exact(&notation_lower);
    let mut key = String::with_capacity(number.len() + 6 + folded.len());
    key.push_str(number);
    if let Some(year) = year {
        key.push('/');
        key.push_str(year);
    }
    key.push('/');
    key.push_str(&folded);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_abbreviations_are_sorted_for_review() {
        let mut sorted = TYPE_ABBREVIATIONS;
        sorted.sort_unstable();
        assert_eq!(sorted, TYPE_ABBREVIATIONS);
    }

    #[test]
    fn keys_of_valid_numbers() {
        for (input, key) in [
            ("Số: 12/QĐ-UBND", "12/qd-ubnd"),
            ("001/2016/QĐ-UBND", "1/2016/qd-ubnd"),
            ("33/2024/QH15", "33/2024/qh15"),
            ("08/CTr-UBND", "8/ctr-ubnd"),
            ("03/QyĐ-UBND", "3/qyd-ubnd"),
            ("12/UBND", "12/ubnd"),
            ("01/ QĐ-CCATVSTP", "1/qd-ccatvstp"),
            ("45/TB-VPTƯ", "45/tb-vptu"),
        ] {
            assert_eq!(key_of_canonical(input).as_deref(), Some(key), "{input}");
        }
    }

    #[test]
    fn texts_that_are_not_document_numbers_have_no_key() {
        for input in [
            "",
            "Số:",
            "Số: /QĐ-UBND",
            "12a/QĐ-UBND",
            "A12/QĐ-UBND",
            "12QĐ-UBND",
            "12-QĐ-UBND",
            "12//QĐ-UBND",
            "12/QĐ-",
            "12/QĐ",
            "0/QĐ-UBND",
            "123456789012/QĐ-UBND",
            "05/16/QĐ-UBND",
            "QĐ-UBND/2016/05",
            "15-QĐ/TW",
            "14514-CV/VPTW",
            "12/QĐ-UBND ngày 05/3/2020",
            "12/QĐ-UB ND",
        ] {
            assert_eq!(key_of_canonical(input), None, "{input}");
        }
    }
}

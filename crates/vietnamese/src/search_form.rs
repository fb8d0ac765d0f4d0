//! Search forms: exact (lower case, tone on the main vowel), fold (no
//! diacritics), words and word bigrams for the index.

use unicode_normalization::char::decompose_canonical;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::letter;
use crate::syllable::Syllable;

/// A character of a word for the tone rule: a letter, or a number that is
/// not a decimal digit (`²`, `Ⅻ`). Digits, `_`, marks left uncomposed and
/// everything else end the word.
fn is_tone_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    if letter::letter(c).is_some() {
        return true;
    }
    match c.general_category_group() {
        GeneralCategoryGroup::Letter => true,
        GeneralCategoryGroup::Number => c.general_category() != GeneralCategory::DecimalNumber,
        _ => false,
    }
}

/// Whether a word may have its tone on another vowel than the canonical
/// one: it has a letter outside ASCII (a tone needs one) and two vowels or
/// more, or a letter outside the Vietnamese tables. A tone on a word's only
/// vowel is already where the rule puts it.
fn may_move_tone(word: &str) -> bool {
    if word.is_ascii() {
        return false;
    }
    let mut vowels = 0;
    for c in word.chars() {
        let vowel = if c.is_ascii() {
            matches!(
                c,
                'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'A' | 'E' | 'I' | 'O' | 'U' | 'Y'
            )
        } else {
            match letter::letter(c) {
                Some(l) => letter::vowel_id(l.base).is_some(),
                // Any other letter (with a mark the tables do not know):
                // leave the decision to the full parse.
                None => return true,
            }
        };
        if vowel {
            vowels += 1;
            if vowels == 2 {
                return true;
            }
        }
    }
    false
}

/// The exact form of a canonical text: lower case, NFC, and every word that
/// is a well-formed syllable with its tone on the canonical vowel.
pub(crate) fn exact_from_canonical(canonical: &str) -> String {
    let mut lower = canonical.to_lowercase();
    if is_nfc_quick(lower.chars()) != IsNormalized::Yes {
        lower = lower.nfc().collect();
    }
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut word_start: Option<usize> = None;
    let mut check = |start: usize, end: usize, out: &mut Option<String>| {
        let word = &lower[start..end];
        if !may_move_tone(word) {
            return;
        }
        let Some(syllable) = Syllable::parse(word) else {
            return;
        };
        if !syllable.has_tone() || syllable.placed().eq(word.chars()) {
            return;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(lower.len() + 8));
        buf.push_str(&lower[copied..start]);
        buf.extend(syllable.placed());
        copied = end;
    };
    for (i, c) in lower.char_indices() {
        if is_tone_word_char(c) {
            word_start.get_or_insert(i);
        } else if let Some(start) = word_start.take() {
            check(start, i, &mut out);
        }
    }
    if let Some(start) = word_start {
        check(start, lower.len(), &mut out);
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&lower[copied..]);
            // A moved tone can meet a combining mark left after the word.
            if is_nfc_quick(buf.chars()) != IsNormalized::Yes {
                buf = buf.nfc().collect();
            }
            buf
        }
        None => lower,
    }
}

/// Collapses runs of spaces and trims, for text whose removed marks stood
/// between spaces or at an end.
fn collapse_spaces(text: String) -> String {
    if !text.starts_with(' ') && !text.ends_with(' ') && !text.contains("  ") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The fold form of an exact form: every nonspacing mark (general category
/// Mn) removed after canonical decomposition, `đ` → `d`, NFC, lower case,
/// and spaces collapsed again where a lone mark was removed.
pub(crate) fn fold_from_exact(exact: &str) -> String {
    let mut out = String::with_capacity(exact.len());
    let mut needs_nfc = false;
    let mut needs_lower = false;
    for c in exact.chars() {
        if c.is_ascii() {
            needs_lower |= c.is_ascii_uppercase();
            out.push(c);
        } else if let Some(l) = letter::letter(c) {
            out.push(l.plain);
        } else {
            decompose_canonical(c, |part| {
                if part.general_category() != GeneralCategory::NonspacingMark {
                    needs_nfc |= !part.is_ascii();
                    needs_lower |= part.is_uppercase();
                    out.push(part);
                }
            });
        }
    }
    if needs_nfc && is_nfc_quick(out.chars()) != IsNormalized::Yes {
        out = out.nfc().collect();
    }
    if needs_lower {
        out = out.to_lowercase();
    }
    collapse_spaces(out)
}

/// A character inside a word of [`words`]: letters, digits and other
/// numbers, and combining marks.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    letter::letter(c).is_some()
        || matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Number
                | GeneralCategoryGroup::Mark
        )
}

/// Splits text into words for the search index: maximal runs of letters,
/// numbers and combining marks. Everything else separates words: white
/// space, punctuation (so `05/2016/qđ-ubnd` gives `05`, `2016`, `qđ`,
/// `ubnd`, and `van.thu@namdinh.gov.vn` gives four words), symbols and `_`.
///
/// Feed it a search form ([`exact_form`](crate::exact_form) or
/// [`fold_form`](crate::fold_form)); it borrows from its input and does not
/// allocate. Whole document numbers are indexed through
/// [`doc_number_key`](crate::doc_number_key) instead.
///
/// ```
/// use vietnamese::words;
/// let w: Vec<&str> = words("điều 5. phạm vi, 05/2016/qđ-ubnd").collect();
/// assert_eq!(w, ["điều", "5", "phạm", "vi", "05", "2016", "qđ", "ubnd"]);
/// ```
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
}

/// Pairs of adjacent words of [`words`] that are separated by white space
/// only: Vietnamese compounds are two or more syllables (`văn bản`, `hồ sơ`),
/// so pairs find them, while a pair across punctuation (`lập - tự`,
/// `phạm vi, điều`) would join what the text keeps apart.
///
/// Borrows from its input; see [`syllable_bigrams`] for owned strings.
pub fn word_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut previous: Option<(&str, usize)> = None;
    let base = text.as_ptr() as usize;
    words(text).filter_map(move |word| {
        let start = word.as_ptr() as usize - base;
        let pair = previous.and_then(|(prev, prev_end)| {
            text.get(prev_end..start)
                .filter(|gap| !gap.is_empty() && gap.chars().all(char::is_whitespace))
                .map(|_| (prev, word))
        });
        previous = Some((word, start + word.len()));
        pair
    })
}

/// Syllable bigrams for the search index: each pair of [`word_pairs`]
/// joined by one space (`"văn bản"`).
///
/// Give it the form the index field holds: the fold form for a bigram field
/// that matches with or without diacritics (the usual choice, since queries
/// often lack them), the exact form for one that tells `mà` from `má`.
///
/// ```
/// use vietnamese::{fold_form, syllable_bigrams};
/// let pairs = syllable_bigrams(&fold_form("Hồ sơ điện tử, văn bản"));
/// assert_eq!(pairs, ["ho so", "so dien", "dien tu", "van ban"]);
/// ```
pub fn syllable_bigrams(text: &str) -> Vec<String> {
    word_pairs(text)
        .map(|(a, b)| {
            let mut pair = String::with_capacity(a.len() + b.len() + 1);
            pair.push_str(a);
            pair.push(' ');
            pair.push_str(b);
            pair
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut in `exact_from_canonical` skips only words whose tone
    /// cannot move: every one-vowel syllable built from any Vietnamese
    /// letter keeps its tone where it is.
    #[test]
    fn words_skipped_by_the_shortcut_keep_their_tone() {
        let mut skipped = 0;
        for first in ["", "h", "ng", "qu", "gi", "tr"] {
            for l in letter::all_letters() {
                for last in ["", "n", "nh", "c", "ch", "m"] {
                    let word = format!("{first}{l}{last}").to_lowercase();
                    if may_move_tone(&word) {
                        continue;
                    }
                    skipped += 1;
                    if let Some(s) = Syllable::parse(&word) {
                        let placed: String = s.placed().collect();
                        assert_eq!(placed, word);
                    }
                }
            }
        }
        assert!(skipped > 1000, "{skipped}");
        assert!(may_move_tone("hòa") && may_move_tone("qúy") && !may_move_tone("hoa"));
    }
}

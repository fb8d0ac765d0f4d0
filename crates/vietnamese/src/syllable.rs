//! Vietnamese syllables: initial consonant, vowel nucleus, final consonant
//! and at most one tone, and where the tone belongs.
//!
//! Parsing works on a small fixed buffer (no allocation): no well-formed
//! syllable has more than eight letters (`ngh` + `uyê` + `ng`).

use std::sync::LazyLock;

use unicode_normalization::char::{compose, decompose_canonical};

use crate::letter::{self, Tone, VowelId, has_own_mark, vowel_id, with_tone};

const MAX_LETTERS: usize = 8;

/// Initial consonants, longest first so that `ngh` wins over `ng` and `n`.
const INITIALS: [&str; 27] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];

/// Final consonants, two-letter ones first.
const FINALS: [&str; 8] = ["ch", "ng", "nh", "c", "m", "n", "p", "t"];

/// Nuclei of open syllables (no final consonant).
const NUCLEI_OPEN: [&str; 38] = [
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây",
    "eo", "êu", "ia", "iu", "oa", "oe", "oi", "ôi", "ơi", "ua", "uê", "ui", "uơ", "uy", "ưa", "ưi",
    "ưu", "iêu", "oai", "oao",
];

/// More open nuclei (split only to keep the lines short).
const NUCLEI_OPEN_MORE: [&str; 8] = ["oay", "oeo", "uây", "uôi", "uya", "uyu", "ươi", "ươu"];

/// Nuclei before a final consonant.
const NUCLEI_CLOSED: [&str; 23] = [
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oă", "oe", "oo", "uâ", "uê",
    "uô", "ươ", "iê", "yê", "uy",
];

/// `yêu` is open, `uyê` closed; both are listed apart from the arrays above.
const NUCLEUS_YEU: &str = "yêu";
const NUCLEUS_UYE: &str = "uyê";

const OPEN: u8 = 1;
const CLOSED: u8 = 2;

/// Nucleus key: up to three vowel ids, four bits each (id + 1).
fn nucleus_key(ids: &[VowelId]) -> Option<usize> {
    if ids.is_empty() || ids.len() > 3 {
        return None;
    }
    Some(
        ids.iter()
            .fold(0usize, |key, &id| (key << 4) | (usize::from(id) + 1)),
    )
}

static NUCLEI: LazyLock<[u8; 4096]> = LazyLock::new(|| {
    let mut table = [0u8; 4096];
    let mut add = |nucleus: &str, flag: u8| {
        let ids: Vec<VowelId> = nucleus.chars().filter_map(vowel_id).collect();
        if let Some(key) = nucleus_key(&ids) {
            table[key] |= flag;
        }
    };
    for n in NUCLEI_OPEN.iter().chain(&NUCLEI_OPEN_MORE) {
        add(n, OPEN);
    }
    add(NUCLEUS_YEU, OPEN);
    for n in NUCLEI_CLOSED {
        add(n, CLOSED);
    }
    add(NUCLEUS_UYE, CLOSED);
    table
});

/// A well-formed syllable, lower case, tone taken off.
#[derive(Clone, Debug)]
pub(crate) struct Syllable {
    letters: [char; MAX_LETTERS],
    len: usize,
    initial_len: usize,
    final_len: usize,
    tone: Tone,
}

/// Collects the toneless lower-case letters of `word` and its tones; `None`
/// when a character is neither a letter usable in a syllable nor a tone mark.
struct Letters {
    letters: [char; MAX_LETTERS],
    len: usize,
    tone: Tone,
    tones: usize,
}

impl Letters {
    fn push(&mut self, c: char) -> Option<()> {
        let slot = self.letters.get_mut(self.len)?;
        *slot = c;
        self.len += 1;
        Some(())
    }

    fn add_tone(&mut self, tone: Tone) {
        if tone != Tone::Level {
            self.tone = tone;
            self.tones += 1;
        }
    }

    /// A character outside the precomposed table: split it canonically;
    /// tone marks count as tones, the rest must make one plain letter
    /// (`ḿ` is `m` with sắc, a lone U+0301 is a tone).
    fn push_decomposed(&mut self, c: char) -> Option<()> {
        let mut base: Option<char> = None;
        let mut ok = true;
        let mut tones = [Tone::Level; 4];
        let mut tone_count = 0;
        decompose_canonical(c, |part| {
            if let Some(tone) = Tone::of_mark(part) {
                if let Some(slot) = tones.get_mut(tone_count) {
                    *slot = tone;
                }
                tone_count += 1;
            } else {
                base = match base {
                    None => Some(part),
                    Some(b) => compose(b, part),
                };
                ok &= base.is_some();
            }
        });
        if !ok {
            return None;
        }
        for &tone in tones.iter().take(tone_count) {
            self.add_tone(tone);
        }
        self.tones += tone_count.saturating_sub(tones.len());
        match base {
            None => Some(()),
            Some(b) if b.is_ascii_alphabetic() => self.push(b.to_ascii_lowercase()),
            Some(b) => {
                let l = letter::letter(b)?;
                self.add_tone(l.tone);
                self.push(l.base)
            }
        }
    }
}

fn starts_with(letters: &[char], pattern: &str) -> bool {
    let mut chars = letters.iter();
    pattern.chars().all(|p| chars.next() == Some(&p))
}

fn ends_with(letters: &[char], pattern: &str) -> bool {
    let mut chars = letters.iter().rev();
    pattern.chars().rev().all(|p| chars.next() == Some(&p))
}

impl Syllable {
    /// Parses one word (either case; precomposed, or with combining tone
    /// marks) as a Vietnamese syllable.
    pub(crate) fn parse(word: &str) -> Option<Syllable> {
        let mut collected = Letters {
            letters: ['\0'; MAX_LETTERS],
            len: 0,
            tone: Tone::Level,
            tones: 0,
        };
        for c in word.chars() {
            if c.is_ascii_alphabetic() {
                collected.push(c.to_ascii_lowercase())?;
            } else if c.is_ascii() {
                return None;
            } else if let Some(l) = letter::letter(c) {
                collected.add_tone(l.tone);
                collected.push(l.base)?;
            } else {
                collected.push_decomposed(c)?;
            }
        }
        if collected.tones > 1 || collected.len == 0 {
            return None;
        }
        let letters = &collected.letters[..collected.len];
        let initial_len = INITIALS
            .iter()
            .find(|ini| {
                starts_with(letters, ini)
                    && (**ini != "gi"
                        || letters
                            .get(2..)
                            .is_some_and(|rest| rest.iter().any(|&c| vowel_id(c).is_some())))
            })
            .map_or(0, |ini| ini.chars().count());
        let body = &letters[initial_len..];
        let final_len = FINALS
            .iter()
            .find(|f| {
                let n = f.chars().count();
                body.len() > n && ends_with(body, f)
            })
            .map_or(0, |f| f.chars().count());
        let nucleus = &body[..body.len() - final_len];
        let mut ids: [VowelId; 3] = [0; 3];
        if nucleus.len() > ids.len() {
            return None;
        }
        for (slot, &c) in ids.iter_mut().zip(nucleus) {
            *slot = vowel_id(c)?;
        }
        let key = nucleus_key(&ids[..nucleus.len()])?;
        let flags = NUCLEI.get(key).copied().unwrap_or(0);
        if final_len > 0 {
            if flags & CLOSED == 0 {
                return None;
            }
            let stop = matches!(body.last(), Some('c' | 't' | 'p')) || ends_with(body, "ch");
            if stop && !collected.tone.allowed_before_stop() {
                return None;
            }
        } else if flags & OPEN == 0 {
            return None;
        }
        Some(Syllable {
            letters: collected.letters,
            len: collected.len,
            initial_len,
            final_len,
            tone: collected.tone,
        })
    }

    fn nucleus(&self) -> &[char] {
        &self.letters[self.initial_len..self.len - self.final_len]
    }

    /// Index within the nucleus of the vowel that carries the tone in the
    /// new style: a vowel with its own mark (the last one, so `ơ` of `ươ`);
    /// else the last vowel of a closed syllable; else the second vowel of
    /// open `oa`, `oe`, `uy`; else the second-to-last vowel.
    fn tone_index(&self) -> usize {
        let nucleus = self.nucleus();
        if let Some(i) = nucleus
            .iter()
            .rposition(|&c| vowel_id(c).is_some_and(has_own_mark))
        {
            return i;
        }
        match nucleus {
            [_] => 0,
            _ if self.final_len > 0 => nucleus.len() - 1,
            ['o', 'a'] | ['o', 'e'] | ['u', 'y'] => 1,
            _ => nucleus.len().saturating_sub(2),
        }
    }

    /// Whether the syllable carries a tone mark.
    pub(crate) fn has_tone(&self) -> bool {
        self.tone != Tone::Level
    }

    /// The syllable in lower case with its tone on the canonical vowel.
    pub(crate) fn placed(&self) -> impl Iterator<Item = char> + '_ {
        let at = self.initial_len + self.tone_index();
        self.letters[..self.len]
            .iter()
            .enumerate()
            .map(move |(i, &c)| {
                if i == at {
                    vowel_id(c).map_or(c, |v| with_tone(v, self.tone))
                } else {
                    c
                }
            })
    }
}

/// Whether `word` is a well-formed Vietnamese syllable: initial consonant
/// (optional), a vowel nucleus of Vietnamese, an optional final consonant,
/// at most one tone, and the finals `c ch p t` only with sắc or nặng.
///
/// Case does not matter, and tone marks may be precomposed or combining
/// (`hoà`, `HOÀ`, `hoa\u{300}`); other characters (digits, punctuation,
/// letters foreign to Vietnamese such as `f`, `w`, `ç`) make it false.
///
/// ```
/// use vietnamese::is_syllable;
/// assert!(is_syllable("nghiêng"));
/// assert!(is_syllable("Quý"));
/// assert!(!is_syllable("café"));
/// assert!(!is_syllable("hát1"));
/// assert!(!is_syllable("hat")); // stop final without sắc or nặng
/// ```
pub fn is_syllable(word: &str) -> bool {
    Syllable::parse(word).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(word: &str) -> Option<String> {
        Syllable::parse(word).map(|s| s.placed().collect())
    }

    #[test]
    fn tone_moves_to_the_main_vowel() {
        for (input, want) in [
            ("hòa", "hoà"),
            ("khỏe", "khoẻ"),
            ("thủy", "thuỷ"),
            ("qúy", "quý"),
            ("gìa", "già"),
            ("gì", "gì"),
            ("gìn", "gìn"),
            ("hòan", "hoàn"),
            ("thúê", "thuế"),
            ("ngừơi", "người"),
            ("mùa", "mùa"),
            ("ngoài", "ngoài"),
            ("khuỷu", "khuỷu"),
            ("thuở", "thuở"),
            ("huỳnh", "huỳnh"),
            ("HÒA", "hoà"),
            ("ḿa", "má"),
        ] {
            assert_eq!(placed(input).as_deref(), Some(want), "{input}");
        }
    }

    #[test]
    fn words_that_are_not_syllables_are_rejected() {
        for word in ["café", "qđ", "", "hat", "hóà", "xyz", "müller", "nghiêngg"] {
            assert!(!is_syllable(word), "{word}");
        }
    }

    #[test]
    fn combining_tone_marks_count_as_tones() {
        assert!(is_syllable("ma\u{301}"));
        assert!(!is_syllable("ma\u{301}\u{300}"));
    }
}

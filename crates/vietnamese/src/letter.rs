//! Vietnamese letters: the twelve vowels with their six tones, `đ`, and the
//! tables that split a precomposed letter into vowel and tone and put them
//! back together.
//!
//! The tables are computed once from the Unicode decompositions (so they
//! cannot disagree with NFC) and indexed by code point: every precomposed
//! Vietnamese letter lies in U+00C0–U+01B0 or U+1EA0–U+1EF9.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// The tone of a syllable, as written on its vowel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Thanh ngang: no mark.
    Level,
    /// Thanh huyền, U+0300.
    Grave,
    /// Thanh sắc, U+0301.
    Acute,
    /// Thanh hỏi, U+0309.
    Hook,
    /// Thanh ngã, U+0303.
    Tilde,
    /// Thanh nặng, U+0323.
    Dot,
}

impl Tone {
    pub(crate) const ALL: [Tone; 6] = [
        Tone::Level,
        Tone::Grave,
        Tone::Acute,
        Tone::Hook,
        Tone::Tilde,
        Tone::Dot,
    ];

    /// The tone a combining mark stands for; U+0340 and U+0341 are the
    /// deprecated canonical equivalents of the grave and acute marks.
    pub(crate) fn of_mark(mark: char) -> Option<Tone> {
        match mark {
            '\u{0300}' | '\u{0340}' => Some(Tone::Grave),
            '\u{0301}' | '\u{0341}' => Some(Tone::Acute),
            '\u{0309}' => Some(Tone::Hook),
            '\u{0303}' => Some(Tone::Tilde),
            '\u{0323}' => Some(Tone::Dot),
            _ => None,
        }
    }

    fn mark(self) -> Option<char> {
        match self {
            Tone::Level => None,
            Tone::Grave => Some('\u{0300}'),
            Tone::Acute => Some('\u{0301}'),
            Tone::Hook => Some('\u{0309}'),
            Tone::Tilde => Some('\u{0303}'),
            Tone::Dot => Some('\u{0323}'),
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// `c ch p t` finals only carry sắc or nặng.
    pub(crate) fn allowed_before_stop(self) -> bool {
        matches!(self, Tone::Acute | Tone::Dot)
    }
}

/// The twelve toneless vowels, lower case; a vowel's index in this array is
/// its [`VowelId`].
pub(crate) const VOWELS: [char; 12] = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];

/// Index into [`VOWELS`].
pub(crate) type VowelId = u8;

/// Index in [`VOWELS`] of a toneless lower-case vowel.
pub(crate) fn vowel_id(c: char) -> Option<VowelId> {
    let id = match c {
        'a' => 0,
        'ă' => 1,
        'â' => 2,
        'e' => 3,
        'ê' => 4,
        'i' => 5,
        'o' => 6,
        'ô' => 7,
        'ơ' => 8,
        'u' => 9,
        'ư' => 10,
        'y' => 11,
        _ => return None,
    };
    Some(id)
}

/// Whether a toneless vowel carries a mark of its own (ă â ê ô ơ ư).
pub(crate) fn has_own_mark(id: VowelId) -> bool {
    matches!(id, 1 | 2 | 4 | 7 | 8 | 10)
}

/// A precomposed Vietnamese letter taken apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Letter {
    /// The lower-case letter without tone: one of [`VOWELS`] or `đ`.
    pub(crate) base: char,
    /// The tone mark on it.
    pub(crate) tone: Tone,
    /// Whether the letter was upper case.
    pub(crate) upper: bool,
    /// The ASCII letter left after removing every diacritic (`ư` → `u`,
    /// `đ` → `d`), lower case.
    pub(crate) plain: char,
}

const LATIN_START: u32 = 0xC0;
const LATIN_END: u32 = 0x1B0;
const EXT_START: u32 = 0x1EA0;
const EXT_END: u32 = 0x1EF9;

struct Tables {
    latin: [Option<Letter>; (LATIN_END - LATIN_START + 1) as usize],
    ext: [Option<Letter>; (EXT_END - EXT_START + 1) as usize],
    /// `[vowel][tone]`, lower case.
    compose: [[char; 6]; 12],
}

fn plain_of(base: char) -> char {
    match base {
        'ă' | 'â' => 'a',
        'ê' => 'e',
        'ô' | 'ơ' => 'o',
        'ư' => 'u',
        'đ' => 'd',
        other => other,
    }
}

fn nfc_single(text: &str) -> Option<char> {
    let mut composed = text.nfc();
    let first = composed.next()?;
    match composed.next() {
        None => Some(first),
        Some(_) => None,
    }
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut tables = Tables {
        latin: [None; (LATIN_END - LATIN_START + 1) as usize],
        ext: [None; (EXT_END - EXT_START + 1) as usize],
        compose: [['\0'; 6]; 12],
    };
    let mut insert = |c: char, letter: Letter| {
        let cp = c as u32;
        if (LATIN_START..=LATIN_END).contains(&cp) {
            tables.latin[(cp - LATIN_START) as usize] = Some(letter);
        } else if (EXT_START..=EXT_END).contains(&cp) {
            tables.ext[(cp - EXT_START) as usize] = Some(letter);
        }
    };
    let mut compose = [['\0'; 6]; 12];
    for (v, &base) in VOWELS.iter().enumerate() {
        for tone in Tone::ALL {
            let mut text = String::with_capacity(8);
            text.push(base);
            text.extend(tone.mark());
            // Every vowel-tone pair of Vietnamese has a precomposed form.
            let Some(lower) = nfc_single(&text) else {
                continue;
            };
            compose[v][tone.index()] = lower;
            let plain = plain_of(base);
            insert(
                lower,
                Letter {
                    base,
                    tone,
                    upper: false,
                    plain,
                },
            );
            let mut upper_chars = lower.to_uppercase();
            if let (Some(upper), None) = (upper_chars.next(), upper_chars.next()) {
                insert(
                    upper,
                    Letter {
                        base,
                        tone,
                        upper: true,
                        plain,
                    },
                );
            }
        }
    }
    for (c, upper) in [('đ', false), ('Đ', true)] {
        insert(
            c,
            Letter {
                base: 'đ',
                tone: Tone::Level,
                upper,
                plain: 'd',
            },
        );
    }
    tables.compose = compose;
    tables
});

/// Takes a precomposed Vietnamese letter (vowel with any tone, or `đ`, in
/// either case) apart; `None` for every other character, ASCII included.
pub(crate) fn letter(c: char) -> Option<Letter> {
    let cp = c as u32;
    if (LATIN_START..=LATIN_END).contains(&cp) {
        TABLES.latin[(cp - LATIN_START) as usize]
    } else if (EXT_START..=EXT_END).contains(&cp) {
        TABLES.ext[(cp - EXT_START) as usize]
    } else {
        None
    }
}

/// The lower-case precomposed letter for a vowel and a tone.
pub(crate) fn with_tone(vowel: VowelId, tone: Tone) -> char {
    TABLES
        .compose
        .get(usize::from(vowel))
        .map_or('\u{FFFD}', |row| row[tone.index()])
}

/// All 134 non-ASCII Vietnamese letters (67 lower case, then the same in
/// upper case), in the order vowel × tone, then `đ`.
#[cfg(test)]
pub(crate) fn all_letters() -> impl Iterator<Item = char> {
    let lower = || {
        (0..VOWELS.len())
            .flat_map(|v| Tone::ALL.into_iter().map(move |t| (v, t)))
            .map(|(v, t)| TABLES.compose[v][t.index()])
            .chain(std::iter::once('đ'))
    };
    lower()
        .chain(lower().flat_map(char::to_uppercase))
        .filter(|c| !c.is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vowel_and_tone_has_one_precomposed_letter_in_each_case() {
        let letters: Vec<char> = all_letters().collect();
        assert_eq!(letters.len(), 134);
        let mut sorted = letters.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 134, "letters are distinct");
        for c in letters {
            assert!(letter(c).is_some(), "{c} is in the table");
        }
    }

    #[test]
    fn letters_round_trip_through_vowel_and_tone() {
        for (v, &base) in VOWELS.iter().enumerate() {
            for tone in Tone::ALL {
                let c = with_tone(v as VowelId, tone);
                if c.is_ascii() {
                    continue;
                }
                let parts = letter(c).map(|l| (l.base, l.tone, l.upper));
                assert_eq!(parts, Some((base, tone, false)), "{c}");
            }
        }
        assert_eq!(
            letter('Ự').map(|l| (l.base, l.tone, l.upper, l.plain)),
            Some(('ư', Tone::Dot, true, 'u'))
        );
        assert_eq!(letter('b'), None);
        assert_eq!(letter('ç'), None);
    }
}

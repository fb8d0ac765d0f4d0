//! Repair of legacy Vietnamese text (TCVN3, VNI-Windows, VISCII) that was
//! decoded as windows-1252 or ISO-8859-1: `Céng hoµ` → `Cộng hoà`.
//!
//! A *run* is a maximal sequence of whole words, split at white space, that
//! windows-1252 can encode (with the white space between them). A run is
//! turned back into bytes and decoded with each legacy table; it is
//! repaired with a table when at least one checked token of the run is not
//! Vietnamese as it stands, every byte decodes, every checked token is
//! Vietnamese afterwards, and the table changes at least two distinct
//! tokens or every checked token was wrong. When two tables qualify the run
//! is left alone. This is the detector of the shared normalisation cases,
//! with two additions that keep units and symbols intact: a decoded token
//! whose upper-case non-ASCII letter follows a lower-case letter (`mƠ`)
//! does not count as Vietnamese, and "every checked token was wrong" only
//! counts when one of them holds a non-ASCII letter other than `µ` (so a
//! lone `m²` is not VISCII `mỗ`, nor `µm` `ộm`).

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::letter::{Tone, vowel_id, with_tone};
use crate::syllable::is_syllable;

/// A legacy 8-bit Vietnamese encoding that [`repair_legacy`] recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LegacyEncoding {
    /// TCVN 5712:1993 VN3 (the "ABC" `.Vn` fonts), lower-case letters and
    /// the capitals Ă Â Ê Ô Ơ Ư Đ.
    Tcvn3,
    /// VNI-Windows: base letter followed by a mark byte.
    Vni,
    /// VISCII (RFC 1456).
    Viscii,
}

impl LegacyEncoding {
    /// The encodings in the order the detector tries them.
    pub const ALL: [LegacyEncoding; 3] = [
        LegacyEncoding::Tcvn3,
        LegacyEncoding::Vni,
        LegacyEncoding::Viscii,
    ];

    /// Decodes bytes with this encoding's table; `None` when a byte has no
    /// letter in the table (or, for VNI, a mark byte has no base letter).
    pub fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            LegacyEncoding::Tcvn3 => decode_tcvn3(bytes),
            LegacyEncoding::Vni => decode_vni(bytes),
            LegacyEncoding::Viscii => Some(decode_viscii(bytes)),
        }
    }
}

/// The windows-1252 byte of a character, where U+0080–U+009F stand for the
/// bytes 0x80–0x9F (ISO-8859-1 readings, and the five bytes windows-1252
/// leaves undefined).
pub(crate) fn cp1252_byte(c: char) -> Option<u8> {
    let b = match c {
        '\u{0}'..='\u{FF}' => c as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '\u{2013}' => 0x96,
        '\u{2014}' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(b)
}

const NONE: char = '\0';

/// TCVN3 (VN3) bytes 0x80–0xFF; `NONE` where VN3 has no letter. Positions
/// from the TCVN 5712 VN1 chart, restricted to what VN3 encodes.
#[rustfmt::skip]
pub(crate) const TCVN3_HIGH: [char; 128] = [
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 0x80
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 0x88
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 0x90
    NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, // 0x98
    '\u{00A0}', '\u{0102}', '\u{00C2}', '\u{00CA}', '\u{00D4}', '\u{01A0}', '\u{01AF}', '\u{0110}', // 0xA0
    '\u{0103}', '\u{00E2}', '\u{00EA}', '\u{00F4}', '\u{01A1}', '\u{01B0}', '\u{0111}', NONE, // 0xA8
    NONE, NONE, NONE, NONE, NONE, '\u{00E0}', '\u{1EA3}', '\u{00E3}', // 0xB0
    '\u{00E1}', '\u{1EA1}', NONE, '\u{1EB1}', '\u{1EB3}', '\u{1EB5}', '\u{1EAF}', NONE, // 0xB8
    NONE, NONE, NONE, NONE, NONE, NONE, '\u{1EB7}', '\u{1EA7}', // 0xC0
    '\u{1EA9}', '\u{1EAB}', '\u{1EA5}', '\u{1EAD}', '\u{00E8}', NONE, '\u{1EBB}', '\u{1EBD}', // 0xC8
    '\u{00E9}', '\u{1EB9}', '\u{1EC1}', '\u{1EC3}', '\u{1EC5}', '\u{1EBF}', '\u{1EC7}', '\u{00EC}', // 0xD0
    '\u{1EC9}', NONE, NONE, NONE, '\u{0129}', '\u{00ED}', '\u{1ECB}', '\u{00F2}', // 0xD8
    NONE, '\u{1ECF}', '\u{00F5}', '\u{00F3}', '\u{1ECD}', '\u{1ED3}', '\u{1ED5}', '\u{1ED7}', // 0xE0
    '\u{1ED1}', '\u{1ED9}', '\u{1EDD}', '\u{1EDF}', '\u{1EE1}', '\u{1EDB}', '\u{1EE3}', '\u{00F9}', // 0xE8
    NONE, '\u{1EE7}', '\u{0169}', '\u{00FA}', '\u{1EE5}', '\u{1EEB}', '\u{1EED}', '\u{1EEF}', // 0xF0
    '\u{1EE9}', '\u{1EF1}', '\u{1EF3}', '\u{1EF7}', '\u{1EF9}', '\u{00FD}', '\u{1EF5}', NONE, // 0xF8
];

/// VISCII bytes 0x80–0xFF (RFC 1456, Table 1).
#[rustfmt::skip]
pub(crate) const VISCII_HIGH: [char; 128] = [
    '\u{1EA0}', '\u{1EAE}', '\u{1EB0}', '\u{1EB6}', '\u{1EA4}', '\u{1EA6}', '\u{1EA8}', '\u{1EAC}', // 0x80
    '\u{1EBC}', '\u{1EB8}', '\u{1EBE}', '\u{1EC0}', '\u{1EC2}', '\u{1EC4}', '\u{1EC6}', '\u{1ED0}', // 0x88
    '\u{1ED2}', '\u{1ED4}', '\u{1ED6}', '\u{1ED8}', '\u{1EE2}', '\u{1EDA}', '\u{1EDC}', '\u{1EDE}', // 0x90
    '\u{1ECA}', '\u{1ECE}', '\u{1ECC}', '\u{1EC8}', '\u{1EE6}', '\u{0168}', '\u{1EE4}', '\u{1EF2}', // 0x98
    '\u{00D5}', '\u{1EAF}', '\u{1EB1}', '\u{1EB7}', '\u{1EA5}', '\u{1EA7}', '\u{1EA9}', '\u{1EAD}', // 0xA0
    '\u{1EBD}', '\u{1EB9}', '\u{1EBF}', '\u{1EC1}', '\u{1EC3}', '\u{1EC5}', '\u{1EC7}', '\u{1ED1}', // 0xA8
    '\u{1ED3}', '\u{1ED5}', '\u{1ED7}', '\u{1EE0}', '\u{01A0}', '\u{1ED9}', '\u{1EDD}', '\u{1EDF}', // 0xB0
    '\u{1ECB}', '\u{1EF0}', '\u{1EE8}', '\u{1EEA}', '\u{1EEC}', '\u{01A1}', '\u{1EDB}', '\u{01AF}', // 0xB8
    '\u{00C0}', '\u{00C1}', '\u{00C2}', '\u{00C3}', '\u{1EA2}', '\u{0102}', '\u{1EB3}', '\u{1EB5}', // 0xC0
    '\u{00C8}', '\u{00C9}', '\u{00CA}', '\u{1EBA}', '\u{00CC}', '\u{00CD}', '\u{0128}', '\u{1EF3}', // 0xC8
    '\u{0110}', '\u{1EE9}', '\u{00D2}', '\u{00D3}', '\u{00D4}', '\u{1EA1}', '\u{1EF7}', '\u{1EEB}', // 0xD0
    '\u{1EED}', '\u{00D9}', '\u{00DA}', '\u{1EF9}', '\u{1EF5}', '\u{00DD}', '\u{1EE1}', '\u{01B0}', // 0xD8
    '\u{00E0}', '\u{00E1}', '\u{00E2}', '\u{00E3}', '\u{1EA3}', '\u{0103}', '\u{1EEF}', '\u{1EAB}', // 0xE0
    '\u{00E8}', '\u{00E9}', '\u{00EA}', '\u{1EBB}', '\u{00EC}', '\u{00ED}', '\u{0129}', '\u{1EC9}', // 0xE8
    '\u{0111}', '\u{1EF1}', '\u{00F2}', '\u{00F3}', '\u{00F4}', '\u{00F5}', '\u{1ECF}', '\u{1ECD}', // 0xF0
    '\u{1EE5}', '\u{00F9}', '\u{00FA}', '\u{0169}', '\u{1EE7}', '\u{00FD}', '\u{1EE3}', '\u{1EEE}', // 0xF8
];

/// The six VISCII capitals placed on C0 control bytes.
pub(crate) fn viscii_low(b: u8) -> char {
    match b {
        0x02 => '\u{1EB2}',
        0x05 => '\u{1EB4}',
        0x06 => '\u{1EAA}',
        0x14 => '\u{1EF6}',
        0x19 => '\u{1EF8}',
        0x1E => '\u{1EF4}',
        _ => char::from(b),
    }
}

fn decode_tcvn3(bytes: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        if b < 0x80 {
            out.push(char::from(b));
        } else {
            let c = TCVN3_HIGH[usize::from(b - 0x80)];
            if c == NONE {
                return None;
            }
            out.push(c);
        }
    }
    Some(out)
}

fn decode_viscii(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b < 0x80 {
                viscii_low(b)
            } else {
                VISCII_HIGH[usize::from(b - 0x80)]
            }
        })
        .collect()
}

/// VNI tone bytes (lower-case forms).
fn vni_tone(m: u8) -> Option<Tone> {
    match m {
        0xF9 => Some(Tone::Acute),
        0xF8 => Some(Tone::Grave),
        0xFB => Some(Tone::Hook),
        0xF5 => Some(Tone::Tilde),
        0xEF => Some(Tone::Dot),
        _ => None,
    }
}

/// VNI circumflex bytes, alone or with a tone.
fn vni_circumflex(m: u8) -> Option<Tone> {
    match m {
        0xE2 => Some(Tone::Level),
        0xE1 => Some(Tone::Acute),
        0xE0 => Some(Tone::Grave),
        0xE5 => Some(Tone::Hook),
        0xE3 => Some(Tone::Tilde),
        0xE4 => Some(Tone::Dot),
        _ => None,
    }
}

/// VNI breve bytes, alone or with a tone.
fn vni_breve(m: u8) -> Option<Tone> {
    match m {
        0xEA => Some(Tone::Level),
        0xE9 => Some(Tone::Acute),
        0xE8 => Some(Tone::Grave),
        0xFA => Some(Tone::Hook),
        0xFC => Some(Tone::Tilde),
        0xEB => Some(Tone::Dot),
        _ => None,
    }
}

/// Letters that VNI gives a byte of their own (lower-case byte values).
fn vni_letter(b: u8) -> Option<char> {
    match b {
        0xF4 => Some('ơ'),
        0xF6 => Some('ư'),
        0xF1 => Some('đ'),
        0xED => Some('í'),
        0xEC => Some('ì'),
        0xE6 => Some('ỉ'),
        0xF3 => Some('ĩ'),
        0xF2 => Some('ị'),
        0xEE => Some('ỵ'),
        _ => None,
    }
}

fn push_cased(out: &mut String, c: char, upper: bool) {
    if upper {
        out.extend(c.to_uppercase());
    } else {
        out.push(c);
    }
}

/// A mark byte following a letter of the given case, as its lower-case
/// value; `None` when its case does not match the letter's.
fn vni_mark_byte(next: Option<u8>, upper: bool) -> Option<u8> {
    match next? {
        m @ 0xC0..=0xDF if upper => Some(m + 0x20),
        m @ 0xE0..=0xFF if !upper => Some(m),
        _ => None,
    }
}

fn decode_vni(bytes: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(bytes.len() * 2);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        if b < 0x80 {
            let c = char::from(b);
            let upper = c.is_ascii_uppercase();
            let low = c.to_ascii_lowercase();
            let composed = vni_mark_byte(next, upper).and_then(|m| {
                let (vowel, tone) =
                    if matches!(low, 'a' | 'e' | 'o' | 'u' | 'y') && vni_tone(m).is_some() {
                        (low, vni_tone(m)?)
                    } else if matches!(low, 'a' | 'e' | 'o') && vni_circumflex(m).is_some() {
                        let hat = match low {
                            'a' => 'â',
                            'e' => 'ê',
                            _ => 'ô',
                        };
                        (hat, vni_circumflex(m)?)
                    } else if low == 'a' {
                        ('ă', vni_breve(m)?)
                    } else {
                        return None;
                    };
                Some(with_tone(vowel_id(vowel)?, tone))
            });
            match composed {
                Some(letter) => {
                    push_cased(&mut out, letter, upper);
                    i += 2;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
            continue;
        }
        let upper = (0xC0..0xE0).contains(&b);
        let lower_byte = if upper { b + 0x20 } else { b };
        let own = if b >= 0xC0 {
            vni_letter(lower_byte)
        } else {
            None
        };
        let mut letter = own?;
        let mut step = 1;
        if matches!(letter, 'ơ' | 'ư')
            && let Some(tone) = vni_mark_byte(next, upper).and_then(vni_tone)
        {
            let id = vowel_id(letter)?;
            letter = with_tone(id, tone);
            step = 2;
        }
        push_cased(&mut out, letter, upper);
        i += step;
    }
    Some(out)
}

/// White space as the detector sees it: Unicode White_Space plus the
/// information separators U+001C–U+001F.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Typographic punctuation trimmed from the ends of a checked token.
const EDGE_PUNCT: [char; 7] = [
    '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2013}', '\u{2014}', '\u{2026}',
];

/// The parts of a run that the detector judges: split at white space, ASCII
/// punctuation and digits, typographic quotes trimmed, non-ASCII only.
fn checked_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| is_space(c) || c.is_ascii_punctuation() || c.is_ascii_digit())
        .map(|t| t.trim_matches(&EDGE_PUNCT[..]))
        .filter(|t| !t.is_empty() && !t.is_ascii())
}

/// `QĐ`, `đ`: consonant letters only.
fn is_consonant_abbreviation(token: &str) -> bool {
    token.chars().all(|c| {
        let c = c.to_ascii_lowercase();
        matches!(c, 'b'..='d' | 'f'..='h' | 'j'..='n' | 'p'..='t' | 'v'..='z' | 'đ' | 'Đ')
    })
}

fn is_valid_token(token: &str) -> bool {
    is_syllable(token) || is_consonant_abbreviation(token)
}

/// Rejects `mÂ`: an upper-case non-ASCII letter after a lower-case letter.
pub(crate) fn has_plausible_case(token: &str) -> bool {
    let mut seen_lower = false;
    for c in token.chars() {
        if c.is_lowercase() {
            seen_lower = true;
        } else if seen_lower && !c.is_ascii() && c.is_uppercase() {
            return false;
        }
    }
    true
}

/// Whether a token holds a non-ASCII letter other than the micro sign.
/// Symbols next to ASCII letters are mostly units (`m²`, `25°C`, `µm`),
/// which VISCII would read as syllables (`mỗ`, `ộm`): when a single token
/// is all the evidence for a table, it must hold such a letter (`œY` is
/// VISCII `ỦY`).
fn has_legacy_letter(token: &str) -> bool {
    token.chars().any(|c| {
        !c.is_ascii() && c != '\u{B5}' && c.general_category_group() == GeneralCategoryGroup::Letter
    })
}

/// Repairs one run; `None` leaves it as it is.
fn repair_run(run: &str) -> Option<(String, LegacyEncoding)> {
    if run.is_ascii() {
        return None;
    }
    let before: Vec<&str> = checked_tokens(run).collect();
    let invalid = before.iter().filter(|t| !is_valid_token(t)).count();
    if invalid == 0 {
        return None;
    }
    let has_letter_evidence = before.iter().any(|t| has_legacy_letter(t));
    let bytes: Vec<u8> = run.chars().map(cp1252_byte).collect::<Option<_>>()?;
    let mut found: Option<(String, LegacyEncoding)> = None;
    let mut qualifying = 0;
    for encoding in LegacyEncoding::ALL {
        let Some(decoded) = encoding.decode(&bytes) else {
            continue;
        };
        let decoded = match is_nfc_quick(decoded.chars()) {
            IsNormalized::Yes => decoded,
            _ => decoded.nfc().collect(),
        };
        let mut after = checked_tokens(&decoded).peekable();
        if after.peek().is_none() {
            continue;
        }
        let after: Vec<&str> = after.collect();
        if !after
            .iter()
            .all(|t| is_valid_token(t) && has_plausible_case(t))
        {
            continue;
        }
        let changed = before
            .iter()
            .enumerate()
            .filter(|&(i, t)| !before[..i].contains(t) && !after.contains(t))
            .count();
        if changed >= 2 || (invalid == before.len() && has_letter_evidence) {
            qualifying += 1;
            found = Some((decoded, encoding));
        }
    }
    if qualifying == 1 { found } else { None }
}

/// Repairs runs of legacy Vietnamese text (TCVN3, VNI-Windows, VISCII bytes
/// read as windows-1252 or ISO-8859-1) and leaves everything else as it is.
///
/// Run it on decoded text before anything removes soft hyphens or maps
/// characters: TCVN3 `ư` is the byte 0xAD, which windows-1252 shows as a
/// soft hyphen. Words holding a character windows-1252 cannot encode (`ư`,
/// `ạ`, ...) are real Unicode and never touched. The result is not
/// normalised; [`canonicalize`](crate::canonicalize) does that.
///
/// ```
/// use vietnamese::repair_legacy;
/// assert_eq!(repair_legacy("Céng hoµ x· héi"), "Cộng hoà xã hội"); // TCVN3
/// assert_eq!(repair_legacy("Ñoäc laäp"), "Độc lập"); // VNI
/// assert_eq!(repair_legacy("Ng\u{AD}êi lao ®éng"), "Người lao động");
/// assert_eq!(repair_legacy("café crème"), "café crème");
/// ```
pub fn repair_legacy(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut run_start: Option<usize> = None;
    let mut flush = |start: usize, end: usize, out: &mut Option<String>| {
        if let Some((fixed, _)) = repair_run(&text[start..end]) {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            buf.push_str(&text[copied..start]);
            buf.push_str(&fixed);
            copied = end;
        }
    };
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let space = rest.starts_with(is_space);
        let len = rest
            .find(|c: char| is_space(c) != space)
            .unwrap_or(rest.len());
        let part = &rest[..len];
        if part.chars().all(|c| cp1252_byte(c).is_some()) {
            run_start.get_or_insert(pos);
        } else if let Some(start) = run_start.take() {
            flush(start, pos, &mut out);
        }
        pos += len;
    }
    if let Some(start) = run_start {
        flush(start, text.len(), &mut out);
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(text),
    }
}

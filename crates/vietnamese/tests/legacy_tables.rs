//! The legacy tables against their published charts, and every Vietnamese
//! letter through each table.
//!
//! The charts below are transcribed as `byte:code point` pairs: VISCII from
//! RFC 1456, Table 1 (bytes not listed map to the same code point); TCVN3
//! from the TCVN 5712 VN1 chart restricted to what VN3 encodes (lower-case
//! letters and the capitals Ă Â Ê Ô Ơ Ư Đ; 0xA0 is a no-break space).

use unicode_normalization::UnicodeNormalization;
use vietnamese::LegacyEncoding;

const VISCII_CHART: &str = "\
    02:1EB2 05:1EB4 06:1EAA 14:1EF6 19:1EF8 1E:1EF4 80:1EA0 81:1EAE 82:1EB0 83:1EB6 84:1EA4 \
    85:1EA6 86:1EA8 87:1EAC 88:1EBC 89:1EB8 8A:1EBE 8B:1EC0 8C:1EC2 8D:1EC4 8E:1EC6 8F:1ED0 \
    90:1ED2 91:1ED4 92:1ED6 93:1ED8 94:1EE2 95:1EDA 96:1EDC 97:1EDE 98:1ECA 99:1ECE 9A:1ECC \
    9B:1EC8 9C:1EE6 9D:0168 9E:1EE4 9F:1EF2 A0:00D5 A1:1EAF A2:1EB1 A3:1EB7 A4:1EA5 A5:1EA7 \
    A6:1EA9 A7:1EAD A8:1EBD A9:1EB9 AA:1EBF AB:1EC1 AC:1EC3 AD:1EC5 AE:1EC7 AF:1ED1 B0:1ED3 \
    B1:1ED5 B2:1ED7 B3:1EE0 B4:01A0 B5:1ED9 B6:1EDD B7:1EDF B8:1ECB B9:1EF0 BA:1EE8 BB:1EEA \
    BC:1EEC BD:01A1 BE:1EDB BF:01AF C4:1EA2 C5:0102 C6:1EB3 C7:1EB5 CB:1EBA CE:0128 CF:1EF3 \
    D0:0110 D1:1EE9 D5:1EA1 D6:1EF7 D7:1EEB D8:1EED DB:1EF9 DC:1EF5 DE:1EE1 DF:01B0 E4:1EA3 \
    E5:0103 E6:1EEF E7:1EAB EB:1EBB EE:0129 EF:1EC9 F0:0111 F1:1EF1 F6:1ECF F7:1ECD F8:1EE5 \
    FB:0169 FC:1EE7 FE:1EE3 FF:1EEE";
const TCVN3_CHART: &str = "\
    A1:0102 A2:00C2 A3:00CA A4:00D4 A5:01A0 A6:01AF A7:0110 A8:0103 A9:00E2 AA:00EA AB:00F4 \
    AC:01A1 AD:01B0 AE:0111 B5:00E0 B6:1EA3 B7:00E3 B8:00E1 B9:1EA1 BB:1EB1 BC:1EB3 BD:1EB5 \
    BE:1EAF C6:1EB7 C7:1EA7 C8:1EA9 C9:1EAB CA:1EA5 CB:1EAD CC:00E8 CE:1EBB CF:1EBD D0:00E9 \
    D1:1EB9 D2:1EC1 D3:1EC3 D4:1EC5 D5:1EBF D6:1EC7 D7:00EC D8:1EC9 DC:0129 DD:00ED DE:1ECB \
    DF:00F2 E1:1ECF E2:00F5 E3:00F3 E4:1ECD E5:1ED3 E6:1ED5 E7:1ED7 E8:1ED1 E9:1ED9 EA:1EDD \
    EB:1EDF EC:1EE1 ED:1EDB EE:1EE3 EF:00F9 F1:1EE7 F2:0169 F3:00FA F4:1EE5 F5:1EEB F6:1EED \
    F7:1EEF F8:1EE9 F9:1EF1 FA:1EF3 FB:1EF7 FC:1EF9 FD:00FD FE:1EF5";

fn chart(text: &str) -> Vec<(u8, char)> {
    text.split_whitespace()
        .map(|pair| {
            let (byte, code) = pair.split_once(':').expect("byte:code point");
            let byte = u8::from_str_radix(byte, 16).expect("hex byte");
            let code = u32::from_str_radix(code, 16).expect("hex code point");
            (byte, char::from_u32(code).expect("code point"))
        })
        .collect()
}

const TONES: [&str; 6] = ["", "\u{300}", "\u{301}", "\u{309}", "\u{303}", "\u{323}"];

/// The 67 lower-case letters of Vietnamese that are not ASCII, built from
/// Unicode compositions alone.
fn lower_case_letters() -> Vec<char> {
    let vowels = [
        "a", "a\u{306}", "a\u{302}", "e", "e\u{302}", "i", "o", "o\u{302}", "o\u{31B}", "u",
        "u\u{31B}", "y",
    ];
    let mut letters: Vec<char> = vowels
        .iter()
        .flat_map(|v| TONES.iter().map(move |t| format!("{v}{t}")))
        .map(|s| {
            let composed: Vec<char> = s.nfc().collect();
            assert_eq!(composed.len(), 1, "{s} has a precomposed form");
            composed[0]
        })
        .filter(|c| !c.is_ascii())
        .collect();
    letters.push('đ');
    assert_eq!(letters.len(), 67);
    letters
}

fn upper(c: char) -> char {
    let mut up = c.to_uppercase();
    let u = up.next().expect("one upper-case letter");
    assert!(up.next().is_none());
    u
}

fn decode_one(encoding: LegacyEncoding, bytes: &[u8]) -> Option<String> {
    encoding.decode(bytes)
}

#[test]
fn viscii_matches_rfc_1456_for_all_256_bytes() {
    let listed = chart(VISCII_CHART);
    for b in 0..=255u8 {
        let want = listed
            .iter()
            .find(|(byte, _)| *byte == b)
            .map_or(char::from(b), |(_, c)| *c);
        let got = decode_one(LegacyEncoding::Viscii, &[b]);
        assert_eq!(got, Some(want.to_string()), "VISCII byte {b:#04X}");
    }
}

#[test]
fn viscii_encodes_every_letter_exactly_once() {
    let table: Vec<char> = (0..=255u8)
        .map(|b| {
            decode_one(LegacyEncoding::Viscii, &[b])
                .and_then(|s| s.chars().next())
                .expect("every VISCII byte decodes")
        })
        .collect();
    for lower in lower_case_letters() {
        for letter in [lower, upper(lower)] {
            let count = table.iter().filter(|&&c| c == letter).count();
            assert_eq!(count, 1, "{letter} in VISCII");
        }
    }
}

#[test]
fn tcvn3_matches_its_chart_and_refuses_other_high_bytes() {
    let listed = chart(TCVN3_CHART);
    for b in 0x80..=0xFFu8 {
        let want = listed
            .iter()
            .find(|(byte, _)| *byte == b)
            .map(|(_, c)| c.to_string())
            .or_else(|| (b == 0xA0).then(|| "\u{A0}".to_owned()));
        assert_eq!(
            decode_one(LegacyEncoding::Tcvn3, &[b]),
            want,
            "TCVN3 byte {b:#04X}"
        );
    }
    for b in 0..0x80u8 {
        assert_eq!(
            decode_one(LegacyEncoding::Tcvn3, &[b]),
            Some(char::from(b).to_string())
        );
    }
}

#[test]
fn tcvn3_encodes_every_lower_case_letter_and_the_seven_capitals() {
    let listed = chart(TCVN3_CHART);
    let mut expected = lower_case_letters();
    expected.extend(['Ă', 'Â', 'Ê', 'Ô', 'Ơ', 'Ư', 'Đ']);
    for letter in &expected {
        let bytes: Vec<u8> = listed
            .iter()
            .filter(|(_, c)| c == letter)
            .map(|(b, _)| *b)
            .collect();
        assert_eq!(bytes.len(), 1, "{letter} in TCVN3");
        assert_eq!(
            decode_one(LegacyEncoding::Tcvn3, &bytes),
            Some(letter.to_string())
        );
    }
    assert_eq!(listed.len(), expected.len(), "74 letters");
}

/// The VNI-Windows bytes of a lower-case letter, from the published rules:
/// base letter plus one mark byte, or a byte of its own.
fn vni_bytes(letter: char) -> Vec<u8> {
    let own = [
        ('ơ', 0xF4),
        ('ư', 0xF6),
        ('đ', 0xF1),
        ('í', 0xED),
        ('ì', 0xEC),
        ('ỉ', 0xE6),
        ('ĩ', 0xF3),
        ('ị', 0xF2),
        ('ỵ', 0xEE),
    ];
    if let Some((_, b)) = own.iter().find(|(c, _)| *c == letter) {
        return vec![*b];
    }
    let decomposed: Vec<char> = letter.to_string().nfd().collect();
    let base = decomposed[0];
    let marks = &decomposed[1..];
    let tone_byte = |m: char| match m {
        '\u{301}' => 0xF9,
        '\u{300}' => 0xF8,
        '\u{309}' => 0xFB,
        '\u{303}' => 0xF5,
        '\u{323}' => 0xEF,
        _ => panic!("no VNI tone byte for {m:?}"),
    };
    // NFD orders the dot below before the other marks: look marks up by kind.
    let shape = marks
        .iter()
        .copied()
        .find(|m| matches!(m, '\u{302}' | '\u{306}' | '\u{31B}'));
    let tone = marks
        .iter()
        .copied()
        .find(|m| !matches!(m, '\u{302}' | '\u{306}' | '\u{31B}'));
    let shape_byte = |with: [u8; 6]| match tone {
        None => with[0],
        Some('\u{301}') => with[1],
        Some('\u{300}') => with[2],
        Some('\u{309}') => with[3],
        Some('\u{303}') => with[4],
        Some('\u{323}') => with[5],
        Some(m) => panic!("{m:?}"),
    };
    let (head, tone): (Vec<u8>, Option<char>) = match shape {
        Some('\u{302}') => (
            vec![base as u8, shape_byte([0xE2, 0xE1, 0xE0, 0xE5, 0xE3, 0xE4])],
            None,
        ),
        Some('\u{306}') => (
            vec![base as u8, shape_byte([0xEA, 0xE9, 0xE8, 0xFA, 0xFC, 0xEB])],
            None,
        ),
        Some(_) => (vec![if base == 'o' { 0xF4 } else { 0xF6 }], tone),
        None => {
            assert!(
                base != 'i' || tone.is_none(),
                "i with a tone has its own byte"
            );
            (vec![base as u8], tone)
        }
    };
    let mut bytes = head;
    bytes.extend(tone.map(tone_byte));
    bytes
}

#[test]
fn vni_decodes_every_letter_in_both_cases() {
    let mut checked = 0;
    for lower in lower_case_letters() {
        let bytes = vni_bytes(lower);
        assert_eq!(
            decode_one(LegacyEncoding::Vni, &bytes),
            Some(lower.to_string()),
            "{lower} {bytes:02X?}"
        );
        // Capitals: the base letter in upper case, every byte from 0xC0 up 0x20 lower.
        let upper_bytes: Vec<u8> = bytes
            .iter()
            .map(|&b| {
                if b >= 0xE0 {
                    b - 0x20
                } else {
                    b.to_ascii_uppercase()
                }
            })
            .collect();
        let capital = upper(lower);
        assert_eq!(
            decode_one(LegacyEncoding::Vni, &upper_bytes),
            Some(capital.to_string()),
            "{capital} {upper_bytes:02X?}"
        );
        checked += 2;
    }
    assert_eq!(checked, 134);
}

#[test]
fn vni_refuses_a_mark_byte_without_a_letter() {
    assert_eq!(decode_one(LegacyEncoding::Vni, &[0xF9]), None);
    assert_eq!(decode_one(LegacyEncoding::Vni, b"1\xF9"), None);
    // A lower-case mark after a capital is no mark.
    assert_eq!(decode_one(LegacyEncoding::Vni, b"A\xF9"), None);
}

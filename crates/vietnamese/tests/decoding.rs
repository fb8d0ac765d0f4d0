//! Step 1: bytes to text.

use encoding_rs::{UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1258};
use vietnamese::{EncodingSource, canonicalize, decode_bytes};

const TEXT: &str = "Quyết định về việc ban hành Quy chế";

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    text.encode_utf16()
        .flat_map(|unit| {
            if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            }
        })
        .collect()
}

#[test]
fn utf8_byte_order_mark_is_removed() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(TEXT.as_bytes());
    let d = decode_bytes(&bytes, Some(WINDOWS_1258));
    assert_eq!(d.text, TEXT);
    assert_eq!(d.encoding, UTF_8);
    assert_eq!(d.source, EncodingSource::ByteOrderMark);
    assert!(!d.had_replacements);
}

#[test]
fn utf16le_with_byte_order_mark_is_decoded() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(utf16(TEXT, false));
    let d = decode_bytes(&bytes, None);
    assert_eq!(
        (d.text.as_str(), d.encoding, d.source),
        (TEXT, UTF_16LE, EncodingSource::ByteOrderMark)
    );
    assert!(!d.had_replacements);
}

#[test]
fn utf16be_with_byte_order_mark_is_decoded() {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(utf16(TEXT, true));
    let d = decode_bytes(&bytes, None);
    assert_eq!(
        (d.text.as_str(), d.encoding, d.source),
        (TEXT, UTF_16BE, EncodingSource::ByteOrderMark)
    );
}

#[test]
fn declared_utf16_without_byte_order_mark_is_honoured() {
    let d = decode_bytes(&utf16(TEXT, false), Some(UTF_16LE));
    assert_eq!(
        (d.text.as_str(), d.source),
        (TEXT, EncodingSource::Declared)
    );
}

#[test]
fn utf16_with_an_odd_byte_is_decoded_with_a_replacement() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(utf16("Hà Nội", false));
    bytes.push(0x41);
    let d = decode_bytes(&bytes, None);
    assert!(d.had_replacements);
    assert_eq!(d.text, "Hà Nội\u{FFFD}");
}

#[test]
fn valid_utf8_wins_over_a_wrong_declaration() {
    let d = decode_bytes(TEXT.as_bytes(), Some(WINDOWS_1258));
    assert_eq!(
        (d.text.as_str(), d.encoding, d.source),
        (TEXT, UTF_8, EncodingSource::ValidUtf8)
    );
}

#[test]
fn empty_input_is_empty_utf8() {
    let d = decode_bytes(b"", None);
    assert_eq!(
        (d.text.as_str(), d.encoding, d.had_replacements),
        ("", UTF_8, false)
    );
}

/// `Việt Nam`, `Thủ tướng` in windows-1258: ê, ư and ơ are bytes of their
/// own, the tones combining marks after them.
const CP1258_BYTES: &[u8] = b"Vi\xEA\xF2t Nam, Thu\xD2 t\xFD\xF5\xECng";

#[test]
fn declared_windows_1258_gives_combining_tones_that_canonicalisation_composes() {
    let d = decode_bytes(CP1258_BYTES, Some(WINDOWS_1258));
    assert_eq!(d.encoding, WINDOWS_1258);
    assert_eq!(d.source, EncodingSource::Declared);
    assert_eq!(d.text, "Viê\u{323}t Nam, Thu\u{309} tươ\u{301}ng");
    assert_eq!(canonicalize(&d.text), "Việt Nam, Thủ tướng");
}

#[test]
fn undeclared_windows_1258_is_detected() {
    let d = decode_bytes(CP1258_BYTES, None);
    assert_eq!(
        (d.encoding, d.source),
        (WINDOWS_1258, EncodingSource::Detected)
    );
    assert_eq!(canonicalize(&d.text), "Việt Nam, Thủ tướng");
}

#[test]
fn undeclared_tcvn3_bytes_are_read_as_windows_1252_for_legacy_repair() {
    // TCVN3 `Thủ tướng Chính phủ`: ư is 0xAD, í 0xDD (Ư in windows-1258).
    let d = decode_bytes(b"Th\xF1 t\xAD\xEDng Ch\xDDnh ph\xF1", None);
    assert_eq!(
        (d.encoding, d.source),
        (WINDOWS_1252, EncodingSource::Detected)
    );
    assert_eq!(canonicalize(&d.text), "Thủ tướng Chính phủ");
}

#[test]
fn invalid_utf8_declared_as_utf8_is_decoded_with_replacements() {
    let mut bytes = TEXT.as_bytes().to_vec();
    bytes.insert(3, 0xFF);
    let d = decode_bytes(&bytes, Some(UTF_8));
    assert!(d.had_replacements);
    assert_eq!(d.encoding, UTF_8);
    assert_eq!(d.text.replace('\u{FFFD}', ""), TEXT);
}

#[test]
fn mostly_utf8_with_a_damaged_byte_stays_utf8() {
    let mut bytes = TEXT.as_bytes().to_vec();
    bytes.truncate(bytes.len() - 1);
    bytes.extend_from_slice("ế".as_bytes().get(..2).unwrap_or_default());
    let d = decode_bytes(&bytes, None);
    assert_eq!(
        (d.encoding, d.source, d.had_replacements),
        (UTF_8, EncodingSource::DamagedUtf8, true)
    );
    assert!(d.text.starts_with("Quyết định"));
}

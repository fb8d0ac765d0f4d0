//! Step 1: bytes to text.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1258};

use crate::legacy::has_plausible_case;
use crate::search_form::words;
use crate::syllable::is_syllable;

/// Why [`decode_bytes`] chose the encoding it used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodingSource {
    /// A byte order mark (UTF-8, UTF-16LE or UTF-16BE) at the start.
    ByteOrderMark,
    /// The encoding the caller declared (a UTF-16 declaration, or a
    /// single-byte one for bytes that are not UTF-8).
    Declared,
    /// The bytes are valid UTF-8.
    ValidUtf8,
    /// Mostly UTF-8 with some invalid sequences, read as UTF-8 with
    /// replacement characters.
    DamagedUtf8,
    /// Not UTF-8 and nothing declared: windows-1258 or windows-1252,
    /// whichever yields more Vietnamese syllables (windows-1252 text may
    /// hold legacy TCVN3, VNI or VISCII runs, which
    /// [`canonicalize`](crate::canonicalize) repairs).
    Detected,
}

/// Text decoded from bytes, with a record of how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded text, byte order mark removed. Not normalised: text from
    /// windows-1258 holds combining tone marks that
    /// [`canonicalize`](crate::canonicalize) composes.
    pub text: String,
    /// The encoding used.
    pub encoding: &'static Encoding,
    /// Why that encoding was used.
    pub source: EncodingSource,
    /// Whether some bytes could not be decoded and were replaced by U+FFFD.
    pub had_replacements: bool,
}

fn decode_with(bytes: &[u8], encoding: &'static Encoding, source: EncodingSource) -> Decoded {
    let (text, had_replacements) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding,
        source,
        had_replacements,
    }
}

/// Whether invalid UTF-8 still looks like UTF-8: it holds more valid
/// multi-byte characters than invalid sequences (a truncated or slightly
/// damaged file), which single-byte Vietnamese text practically never does.
fn is_mostly_utf8(bytes: &[u8]) -> bool {
    let mut multibyte = 0usize;
    let mut invalid = 0usize;
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    multibyte > invalid
}

/// Vietnamese words with a non-ASCII letter, minus other non-ASCII words
/// (`ChƯnh`, with a capital inside, is not Vietnamese).
fn vietnamese_score(text: &str) -> isize {
    words(text)
        .filter(|w| !w.is_ascii())
        .map(|w| {
            if is_syllable(w) && has_plausible_case(w) {
                1
            } else {
                -1
            }
        })
        .sum()
}

/// Decodes bytes into text (step 1 of the pipeline).
///
/// In order: a byte order mark (UTF-8, UTF-16LE, UTF-16BE) wins; a declared
/// UTF-16 is honoured; valid UTF-8 is UTF-8; another declared encoding
/// (windows-1258 from a document's metadata, say) is used as declared;
/// undeclared bytes that are mostly UTF-8 are UTF-8 with replacement
/// characters; anything else is windows-1258 or windows-1252, whichever
/// gives more Vietnamese syllables. Never fails: undecodable bytes become
/// U+FFFD and [`Decoded::had_replacements`] says so.
///
/// ```
/// use vietnamese::{decode_bytes, EncodingSource};
/// // windows-1258: `ê` is 0xEA, the combining dot below 0xF2
/// let d = decode_bytes(b"Vi\xea\xf2t Nam", None);
/// assert_eq!(d.encoding, encoding_rs::WINDOWS_1258);
/// assert_eq!(d.source, EncodingSource::Detected);
/// assert_eq!(vietnamese::canonicalize(&d.text), "Việt Nam");
/// ```
pub fn decode_bytes(bytes: &[u8], declared: Option<&'static Encoding>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom_len..).unwrap_or_default();
        return decode_with(rest, encoding, EncodingSource::ByteOrderMark);
    }
    if let Some(encoding) = declared.filter(|e| *e == UTF_16LE || *e == UTF_16BE) {
        return decode_with(bytes, encoding, EncodingSource::Declared);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: text.to_owned(),
            encoding: UTF_8,
            source: EncodingSource::ValidUtf8,
            had_replacements: false,
        };
    }
    if let Some(encoding) = declared {
        return decode_with(bytes, encoding, EncodingSource::Declared);
    }
    if is_mostly_utf8(bytes) {
        return decode_with(bytes, UTF_8, EncodingSource::DamagedUtf8);
    }
    let as_1258 = decode_with(bytes, WINDOWS_1258, EncodingSource::Detected);
    let as_1252 = decode_with(bytes, WINDOWS_1252, EncodingSource::Detected);
    let score_1258 = vietnamese_score(&crate::canonicalize(&as_1258.text));
    let score_1252 = vietnamese_score(&crate::canonicalize(&as_1252.text));
    if score_1252 > score_1258 {
        as_1252
    } else {
        as_1258
    }
}

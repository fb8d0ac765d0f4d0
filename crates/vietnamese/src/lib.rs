//! Vietnamese text pipeline of Kho: from bytes to the forms that are stored
//! and searched. Pure functions, no I/O.
//!
//! # Pipeline
//!
//! Each step works on the output of the one before; the order matters.
//!
//! 1. **Decode** bytes ([`decode_bytes`]): a byte order mark (UTF-8,
//!    UTF-16LE/BE), else valid UTF-8, else windows-1258 as declared or
//!    detected. windows-1258 yields combining tone marks that step 3
//!    composes.
//! 2. **Repair legacy runs** ([`repair_legacy`]): TCVN3, VNI-Windows and
//!    VISCII text that was read as windows-1252 (`Céng hoµ` → `Cộng hoà`),
//!    before anything removes soft hyphens, because TCVN3 `ư` is the byte
//!    0xAD, a soft hyphen in windows-1252.
//! 3. **Canonicalise** ([`canonicalize`], the stored text): NFC; invisible
//!    characters (soft hyphen, zero-width characters, direction marks, BOM)
//!    removed; every white space a single space, trimmed; `Ð`/`Ɖ` → `Đ`,
//!    `ð` → `đ`; dash and slash look-alikes → `-` and `/`; full-width ASCII
//!    → ASCII; NFC again. Not NFKC (`m²` and `ﬁ` stay), and tone placement
//!    is left as written.
//! 4. **Exact form** ([`exact_form`]): lower case, with the tone of every
//!    well-formed syllable on its main vowel, new style (`hòa` → `hoà`,
//!    `thủy` → `thuỷ`, `qúy` → `quý`), so both spellings match.
//! 5. **Fold form** ([`fold_form`]): the exact form without diacritics,
//!    `đ` → `d` (`mà`, `má`, `mạ` → `ma`).
//! 6. **Document-number key** ([`doc_number_key`]) of a text that is one
//!    document number: `Số: 05/2016/QĐ-UBND` → `5/2016/qd-ubnd`.
//!
//! For the search index, [`words`] splits a form into words and
//! [`syllable_bigrams`] pairs adjacent words. [`forms`] computes the
//! canonical, exact and fold forms in one go, which is cheaper than calling
//! the three functions (each of which starts again from the raw text).
//!
//! ```
//! let f = vietnamese::forms("Ủy ban nhân dân tỉnh Nam \u{00D0}ịnh");
//! assert_eq!(f.canonical, "Ủy ban nhân dân tỉnh Nam Định");
//! assert_eq!(f.exact, "uỷ ban nhân dân tỉnh nam định");
//! assert_eq!(f.fold, "uy ban nhan dan tinh nam dinh");
//! ```
//!
//! The behaviour is specified by the shared Vietnamese normalisation cases,
//! a copy of which lives in `tests/data/`.

mod canonical;
mod decode;
mod doc_number;
mod legacy;
mod letter;
mod search_form;
mod syllable;

pub use decode::{Decoded, EncodingSource, decode_bytes};
pub use legacy::{LegacyEncoding, repair_legacy};
pub use search_form::{syllable_bigrams, word_pairs, words};
pub use syllable::is_syllable;

/// Canonical text: what is stored for display and snippets. Runs legacy
/// repair (step 2), then canonicalisation (step 3); see the crate docs.
///
/// Idempotent: the canonical form of a canonical text is itself.
///
/// ```
/// assert_eq!(vietnamese::canonicalize("  Ng\u{AD}êi   lao ®éng "), "Người lao động");
/// assert_eq!(vietnamese::canonicalize("Vie\u{302}\u{323}t\u{A0}Nam"), "Việt Nam");
/// ```
pub fn canonicalize(text: &str) -> String {
    canonical::canonicalize(text)
}

/// Exact search form of raw text: canonical, lower case, tone on the main
/// vowel of every well-formed syllable (new style). Words that are not
/// syllables (`café`, `qđ`) are only lower-cased.
///
/// ```
/// assert_eq!(vietnamese::exact_form("HÒA GIẢI"), "hoà giải");
/// assert_eq!(vietnamese::exact_form("qúy vị"), "quý vị");
/// ```
pub fn exact_form(text: &str) -> String {
    settle(
        search_form::exact_from_canonical(&canonicalize(text)),
        |e| search_form::exact_from_canonical(&canonicalize(e)),
    )
}

/// Folded search form of raw text: the exact form without diacritics
/// (every nonspacing mark removed), `đ` → `d`. Leading zeros and
/// punctuation stay.
///
/// ```
/// assert_eq!(vietnamese::fold_form("Số: 05/2016/QĐ-UBND"), "so: 05/2016/qd-ubnd");
/// ```
pub fn fold_form(text: &str) -> String {
    settle_fold(search_form::fold_from_exact(&exact_form(text)))
}

/// Passes after the first before a search form is taken as it is.
const MAX_SETTLE_PASSES: usize = 3;

/// Runs `pass` again on a search form while legacy repair would still
/// change it, so that each form is a fixed point of its own function:
/// lower-casing, moving tones and removing diacritics can turn a run that
/// the detector left alone (a mojibake word next to a real word such as
/// `qúy hoµ`) into one that it repairs. Real text settles at once; the
/// check is one scan for legacy runs.
fn settle(mut form: String, pass: impl Fn(&str) -> String) -> String {
    for _ in 0..MAX_SETTLE_PASSES {
        if matches!(repair_legacy(&form), std::borrow::Cow::Borrowed(_)) {
            break;
        }
        form = pass(&form);
    }
    form
}

fn settle_fold(fold: String) -> String {
    settle(fold, |f| search_form::fold_from_exact(&exact_form(f)))
}

/// Document-number key of raw text that is one document number and nothing
/// else: the number without leading zeros, `/year` if any, `/` and the
/// notation folded. `None` for anything else, including running text that
/// merely contains a number.
///
/// A leading `Số` (any case, optional colon), spaces around `/` and `-` and
/// a trailing `.`, `,` or `;` are dropped; the rest must be
/// `NUMBER[/YEAR]/NOTATION` with NUMBER 1–11 ASCII digits of value at least
/// 1, YEAR 4 ASCII digits, NOTATION letter-initial groups joined by `-`, at
/// most 30 characters; a type abbreviation alone (`12/QĐ`) is rejected.
///
/// ```
/// use vietnamese::doc_number_key;
/// assert_eq!(doc_number_key("Số: 05/2016/QĐ-UBND").as_deref(), Some("5/2016/qd-ubnd"));
/// assert_eq!(doc_number_key("05 / 2016 / QĐ \u{2013} UBND").as_deref(), Some("5/2016/qd-ubnd"));
/// assert_eq!(doc_number_key("Quyết định số 05/2016/QĐ-UBND"), None);
/// assert_eq!(doc_number_key("12/QĐ"), None);
/// ```
pub fn doc_number_key(text: &str) -> Option<String> {
    doc_number::key_of_canonical(&canonicalize(text))
}

/// The three text forms of one input, computed once.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TextForms {
    /// Canonical text ([`canonicalize`]).
    pub canonical: String,
    /// Exact search form ([`exact_form`]).
    pub exact: String,
    /// Folded search form ([`fold_form`]).
    pub fold: String,
}

impl TextForms {
    /// Document-number key of the text ([`doc_number_key`]), from the
    /// canonical form already computed.
    pub fn doc_number_key(&self) -> Option<String> {
        doc_number::key_of_canonical(&self.canonical)
    }
}

/// Canonical, exact and fold forms of raw text; the same as calling
/// [`canonicalize`], [`exact_form`] and [`fold_form`], at a third of the
/// cost.
pub fn forms(text: &str) -> TextForms {
    let canonical = canonicalize(text);
    let exact = settle(search_form::exact_from_canonical(&canonical), |e| {
        search_form::exact_from_canonical(&canonicalize(e))
    });
    let fold = settle_fold(search_form::fold_from_exact(&exact));
    TextForms {
        canonical,
        exact,
        fold,
    }
}

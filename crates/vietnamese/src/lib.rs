//! Vietnamese text pipeline (placeholder signatures; the full pipeline replaces these bodies).

use unicode_normalization::UnicodeNormalization;

/// Canonical text: what is stored for display and snippets (NFC, invisible characters removed, ...).
pub fn canonicalize(text: &str) -> String {
    text.nfc().collect()
}

/// Exact search form: canonical, lower-cased, tone on the main vowel (new style).
pub fn exact_form(text: &str) -> String {
    canonicalize(text).to_lowercase()
}

/// Folded search form: exact form without diacritics, `đ` → `d`.
pub fn fold_form(text: &str) -> String {
    exact_form(text)
}

/// Document-number key (`Số: 05/2016/QĐ-UBND` → `5/2016/qd-ubnd`), `None` when the text is not a document number.
pub fn doc_number_key(text: &str) -> Option<String> {
    let _ = text;
    None
}

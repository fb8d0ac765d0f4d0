//! Snippets: the passage of the original (canonical) text with the most
//! query words, and where they are.
//!
//! Words of the text are compared with the folded query words, so `van ban`
//! highlights `văn bản` and `VĂN BẢN` in the text as it was written.

use serde::Serialize;
use unicode_normalization::char::decompose_canonical;

/// Words in a snippet.
const WINDOW_WORDS: usize = 28;
/// Most bytes of text scanned for a snippet.
const MAX_SCAN_BYTES: usize = 2 << 20;

/// A passage with highlighted matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The passage, canonical text; `…` where it was cut.
    pub text: String,
    /// Byte ranges `[start, end)` of `text` that match query words.
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The passage with matches between `open` and `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 8 * self.highlights.len());
        let mut at = 0;
        for &(s, e) in &self.highlights {
            if let (Some(before), Some(word)) = (self.text.get(at..s), self.text.get(s..e)) {
                out.push_str(before);
                out.push_str(open);
                out.push_str(word);
                out.push_str(close);
                at = e;
            }
        }
        out.push_str(self.text.get(at..).unwrap_or(""));
        out
    }
}

/// Folds one word of canonical text the way the fold form does: lower
/// case, no diacritics, `đ` → `d`.
pub fn fold_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_word_into(word, &mut out);
    out
}

/// [`fold_word`] into a buffer (cleared first), without allocating once it
/// is large enough.
fn fold_word_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    for c in word.chars() {
        if matches!(c, 'đ' | 'Đ') {
            out.push('d');
            continue;
        }
        let mut base = None;
        decompose_canonical(c, |d| {
            if base.is_none() {
                base = Some(d);
            }
        });
        out.extend(base.unwrap_or(c).to_lowercase());
    }
}

/// The query words a snippet highlights: a word typed without diacritics
/// highlights every spelling of it (`ban`: `bàn`, `bản`, `BAN`); a word
/// typed with them highlights that word only (`tài`, not `tại`), unless the
/// text has none of them, as in a text written without diacritics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    /// Folded words typed without diacritics, sorted.
    pub plain: Vec<String>,
    /// Exact forms of words typed with diacritics, sorted.
    pub exact: Vec<String>,
}

impl Terms {
    /// Every query word folded, sorted.
    fn all_folded(&self) -> Vec<String> {
        let mut all = self.plain.clone();
        all.extend(self.exact.iter().map(|e| fold_word(e)));
        all.sort();
        all.dedup();
        all
    }
}

/// The best passage of `text` for the query words `terms`.
pub fn snippet(text: &str, terms: &Terms) -> Snippet {
    let strict = passage(text, &terms.plain, &terms.exact);
    if !strict.highlights.is_empty() || terms.exact.is_empty() {
        return strict;
    }
    passage(text, &terms.all_folded(), &[])
}

/// The best passage for folded words `plain` and exact words `exact` (both
/// sorted).
fn passage(text: &str, plain: &[String], exact: &[String]) -> Snippet {
    let exact_folds: Vec<String> = {
        let mut f: Vec<String> = exact.iter().map(|e| fold_word(e)).collect();
        f.sort();
        f
    };
    let terms_len = plain.len() + exact.len();
    let mut end = text.len().min(MAX_SCAN_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let scanned = &text[..end];
    let mut folded = String::new();
    let words: Vec<(usize, usize, Option<usize>)> = vietnamese::words(scanned)
        .map(|w| {
            let start = w.as_ptr() as usize - scanned.as_ptr() as usize;
            fold_word_into(w, &mut folded);
            let term = match plain.binary_search(&folded) {
                Ok(i) => Some(i),
                // The exact form only of words that fold like an exact term.
                Err(_) if exact_folds.binary_search(&folded).is_ok() => exact
                    .binary_search(&vietnamese::exact_form(w))
                    .ok()
                    .map(|i| plain.len() + i),
                Err(_) => None,
            };
            (start, start + w.len(), term)
        })
        .collect();
    if words.is_empty() {
        return Snippet::default();
    }
    // The window with the most distinct query words, then the most matches.
    let mut best = (0usize, 0usize, 0usize);
    let mut counts = vec![0usize; terms_len];
    let (mut distinct, mut total) = (0usize, 0usize);
    for i in 0..words.len() {
        if let Some(t) = words[i].2 {
            if counts[t] == 0 {
                distinct += 1;
            }
            counts[t] += 1;
            total += 1;
        }
        if i >= WINDOW_WORDS
            && let Some(t) = words[i - WINDOW_WORDS].2
        {
            counts[t] -= 1;
            if counts[t] == 0 {
                distinct -= 1;
            }
            total -= 1;
        }
        let start = (i + 1).saturating_sub(WINDOW_WORDS);
        if (distinct, total) > (best.1, best.2) {
            best = (start, distinct, total);
        }
    }
    let first = best.0;
    let last = (first + WINDOW_WORDS).min(words.len()) - 1;
    let from = if first == 0 { 0 } else { words[first].0 };
    // Keep the closing punctuation when the window reaches the end.
    let to = if last + 1 == words.len() {
        scanned.trim_end().len()
    } else {
        words[last].1
    };
    let mut out = Snippet::default();
    if first > 0 {
        out.text.push('…');
    }
    let base = out.text.len();
    out.text.push_str(&scanned[from..to]);
    for &(s, e, term) in &words[first..=last] {
        if term.is_some() {
            out.highlights.push((base + s - from, base + e - from));
        }
    }
    if last + 1 < words.len() || end < text.len() {
        out.text.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(t: &[&str]) -> Terms {
        let mut plain: Vec<String> = t.iter().map(|s| s.to_string()).collect();
        plain.sort();
        Terms {
            plain,
            exact: Vec::new(),
        }
    }

    #[test]
    fn words_typed_with_diacritics_highlight_that_word_only() {
        let t = Terms {
            plain: vec!["gia".into()],
            exact: vec!["sản".into(), "tài".into()],
        };
        let s = snippet("Tài sản tại gia, TÀI SẢN", &t);
        assert_eq!(s.marked("[", "]"), "[Tài] [sản] tại [gia], [TÀI] [SẢN]");
        // A text without diacritics still shows where the words are.
        let s = snippet("tai san cua ho", &t);
        assert_eq!(s.marked("[", "]"), "[tai] [san] cua ho");
    }

    #[test]
    fn folded_query_highlights_the_original_words() {
        let s = snippet("Quy định về VĂN BẢN điện tử.", &terms(&["van", "ban"]));
        assert_eq!(s.marked("[", "]"), "Quy định về [VĂN] [BẢN] điện tử.");
    }

    #[test]
    fn the_window_with_most_query_words_is_chosen() {
        let text = format!(
            "{} chữ ký số ở đây {}",
            "lời ".repeat(100),
            "cuối ".repeat(100)
        );
        let s = snippet(&text, &terms(&["chu", "ky", "so"]));
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(s.highlights.len(), 3);
        assert!(s.marked("<", ">").contains("<chữ> <ký> <số>"));
    }

    #[test]
    fn fold_word_matches_the_fold_form() {
        for w in ["Điều", "hoà", "thuỷ", "QĐ", "ƯỚC", "UBND", "2016"] {
            assert_eq!(fold_word(w), vietnamese::fold_form(w), "{w}");
        }
    }

    #[test]
    fn empty_text_gives_an_empty_snippet() {
        assert_eq!(snippet("", &terms(&["a"])), Snippet::default());
        assert_eq!(snippet(" ,. ", &Terms::default()), Snippet::default());
    }
}

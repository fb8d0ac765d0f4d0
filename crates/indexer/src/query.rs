//! Search requests and how query text is understood.
//!
//! Query text goes through the same Vietnamese pipeline as the documents and
//! is turned into a [`ParsedQuery`]: words (each with its exact and folded
//! form), quoted phrases and document numbers. Nothing of it is given to a
//! query-language parser, so operators, unbalanced quotes and punctuation are
//! only text.

use serde::Serialize;

/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most words of a query used for matching; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 64;
/// Most results one request may ask for.
pub const MAX_LIMIT: usize = 1000;
/// Deepest result a request may reach (`offset + limit`): matches are
/// ranked and counted exactly this far
/// ([`TOTAL_EXACT_UP_TO`](crate::TOTAL_EXACT_UP_TO)).
pub const MAX_WINDOW: usize = 10_000;

/// Result order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest date of issue first (records without a date last).
    Date,
}

/// Filters that restrict results without changing their ranking.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Filters {
    /// Issued on or after this date.
    pub from: Option<time::Date>,
    /// Issued on or before this date.
    pub to: Option<time::Date>,
    /// Document type (`Quyết định`, `quyet dinh`).
    pub doc_type: Option<String>,
    /// Issuing agency: words of its name (`nam dinh`) or its code.
    pub agency: Option<String>,
    /// Dossier reference.
    pub dossier: Option<String>,
    /// Urgency (`Khẩn`, `hoa toc`).
    pub urgency: Option<String>,
    /// Kind (`incoming`, `outgoing`, `internal`).
    pub kind: Option<String>,
}

impl Filters {
    /// Whether any filter is set.
    pub fn any(&self) -> bool {
        self.from.is_some()
            || self.to.is_some()
            || self.doc_type.is_some()
            || self.agency.is_some()
            || self.dossier.is_some()
            || self.urgency.is_some()
            || self.kind.is_some()
    }
}

/// One search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchRequest {
    /// Query text as typed.
    pub text: String,
    /// Filters.
    pub filters: Filters,
    /// Order.
    pub sort: SortOrder,
    /// Most results.
    pub limit: usize,
    /// Best results skipped before those returned (paging).
    pub offset: usize,
    /// Whether to compute snippets.
    pub snippets: bool,
    /// Whether to compute facets.
    pub facets: bool,
}

impl SearchRequest {
    /// A request for `text`, ten results by relevance, with snippets and
    /// facets.
    pub fn new(text: impl Into<String>) -> Self {
        SearchRequest {
            text: text.into(),
            filters: Filters::default(),
            sort: SortOrder::Relevance,
            limit: 10,
            offset: 0,
            snippets: true,
            facets: true,
        }
    }
}

/// Why a query cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Nothing to search for and no filter.
    #[error("empty query: give words to search for, a document number or a filter")]
    Empty,
    /// Longer than [`MAX_QUERY_BYTES`].
    #[error("query of {0} bytes is too long: at most {MAX_QUERY_BYTES} bytes")]
    TooLong(usize),
    /// A limit of zero or over [`MAX_LIMIT`].
    #[error("limit must be between 1 and {MAX_LIMIT}, not {0}")]
    BadLimit(usize),
    /// `offset + limit` past [`MAX_WINDOW`].
    #[error(
        "results past the first {MAX_WINDOW} cannot be paged to (offset {offset} + limit {limit}): narrow the query"
    )]
    TooDeep {
        /// Results skipped.
        offset: usize,
        /// Results asked for.
        limit: usize,
    },
    /// `from` after `to`.
    #[error("the date range is empty: --from {from} is after --to {to}")]
    EmptyDateRange {
        /// Start.
        from: time::Date,
        /// End.
        to: time::Date,
    },
}

/// A query word in its two search forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueryWord {
    /// Exact form (`bản`).
    pub exact: String,
    /// Folded form (`ban`).
    pub fold: String,
}

impl QueryWord {
    /// Whether the word was typed with diacritics (then its exact form is
    /// searched too, and ranks first).
    pub fn has_diacritics(&self) -> bool {
        self.exact != self.fold
    }
}

/// A quoted phrase: its words in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Phrase {
    /// Words.
    pub words: Vec<QueryWord>,
    /// Folded pairs of its words that the query separates by spaces only
    /// (`van ban`): a match must have these pairs too, so a phrase is not
    /// found across punctuation (`… văn. Bản …`) and the index reads the
    /// positions of its words only in records that have the pairs.
    pub pairs: Vec<String>,
}

impl Phrase {
    /// Whether any word of the phrase has diacritics: then the phrase is
    /// matched on the exact form.
    pub fn has_diacritics(&self) -> bool {
        self.words.iter().any(QueryWord::has_diacritics)
    }
}

/// What a query text means.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedQuery {
    /// Words outside quotes, in order.
    pub words: Vec<QueryWord>,
    /// Folded adjacent word pairs outside quotes (`van ban`).
    pub pairs: Vec<String>,
    /// Quoted phrases (all must match).
    pub phrases: Vec<Phrase>,
    /// Document-number keys (`5/2016/qd-ubnd`).
    pub doc_keys: Vec<String>,
    /// Partial document numbers (`5/2016`, `qd-ubnd`).
    pub doc_parts: Vec<String>,
    /// Words beyond [`MAX_QUERY_WORDS`] that were ignored.
    pub ignored_words: usize,
}

impl ParsedQuery {
    /// Whether there is nothing to match.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
            && self.phrases.is_empty()
            && self.doc_keys.is_empty()
            && self.doc_parts.is_empty()
    }

    /// The words to highlight: folded when typed without diacritics, exact
    /// when typed with them.
    pub fn highlight_terms(&self) -> crate::snippet::Terms {
        let mut t = crate::snippet::Terms::default();
        for w in self
            .words
            .iter()
            .chain(self.phrases.iter().flat_map(|p| p.words.iter()))
        {
            if w.has_diacritics() {
                t.exact.push(w.exact.clone());
            } else {
                t.plain.push(w.fold.clone());
            }
        }
        for v in [&mut t.plain, &mut t.exact] {
            v.sort();
            v.dedup();
        }
        t
    }
}

const QUOTES: &[char] = &['"', '“', '”', '„', '«', '»'];

/// Checks a request and parses its text.
pub fn parse(request: &SearchRequest) -> Result<ParsedQuery, QueryError> {
    if request.limit == 0 || request.limit > MAX_LIMIT {
        return Err(QueryError::BadLimit(request.limit));
    }
    if request.offset.saturating_add(request.limit) > MAX_WINDOW {
        return Err(QueryError::TooDeep {
            offset: request.offset,
            limit: request.limit,
        });
    }
    if let (Some(from), Some(to)) = (request.filters.from, request.filters.to)
        && from > to
    {
        return Err(QueryError::EmptyDateRange { from, to });
    }
    if request.text.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong(request.text.len()));
    }
    let parsed = parse_text(&request.text);
    if parsed.is_empty() && request.text.trim().is_empty() && !request.filters.any() {
        return Err(QueryError::Empty);
    }
    Ok(parsed)
}

/// Parses query text (no length check).
pub fn parse_text(text: &str) -> ParsedQuery {
    let canonical = vietnamese::canonicalize(text);
    let mut q = ParsedQuery::default();
    // Split into quoted and unquoted runs; an unbalanced last quote is text.
    let quotes = canonical.matches(QUOTES).count();
    let mut runs: Vec<(bool, &str)> = Vec::new();
    if quotes >= 2 {
        let balanced = quotes - quotes % 2;
        let mut seen = 0;
        let mut start = 0;
        let mut inside = false;
        for (i, c) in canonical.char_indices() {
            if QUOTES.contains(&c) && seen < balanced {
                seen += 1;
                runs.push((inside, &canonical[start..i]));
                inside = !inside;
                start = i + c.len_utf8();
            }
        }
        runs.push((false, &canonical[start..]));
    } else {
        runs.push((false, &canonical));
    }
    let whole_key = vietnamese::doc_number_key(&canonical);
    if let Some(k) = whole_key.clone() {
        q.doc_keys.push(k);
    }
    let mut budget = MAX_QUERY_WORDS;
    for (quoted, run) in runs {
        let forms = vietnamese::forms(run);
        let words = query_words(&forms);
        let words_in_run = words.len();
        let taken = words.len().min(budget);
        q.ignored_words += words.len() - taken;
        budget -= taken;
        let words: Vec<QueryWord> = words.into_iter().take(taken).collect();
        if quoted {
            if !words.is_empty() {
                // Pairs only of a phrase kept whole.
                let pairs = if taken == words_in_run {
                    vietnamese::syllable_bigrams(&forms.fold)
                } else {
                    Vec::new()
                };
                q.phrases.push(Phrase { words, pairs });
            }
            continue;
        }
        q.pairs.extend(
            vietnamese::syllable_bigrams(&forms.fold)
                .into_iter()
                .take(MAX_QUERY_WORDS),
        );
        q.words.extend(words);
        if whole_key.is_none() {
            for token in run.split_whitespace() {
                detect_doc_number(token, &mut q);
            }
        }
    }
    q.doc_keys.dedup();
    q.doc_parts.sort();
    q.doc_parts.dedup();
    q
}

fn query_words(forms: &vietnamese::TextForms) -> Vec<QueryWord> {
    let exact: Vec<&str> = vietnamese::words(&forms.exact).collect();
    let fold: Vec<&str> = vietnamese::words(&forms.fold).collect();
    if exact.len() == fold.len() {
        exact
            .into_iter()
            .zip(fold)
            .map(|(e, f)| QueryWord {
                exact: e.to_string(),
                fold: f.to_string(),
            })
            .collect()
    } else {
        exact
            .into_iter()
            .map(|e| QueryWord {
                exact: e.to_string(),
                fold: vietnamese::fold_form(e),
            })
            .collect()
    }
}

/// A whole document number, `NUMBER/YEAR`, or a notation (`QĐ-UBND`).
fn detect_doc_number(token: &str, q: &mut ParsedQuery) {
    let token = token.trim_matches(|c: char| !c.is_alphanumeric());
    if token.is_empty() {
        return;
    }
    if let Some(k) = vietnamese::doc_number_key(token) {
        q.doc_keys.push(k);
        return;
    }
    if let Some((n, y)) = token.split_once('/')
        && !n.is_empty()
        && n.len() <= 11
        && n.bytes().all(|b| b.is_ascii_digit())
        && y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
    {
        let n = n.trim_start_matches('0');
        if !n.is_empty() {
            q.doc_parts.push(format!("{n}/{y}"));
        }
        return;
    }
    let fold = vietnamese::fold_form(token);
    let groups: Vec<&str> = fold.split('-').collect();
    if groups.len() >= 2
        && fold.len() <= 30
        && groups.iter().all(|g| {
            !g.is_empty()
                && g.starts_with(|c: char| c.is_ascii_alphabetic())
                && g.chars().all(|c| c.is_ascii_alphanumeric())
        })
    {
        q.doc_parts.push(fold);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folds(words: &[QueryWord]) -> Vec<&str> {
        words.iter().map(|w| w.fold.as_str()).collect()
    }

    #[test]
    fn words_keep_both_forms() {
        let q = parse_text("Văn bản dien tu");
        assert_eq!(folds(&q.words), ["van", "ban", "dien", "tu"]);
        assert!(q.words[0].has_diacritics());
        assert!(!q.words[2].has_diacritics());
        assert_eq!(q.pairs, ["van ban", "ban dien", "dien tu"]);
    }

    #[test]
    fn nfd_and_old_tone_placement_give_the_same_words() {
        let a = parse_text("hoà giải văn bản");
        let b = parse_text("ho\u{0300}a gia\u{309}i va\u{306}n ba\u{309}n");
        let c = parse_text("hòa giải văn bản");
        assert_eq!(a.words, b.words);
        assert_eq!(a.words, c.words);
    }

    #[test]
    fn quoted_phrases_are_separate() {
        let q = parse_text("quy chế \"chữ ký số\" tỉnh");
        assert_eq!(folds(&q.words), ["quy", "che", "tinh"]);
        assert_eq!(q.phrases.len(), 1);
        assert_eq!(folds(&q.phrases[0].words), ["chu", "ky", "so"]);
    }

    #[test]
    fn phrases_carry_the_pairs_the_query_separates_by_spaces() {
        let q = parse_text("\"quyết định 05/2016, về\"");
        assert_eq!(q.phrases[0].pairs, ["quyet dinh", "dinh 05"]);
        let q = parse_text("\"văn\"");
        assert!(q.phrases[0].pairs.is_empty());
    }

    #[test]
    fn unbalanced_quotes_are_text() {
        let q = parse_text("\"chữ ký \"số");
        assert_eq!(folds(&q.phrases[0].words), ["chu", "ky"]);
        assert_eq!(folds(&q.words), ["so"]);
        let q = parse_text("chữ \"ký số");
        assert!(q.phrases.is_empty());
        assert_eq!(folds(&q.words), ["chu", "ky", "so"]);
    }

    #[test]
    fn document_numbers_are_detected() {
        assert_eq!(parse_text("05/2016/QĐ-UBND").doc_keys, ["5/2016/qd-ubnd"]);
        assert_eq!(parse_text("5/2016/qd-ubnd").doc_keys, ["5/2016/qd-ubnd"]);
        let q = parse_text("quyết định số 05/2016/QĐ-UBND");
        assert_eq!(q.doc_keys, ["5/2016/qd-ubnd"]);
        assert_eq!(parse_text("05/2016").doc_parts, ["5/2016"]);
        assert_eq!(parse_text("qd-ubnd").doc_parts, ["qd-ubnd"]);
    }

    #[test]
    fn operators_and_punctuation_are_only_text() {
        let q = parse_text("+văn -bản AND (OR) *:~^");
        assert_eq!(folds(&q.words), ["van", "ban", "and", "or"]);
        assert!(parse_text("?!., ;:()[]{}").is_empty());
    }

    #[test]
    fn bad_requests_are_refused() {
        let mut r = SearchRequest::new("  ");
        assert_eq!(parse(&r), Err(QueryError::Empty));
        r.text = "a".repeat(10_000);
        assert_eq!(parse(&r), Err(QueryError::TooLong(10_000)));
        r.text = "x".into();
        r.limit = 0;
        assert_eq!(parse(&r), Err(QueryError::BadLimit(0)));
    }

    #[test]
    fn long_queries_keep_the_first_words() {
        let q = parse_text(&"văn ".repeat(200));
        assert_eq!(q.words.len(), MAX_QUERY_WORDS);
        assert_eq!(q.ignored_words, 200 - MAX_QUERY_WORDS);
    }
}

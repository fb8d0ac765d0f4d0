//! The tantivy schema and the tokenizers that read Vietnamese search forms.
//!
//! Text reaches the index already through the Vietnamese pipeline
//! ([`vietnamese::forms`]): `*_exact` fields hold the exact form (lower
//! case, tones on the main vowel), `*_fold` fields the folded form (no
//! diacritics) and `*_pairs` fields the folded form read as syllable pairs
//! (`văn bản` → `van ban`). The pipeline runs once per text; the two
//! tokenizers only split a form into words ([`vietnamese::words`]) or
//! adjacent pairs ([`vietnamese::word_pairs`]), so queries built from the
//! same forms meet the same terms.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name of the tokenizer that splits a search form into words.
pub const WORDS_TOKENIZER: &str = "kho_words";
/// Name of the tokenizer that splits a search form into adjacent word pairs.
pub const PAIRS_TOKENIZER: &str = "kho_pairs";

/// Splits a search form into words, one position each.
#[derive(Clone, Default)]
pub struct WordsTokenizer {
    tokens: Vec<Token>,
}

/// Splits a search form into pairs of adjacent words (`"van ban"`), one
/// position per pair.
#[derive(Clone, Default)]
pub struct PairsTokenizer {
    tokens: Vec<Token>,
}

/// The tokens of one text, handed out one by one.
pub struct VecTokenStream<'a> {
    /// The tokens, then one default token so that `token()` always has
    /// something to return.
    tokens: &'a mut Vec<Token>,
    len: usize,
    next: usize,
}

impl<'a> VecTokenStream<'a> {
    fn new(tokens: &'a mut Vec<Token>) -> Self {
        let len = tokens.len();
        tokens.push(Token::default());
        VecTokenStream {
            tokens,
            len,
            next: 0,
        }
    }

    fn current(&self) -> usize {
        // Before the first `advance` and after the last, the sentinel.
        if self.next == 0 {
            self.len
        } else {
            (self.next - 1).min(self.len)
        }
    }
}

impl TokenStream for VecTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.len {
            self.next += 1;
            true
        } else {
            self.next = self.len + 1;
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.current()]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self.current();
        &mut self.tokens[i]
    }
}

fn offset_in(text: &str, part: &str) -> usize {
    part.as_ptr() as usize - text.as_ptr() as usize
}

/// Sets the `n`th token of `tokens` (reusing its text buffer: tokenizing a
/// large body then allocates once per distinct buffer, not once per word).
fn set_token(tokens: &mut Vec<Token>, n: usize, from: usize, to: usize, parts: &[&str]) {
    if n == tokens.len() {
        tokens.push(Token::default());
    }
    let t = &mut tokens[n];
    t.offset_from = from;
    t.offset_to = to;
    t.position = n;
    t.position_length = 1;
    t.text.clear();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            t.text.push(' ');
        }
        t.text.push_str(p);
    }
}

impl Tokenizer for WordsTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        let mut n = 0;
        for word in vietnamese::words(text) {
            let from = offset_in(text, word);
            set_token(&mut self.tokens, n, from, from + word.len(), &[word]);
            n += 1;
        }
        self.tokens.truncate(n);
        VecTokenStream::new(&mut self.tokens)
    }
}

impl Tokenizer for PairsTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        let mut n = 0;
        for (a, b) in vietnamese::word_pairs(text) {
            let (from, to) = (offset_in(text, a), offset_in(text, b) + b.len());
            set_token(&mut self.tokens, n, from, to, &[a, b]);
            n += 1;
        }
        self.tokens.truncate(n);
        VecTokenStream::new(&mut self.tokens)
    }
}

fn token_texts<T: Tokenizer>(mut tokenizer: T, text: &str) -> Vec<String> {
    let mut stream = tokenizer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The terms an `*_exact` or `*_fold` field gets from a search form.
pub fn word_tokens(form: &str) -> Vec<String> {
    token_texts(WordsTokenizer::default(), form)
}

/// The terms a `*_pairs` field gets from a folded form.
pub fn pair_tokens(form: &str) -> Vec<String> {
    token_texts(PairsTokenizer::default(), form)
}

/// Registers the Kho tokenizers on an index (needed after every open).
pub fn register_tokenizers(index: &tantivy::Index) {
    let manager = index.tokenizers();
    manager.register(WORDS_TOKENIZER, WordsTokenizer::default());
    manager.register(PAIRS_TOKENIZER, PairsTokenizer::default());
}

/// A searchable text in its three indexed forms.
#[derive(Clone, Copy, Debug)]
pub struct TextFields {
    /// Exact form, words with positions.
    pub exact: Field,
    /// Folded form, words with positions.
    pub fold: Field,
    /// Folded form, adjacent word pairs.
    pub pairs: Field,
}

/// The fields of the Kho index.
#[derive(Clone, Debug)]
pub struct KhoSchema {
    /// The tantivy schema.
    pub schema: Schema,
    /// Record id (UUID text), indexed as one term, stored, fast.
    pub record_id: Field,
    /// Manifest version indexed, stored.
    pub version: Field,
    /// BLAKE3 of the indexed manifest version (drift: stale records).
    pub manifest: Field,
    /// Title (canonical text), stored.
    pub title: Field,
    /// Summary (trích yếu, canonical text), stored.
    pub summary: Field,
    /// Body text extracted from the files (canonical), stored for snippets.
    pub body: Field,
    /// Title forms.
    pub title_text: TextFields,
    /// Summary forms.
    pub summary_text: TextFields,
    /// Body forms.
    pub body_text: TextFields,
    /// Document number as written, stored.
    pub doc_number: Field,
    /// Document-number key (`5/2016/qd-ubnd`), one term.
    pub doc_key: Field,
    /// Parts of the key: `5/2016`, `qd-ubnd`, `5`, one term each.
    pub doc_parts: Field,
    /// Document type as written, stored and fast (facets).
    pub doc_type: Field,
    /// Folded document type, one term (filters).
    pub type_key: Field,
    /// Issuing agency as written, stored and fast (facets).
    pub agency: Field,
    /// Folded agency name and code, words (filters).
    pub agency_words: Field,
    /// Date of issue as `YYYY-MM-DD`, stored.
    pub issued_on: Field,
    /// Date of issue as days since 1970-01-01, `i64::MIN` when unknown:
    /// indexed (date filters) and fast (sort by date).
    pub sort_date: Field,
    /// Year of issue, fast (facets).
    pub year: Field,
    /// Dossier (hồ sơ) reference, one term, fast, stored.
    pub dossier: Field,
    /// Folded urgency (độ khẩn), one term, fast, stored.
    pub urgency: Field,
    /// Kind (incoming, outgoing, internal), one term, fast, stored.
    pub kind: Field,
    /// JSON report of the extraction of every file, stored.
    pub extraction: Field,
}

fn text_options(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    )
}

impl KhoSchema {
    /// Builds the schema.
    pub fn build() -> KhoSchema {
        let mut b = Schema::builder();
        let words = text_options(WORDS_TOKENIZER, IndexRecordOption::WithFreqsAndPositions);
        let pairs = text_options(PAIRS_TOKENIZER, IndexRecordOption::WithFreqs);
        let mut text = |name: &str| TextFields {
            exact: b.add_text_field(&format!("{name}_exact"), words.clone()),
            fold: b.add_text_field(&format!("{name}_fold"), words.clone()),
            pairs: b.add_text_field(&format!("{name}_pairs"), pairs.clone()),
        };
        let title_text = text("title");
        let summary_text = text("summary");
        let body_text = text("body");
        KhoSchema {
            record_id: b.add_text_field("record_id", STRING | STORED | FAST),
            version: b.add_u64_field("version", STORED),
            manifest: b.add_text_field("manifest", STORED),
            title: b.add_text_field("title", STORED),
            summary: b.add_text_field("summary", STORED),
            body: b.add_text_field("body", STORED),
            title_text,
            summary_text,
            body_text,
            doc_number: b.add_text_field("doc_number", STORED),
            doc_key: b.add_text_field("doc_key", STRING | STORED),
            doc_parts: b.add_text_field("doc_parts", STRING),
            doc_type: b.add_text_field("doc_type", STRING | STORED | FAST),
            type_key: b.add_text_field("type_key", STRING),
            agency: b.add_text_field("agency", STRING | STORED | FAST),
            agency_words: b.add_text_field("agency_words", words.clone()),
            issued_on: b.add_text_field("issued_on", STORED),
            sort_date: b.add_i64_field("sort_date", INDEXED | FAST),
            year: b.add_u64_field("year", INDEXED | FAST),
            dossier: b.add_text_field("dossier", STRING | STORED | FAST),
            urgency: b.add_text_field("urgency", STRING | STORED | FAST),
            kind: b.add_text_field("kind", STRING | STORED | FAST),
            extraction: b.add_text_field("extraction", STORED),
            schema: b.build(),
        }
    }

    /// The schema fields of an index opened with this schema, or an error
    /// when the index was built with another one.
    pub fn matches(&self, other: &Schema) -> bool {
        self.schema == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<T: Tokenizer>(mut t: T, input: &str) -> Vec<(String, usize, usize, usize)> {
        let mut s = t.token_stream(input);
        let mut out = Vec::new();
        while s.advance() {
            let k = s.token();
            out.push((k.text.clone(), k.position, k.offset_from, k.offset_to));
        }
        out
    }

    #[test]
    fn words_have_positions_and_offsets() {
        let f = vietnamese::forms("Văn bản, điện tử");
        assert_eq!(
            texts(WordsTokenizer::default(), &f.fold),
            [
                ("van".to_string(), 0, 0, 3),
                ("ban".to_string(), 1, 4, 7),
                ("dien".to_string(), 2, 9, 13),
                ("tu".to_string(), 3, 14, 16)
            ]
        );
    }

    #[test]
    fn pairs_do_not_cross_punctuation() {
        let f = vietnamese::forms("Văn bản, điện tử");
        let pairs: Vec<String> = texts(PairsTokenizer::default(), &f.fold)
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(pairs, ["van ban", "dien tu"]);
    }

    #[test]
    fn empty_text_gives_no_tokens() {
        assert!(texts(WordsTokenizer::default(), "").is_empty());
        assert!(texts(PairsTokenizer::default(), " , ").is_empty());
    }
}

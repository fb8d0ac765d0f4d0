//! What the search benchmarks share: the law-article corpus, query variants
//! (no diacritics, NFD, the other tone placement, legacy-encoded mojibake),
//! ranking metrics, and the two engines under test: Kho's indexer (its real
//! schema, analysers and query builder, through [`SearchBackend`]) and
//! SQLite FTS5 (`unicode61 remove_diacritics 2`, BM25, words OR-ed).

use std::collections::HashMap;
use std::path::Path;

use indexer::extract::Extraction;
use indexer::{
    Filters, IndexChange, IndexPosition, POSITION_FORMAT, RecordDoc, SearchBackend, SearchRequest,
    SortOrder, TantivyBackend,
};
use unicode_normalization::UnicodeNormalization;
use vietnamese::LegacyEncoding;

pub type BoxError = Box<dyn std::error::Error>;

/// One article of a law, as `scripts/fetch-search-corpus.py` writes it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Article {
    /// Name of the law (`Bộ luật dân sự 2015`).
    pub law: String,
    /// Article number within the law.
    pub article: String,
    /// Article title (`Phạm vi điều chỉnh`).
    pub title: String,
    /// Article text, without its title line.
    pub body: String,
}

/// The value after `name` on a subcommand's command line.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// `--corpus FILE`, by default where `scripts/fetch-search-corpus.py` writes it.
pub fn corpus_arg(args: &[String]) -> std::path::PathBuf {
    std::path::PathBuf::from(
        arg(args, "--corpus").unwrap_or_else(|| "target/search-corpus/articles.jsonl".to_string()),
    )
}

/// Reads the JSON-lines corpus.
pub fn load_articles(path: &Path) -> Result<Vec<Article>, BoxError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e} (run scripts/fetch-search-corpus.py first)",
            path.display()
        )
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let a: Article = serde_json::from_str(line)
            .map_err(|e| format!("{}: line {}: {e}", path.display(), i + 1))?;
        out.push(a);
    }
    Ok(out)
}

/// A document as both engines receive it.
#[derive(Clone, Debug, Default)]
pub struct EvalDoc {
    /// Title, if any.
    pub title: Option<String>,
    /// Text.
    pub body: String,
    /// Document number.
    pub doc_number: Option<String>,
    /// Document type (a name such as `Quyết định`).
    pub doc_type: Option<String>,
    /// Issuing agency.
    pub agency: Option<String>,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued_on: Option<String>,
}

/// A small deterministic generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------- variants

fn is_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

/// The query without diacritics, as typed on a keyboard without a
/// Vietnamese input method (case kept, `đ` → `d`).
pub fn strip_diacritics(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .nfc()
        .collect()
}

/// The query in Unicode NFD (as some macOS and web forms send it).
pub fn nfd(text: &str) -> String {
    text.nfd().collect()
}

const TONES: [char; 5] = ['\u{0300}', '\u{0301}', '\u{0303}', '\u{0309}', '\u{0323}'];

/// The other tone placement for open syllables ending in `oa`, `oe`, `uy`
/// (not `quy`): `hoà` ↔ `hòa`, `khoẻ` ↔ `khỏe`, `thuỷ` ↔ `thủy`. Other
/// words are unchanged.
pub fn swap_tone_placement(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphabetic() || is_mark(c) {
            word.push(c);
        } else {
            out.push_str(&swap_word(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&swap_word(&word));
    out
}

fn swap_word(word: &str) -> String {
    // Letters as (base, marks) in NFD.
    let mut letters: Vec<(char, Vec<char>)> = Vec::new();
    for c in word.nfd() {
        if is_mark(c) {
            if let Some(last) = letters.last_mut() {
                last.1.push(c);
            }
        } else {
            letters.push((c, Vec::new()));
        }
    }
    let n = letters.len();
    if n < 2 {
        return word.to_string();
    }
    let lower = |i: usize| letters[i].0.to_lowercase().next().unwrap_or(letters[i].0);
    let (x, y) = (lower(n - 2), lower(n - 1));
    let pair = (x == 'o' && (y == 'a' || y == 'e'))
        || (x == 'u' && y == 'y' && (n < 3 || lower(n - 3) != 'q'));
    let tone_of = |marks: &[char]| marks.iter().position(|m| TONES.contains(m));
    if !pair
        || letters[n - 1].1.iter().any(|m| !TONES.contains(m))
        || letters[n - 2].1.iter().any(|m| !TONES.contains(m))
    {
        return word.to_string();
    }
    match (tone_of(&letters[n - 2].1), tone_of(&letters[n - 1].1)) {
        (Some(i), None) => {
            let t = letters[n - 2].1.remove(i);
            letters[n - 1].1.push(t);
        }
        (None, Some(i)) => {
            let t = letters[n - 1].1.remove(i);
            letters[n - 2].1.push(t);
        }
        _ => return word.to_string(),
    }
    let mut s = String::new();
    for (b, marks) in letters {
        s.push(b);
        s.extend(marks);
    }
    s.nfc().collect()
}

/// Encodes text with a legacy table and reads the bytes back as
/// windows-1252: the mojibake of legacy text pasted into a Unicode field.
/// Built by inverting the `vietnamese` crate's decoding tables.
pub struct LegacyEncoder {
    map: HashMap<char, Vec<u8>>,
}

impl LegacyEncoder {
    pub fn new(encoding: LegacyEncoding) -> LegacyEncoder {
        let mut map: HashMap<char, Vec<u8>> = HashMap::new();
        let mut learn = |bytes: &[u8]| {
            if let Some(s) = encoding.decode(bytes) {
                let s: String = s.nfc().collect();
                let mut chars = s.chars();
                if let (Some(c), None) = (chars.next(), chars.next())
                    && !c.is_ascii()
                {
                    map.entry(c).or_insert_with(|| bytes.to_vec());
                }
            }
        };
        for b in 0x80..=0xFFu8 {
            learn(&[b]);
        }
        for a in 0x20..=0xFFu8 {
            for b in 0x80..=0xFFu8 {
                learn(&[a, b]);
            }
        }
        LegacyEncoder { map }
    }

    /// Legacy bytes of `text`; a letter the table lacks is written in lower
    /// case (TCVN3 has no toned capitals: documents used an upper-case font
    /// for them), `None` if even that is missing.
    pub fn encode(&self, text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(text.len());
        for c in text.nfc() {
            if c.is_ascii() {
                out.push(c as u8);
            } else if let Some(b) = self.map.get(&c) {
                out.extend_from_slice(b);
            } else {
                let l = c.to_lowercase().next()?;
                out.extend_from_slice(self.map.get(&l)?);
            }
        }
        Some(out)
    }

    /// The mojibake of `text`: its legacy bytes read as windows-1252.
    pub fn mojibake(&self, text: &str) -> Option<String> {
        let bytes = self.encode(text)?;
        let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
        Some(s.into_owned())
    }
}

// ----------------------------------------------------------------- metrics

/// Reciprocal rank and recall at `k` of one ranked list.
pub fn rr_and_recall(ranked: &[usize], relevant: &[usize], k: usize) -> (f64, f64) {
    let top = &ranked[..ranked.len().min(k)];
    let rr = top
        .iter()
        .position(|d| relevant.contains(d))
        .map_or(0.0, |i| 1.0 / (i + 1) as f64);
    let found = relevant.iter().filter(|r| top.contains(r)).count();
    let recall = if relevant.is_empty() {
        0.0
    } else {
        found as f64 / relevant.len() as f64
    };
    (rr, recall)
}

/// MRR@k and Recall@k over queries: each is (ranked docs, relevant docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quality {
    pub mrr: f64,
    pub recall: f64,
    pub queries: usize,
}

impl Quality {
    pub fn of(runs: &[(Vec<usize>, Vec<usize>)], k: usize) -> Quality {
        let mut q = Quality::default();
        for (ranked, relevant) in runs {
            let (rr, recall) = rr_and_recall(ranked, relevant, k);
            q.mrr += rr;
            q.recall += recall;
        }
        q.queries = runs.len();
        if q.queries > 0 {
            q.mrr /= q.queries as f64;
            q.recall /= q.queries as f64;
        }
        q
    }
}

// --------------------------------------------------------------------- Kho

/// Kho's indexer: documents go in as [`RecordDoc`]s built from metadata and
/// the text of a file, exactly as a deposited record's are.
pub struct Kho {
    /// Whether searches also count facets (type, year, agency).
    pub facets: bool,
    backend: TantivyBackend,
    seq: u64,
}

/// The record a document becomes.
pub fn record_doc(id: usize, d: &EvalDoc) -> RecordDoc {
    let mut md = serde_json::Map::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            md.insert(k.to_string(), serde_json::Value::String(v.clone()));
        }
    };
    put("title", &d.title);
    put("doc_number", &d.doc_number);
    put("doc_type", &d.doc_type);
    put("issuer", &d.agency);
    put("issued_on", &d.issued_on);
    RecordDoc::new(
        record_id(id),
        1,
        String::new(),
        &serde_json::Value::Object(md),
        vec![(
            "text.txt".to_string(),
            "text/plain".to_string(),
            Extraction {
                extractor: "txt".to_string(),
                text: d.body.clone(),
                notes: Vec::new(),
            },
        )],
    )
}

/// The records of `docs` (ids from `first`), the pipeline on `threads`
/// threads, in order.
pub fn record_docs(
    docs: &[EvalDoc],
    first: usize,
    threads: usize,
) -> Result<Vec<RecordDoc>, BoxError> {
    let per = docs.len().div_ceil(threads.max(1)).max(1);
    let records: Vec<RecordDoc> = std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .chunks(per)
            .enumerate()
            .map(|(c, chunk)| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(i, d)| record_doc(first + c * per + i, d))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if records.len() != docs.len() {
        return Err("a pipeline thread failed".into());
    }
    Ok(records)
}

fn record_id(id: usize) -> String {
    format!("{id:09}")
}

impl Kho {
    /// An index in memory, or on disk in `dir`.
    pub fn new(dir: Option<&Path>) -> Result<Kho, BoxError> {
        let backend = match dir {
            Some(d) => TantivyBackend::open_or_create(d)?,
            None => TantivyBackend::in_memory()?,
        };
        Ok(Kho {
            facets: false,
            backend,
            seq: 0,
        })
    }

    /// Indexes on `threads` threads whatever the size of a change.
    pub fn set_indexing_threads(&mut self, threads: usize) {
        self.backend.set_indexing_threads(threads);
    }

    /// Adds records and commits them.
    pub fn add(&mut self, docs: Vec<RecordDoc>) -> Result<(), BoxError> {
        self.seq += 1;
        self.backend.apply(
            IndexChange {
                upserts: docs,
                ..IndexChange::default()
            },
            IndexPosition {
                format_version: POSITION_FORMAT,
                store_id: "bench".to_string(),
                journal_seq: self.seq,
            },
        )?;
        Ok(())
    }

    /// Ids of the best `limit` documents; a query the builder refuses
    /// (nothing searchable) finds nothing.
    pub fn search(
        &self,
        text: &str,
        filters: &Filters,
        limit: usize,
        snippets: bool,
    ) -> Result<Vec<usize>, BoxError> {
        let request = SearchRequest {
            text: text.to_string(),
            filters: filters.clone(),
            sort: SortOrder::Relevance,
            limit,
            offset: 0,
            snippets,
            facets: self.facets,
        };
        match self.backend.search(&request) {
            Ok(r) => Ok(r
                .hits
                .iter()
                .filter_map(|h| h.record_id.parse().ok())
                .collect()),
            Err(indexer::IndexError::Query(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }
}

// -------------------------------------------------------------------- FTS5

/// SQLite FTS5 with `unicode61 remove_diacritics 2` and BM25 ranking.
pub struct Fts5 {
    conn: rusqlite::Connection,
}

/// Filters of an FTS5 search (the metadata columns are UNINDEXED).
#[derive(Clone, Debug, Default)]
pub struct Fts5Filters {
    pub doc_type: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Fts5 {
    /// A database in memory, or in the file `path`.
    pub fn new(path: Option<&Path>) -> Result<Fts5, BoxError> {
        let conn = match path {
            Some(p) => rusqlite::Connection::open(p)?,
            None => rusqlite::Connection::open_in_memory()?,
        };
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
             CREATE VIRTUAL TABLE docs USING fts5(
                 number, title, body,
                 doc_type UNINDEXED, agency UNINDEXED, issued_on UNINDEXED,
                 tokenize = 'unicode61 remove_diacritics 2');",
        )?;
        Ok(Fts5 { conn })
    }

    /// Opens the database built earlier in the file `path`.
    pub fn open(path: &Path) -> Result<Fts5, BoxError> {
        Ok(Fts5 {
            conn: rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?,
        })
    }

    /// Adds documents (rowid = `first` + position) in one transaction.
    pub fn add(&mut self, first: usize, docs: &[EvalDoc]) -> Result<(), BoxError> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare(
                "INSERT INTO docs(rowid, number, title, body, doc_type, agency, issued_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (i, d) in docs.iter().enumerate() {
                st.execute(rusqlite::params![
                    (first + i) as i64,
                    d.doc_number,
                    d.title,
                    d.body,
                    d.doc_type,
                    d.agency,
                    d.issued_on
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Merges the index into one b-tree (done once after loading).
    pub fn optimize(&self) -> Result<(), BoxError> {
        self.conn
            .execute("INSERT INTO docs(docs) VALUES ('optimize')", [])?;
        Ok(())
    }

    /// The MATCH expression of a query: every word quoted, OR-ed; text in
    /// double quotes becomes a phrase.
    pub fn match_expr(text: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (i, run) in text.split('"').enumerate() {
            let words = fts_words(run);
            if i % 2 == 1 && words.len() > 1 {
                parts.push(format!("\"{}\"", words.join(" ")));
            } else {
                parts.extend(words.into_iter().map(|w| format!("\"{w}\"")));
            }
        }
        parts.join(" OR ")
    }

    /// Rowids of the best `limit` documents by BM25.
    pub fn search(
        &self,
        text: &str,
        filters: &Fts5Filters,
        limit: usize,
    ) -> Result<Vec<usize>, BoxError> {
        let expr = Self::match_expr(text);
        if expr.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = String::from("SELECT rowid FROM docs WHERE docs MATCH ?1");
        let mut params: Vec<String> = vec![expr];
        if let Some(t) = &filters.doc_type {
            params.push(t.clone());
            sql.push_str(&format!(" AND doc_type = ?{}", params.len()));
        }
        if let Some(f) = &filters.from {
            params.push(f.clone());
            sql.push_str(&format!(" AND issued_on >= ?{}", params.len()));
        }
        if let Some(t) = &filters.to {
            params.push(t.clone());
            sql.push_str(&format!(" AND issued_on <= ?{}", params.len()));
        }
        sql.push_str(&format!(" ORDER BY rank LIMIT {limit}"));
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(params.iter()), |r| {
            r.get::<_, i64>(0)
        })?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r? as usize);
        }
        Ok(out)
    }
}

/// Words of a query for FTS5: runs of letters, digits and combining marks.
fn fts_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut w = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || is_mark(c) {
            w.push(c);
        } else if !w.is_empty() {
            words.push(std::mem::take(&mut w));
        }
    }
    if !w.is_empty() {
        words.push(w);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocal_rank_and_recall_are_hand_checkable() {
        // Relevant first, second, absent, fourth; one query with two relevant.
        let runs = vec![
            (vec![7, 1, 2], vec![7]),
            (vec![1, 7, 2], vec![7]),
            (vec![1, 2, 3], vec![7]),
            (vec![1, 2, 3, 7], vec![7]),
        ];
        let q = Quality::of(&runs, 10);
        assert!((q.mrr - (1.0 + 0.5 + 0.0 + 0.25) / 4.0).abs() < 1e-12);
        assert!((q.recall - 0.75).abs() < 1e-12);
        assert_eq!(rr_and_recall(&[3, 5, 9], &[5, 9, 11, 12], 10), (0.5, 0.5));
        // Beyond k counts as not found.
        assert_eq!(rr_and_recall(&[1, 2, 3], &[3], 2), (0.0, 0.0));
    }

    #[test]
    fn variants_of_a_query() {
        assert_eq!(strip_diacritics("Điều kiện hòa giải"), "Dieu kien hoa giai");
        assert_eq!(nfd("hoà").chars().count(), 4);
        assert_eq!(
            swap_tone_placement("Hòa giải, thỏa thuận, sức khoẻ, thuỷ sản, quý, hoàn"),
            "Hoà giải, thoả thuận, sức khỏe, thủy sản, quý, hoàn"
        );
    }

    #[test]
    fn legacy_mojibake_is_repaired_by_the_pipeline() {
        let title = "Quyền và nghĩa vụ của người lao động";
        for enc in [LegacyEncoding::Tcvn3, LegacyEncoding::Vni] {
            let e = LegacyEncoder::new(enc);
            let m = e.mojibake(title).expect("every letter has a code");
            assert_ne!(m, title);
            assert_eq!(vietnamese::canonicalize(&m), title, "{enc:?}: {m}");
        }
    }

    #[test]
    fn fts5_match_expression_quotes_every_word() {
        assert_eq!(
            Fts5::match_expr("quyền \"nghĩa vụ\" AND 05/2016"),
            "\"quyền\" OR \"nghĩa vụ\" OR \"AND\" OR \"05\" OR \"2016\""
        );
    }
}

//! The embedded tantivy implementation of [`SearchBackend`].

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur,
    PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, Order, ReloadPolicy, Searcher, TERMINATED,
    TantivyDocument, Term,
};

use crate::document::{FileReport, RecordDoc, doc_key_parts};
use crate::query::{self, Filters, ParsedQuery, QueryWord, SearchRequest, SortOrder};
use crate::schema::{KhoSchema, TextFields, register_tokenizers};
use crate::snippet::{Snippet, Terms, snippet};
use crate::{IndexBatch, IndexError, IndexPosition, IndexedRecord, POSITION_FORMAT, SearchBackend};

/// Weight of a match in the title, summary and body.
const TITLE_BOOST: f32 = 3.0;
const SUMMARY_BOOST: f32 = 2.0;
const BODY_BOOST: f32 = 1.0;
/// Extra weight of the exact form when the query word has diacritics.
const EXACT_BOOST: f32 = 2.0;
/// Weight of an adjacent word pair of the query.
const PAIR_BOOST: f32 = 1.5;
/// Weight of a whole document number and of a part of one.
const DOC_KEY_BOOST: f32 = 40.0;
const DOC_PART_BOOST: f32 = 8.0;
/// Matches are counted exactly up to this many; beyond, the total says
/// "more than" (as search engines report "about 10,000 results"): counting
/// a common word's million matches would cost more than finding the best ten.
pub const TOTAL_EXACT_UP_TO: usize = query::MAX_WINDOW;
/// Changes of at least this many records are indexed on several threads.
const PARALLEL_INDEXING_FROM: usize = 256;
/// Memory of the index writer (shared by its threads).
const WRITER_MEMORY: usize = 64 << 20;

/// What a query is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Ranking: every clause that adds to the score.
    Ranking,
    /// Matching only (total, facets): the fewest clauses that match the
    /// same records.
    Matching,
}

/// A result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    /// Record id.
    pub record_id: String,
    /// Relevance score (0 when sorted by date only), to four decimals: its
    /// last bits depend on the order in which the engine adds the matching
    /// terms, which differs between index layouts (a rebuilt index against one
    /// kept by deposits), and the same records must rank the same.
    pub score: f32,
    /// Document number as written.
    pub doc_number: Option<String>,
    /// Document type.
    pub doc_type: Option<String>,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    /// Issuing agency.
    pub agency: Option<String>,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Best passage, matches highlighted.
    pub snippet: Option<Snippet>,
    /// How each file's text was extracted.
    pub files: Vec<FileReport>,
}

/// Count of results per value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value.
    pub value: String,
    /// Matching records.
    pub count: u64,
}

/// Counts by document type, year of issue and agency over all matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// By document type.
    pub doc_type: Vec<FacetCount>,
    /// By year of issue.
    pub year: Vec<FacetCount>,
    /// By agency.
    pub agency: Vec<FacetCount>,
}

/// The answer to a [`SearchRequest`].
#[derive(Clone, Debug, Serialize)]
pub struct SearchResults {
    /// Matching records in all, or [`TOTAL_EXACT_UP_TO`] when there are
    /// more (then `total_exact` is false).
    pub total: usize,
    /// Whether `total` is the exact count; when false there are more than
    /// `total` matches.
    pub total_exact: bool,
    /// The best `limit` of them, in order.
    pub hits: Vec<SearchHit>,
    /// Facets, when asked for.
    pub facets: Option<Facets>,
    /// How the query was understood.
    pub query: ParsedQuery,
    /// Remarks on the query (words ignored, nothing searchable).
    pub notes: Vec<String>,
}

/// A tantivy index in a local directory.
pub struct TantivyBackend {
    dir: PathBuf,
    index: Index,
    fields: KhoSchema,
    reader: IndexReader,
    /// Indexing threads; `None`: by the size of each change.
    indexing_threads: Option<usize>,
}

impl TantivyBackend {
    /// Opens the index in `dir` for searching.
    pub fn open(dir: &Path) -> Result<TantivyBackend, IndexError> {
        if !dir.join("meta.json").is_file() {
            return Err(IndexError::Missing(dir.to_path_buf()));
        }
        let index = Index::open_in_dir(dir)?;
        let fields = KhoSchema::build();
        if !fields.matches(&index.schema()) {
            return Err(IndexError::Incompatible(dir.to_path_buf()));
        }
        Self::with_index(dir, index, fields)
    }

    /// Opens the index in `dir`, creating it (or, when it was built with
    /// another schema, creating it anew: the index is derived data).
    pub fn open_or_create(dir: &Path) -> Result<TantivyBackend, IndexError> {
        match Self::open(dir) {
            Ok(b) => return Ok(b),
            Err(IndexError::Missing(_) | IndexError::Incompatible(_)) => {}
            Err(e) => return Err(e),
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|source| IndexError::Io {
                what: format!("removing the old index at {}", dir.display()),
                source,
            })?;
        }
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            what: format!("creating the index directory {}", dir.display()),
            source,
        })?;
        let fields = KhoSchema::build();
        let index = Index::create_in_dir(dir, fields.schema.clone())?;
        Self::with_index(dir, index, fields)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<TantivyBackend, IndexError> {
        let fields = KhoSchema::build();
        let index = Index::create_in_ram(fields.schema.clone());
        Self::with_index(Path::new(":memory:"), index, fields)
    }

    /// Indexes every change on `threads` threads (at least one) instead of
    /// choosing by the size of the change.
    pub fn set_indexing_threads(&mut self, threads: usize) {
        self.indexing_threads = Some(threads.max(1));
    }

    fn with_index(dir: &Path, index: Index, fields: KhoSchema) -> Result<Self, IndexError> {
        register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TantivyBackend {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
            indexing_threads: None,
        })
    }

    /// The tantivy index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    fn to_document(&self, d: &RecordDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.record_id, &d.record_id);
        doc.add_u64(f.version, u64::from(d.version));
        doc.add_text(f.manifest, &d.manifest_blake3);
        doc.add_text(f.title, &d.title.canonical);
        doc.add_text(f.summary, &d.summary.canonical);
        doc.add_text(f.body, &d.body.canonical);
        for (fields, forms) in [
            (f.title_text, &d.title),
            (f.summary_text, &d.summary),
            (f.body_text, &d.body),
        ] {
            doc.add_text(fields.exact, &forms.exact);
            doc.add_text(fields.fold, &forms.fold);
            doc.add_text(fields.pairs, &forms.fold);
        }
        if let Some(n) = &d.doc_number {
            doc.add_text(f.doc_number, n);
        }
        if let Some(k) = &d.doc_key {
            doc.add_text(f.doc_key, k);
            for part in doc_key_parts(k) {
                doc.add_text(f.doc_parts, &part);
            }
        }
        if let Some(t) = &d.doc_type {
            doc.add_text(f.doc_type, t);
            doc.add_text(f.type_key, vietnamese::fold_form(t));
        }
        if let Some(a) = &d.agency {
            doc.add_text(f.agency, a);
            let mut words = vietnamese::fold_form(a);
            if let Some(code) = &d.agency_code {
                words.push_str(" , ");
                words.push_str(&vietnamese::fold_form(code));
            }
            doc.add_text(f.agency_words, &words);
        }
        match d.issued_on {
            Some(day) => {
                doc.add_text(f.issued_on, day.to_string());
                doc.add_i64(f.sort_date, days(day));
                if let Ok(y) = u64::try_from(day.year()) {
                    doc.add_u64(f.year, y);
                }
            }
            None => doc.add_i64(f.sort_date, i64::MIN),
        }
        if let Some(v) = &d.dossier {
            doc.add_text(f.dossier, v);
        }
        if let Some(v) = &d.urgency {
            doc.add_text(f.urgency, vietnamese::fold_form(v));
        }
        if let Some(v) = &d.kind {
            doc.add_text(f.kind, v.to_lowercase());
        }
        if let Ok(report) = serde_json::to_string(&d.files) {
            doc.add_text(f.extraction, report);
        }
        doc
    }

    fn fields_boosts(&self) -> [(TextFields, f32); 3] {
        [
            (self.fields.title_text, TITLE_BOOST),
            (self.fields.summary_text, SUMMARY_BOOST),
            (self.fields.body_text, BODY_BOOST),
        ]
    }

    fn word_clauses(&self, w: &QueryWord, shape: Shape, out: &mut Vec<(Occur, Box<dyn Query>)>) {
        for (fields, boost) in self.fields_boosts() {
            out.push((Occur::Should, term(fields.fold, &w.fold, boost)));
            if w.has_diacritics() && shape == Shape::Ranking {
                out.push((
                    Occur::Should,
                    term(fields.exact, &w.exact, boost * EXACT_BOOST),
                ));
            }
        }
    }

    /// The query for the text of a request, `None` when it has nothing to
    /// match.
    fn text_query(&self, q: &ParsedQuery, shape: Shape) -> Option<Box<dyn Query>> {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &q.words {
            self.word_clauses(w, shape, &mut should);
        }
        // Exact words and pairs only add to the score: a record with one has
        // the folded words too (unless words past the limit were dropped).
        let pairs = if shape == Shape::Ranking || q.ignored_words > 0 {
            q.pairs.as_slice()
        } else {
            &[]
        };
        for pair in pairs {
            for (fields, boost) in self.fields_boosts() {
                should.push((Occur::Should, term(fields.pairs, pair, boost * PAIR_BOOST)));
            }
        }
        for key in &q.doc_keys {
            should.push((Occur::Should, term(self.fields.doc_key, key, DOC_KEY_BOOST)));
        }
        for part in &q.doc_parts {
            should.push((
                Occur::Should,
                term(self.fields.doc_parts, part, DOC_PART_BOOST),
            ));
        }
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for p in &q.phrases {
            let exact = p.has_diacritics();
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (fields, boost) in self.fields_boosts() {
                let (field, words): (_, Vec<&str>) = if exact {
                    (
                        fields.exact,
                        p.words.iter().map(|w| w.exact.as_str()).collect(),
                    )
                } else {
                    (
                        fields.fold,
                        p.words.iter().map(|w| w.fold.as_str()).collect(),
                    )
                };
                let phrase: Box<dyn Query> = if words.len() == 1 {
                    term(field, words[0], boost)
                } else if !exact && words.len() == 2 && p.pairs.len() == 1 {
                    // Two folded words the query separates by spaces: their
                    // pair term is the phrase, without reading positions.
                    term(fields.pairs, &p.pairs[0], boost)
                } else {
                    let terms = words
                        .iter()
                        .map(|w| Term::from_field_text(field, w))
                        .collect();
                    let phrase =
                        Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), boost));
                    // The phrase's pairs, unscored, beside it: the
                    // intersection is driven by the rarest of them, so word
                    // positions are read only where the pairs occur.
                    let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, phrase)];
                    for pair in &p.pairs {
                        all.push((
                            Occur::Must,
                            Box::new(ConstScoreQuery::new(term(fields.pairs, pair, 1.0), 0.0)),
                        ));
                    }
                    Box::new(BooleanQuery::new(all))
                };
                alternatives.push((Occur::Should, phrase));
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
        }
        if must.is_empty() && should.is_empty() {
            return None;
        }
        if must.is_empty() {
            // A flat disjunction of term clauses: the shape tantivy ranks
            // with block-max WAND, skipping blocks that cannot reach the top.
            return Some(Box::new(BooleanQuery::new(should)));
        }
        if !should.is_empty() {
            must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        }
        Some(Box::new(BooleanQuery::new(must)))
    }

    /// The query of a request's text and filters; `None` when it has
    /// neither.
    fn query(&self, q: &ParsedQuery, filters: &Filters, shape: Shape) -> Option<Box<dyn Query>> {
        let text = self.text_query(q, shape);
        let filters = self.filter_queries(filters);
        if filters.is_empty() {
            return text;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery)))];
        for f in filters {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(f, 0.0))));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn filter_queries(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if filters.from.is_some() || filters.to.is_some() {
            let lower = filters.from.map(days).unwrap_or(i64::MIN + 1);
            let upper = filters
                .to
                .map(|d| Bound::Included(Term::from_field_i64(f.sort_date, days(d))))
                .unwrap_or(Bound::Unbounded);
            out.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(f.sort_date, lower)),
                upper,
            )));
        }
        if let Some(t) = &filters.doc_type {
            let name = crate::document::doc_type_name(t);
            out.push(term(f.type_key, &vietnamese::fold_form(&name), 1.0));
        }
        if let Some(a) = &filters.agency {
            let fold = vietnamese::fold_form(a);
            let words: Vec<&str> = vietnamese::words(&fold).collect();
            out.push(match words.len() {
                0 => Box::new(EmptyQuery),
                1 => term(f.agency_words, words[0], 1.0),
                _ => Box::new(PhraseQuery::new(
                    words
                        .iter()
                        .map(|w| Term::from_field_text(f.agency_words, w))
                        .collect(),
                )),
            });
        }
        if let Some(d) = &filters.dossier {
            out.push(term(f.dossier, &vietnamese::canonicalize(d), 1.0));
        }
        if let Some(u) = &filters.urgency {
            out.push(term(f.urgency, &vietnamese::fold_form(u), 1.0));
        }
        if let Some(k) = &filters.kind {
            out.push(term(f.kind, &k.trim().to_lowercase(), 1.0));
        }
        out
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, terms: &Terms, snippets: bool) -> SearchHit {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let body = text(f.body).unwrap_or_default();
        let summary = text(f.summary).unwrap_or_default();
        let snippet = snippets.then(|| {
            let s = snippet(&body, terms);
            if s.highlights.is_empty() && !summary.is_empty() {
                let from_summary = snippet(&summary, terms);
                if !from_summary.highlights.is_empty() || s.text.is_empty() {
                    return from_summary;
                }
            }
            s
        });
        SearchHit {
            record_id: text(f.record_id).unwrap_or_default(),
            score,
            doc_number: text(f.doc_number),
            doc_type: text(f.doc_type),
            issued_on: text(f.issued_on),
            agency: text(f.agency),
            title: text(f.title).unwrap_or_default(),
            summary,
            snippet,
            files: text(f.extraction)
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default(),
        }
    }

    fn facets(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
    ) -> Result<Facets, IndexError> {
        let aggs: Aggregations = serde_json::from_value(serde_json::json!({
            "doc_type": { "terms": { "field": "doc_type", "size": 50 } },
            "agency": { "terms": { "field": "agency", "size": 50 } },
            "year": { "terms": { "field": "year", "size": 200 } },
        }))
        .map_err(|e| IndexError::Engine(format!("facet request: {e}")))?;
        let collector = AggregationCollector::from_aggs(
            aggs,
            AggContextParams::new(
                AggregationLimitsGuard::default(),
                self.index.tokenizers().clone(),
            ),
        );
        let result = searcher.search(query, &collector)?;
        let json = serde_json::to_value(&result)
            .map_err(|e| IndexError::Engine(format!("facet result: {e}")))?;
        let buckets = |name: &str| -> Vec<FacetCount> {
            json.get(name)
                .and_then(|a| a.get("buckets"))
                .and_then(|b| b.as_array())
                .map(|b| {
                    b.iter()
                        .filter_map(|bucket| {
                            let key = bucket.get("key")?;
                            let value = match key {
                                serde_json::Value::String(s) => s.clone(),
                                serde_json::Value::Number(n) => {
                                    n.as_f64().map(|f| format!("{f:.0}"))?
                                }
                                _ => return None,
                            };
                            Some(FacetCount {
                                value,
                                count: bucket.get("doc_count")?.as_u64()?,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut year = buckets("year");
        year.sort_by(|a, b| b.value.cmp(&a.value));
        Ok(Facets {
            doc_type: buckets("doc_type"),
            year,
            agency: buckets("agency"),
        })
    }
}

fn term(field: tantivy::schema::Field, text: &str, boost: f32) -> Box<dyn Query> {
    let q = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    if boost == 1.0 {
        Box::new(q)
    } else {
        Box::new(BoostQuery::new(Box::new(q), boost))
    }
}

/// Counts the matches of `query`, exactly up to `cap`: `(n, true)` for `n`
/// matches, `(cap, false)` when there are more than `cap`. Unscored, and it
/// stops at the first match past `cap`.
fn count_up_to(
    searcher: &Searcher,
    query: &dyn Query,
    cap: usize,
) -> Result<(usize, bool), IndexError> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut n = 0usize;
    for reader in searcher.segment_readers() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                n += 1;
                if n > cap {
                    return Ok((cap, false));
                }
            }
            doc = scorer.advance();
        }
    }
    Ok((n, true))
}

/// A score to four decimals.
fn rounded(score: f32) -> f32 {
    (score * 1e4).round() / 1e4
}

/// Days since 1970-01-01.
fn days(d: time::Date) -> i64 {
    i64::from(d.to_julian_day()) - 2_440_588
}

/// A tantivy index writer: added documents go to segments on disk as the
/// writer's memory fills, and become visible only at the commit.
struct TantivyBatch<'a> {
    backend: &'a TantivyBackend,
    writer: tantivy::IndexWriter<TantivyDocument>,
}

impl IndexBatch for TantivyBatch<'_> {
    fn delete(&mut self, record_id: &str) -> Result<(), IndexError> {
        self.writer.delete_term(Term::from_field_text(
            self.backend.fields.record_id,
            record_id,
        ));
        Ok(())
    }

    fn upsert(&mut self, doc: &RecordDoc) -> Result<(), IndexError> {
        self.delete(&doc.record_id)?;
        self.writer.add_document(self.backend.to_document(doc))?;
        Ok(())
    }

    fn commit(self: Box<Self>, position: IndexPosition) -> Result<(), IndexError> {
        let TantivyBatch {
            backend,
            mut writer,
        } = *self;
        let payload = serde_json::to_string(&position)
            .map_err(|e| IndexError::Engine(format!("index position: {e}")))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        writer.wait_merging_threads()?;
        backend.reader.reload()?;
        Ok(())
    }
}

impl SearchBackend for TantivyBackend {
    fn position(&self) -> Result<Option<IndexPosition>, IndexError> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str::<IndexPosition>(p).ok())
            .filter(|p| p.format_version == POSITION_FORMAT))
    }

    fn begin(
        &mut self,
        reset: bool,
        expected_upserts: usize,
    ) -> Result<Box<dyn IndexBatch + '_>, IndexError> {
        // A large change (a rebuild, a long catch-up) is indexed on every
        // core; a few records on one thread.
        let threads = match self.indexing_threads {
            Some(n) => n,
            None if expected_upserts >= PARALLEL_INDEXING_FROM => {
                std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
            }
            None => 1,
        };
        let writer: tantivy::IndexWriter<TantivyDocument> =
            match self.index.writer_with_num_threads(threads, WRITER_MEMORY) {
                Ok(w) => w,
                Err(tantivy::TantivyError::LockFailure(..)) => {
                    return Err(IndexError::Busy(self.dir.clone()));
                }
                Err(e) => return Err(e.into()),
            };
        if reset {
            writer.delete_all_documents()?;
        }
        Ok(Box::new(TantivyBatch {
            backend: self,
            writer,
        }))
    }

    fn indexed(&self) -> Result<BTreeMap<String, IndexedRecord>, IndexError> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let mut out = BTreeMap::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = searcher.doc(DocAddress::new(ord as u32, doc_id))?;
                let id = doc
                    .get_first(self.fields.record_id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let manifest = doc
                    .get_first(self.fields.manifest)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let version = doc
                    .get_first(self.fields.version)
                    .and_then(|v| v.as_u64())
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0);
                out.insert(
                    id,
                    IndexedRecord {
                        version,
                        manifest_blake3: manifest,
                    },
                );
            }
        }
        Ok(out)
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        let parsed = query::parse(request)?;
        let mut notes = Vec::new();
        if parsed.ignored_words > 0 {
            notes.push(format!(
                "only the first {} words of the query were used; {} ignored",
                query::MAX_QUERY_WORDS,
                parsed.ignored_words
            ));
        }
        let Some(query) = self.query(&parsed, &request.filters, Shape::Ranking) else {
            notes.push("the query has no words, phrases or document numbers to search for".into());
            return Ok(SearchResults {
                total: 0,
                total_exact: true,
                hits: Vec::new(),
                facets: request.facets.then(Facets::default),
                query: parsed,
                notes,
            });
        };
        // The same matches, fewer clauses: for the total and the facets.
        let matching = self
            .query(&parsed, &request.filters, Shape::Matching)
            .unwrap_or_else(|| Box::new(EmptyQuery));
        let searcher = self.reader.searcher();
        // The best hits alone, so that tantivy may skip what cannot reach
        // them; the total in a second, unscored pass that stops early.
        let top: Vec<(f32, DocAddress)> = match request.sort {
            SortOrder::Relevance => searcher.search(
                query.as_ref(),
                &TopDocs::with_limit(request.limit)
                    .and_offset(request.offset)
                    .order_by_score(),
            )?,
            SortOrder::Date => searcher
                .search(
                    query.as_ref(),
                    &TopDocs::with_limit(request.limit)
                        .and_offset(request.offset)
                        .order_by_fast_field::<i64>("sort_date", Order::Desc),
                )?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect(),
        };
        let (total, total_exact) = count_up_to(&searcher, matching.as_ref(), TOTAL_EXACT_UP_TO)?;
        let terms = parsed.highlight_terms();
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            hits.push(self.hit(&doc, rounded(score), &terms, request.snippets));
        }
        // Equal scores in record-id order, whatever the segment layout.
        if request.sort == SortOrder::Relevance {
            hits.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| a.record_id.cmp(&b.record_id))
            });
        }
        let facets = if request.facets {
            Some(self.facets(&searcher, matching.as_ref())?)
        } else {
            None
        };
        Ok(SearchResults {
            total,
            total_exact,
            hits,
            facets,
            query: parsed,
            notes,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::IndexChange;

    fn doc(i: usize, summary: &str) -> RecordDoc {
        let metadata = serde_json::json!({ "summary": summary });
        RecordDoc::new(format!("r{i:03}"), 1, "m".into(), &metadata, Vec::new())
    }

    fn position(journal_seq: u64) -> IndexPosition {
        IndexPosition {
            format_version: POSITION_FORMAT,
            store_id: "s".into(),
            journal_seq,
        }
    }

    /// An index of records `r000`, `r001`, … with these summaries.
    fn backend_with(texts: &[&str]) -> TantivyBackend {
        let mut b = TantivyBackend::in_memory().unwrap();
        let upserts = texts.iter().enumerate().map(|(i, t)| doc(i, t)).collect();
        let change = IndexChange {
            upserts,
            ..Default::default()
        };
        b.apply(change, position(1)).unwrap();
        b
    }

    #[test]
    fn the_matching_shape_finds_the_records_the_ranking_shape_finds() {
        let b = backend_with(&[
            "văn bản điện tử",
            "van ban dien tu",
            "hồ sơ, văn bản",
            "bàn ghế văn phòng",
            "điện tử viễn thông",
            "Quyết định 05/2016/QĐ-UBND",
        ]);
        let searcher = b.reader.searcher();
        let none = Filters::default();
        for text in [
            "văn bản",
            "van ban",
            "bản",
            "điện tử",
            "\"văn bản\" hồ sơ",
            "05/2016/qđ-ubnd",
            "qd-ubnd văn",
            "viễn",
        ] {
            let q = query::parse_text(text);
            let ranking = b.query(&q, &none, Shape::Ranking).unwrap();
            let matching = b.query(&q, &none, Shape::Matching).unwrap();
            let a = count_up_to(&searcher, ranking.as_ref(), 100).unwrap();
            let m = count_up_to(&searcher, matching.as_ref(), 100).unwrap();
            assert_eq!(a, m, "{text}");
            assert!(a.0 > 0, "{text}");
        }
    }

    #[test]
    fn a_phrase_is_not_found_across_punctuation() {
        let b = backend_with(&[
            "quy định phạm vi điều chỉnh",
            "phạm vi, điều chỉnh sau",
            "điều chỉnh phạm vi",
            "pham vi dieu chinh",
        ]);
        let found = |q: &str| ids(&b, q);
        // Two words without diacritics: found through their pair.
        assert_eq!(found("\"dieu chinh\""), ["r000", "r001", "r002", "r003"]);
        assert_eq!(found("\"vi dieu\""), ["r000", "r003"]);
        // With diacritics: the exact phrase, words next to each other.
        assert_eq!(found("\"phạm vi điều chỉnh\""), ["r000"]);
        assert_eq!(found("\"vi điều\""), ["r000"]);
        // Without: the folded phrase, in either spelling of the record.
        assert_eq!(found("\"pham vi dieu chinh\""), ["r000", "r003"]);
        // Words in the wrong order are not the phrase.
        assert_eq!(found("\"vi dieu chinh pham\""), Vec::<String>::new());
        // Punctuation in the query is matched as the positions allow.
        assert_eq!(found("\"phạm vi, điều\""), ["r000", "r001"]);
    }

    fn ids(b: &TantivyBackend, q: &str) -> Vec<String> {
        let mut ids: Vec<String> = b
            .search(&SearchRequest::new(q))
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.record_id)
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_batch_is_invisible_until_committed_and_nothing_if_dropped() {
        let mut b = TantivyBackend::in_memory().unwrap();
        let change = IndexChange {
            upserts: vec![doc(1, "văn bản cũ")],
            ..Default::default()
        };
        b.apply(change, position(1)).unwrap();
        // A rebuild that fails part-way (the batch is dropped): the old
        // index and its position stay.
        {
            let mut batch = b.begin(true, 1).unwrap();
            batch.upsert(&doc(2, "văn bản mới")).unwrap();
        }
        b.reader.reload().unwrap();
        assert_eq!(ids(&b, "văn bản"), ["r001"]);
        assert_eq!(b.position().unwrap().map(|p| p.journal_seq), Some(1));
        // A rebuild that completes replaces everything at once.
        let mut batch = b.begin(true, 1).unwrap();
        batch.upsert(&doc(2, "văn bản mới")).unwrap();
        batch.commit(position(2)).unwrap();
        assert_eq!(ids(&b, "văn bản"), ["r002"]);
        assert_eq!(b.position().unwrap().map(|p| p.journal_seq), Some(2));
    }

    #[test]
    fn totals_are_exact_up_to_the_cap_then_a_lower_bound() {
        let mut b = TantivyBackend::in_memory().unwrap();
        let upserts = (0..8)
            .map(|i| {
                doc(
                    i,
                    if i % 2 == 0 {
                        "văn bản điện tử"
                    } else {
                        "hồ sơ văn bản"
                    },
                )
            })
            .collect();
        let change = IndexChange {
            upserts,
            ..Default::default()
        };
        b.apply(change, position(1)).unwrap();
        let change = IndexChange {
            deletes: vec!["r000".into()],
            ..Default::default()
        };
        b.apply(change, position(2)).unwrap();
        let searcher = b.reader.searcher();
        let count = |text: &str, cap| {
            let q = b
                .text_query(&query::parse_text(text), Shape::Ranking)
                .unwrap();
            count_up_to(&searcher, q.as_ref(), cap).unwrap()
        };
        // Seven live matches; the deleted record is not counted.
        assert_eq!(count("văn bản", 100), (7, true));
        assert_eq!(count("văn bản", 7), (7, true));
        assert_eq!(count("văn bản", 6), (6, false));
        assert_eq!(count("dien tu", 100), (3, true));
        assert_eq!(count("dien tu", 2), (2, false));
        let r = b.search(&SearchRequest::new("điện tử")).unwrap();
        assert_eq!((r.total, r.total_exact, r.hits.len()), (3, true, 3));
        let mut ids: Vec<&str> = r.hits.iter().map(|h| h.record_id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["r002", "r004", "r006"]);
    }
}

//! `kho-bench search-quality`: title → article retrieval over Vietnamese law
//! text, Kho vs SQLite FTS5 on the same corpus in the same run, MRR@10 and
//! Recall@10 per query variant; then document-number queries in several
//! spellings.
//!
//! The corpus is the articles of six Vietnamese codes
//! (`scripts/fetch-search-corpus.py`). Each article is one document whose
//! text is the article as the law prints it, heading line (`Điều 5. Phạm
//! vi điều chỉnh`) and body; a query is an article title, and the relevant
//! documents are the articles with that title (a few titles, such as `Phạm
//! vi điều chỉnh`, head an article in several codes). A harder second task
//! indexes the body alone, so that the title's words must be found in the
//! article's prose. The law articles carry no document numbers of their
//! own, so each is given a generated, unique one (`05/2016/QĐ-UBND`
//! style, drawn from a small range so that many share their number, year
//! or notation); a document-number query is one of those numbers written in
//! another way, and the relevant document is the one carrying it.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use indexer::Filters;
use vietnamese::LegacyEncoding;

use crate::search_corpus::{
    Article, BoxError, EvalDoc, Fts5, Fts5Filters, Kho, LegacyEncoder, Quality, Rng, load_articles,
    nfd, record_doc, strip_diacritics, swap_tone_placement,
};

/// Ranks looked at.
const K: usize = 10;

const NOTATIONS: &[&str] = &[
    "QĐ-UBND", "NQ-HĐND", "TT-BTC", "NĐ-CP", "CT-UBND", "QĐ-TTg", "KH-UBND", "TB-VP", "QĐ-BNV",
    "TT-BNV", "HD-SNV", "CV-UBND",
];

/// One row of the report.
#[derive(Clone, Debug)]
pub struct Row {
    pub variant: String,
    pub kho: Quality,
    pub fts5: Quality,
    pub note: String,
}

/// What of an article is indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArticleText {
    /// `Điều N. Title`, a line break, the body: the article as printed.
    WithHeading,
    /// The body alone.
    BodyOnly,
}

/// The documents: one per article, each with a generated unique number.
pub fn documents(articles: &[Article], text: ArticleText) -> Vec<EvalDoc> {
    let mut rng = Rng::new(9);
    let mut seen = HashSet::new();
    articles
        .iter()
        .map(|a| {
            let number = loop {
                let n = 1 + rng.below(60);
                let year = 2010 + rng.below(15);
                let notation = rng.pick(NOTATIONS);
                if seen.insert((n, year, *notation)) {
                    break format!("{n:02}/{year}/{notation}");
                }
            };
            let body = match text {
                ArticleText::WithHeading => format!("Điều {}. {}\n{}", a.article, a.title, a.body),
                ArticleText::BodyOnly => a.body.clone(),
            };
            EvalDoc {
                body,
                doc_number: Some(number),
                ..EvalDoc::default()
            }
        })
        .collect()
}

/// Title queries: each distinct title (compared in lower case) and the
/// articles it heads.
pub fn title_queries(articles: &[Article]) -> Vec<(String, Vec<usize>)> {
    let mut by_title: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    for (i, a) in articles.iter().enumerate() {
        by_title
            .entry(a.title.to_lowercase())
            .or_insert_with(|| (a.title.clone(), Vec::new()))
            .1
            .push(i);
    }
    let mut out: Vec<(String, Vec<usize>)> = by_title.into_values().collect();
    out.sort_by_key(|(_, rel)| rel[0]);
    out
}

/// Document-number spellings an officer may type for `05/2016/QĐ-UBND`.
pub fn number_spellings(number: &str) -> Vec<(&'static str, String)> {
    let no_zero = number.trim_start_matches('0').to_lowercase();
    vec![
        ("as written", number.to_string()),
        ("lower case, no leading zero", no_zero),
        ("without diacritics", strip_diacritics(number)),
        ("with `Số:`", format!("Số: {number}")),
        (
            "spaced, en dash",
            number.replace('/', " / ").replacen('-', " – ", 1),
        ),
        ("in a sentence", format!("quyết định số {number}")),
    ]
}

/// Both engines over the same documents.
struct Engines {
    kho: Kho,
    fts: Fts5,
}

impl Engines {
    fn build(docs: &[EvalDoc]) -> Result<Engines, BoxError> {
        let mut kho = Kho::new(None)?;
        let t = Instant::now();
        for (c, chunk) in docs.chunks(2000).enumerate() {
            kho.add(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, d)| record_doc(c * 2000 + i, d))
                    .collect(),
            )?;
        }
        eprintln!(
            "kho: {} documents indexed in {:.1} s",
            docs.len(),
            t.elapsed().as_secs_f64()
        );
        let mut fts = Fts5::new(None)?;
        fts.add(0, docs)?;
        fts.optimize()?;
        Ok(Engines { kho, fts })
    }
}

/// Title queries in every variant, on both engines.
fn title_rows(
    engines: &Engines,
    queries: &[(String, Vec<usize>)],
    task: &str,
) -> Result<Vec<Row>, BoxError> {
    let tcvn3 = LegacyEncoder::new(LegacyEncoding::Tcvn3);
    let vni = LegacyEncoder::new(LegacyEncoding::Vni);
    type Variant<'a> = (&'a str, Box<dyn Fn(&str) -> Option<String> + 'a>);
    let variants: Vec<Variant> = vec![
        ("with diacritics", Box::new(|q: &str| Some(q.to_string()))),
        (
            "without diacritics",
            Box::new(|q: &str| Some(strip_diacritics(q))),
        ),
        ("NFD", Box::new(|q: &str| Some(nfd(q)))),
        (
            "other tone placement",
            Box::new(|q: &str| Some(swap_tone_placement(q))),
        ),
        ("TCVN3 mojibake", Box::new(|q: &str| tcvn3.mojibake(q))),
        ("VNI mojibake", Box::new(|q: &str| vni.mojibake(q))),
    ];
    let none = Filters::default();
    let no_fts_filter = Fts5Filters::default();
    let mut rows = Vec::new();
    for (name, make) in &variants {
        let mut kho_runs = Vec::new();
        let mut fts_runs = Vec::new();
        let mut changed = 0;
        let mut missing = 0;
        for (title, relevant) in queries {
            let Some(q) = make(title) else {
                missing += 1;
                continue;
            };
            if q != *title {
                changed += 1;
            }
            kho_runs.push((engines.kho.search(&q, &none, K, false)?, relevant.clone()));
            fts_runs.push((engines.fts.search(&q, &no_fts_filter, K)?, relevant.clone()));
        }
        let mut note = format!(
            "{changed} of {} queries differ from the clean one",
            queries.len()
        );
        if missing > 0 {
            note.push_str(&format!("; {missing} not encodable, left out"));
        }
        rows.push(Row {
            variant: format!("{task}, {name}"),
            kho: Quality::of(&kho_runs, K),
            fts5: Quality::of(&fts_runs, K),
            note,
        });
    }
    Ok(rows)
}

/// Runs every variant on both engines: title queries on articles with
/// their heading, then on bodies alone, then document numbers.
pub fn evaluate(articles: &[Article], number_stride: usize) -> Result<Vec<Row>, BoxError> {
    let queries = title_queries(articles);
    let body_only = Engines::build(&documents(articles, ArticleText::BodyOnly))?;
    let mut rows = title_rows(&body_only, &queries, "title → body without heading")?;
    drop(body_only);
    let docs = documents(articles, ArticleText::WithHeading);
    let engines = Engines::build(&docs)?;
    let mut main = title_rows(&engines, &queries, "title → article")?;
    main.append(&mut rows);
    let mut rows = main;
    let (kho, fts) = (&engines.kho, &engines.fts);
    let none = Filters::default();
    let no_fts_filter = Fts5Filters::default();

    // Document numbers in several spellings.
    let mut per_spelling: BTreeMap<usize, (&str, Vec<_>, Vec<_>)> = BTreeMap::new();
    let mut all_kho = Vec::new();
    let mut all_fts = Vec::new();
    for (i, d) in docs.iter().enumerate().step_by(number_stride.max(1)) {
        let Some(number) = &d.doc_number else {
            continue;
        };
        for (s, (name, q)) in number_spellings(number).into_iter().enumerate() {
            let k = (kho.search(&q, &none, K, false)?, vec![i]);
            let f = (fts.search(&q, &no_fts_filter, K)?, vec![i]);
            let e = per_spelling
                .entry(s)
                .or_insert_with(|| (name, Vec::new(), Vec::new()));
            e.1.push(k.clone());
            e.2.push(f.clone());
            all_kho.push(k);
            all_fts.push(f);
        }
    }
    rows.push(Row {
        variant: "document number, all spellings".to_string(),
        kho: Quality::of(&all_kho, K),
        fts5: Quality::of(&all_fts, K),
        note: format!(
            "{} numbers × {} spellings",
            all_kho.len() / per_spelling.len().max(1),
            per_spelling.len()
        ),
    });
    for (name, k, f) in per_spelling.into_values() {
        rows.push(Row {
            variant: format!("document number, {name}"),
            kho: Quality::of(&k, K),
            fts5: Quality::of(&f, K),
            note: String::new(),
        });
    }
    Ok(rows)
}

/// `kho-bench search-quality [--corpus FILE] [--number-stride N]`
pub fn run(args: &[String]) -> Result<(), BoxError> {
    let arg = |name: &str| crate::search_corpus::arg(args, name);
    let corpus = crate::search_corpus::corpus_arg(args);
    let stride: usize = arg("--number-stride")
        .unwrap_or_else(|| "3".into())
        .parse()?;
    let articles = load_articles(&corpus)?;
    let queries = title_queries(&articles).len();
    let t = Instant::now();
    let rows = evaluate(&articles, stride)?;
    println!(
        "Corpus: {} articles, {} distinct titles ({}); k = {K}; {:.0} s.\n",
        articles.len(),
        queries,
        corpus.display(),
        t.elapsed().as_secs_f64()
    );
    println!(
        "| query variant | Kho MRR@10 | Kho Recall@10 | FTS5 MRR@10 | FTS5 Recall@10 | note |"
    );
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {} |",
            r.variant, r.kho.mrr, r.kho.recall, r.fts5.mrr, r.fts5.recall, r.note
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, body: &str) -> Article {
        Article {
            law: "Bộ luật thử".to_string(),
            article: "1".to_string(),
            title: title.to_string(),
            body: body.to_string(),
        }
    }

    /// A corpus small enough to check by hand: each title's words occur in
    /// its own article's body and hardly anywhere else.
    fn tiny() -> Vec<Article> {
        vec![
            article(
                "Hòa giải tranh chấp lao động",
                "Tranh chấp lao động phải được hòa giải viên lao động hòa giải trước khi yêu cầu Tòa án giải quyết.",
            ),
            article(
                "Thời giờ làm việc bình thường",
                "Thời giờ làm việc bình thường không quá 08 giờ trong 01 ngày và không quá 48 giờ trong 01 tuần.",
            ),
            article(
                "Quyền sở hữu tài sản",
                "Quyền sở hữu bao gồm quyền chiếm hữu, quyền sử dụng và quyền định đoạt tài sản của chủ sở hữu.",
            ),
            article(
                "Bảo hiểm thủy sản",
                "Người nuôi trồng thủy sản được hỗ trợ mua bảo hiểm theo quy định của Chính phủ.",
            ),
        ]
    }

    #[test]
    fn every_variant_of_a_title_finds_its_article_first_in_kho() {
        let rows = evaluate(&tiny(), 1).expect("evaluation runs");
        for r in &rows {
            assert_eq!(r.kho.mrr, 1.0, "{}: {:?}", r.variant, r.kho);
            assert_eq!(r.kho.recall, 1.0, "{}", r.variant);
        }
        let clean = &rows[0];
        assert_eq!(clean.kho.queries, 4);
        // The tone-placement variant changes the two titles with `oa`/`uy`.
        assert!(rows[3].note.starts_with("2 of 4"), "{}", rows[3].note);
    }

    #[test]
    fn fts5_misses_legacy_encoded_titles() {
        let rows = evaluate(&tiny(), 1).expect("evaluation runs");
        assert_eq!(rows[0].fts5.mrr, 1.0);
        let tcvn3 = rows
            .iter()
            .find(|r| r.variant.contains("TCVN3"))
            .expect("row");
        assert!(tcvn3.fts5.mrr < 1.0, "{:?}", tcvn3.fts5);
    }
}

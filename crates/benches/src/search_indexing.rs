//! `kho-bench search-indexing`: indexing Vietnamese documents of 5–50 KB of
//! text through Kho's indexer (Vietnamese pipeline, then
//! [`SearchBackend::apply`](indexer::SearchBackend::apply)) vs raw tantivy
//! with its default tokenizer on the same documents, same run, the same
//! writer memory for both, both indexes in memory: first with one thread
//! each (Kho's pipeline on one thread, one indexing thread for both), then
//! with every core each (up to four).

use std::time::Instant;

use tantivy::schema::{STORED, STRING, Schema, TEXT};
use tantivy::{Index, TantivyDocument};

use crate::search_corpus::{Article, BoxError, EvalDoc, Kho, Rng, load_articles, record_docs};

/// Writer memory of the raw baseline, the same as Kho's index writer.
const WRITER_MEMORY: usize = 64 << 20;

/// Documents of 5–50 KB: consecutive articles of one law from a
/// deterministic starting point, with the metadata of an official document.
pub fn documents(articles: &[Article], count: usize) -> Vec<EvalDoc> {
    let mut rng = Rng::new(5);
    let n = articles.len();
    (0..count)
        .map(|j| {
            let target = 5_000 + rng.below(45_000);
            let mut start = rng.below(n);
            let mut body = String::new();
            while body.len() < target {
                let a = &articles[start % n];
                body.push_str(&format!("Điều {}. {}\n{}\n", a.article, a.title, a.body));
                start += 1;
            }
            // Cut at a character boundary within the range.
            let mut cut = body.len().min(50_000);
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            let first = &articles[(start + n - 1) % n];
            EvalDoc {
                title: Some(format!("{} (trích), tài liệu {j}", first.law)),
                body,
                doc_number: Some(format!("{}/{}/QĐ-UBND", 1 + j % 500, 2000 + j % 25)),
                doc_type: Some("Quyết định".to_string()),
                agency: Some("Ủy ban nhân dân tỉnh Nam Định".to_string()),
                issued_on: Some(format!(
                    "{}-{:02}-{:02}",
                    2000 + j % 25,
                    1 + j % 12,
                    1 + j % 28
                )),
            }
        })
        .collect()
}

/// Docs/s of Kho's indexer: the pipeline makes each record's search forms
/// (on `threads` threads, as catch-up does), then one change is applied and
/// committed (on several indexing threads when it is large).
/// Also returns the share of the time spent in the Vietnamese pipeline.
pub fn kho_rate(docs: &[EvalDoc], threads: usize) -> Result<(f64, f64), BoxError> {
    let mut kho = Kho::new(None)?;
    kho.set_indexing_threads(threads);
    let t = Instant::now();
    let records = record_docs(docs, 0, threads)?;
    let pipeline = t.elapsed();
    kho.add(records)?;
    let all = t.elapsed();
    Ok((
        docs.len() as f64 / all.as_secs_f64(),
        pipeline.as_secs_f64() / all.as_secs_f64(),
    ))
}

/// Docs/s of raw tantivy: title and body with the default tokenizer,
/// stored, plus a stored id, on `threads` indexing threads.
pub fn raw_rate(docs: &[EvalDoc], threads: usize) -> Result<f64, BoxError> {
    let mut sb = Schema::builder();
    let id = sb.add_text_field("id", STRING | STORED);
    let title = sb.add_text_field("title", TEXT | STORED);
    let body = sb.add_text_field("body", TEXT | STORED);
    let index = Index::create_in_ram(sb.build());
    let t = Instant::now();
    let mut writer: tantivy::IndexWriter<TantivyDocument> =
        index.writer_with_num_threads(threads, WRITER_MEMORY)?;
    for (i, d) in docs.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(id, format!("{i:09}"));
        doc.add_text(title, d.title.as_deref().unwrap_or_default());
        doc.add_text(body, &d.body);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(docs.len() as f64 / t.elapsed().as_secs_f64())
}

/// `kho-bench search-indexing [--corpus FILE] [--docs N] [--rounds R]`
pub fn run(args: &[String]) -> Result<(), BoxError> {
    let arg = |name: &str| crate::search_corpus::arg(args, name);
    let corpus = crate::search_corpus::corpus_arg(args);
    let count: usize = arg("--docs").unwrap_or_else(|| "1000".into()).parse()?;
    let rounds: usize = arg("--rounds").unwrap_or_else(|| "3".into()).parse()?;
    let articles = load_articles(&corpus)?;
    let docs = documents(&articles, count);
    let bytes: usize = docs.iter().map(|d| d.body.len()).sum();
    println!(
        "{} documents, {:.1} MB of text ({:.1} KB each on average)\n",
        docs.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e3 / docs.len().max(1) as f64
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    println!("| round | threads | Kho docs/s | of which pipeline | raw tantivy docs/s | ratio |");
    println!("|---|---|---|---|---|---|");
    for r in 1..=rounds {
        for threads in [1, cores] {
            // Alternate the order so that neither always runs on a warmer machine.
            let ((kho, pipeline), raw) = if r % 2 == 1 {
                let k = kho_rate(&docs, threads)?;
                (k, raw_rate(&docs, threads)?)
            } else {
                let w = raw_rate(&docs, threads)?;
                (kho_rate(&docs, threads)?, w)
            };
            println!(
                "| {r} | {threads} | {kho:.0} | {:.0} % of the time | {raw:.0} | {:.0} % (target ≥ 60 %) |",
                100.0 * pipeline,
                100.0 * kho / raw
            );
        }
    }
    Ok(())
}

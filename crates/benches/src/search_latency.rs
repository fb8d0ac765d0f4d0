//! `kho-bench search-latency`: p50/p99 of a mixed query set on a generated
//! corpus (one million documents by default), Kho vs SQLite FTS5 over the
//! same documents, both on disk in the same directory.
//!
//! The generator is deterministic: document `j` depends only on `j` and the
//! sentences of the law corpus. Each has a title (`<type> về <article
//! title>`), two to six sentences of real law text, a unique document
//! number (`<j+1>/<year>/<type>-<agency>`), a type, an agency and a date of
//! issue, so that filters have something to select.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indexer::Filters;

use crate::search_corpus::{
    BoxError, EvalDoc, Fts5, Fts5Filters, Kho, Rng, load_articles, record_docs, strip_diacritics,
};

const TYPES: &[(&str, &str)] = &[
    ("Quyết định", "QĐ"),
    ("Nghị quyết", "NQ"),
    ("Thông báo", "TB"),
    ("Kế hoạch", "KH"),
    ("Báo cáo", "BC"),
    ("Chỉ thị", "CT"),
    ("Tờ trình", "TTr"),
    ("Hướng dẫn", "HD"),
];

const AGENCIES: &[(&str, &str)] = &[
    ("Ủy ban nhân dân tỉnh Nam Định", "UBND"),
    ("Hội đồng nhân dân tỉnh Thái Bình", "HĐND"),
    ("Sở Nội vụ tỉnh Nam Định", "SNV"),
    ("Sở Tài chính tỉnh Hà Nam", "STC"),
    ("Sở Giáo dục và Đào tạo tỉnh Ninh Bình", "SGDĐT"),
    ("Bộ Tài chính", "BTC"),
    ("Bộ Nội vụ", "BNV"),
    ("Văn phòng Chính phủ", "VPCP"),
    ("Ủy ban nhân dân huyện Hải Hậu", "UBND"),
    ("Sở Y tế tỉnh Thanh Hóa", "SYT"),
];

/// Sentences and titles the generator samples from.
pub struct Generator {
    sentences: Vec<String>,
    titles: Vec<String>,
}

impl Generator {
    pub fn new(articles: &[crate::search_corpus::Article]) -> Generator {
        let mut sentences = Vec::new();
        for a in articles {
            for s in a.body.split(['.', ';', '\n']) {
                let s = s.trim();
                if (20..=300).contains(&s.len()) {
                    sentences.push(s.to_string());
                }
            }
        }
        let titles = articles.iter().map(|a| a.title.clone()).collect();
        Generator { sentences, titles }
    }

    /// Document `j`.
    pub fn doc(&self, j: usize) -> EvalDoc {
        let mut rng = Rng::new(0x5EED ^ (j as u64).wrapping_mul(0x9E37_79B9));
        let (type_name, type_abbr) = *rng.pick(TYPES);
        let (agency, code) = *rng.pick(AGENCIES);
        let year = 2000 + rng.below(26);
        let date = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let title = format!("{type_name} về {}", rng.pick(&self.titles).to_lowercase());
        let mut body = String::new();
        for _ in 0..2 + rng.below(5) {
            let s: &String = rng.pick(&self.sentences);
            body.push_str(s);
            body.push_str(". ");
        }
        EvalDoc {
            title: Some(title),
            body,
            doc_number: Some(format!("{}/{year}/{type_abbr}-{code}", j + 1)),
            doc_type: Some(type_name.to_string()),
            agency: Some(agency.to_string()),
            issued_on: Some(date),
        }
    }
}

/// A query of the mixed set.
#[derive(Clone, Debug)]
pub struct LatencyQuery {
    pub kind: &'static str,
    pub text: String,
    pub doc_type: Option<String>,
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
}

fn some_words(rng: &mut Rng, g: &Generator, n: usize) -> Vec<String> {
    loop {
        let s = rng.pick(&g.sentences);
        let words: Vec<&str> = s
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() >= n {
            let at = rng.below(words.len() - n + 1);
            return words[at..at + n].iter().map(|w| w.to_string()).collect();
        }
    }
}

/// `per_kind` queries of each kind: words, a quoted phrase, words without
/// diacritics, a document number (as written, or folded without leading
/// text), words with a type and year-range filter.
pub fn queries(g: &Generator, docs: usize, per_kind: usize) -> Vec<LatencyQuery> {
    let mut rng = Rng::new(77);
    let mut out = Vec::new();
    for i in 0..per_kind {
        let plain = |kind, text| LatencyQuery {
            kind,
            text,
            doc_type: None,
            from_year: None,
            to_year: None,
        };
        out.push(plain("words", some_words(&mut rng, g, 2 + i % 2).join(" ")));
        out.push(plain(
            "phrase",
            format!("\"{}\"", some_words(&mut rng, g, 2).join(" ")),
        ));
        out.push(plain(
            "no diacritics",
            strip_diacritics(&some_words(&mut rng, g, 2 + i % 2).join(" ")).to_lowercase(),
        ));
        let number = g.doc(rng.below(docs)).doc_number.unwrap_or_default();
        let number = if i % 2 == 0 {
            number
        } else {
            strip_diacritics(&number).to_lowercase()
        };
        out.push(plain("document number", number));
        let year = 2000 + rng.below(20) as i32;
        out.push(LatencyQuery {
            kind: "words + type + years",
            text: some_words(&mut rng, g, 2).join(" "),
            doc_type: Some(rng.pick(TYPES).0.to_string()),
            from_year: Some(year),
            to_year: Some(year + 4),
        });
    }
    out
}

fn kho_filters(q: &LatencyQuery) -> Result<Filters, BoxError> {
    let day = |y: i32, m: time::Month, d: u8| time::Date::from_calendar_date(y, m, d);
    Ok(Filters {
        doc_type: q.doc_type.clone(),
        from: q
            .from_year
            .map(|y| day(y, time::Month::January, 1))
            .transpose()?,
        to: q
            .to_year
            .map(|y| day(y, time::Month::December, 31))
            .transpose()?,
        ..Filters::default()
    })
}

fn fts_filters(q: &LatencyQuery) -> Fts5Filters {
    Fts5Filters {
        doc_type: q.doc_type.clone(),
        from: q.from_year.map(|y| format!("{y}-01-01")),
        to: q.to_year.map(|y| format!("{y}-12-31")),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `kho-bench gen-corpus [--corpus FILE] [--docs N] --out DIR`: the first N
/// documents of the latency corpus as text files and a `metadata.json` that
/// `kho deposit --batch DIR/metadata.json` takes, to search them through
/// `kho search`.
pub fn write_corpus(args: &[String]) -> Result<(), BoxError> {
    let arg = |name: &str| crate::search_corpus::arg(args, name);
    let corpus = crate::search_corpus::corpus_arg(args);
    let n: usize = arg("--docs").unwrap_or_else(|| "1000".into()).parse()?;
    let out = PathBuf::from(arg("--out").ok_or("--out DIR is required")?);
    std::fs::create_dir_all(&out)?;
    let g = Generator::new(&load_articles(&corpus)?);
    let mut entries = Vec::with_capacity(n);
    for j in 0..n {
        let d = g.doc(j);
        let file = format!("{:07}.txt", j + 1);
        std::fs::write(out.join(&file), d.body.as_bytes())?;
        entries.push(serde_json::json!({
            "file": file,
            "kind": "incoming",
            "doc_number": d.doc_number,
            "doc_type": d.doc_type,
            "issued_on": d.issued_on,
            "issuer": d.agency,
            "summary": d.title,
        }));
    }
    std::fs::write(
        out.join("metadata.json"),
        serde_json::to_vec_pretty(&entries)?,
    )?;
    eprintln!(
        "{n} documents and metadata.json written to {}",
        out.display()
    );
    Ok(())
}

/// Builds both indexes of `n` generated documents in `work`; returns them,
/// the time each took and the bytes of body text.
fn build(
    g: &Generator,
    n: usize,
    work: &std::path::Path,
) -> Result<(Kho, Fts5, Duration, Duration, usize), BoxError> {
    let mut kho = Kho::new(Some(&work.join("kho")))?;
    let mut fts = Fts5::new(Some(&work.join("fts5.sqlite")))?;
    const CHUNK: usize = 50_000;
    let (mut kho_time, mut fts_time) = (Duration::ZERO, Duration::ZERO);
    let mut bytes = 0usize;
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        let docs: Vec<EvalDoc> = (start..end).map(|j| g.doc(j)).collect();
        bytes += docs.iter().map(|d| d.body.len()).sum::<usize>();
        let t = Instant::now();
        // The pipeline on both cores, then one commit (as catch-up applies
        // one change per batch of records).
        let records = record_docs(&docs, start, 2)?;
        kho.add(records)?;
        kho_time += t.elapsed();
        let t = Instant::now();
        fts.add(start, &docs)?;
        fts_time += t.elapsed();
        eprintln!(
            "{end} documents: Kho {:.0} s, FTS5 {:.0} s",
            kho_time.as_secs_f64(),
            fts_time.as_secs_f64()
        );
    }
    let t = Instant::now();
    fts.optimize()?;
    fts_time += t.elapsed();
    Ok((kho, fts, kho_time, fts_time, bytes))
}

/// `kho-bench search-latency [--corpus FILE] [--docs N] [--queries N] [--dir DIR | --keep DIR] [--kho-only] [--facets]`
pub fn run(args: &[String]) -> Result<(), BoxError> {
    let arg = |name: &str| crate::search_corpus::arg(args, name);
    let corpus = crate::search_corpus::corpus_arg(args);
    let n: usize = arg("--docs").unwrap_or_else(|| "1000000".into()).parse()?;
    let per_kind: usize = arg("--queries").unwrap_or_else(|| "200".into()).parse()?;
    // `--keep DIR` builds both indexes in DIR once and reuses them on later
    // runs with the same `--docs` (for comparing query-side changes).
    let kept = arg("--keep").map(PathBuf::from);
    let kho_only = args.iter().any(|a| a == "--kho-only");
    let temp;
    let work: PathBuf = match &kept {
        Some(dir) => dir.clone(),
        None => {
            let base = PathBuf::from(
                arg("--dir").unwrap_or_else(|| std::env::temp_dir().display().to_string()),
            );
            temp = tempfile::tempdir_in(&base)?;
            temp.path().to_path_buf()
        }
    };
    let marker = work.join(format!("built-{n}"));
    let g = Generator::new(&load_articles(&corpus)?);
    eprintln!("{} sentences, {} titles", g.sentences.len(), g.titles.len());

    let (mut kho, fts, kho_time, fts_time, bytes) = if marker.is_file() {
        eprintln!("reusing the indexes in {}", work.display());
        let kho = Kho::new(Some(&work.join("kho")))?;
        let fts = Fts5::open(&work.join("fts5.sqlite"))?;
        (kho, fts, Duration::ZERO, Duration::ZERO, 0)
    } else {
        if kept.is_some() && work.exists() {
            std::fs::remove_dir_all(&work)?;
        }
        std::fs::create_dir_all(&work)?;
        let built = build(&g, n, &work)?;
        std::fs::write(&marker, b"")?;
        built
    };

    // `--facets`: every search also counts type, year and agency facets,
    // as the web UI asks.
    kho.facets = args.iter().any(|a| a == "--facets");
    let qs = queries(&g, n, per_kind);
    // Warm-up: the first 50 queries once on each engine, not counted.
    for q in qs.iter().take(50) {
        kho.search(&q.text, &kho_filters(q)?, 10, true)?;
        if !kho_only {
            fts.search(&q.text, &fts_filters(q), 10)?;
        }
    }
    let mut kinds: Vec<&str> = qs.iter().map(|q| q.kind).collect();
    kinds.dedup();
    kinds.sort();
    kinds.dedup();
    let mut kho_all = Vec::new();
    let mut fts_all = Vec::new();
    let mut rows = Vec::new();
    for kind in &kinds {
        let mut k = Vec::new();
        let mut f = Vec::new();
        for q in qs.iter().filter(|q| q.kind == *kind) {
            let filters = kho_filters(q)?;
            let t = Instant::now();
            kho.search(&q.text, &filters, 10, true)?;
            k.push(t.elapsed());
            if !kho_only {
                let ff = fts_filters(q);
                let t = Instant::now();
                fts.search(&q.text, &ff, 10)?;
                f.push(t.elapsed());
            }
        }
        k.sort();
        f.sort();
        kho_all.extend_from_slice(&k);
        fts_all.extend_from_slice(&f);
        rows.push((kind.to_string(), k, f));
    }
    kho_all.sort();
    fts_all.sort();
    rows.push(("all".to_string(), kho_all, fts_all));
    println!(
        "{n} documents ({:.0} MB of body text); indexing: Kho {:.0} s, FTS5 {:.0} s (incl. optimize)\n",
        bytes as f64 / 1e6,
        kho_time.as_secs_f64(),
        fts_time.as_secs_f64()
    );
    println!("| queries | n | Kho p50 | Kho p99 | FTS5 p50 | FTS5 p99 |");
    println!("|---|---|---|---|---|---|");
    for (kind, k, f) in rows {
        println!(
            "| {kind} | {} | {} | {} | {} | {} |",
            k.len(),
            ms(percentile(&k, 0.5)),
            ms(percentile(&k, 0.99)),
            ms(percentile(&f, 0.5)),
            ms(percentile(&f, 0.99))
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_hundred() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&v[..1], 0.99), Duration::from_millis(1));
    }
}

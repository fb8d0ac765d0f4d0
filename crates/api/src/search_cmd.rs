//! `kho search`, `kho analyze`, `kho reindex`, and the search index kept
//! current after deposits and checked by `kho verify`.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use archive_core::archive::{Archive, ArchiveOptions};
use archive_core::store::Store;
use indexer::schema::{pair_tokens, word_tokens};
use indexer::{
    DriftReport, Filters, IndexError, SearchBackend, SearchRequest, SearchResults, SortOrder,
    TantivyBackend,
};

use crate::cli::UsageError;

/// Arguments of `kho search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for: words with or without diacritics, "quoted phrases" (words in
    /// order, not across punctuation), document numbers.
    query: String,
    /// Issued on or after this date (YYYY-MM-DD).
    #[arg(long)]
    from: Option<String>,
    /// Issued on or before this date (YYYY-MM-DD).
    #[arg(long)]
    to: Option<String>,
    /// Document type (e.g. "Quyết định" or "quyet dinh").
    #[arg(long = "type")]
    doc_type: Option<String>,
    /// Issuing agency: words of its name or its code.
    #[arg(long)]
    agency: Option<String>,
    /// Dossier reference.
    #[arg(long)]
    dossier: Option<String>,
    /// Urgency (độ khẩn).
    #[arg(long)]
    urgency: Option<String>,
    /// Kind: incoming, outgoing or internal.
    #[arg(long)]
    kind: Option<String>,
    /// Order of results.
    #[arg(long, value_enum, default_value_t = Sort::Relevance)]
    sort: Sort,
    /// Most results.
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

/// Result order on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Sort {
    Relevance,
    Date,
}

/// Arguments of `kho analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Text to analyse as the index and queries see it.
    text: String,
}

fn parse_day(flag: &str, value: Option<&str>) -> anyhow::Result<Option<time::Date>> {
    value
        .map(|v| {
            indexer::parse_date(v.trim())
                .filter(|_| v.trim().len() == 10)
                .ok_or_else(|| {
                    UsageError(format!("--{flag} must be a date as YYYY-MM-DD, not {v:?}")).into()
                })
        })
        .transpose()
}

fn usage_or_internal(e: IndexError) -> anyhow::Error {
    match e {
        IndexError::Query(_) | IndexError::Missing(_) | IndexError::Incompatible(_) => {
            UsageError(e.to_string()).into()
        }
        other => other.into(),
    }
}

/// `kho search`.
pub async fn search(index_dir: &Path, args: SearchArgs, json: bool) -> anyhow::Result<ExitCode> {
    let request = SearchRequest {
        text: args.query,
        filters: Filters {
            from: parse_day("from", args.from.as_deref())?,
            to: parse_day("to", args.to.as_deref())?,
            doc_type: args.doc_type,
            agency: args.agency,
            dossier: args.dossier,
            urgency: args.urgency,
            kind: args.kind,
        },
        sort: match args.sort {
            Sort::Relevance => SortOrder::Relevance,
            Sort::Date => SortOrder::Date,
        },
        limit: args.limit,
        offset: 0,
        snippets: true,
        facets: true,
    };
    let dir = index_dir.to_path_buf();
    let results = tokio::task::spawn_blocking(move || {
        TantivyBackend::open(&dir).and_then(|b| b.search(&request))
    })
    .await?
    .map_err(usage_or_internal)?;
    if json {
        print_json(&results)?;
    } else {
        print_results(&results);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_results(r: &SearchResults) {
    let (open, close) = if std::io::stdout().is_terminal() {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    for note in &r.notes {
        eprintln!("kho: {note}");
    }
    println!(
        "{}{} result{}{}",
        if r.total_exact { "" } else { "more than " },
        r.total,
        if r.total == 1 { "" } else { "s" },
        if r.hits.len() < r.total {
            format!(", best {} shown", r.hits.len())
        } else {
            String::new()
        }
    );
    for (i, h) in r.hits.iter().enumerate() {
        println!(
            "\n{:>2}. {}  {}  {}",
            i + 1,
            h.doc_number.as_deref().unwrap_or("(no number)"),
            h.issued_on.as_deref().unwrap_or("(no date)"),
            h.doc_type.as_deref().unwrap_or("")
        );
        if !h.summary.is_empty() {
            println!("    {}", h.summary);
        }
        if let Some(a) = &h.agency {
            println!("    {a}");
        }
        if let Some(s) = &h.snippet
            && !s.text.is_empty()
        {
            println!("    {}", s.marked(open, close).replace('\n', " "));
        }
        println!("    record {}  score {:.2}", h.record_id, h.score);
    }
    if let Some(f) = &r.facets
        && r.total > 0
    {
        let show = |name: &str, counts: &[indexer::FacetCount]| {
            if !counts.is_empty() {
                let list: Vec<String> = counts
                    .iter()
                    .map(|c| format!("{} ({})", c.value, c.count))
                    .collect();
                println!("{name:<7} {}", list.join(", "));
            }
        };
        println!();
        show("type", &f.doc_type);
        show("year", &f.year);
        show("agency", &f.agency);
    }
}

/// `kho analyze`: the forms and tokens of a text.
pub fn analyze(args: AnalyzeArgs, json: bool) -> anyhow::Result<ExitCode> {
    let text = args.text;
    if text.len() > indexer::query::MAX_QUERY_BYTES * 64 {
        return Err(UsageError(format!(
            "text of {} bytes is too long to analyse: at most {} bytes",
            text.len(),
            indexer::query::MAX_QUERY_BYTES * 64
        ))
        .into());
    }
    let forms = vietnamese::forms(&text);
    let exact = word_tokens(&forms.exact);
    let fold = word_tokens(&forms.fold);
    let pairs = pair_tokens(&forms.fold);
    let doc_key = forms.doc_number_key();
    let query = indexer::query::parse_text(&text);
    if json {
        print_json(&serde_json::json!({
            "canonical": forms.canonical,
            "exact": forms.exact,
            "fold": forms.fold,
            "tokens": { "exact": exact, "fold": fold, "pairs": pairs },
            "doc_key": doc_key,
            "query": query,
        }))?;
    } else {
        println!("canonical  {}", forms.canonical);
        println!("exact      {}", forms.exact);
        println!("fold       {}", forms.fold);
        println!("tokens     exact: {}", exact.join(" | "));
        println!("           fold:  {}", fold.join(" | "));
        println!("           pairs: {}", pairs.join(" | "));
        if let Some(k) = doc_key {
            println!("doc_key    {k}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// `kho reindex`: rebuilds the index from the store alone.
pub async fn reindex(
    store: &Store,
    options: &ArchiveOptions,
    index_dir: &Path,
    json: bool,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let archive = Archive::open(store.clone(), options.clone()).await?;
    let started = std::time::Instant::now();
    let report = indexer::rebuild(&archive, index_dir)
        .await
        .map_err(usage_or_internal)?;
    if json {
        print_json(&report)?;
    } else {
        if !quiet {
            print_notes(&report.files_with_notes);
        }
        println!(
            "indexed {} records up to journal batch {} in {:.1}s into {}",
            report.indexed,
            report.to_seq,
            started.elapsed().as_secs_f64(),
            index_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_notes(files: &[indexer::SkippedFile]) {
    for f in files {
        for n in &f.notes {
            eprintln!("kho: index: {} {}: {n}", f.record_id, f.filename);
        }
    }
}

/// Brings the index up to date after a deposit. Never fails the deposit:
/// problems are reported on standard error with what to do.
pub async fn after_deposit(store: &Store, options: &ArchiveOptions, index_dir: &Path, quiet: bool) {
    let result = async {
        let archive = Archive::open(store.clone(), options.clone()).await?;
        indexer::catch_up(&archive, index_dir)
            .await
            .map_err(anyhow::Error::from)
    }
    .await;
    match result {
        Ok(report) => {
            if !quiet {
                print_notes(&report.files_with_notes);
            }
        }
        Err(e) => eprintln!(
            "kho: the deposit is stored, but the search index was not updated ({e:#}); run `kho reindex`"
        ),
    }
}

/// The index drift report for `kho verify`, or why there is none.
pub async fn drift_report(archive: &Archive, index_dir: &Path) -> Result<DriftReport, String> {
    indexer::drift(archive, index_dir)
        .await
        .map_err(|e| e.to_string())
}

/// The verify report with the index drift report added under `index`.
pub fn with_drift(
    report: &impl serde::Serialize,
    drift: &Result<DriftReport, String>,
) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(report)?;
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "index".into(),
            match drift {
                Ok(d) => serde_json::to_value(d)?,
                Err(e) => serde_json::json!({ "error": e }),
            },
        );
    }
    Ok(v)
}

/// Prints the drift report of `kho verify`.
pub fn print_drift(drift: &Result<DriftReport, String>) {
    match drift {
        Ok(d) if !d.present => println!(
            "index: none yet ({} records not indexed); run `kho reindex`",
            d.missing.len()
        ),
        Ok(d) if d.is_clean() => println!(
            "index: ok, covers journal batch {}",
            d.index_position.unwrap_or(0)
        ),
        Ok(d) => {
            for id in &d.missing {
                println!("index\t{id}\tcommitted but not in the search index");
            }
            for id in &d.extra {
                println!("index\t{id}\tin the search index but not in the store");
            }
            for id in &d.stale {
                println!("index\t{id}\tindexed from an older manifest version");
            }
            println!(
                "index: DRIFT: {} batches behind, {} missing, {} extra, {} stale; run `kho reindex`",
                d.lag,
                d.missing.len(),
                d.extra.len(),
                d.stale.len()
            );
        }
        Err(e) => println!("index: not checked ({e})"),
    }
}

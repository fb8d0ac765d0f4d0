//! `kho export parquet|bagit|ocfl`: tables for analysis and transfer packages.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use archive_core::archive::{Archive, ArchiveOptions};
use archive_core::store::Store;
use archive_core::{ArchiveError, ErrorClass};
use clap::{Args, Subcommand};
use export::selection::{self, Selection};
use export::{ExportError, Progress};
use indexer::{SearchBackend, SearchRequest, TantivyBackend};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::UsageError;

/// Most search hits a `--query` package takes (the most one search returns).
const QUERY_LIMIT: usize = 1000;

/// `kho export parquet|bagit|ocfl`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write the records, files, events, fixity checks, dispositions and backups as
    /// Parquet tables (zstd); with --since, add only rows of newer journal batches.
    Parquet(ParquetArgs),
    /// Write a BagIt (RFC 8493) transfer package: a directory, or a tar file when -o ends in .tar.
    Bagit(PackageArgs),
    /// Write an OCFL 1.1 storage root with one object per record.
    Ocfl(PackageArgs),
}

/// Arguments of `kho export parquet`.
#[derive(Debug, Args)]
pub struct ParquetArgs {
    /// Export directory: new or empty, or (with --since) one holding an earlier export.
    #[arg(long, short)]
    output: PathBuf,
    /// Only rows of journal batches after this one (the position `_kho_export.json` records).
    #[arg(long, value_name = "SEQ")]
    since: Option<u64>,
}

/// Which records a package holds, and where it goes.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("selector").required(true).args(["dossier", "records", "query"])))]
pub struct PackageArgs {
    /// Dossier code (mã hồ sơ): its records.
    dossier: Option<String>,
    /// Record ids, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    records: Vec<String>,
    /// Records matching a search (as `kho search` understands it).
    #[arg(long, value_name = "TEXT")]
    query: Option<String>,
    /// Destination: a new or empty directory (or FILE.tar for bagit).
    #[arg(long, short)]
    output: PathBuf,
}

/// Runs `kho export ...`.
pub async fn run(
    store: &Store,
    options: &ArchiveOptions,
    json: bool,
    quiet: bool,
    index_dir: &Path,
    cmd: ExportCommand,
) -> anyhow::Result<ExitCode> {
    let archive = Archive::open(store.clone(), options.clone()).await?;
    let hidden = quiet || json;
    match cmd {
        ExportCommand::Parquet(args) => {
            let from = args.since.unwrap_or(0);
            let (bar, progress) = bar(
                export::parquet::events_after(&archive, from),
                "exporting events",
                false,
                hidden,
            );
            let report = export::parquet::export(&archive, &args.output, args.since, progress)
                .await
                .map_err(reported)?;
            bar.finish_and_clear();
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "{} journal batches {}..{} to {}",
                    if report.incremental {
                        "added"
                    } else {
                        "exported"
                    },
                    report.since + 1,
                    report.until,
                    report.destination.display()
                );
                for (table, rows) in &report.rows {
                    println!("  {table}: {rows} rows");
                }
            }
        }
        ExportCommand::Bagit(args) => {
            let sel = select(&archive, &args, index_dir).await?;
            let manifests = selection::manifests(&archive, &sel).await?;
            let (bar, progress) = bar(
                export::bagit::payload_size(&manifests),
                "writing bag",
                true,
                hidden,
            );
            let report = export::bagit::export(&archive, &sel, &args.output, progress)
                .await
                .map_err(reported)?;
            bar.finish_and_clear();
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "wrote bag {}: {} records, {} payload files, Payload-Oxum {}",
                    report.destination.display(),
                    report.records,
                    report.payload_files,
                    report.payload_oxum
                );
            }
        }
        ExportCommand::Ocfl(args) => {
            let sel = select(&archive, &args, index_dir).await?;
            let manifests = selection::manifests(&archive, &sel).await?;
            let (bar, progress) = bar(
                export::bagit::payload_size(&manifests),
                "writing OCFL objects",
                true,
                hidden,
            );
            let report = export::ocfl::export(&archive, &sel, &args.output, progress)
                .await
                .map_err(reported)?;
            bar.finish_and_clear();
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "wrote OCFL storage root {}: {} objects, {} versions, {} content files",
                    report.destination.display(),
                    report.objects,
                    report.versions,
                    report.content_files
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Resolves the record selector of a package command.
async fn select(
    archive: &Archive,
    args: &PackageArgs,
    index_dir: &Path,
) -> anyhow::Result<Selection> {
    let result = if let Some(code) = &args.dossier {
        selection::by_dossier(archive, code).await
    } else if let Some(text) = &args.query {
        let ids = query_ids(archive, text, index_dir).await?;
        if ids.is_empty() {
            return Err(UsageError(format!(
                "no record matches {text:?}: try `kho search` first (nothing was written)"
            ))
            .into());
        }
        selection::by_ids(archive, &ids)
    } else {
        selection::by_ids(archive, &args.records)
    };
    result.map_err(reported)
}

/// Record ids matching a search, after bringing the index up to date.
async fn query_ids(archive: &Archive, text: &str, index_dir: &Path) -> anyhow::Result<Vec<String>> {
    indexer::catch_up(archive, index_dir)
        .await
        .map_err(|e| UsageError(format!("cannot search the index: {e}; run `kho reindex`")))?;
    let request = SearchRequest {
        limit: QUERY_LIMIT,
        snippets: false,
        facets: false,
        ..SearchRequest::new(text)
    };
    let dir = index_dir.to_path_buf();
    let results = tokio::task::spawn_blocking(move || {
        TantivyBackend::open(&dir).and_then(|b| b.search(&request))
    })
    .await?
    .map_err(|e| UsageError(format!("cannot search: {e}")))?;
    if results.total > results.hits.len() {
        return Err(UsageError(format!(
            "{text:?} matches {}{} records, more than the {QUERY_LIMIT} a package takes by query: narrow the query or export the dossier (nothing was written)",
            if results.total_exact { "" } else { "more than " },
            results.total
        ))
        .into());
    }
    Ok(results.hits.into_iter().map(|h| h.record_id).collect())
}

/// Maps an export error to the error types `main` turns into exit codes.
fn reported(e: ExportError) -> anyhow::Error {
    let message = e.to_string();
    match (e.class(), e) {
        (_, ExportError::Archive(a)) => a.into(),
        (ErrorClass::Input, _) => UsageError(message).into(),
        (_, ExportError::Io { what, source }) => ArchiveError::Io {
            what: format!("{what} (the partial export was removed)"),
            source,
        }
        .into(),
        (
            _,
            ExportError::Damaged {
                record,
                filename,
                detail,
            },
        ) => ArchiveError::Damaged {
            object: format!("record {record}, file {filename:?}"),
            detail: format!(
                "{detail}; run `kho verify` and `kho repair` (the partial export was removed)"
            ),
        }
        .into(),
        _ => ArchiveError::Internal(message).into(),
    }
}

/// A progress bar and the callback that advances it.
fn bar(len: u64, what: &str, bytes: bool, hidden: bool) -> (ProgressBar, Progress) {
    let pb = if hidden || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::hidden()
    } else {
        let template = if bytes {
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
        } else {
            "{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}"
        };
        let pb = ProgressBar::new(len);
        pb.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(what.to_string());
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    };
    let handle = pb.clone();
    (pb, std::sync::Arc::new(move |n| handle.inc(n)))
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

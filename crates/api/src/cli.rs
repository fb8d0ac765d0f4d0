//! Command-line interface.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use archive_core::ArchiveError;
use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest};
use archive_core::journal::Outcome;
use archive_core::model::{FileRole, RecordId};
use archive_core::scrub::{self, ScrubOptions};
use archive_core::store::Store;
use archive_core::verify::{self, Severity};
use clap::{Parser, Subcommand};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config;

/// Records committed per journal batch by one `kho deposit`.
const DEPOSIT_GROUP: usize = 64;
/// Records stored at the same time.
const DEPOSIT_CONCURRENCY: usize = 8;

/// An error in how `kho` was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Kho: long-term archive of signed electronic records.
#[derive(Debug, Parser)]
#[command(name = "kho", version, about)]
pub struct Cli {
    /// Configuration file (default: ./kho.toml when present).
    #[arg(long, global = true, env = "KHO_CONFIG")]
    config: Option<PathBuf>,
    /// Store URL or local path; overrides the configuration (file:///PATH, PATH, s3://BUCKET/PREFIX).
    #[arg(long, global = true, env = "KHO_STORE")]
    store: Option<String>,
    /// Print machine-readable JSON on standard output.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new store.
    Init,
    /// Deposit files as a record (first file main, others attachments), or one record per file with --each.
    Deposit {
        /// Files to deposit.
        files: Vec<PathBuf>,
        /// Metadata: inline JSON, @FILE, or - for standard input.
        #[arg(long, short)]
        metadata: Option<String>,
        /// One record per file (the same metadata for each).
        #[arg(long)]
        each: bool,
        /// Deposit records listed in a JSON array of objects with a "file" key (relative to the list) and metadata.
        #[arg(long, conflicts_with_all = ["files", "metadata", "each"])]
        batch: Option<PathBuf>,
    },
    /// Write the original bytes of a record's file.
    Get {
        /// Record id.
        id: String,
        /// File number, from 1.
        #[arg(long, default_value_t = 1)]
        file: usize,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Show a record's manifest.
    Show {
        /// Record id.
        id: String,
        /// Manifest version (default: latest).
        #[arg(long)]
        version: Option<u32>,
        /// Every version, with what changed between them.
        #[arg(long, conflicts_with = "version")]
        history: bool,
    },
    /// Check the signatures of a file without depositing it (exit 1 when the policy rejects it).
    VerifySignatures {
        /// A PDF, or a file with a detached FILE.p7s / FILE.sig beside it.
        file: PathBuf,
        /// Trust anchors (PEM file or directory); adds to those of kho.toml.
        #[arg(long = "trust-anchors")]
        trust_anchors: Vec<PathBuf>,
        /// Intermediate certificates (PEM file or directory).
        #[arg(long)]
        intermediates: Vec<PathBuf>,
    },
    /// Correct a record's metadata: writes a new version, the old ones stay.
    Edit {
        /// Record id.
        id: String,
        /// FIELD=VALUE (VALUE as JSON when it parses, else text; dotted paths for nested fields; `FIELD=null` removes).
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// A JSON merge patch (RFC 7396): inline, @FILE or - for standard input.
        #[arg(long, short)]
        metadata: Option<String>,
        /// Why (kept in the journal event).
        #[arg(long)]
        reason: Option<String>,
    },
    /// List records.
    List,
    /// Check the journal chain, manifests against blobs, orphans and canaries.
    Verify {
        /// Also re-check every stored signature with today's trust anchors (each result
        /// is a journal event; the verdicts recorded at deposit stay).
        #[arg(long)]
        signatures: bool,
    },
    /// Re-hash every blob against its name.
    Scrub {
        /// Read at most this many MB/s.
        #[arg(long)]
        rate: Option<f64>,
        /// Continue the last unfinished scrub.
        #[arg(long)]
        resume: bool,
    },
    /// Search records: words with or without diacritics, "quoted phrases", document numbers.
    Search(crate::search_cmd::SearchArgs),
    /// Show how a text is normalised and tokenised for search.
    Analyze(crate::search_cmd::AnalyzeArgs),
    /// Rebuild the search index from the store.
    Reindex,
    /// Print the journal.
    Log {
        /// From this batch on.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// At most this many events.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Back the store up to targets named in kho.toml, verify, restore.
    Backup {
        #[command(subcommand)]
        cmd: crate::backup_cmd::BackupCommand,
    },
    /// Replace damaged or missing blobs and manifests with verified copies from backup targets.
    Repair(crate::backup_cmd::RepairArgs),
    /// List the format versions of stored objects and upgrade older ones (dry run by default).
    Migrate(crate::backup_cmd::MigrateArgs),
    /// Import registers (CSV) and edXML messages as records.
    Import {
        #[command(subcommand)]
        cmd: crate::import_cmd::ImportCommand,
    },
    /// Export registers (and, later, packages).
    Export {
        #[command(subcommand)]
        cmd: ExportCommand,
    },
    /// Count documents sent and received in a period, with and without valid signatures.
    Report(crate::report_cmd::ReportArgs),
    /// Dossiers (hồ sơ): create, add records, close, list, show.
    Dossier {
        #[command(subcommand)]
        cmd: crate::dossier_cmd::DossierCommand,
    },
    /// Retention, legal holds, disposition and orphan collection.
    #[command(flatten)]
    Records(crate::retention_cmd::RecordsCommand),
    /// Run the HTTP API and the web UI (creates a local store and a first admin on first start).
    Serve(crate::server::ServeArgs),
    /// Manage accounts (while no server has the store open).
    User {
        #[command(subcommand)]
        cmd: crate::server::UserCmd,
    },
}

/// What `kho export` writes.
#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// A register (sổ đăng ký văn bản đi / đến) of a period as CSV.
    Register(crate::import_cmd::ExportRegisterArgs),
    #[command(flatten)]
    Package(crate::export_cmd::ExportCommand),
}

struct Ctx {
    store: Store,
    options: ArchiveOptions,
    json: bool,
    quiet: bool,
}

impl Ctx {
    fn progress(&self, len: u64, what: &str) -> ProgressBar {
        progress_bar(len, what, self.quiet || self.json)
    }
}

/// A byte progress bar on standard error; hidden with `--quiet`/`--json` or when
/// standard error is not a terminal.
pub(crate) fn progress_bar(len: u64, what: &str, hidden: bool) -> ProgressBar {
    if hidden || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (cfg, base) =
        config::load(cli.config.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let url = cli.store.clone().unwrap_or(cfg.store.url.clone());
    let store = Store::open_url(&url, &cfg.store.s3, &base)?;
    let options = ArchiveOptions {
        compression: cfg
            .ingest
            .compression()
            .map_err(|e| UsageError(e.to_string()))?,
        formats: cfg.ingest.formats,
        metadata: cfg.ingest.metadata,
        signatures: {
            let (anchors, intermediates) = cfg.signatures.resolved(&base);
            archive_core::signing::load_options(&anchors, &intermediates)?
        },
        ..ArchiveOptions::default()
    };
    let ctx = Ctx {
        store,
        options,
        json: cli.json,
        quiet: cli.quiet,
    };
    let backup_ctx = || {
        crate::backup_cmd::Shared::new(&ctx.store, &ctx.options, ctx.json, ctx.quiet, &cfg, &base)
    };
    match cli.command {
        Command::Init => init(&ctx).await,
        Command::Deposit {
            files,
            metadata,
            each,
            batch,
        } => {
            let result = deposit(&ctx, files, metadata, each, batch).await;
            let dir = cfg.index.dir(&base);
            crate::search_cmd::after_deposit(&ctx.store, &ctx.options, &dir, ctx.quiet).await;
            result
        }
        Command::Get { id, file, output } => get(&ctx, &id, file, output).await,
        Command::Show {
            id,
            version,
            history,
        } => {
            if history {
                show_history(&ctx, &id).await
            } else {
                show(&ctx, &id, version).await
            }
        }
        Command::VerifySignatures {
            file,
            trust_anchors,
            intermediates,
        } => {
            let (mut anchors, mut inter) = cfg.signatures.resolved(&base);
            anchors.extend(trust_anchors);
            inter.extend(intermediates);
            verify_signatures(&ctx, &file, &anchors, &inter)
        }
        Command::Edit {
            id,
            set,
            metadata,
            reason,
        } => {
            let result = edit(&ctx, &id, &set, metadata.as_deref(), reason.as_deref()).await;
            let dir = cfg.index.dir(&base);
            crate::search_cmd::after_deposit(&ctx.store, &ctx.options, &dir, ctx.quiet).await;
            result
        }
        Command::List => list(&ctx).await,
        Command::Verify { signatures } => {
            let code = verify_cmd(&ctx, &cfg.index.dir(&base)).await?;
            if signatures {
                let sig = revalidate_cmd(&ctx).await?;
                if sig != ExitCode::SUCCESS {
                    return Ok(sig);
                }
            }
            Ok(code)
        }
        Command::Scrub { rate, resume } => scrub_cmd(&ctx, rate, resume).await,
        Command::Log { from, limit } => log(&ctx, from, limit).await,
        Command::Search(args) => {
            crate::search_cmd::search(&cfg.index.dir(&base), args, ctx.json).await
        }
        Command::Analyze(args) => crate::search_cmd::analyze(args, ctx.json),
        Command::Reindex => {
            let dir = cfg.index.dir(&base);
            crate::search_cmd::reindex(&ctx.store, &ctx.options, &dir, ctx.json, ctx.quiet).await
        }
        Command::Backup { cmd } => {
            let sh = backup_ctx();
            crate::backup_cmd::backup(sh, cmd).await
        }
        Command::Repair(args) => {
            let sh = backup_ctx();
            crate::backup_cmd::repair(sh, args).await
        }
        Command::Migrate(args) => {
            let sh = backup_ctx();
            crate::backup_cmd::migrate(sh, args).await
        }
        Command::Import { cmd } => {
            let result =
                crate::import_cmd::import(&ctx.store, &ctx.options, ctx.json, ctx.quiet, cmd).await;
            let dir = cfg.index.dir(&base);
            crate::search_cmd::after_deposit(&ctx.store, &ctx.options, &dir, ctx.quiet).await;
            result
        }
        Command::Export {
            cmd: ExportCommand::Register(args),
        } => crate::import_cmd::export_register(&ctx.store, &ctx.options, ctx.json, args).await,
        Command::Report(args) => {
            crate::report_cmd::report(&ctx.store, &ctx.options, ctx.json, args).await
        }
        Command::Export {
            cmd: ExportCommand::Package(cmd),
        } => {
            let dir = cfg.index.dir(&base);
            crate::export_cmd::run(&ctx.store, &ctx.options, ctx.json, ctx.quiet, &dir, cmd).await
        }
        Command::Dossier { cmd } => {
            let rc =
                crate::retention_cmd::Rc::new(&ctx.store, &ctx.options, ctx.json, &cfg, &base)?;
            crate::dossier_cmd::run(rc, cmd).await
        }
        Command::Records(cmd) => {
            let rc =
                crate::retention_cmd::Rc::new(&ctx.store, &ctx.options, ctx.json, &cfg, &base)?;
            crate::retention_cmd::run(rc, cmd).await
        }
        Command::Serve(args) => {
            let sctx = crate::server::ServeContext {
                store: ctx.store.clone(),
                options: ctx.options.clone(),
                index_dir: cfg.index.dir(&base),
                settings: cfg.serve.clone(),
                backup_targets: cfg.backup.targets.keys().cloned().collect(),
                targets: if cfg.backup.targets.is_empty() {
                    Vec::new()
                } else {
                    crate::backup_cmd::open_targets(&cfg, &base, None)?
                },
                schedule: crate::retention_cmd::load_schedule(&cfg, &base)?,
            };
            crate::server::run(sctx, args).await
        }
        Command::User { cmd } => {
            crate::server::user(ctx.store.clone(), ctx.options.clone(), cmd, ctx.json).await
        }
    }
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

async fn init(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let a = Archive::init(ctx.store.clone(), ctx.options.clone()).await?;
    let id = a.descriptor().store_id;
    let loc = a.store().location().to_string();
    a.close().await?;
    if ctx.json {
        print_json(&serde_json::json!({ "store_id": id, "location": loc }))?;
    } else {
        println!("initialised Kho store {id} at {loc}");
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_metadata(arg: Option<&str>) -> anyhow::Result<serde_json::Value> {
    let text = match arg {
        None => return Ok(serde_json::json!({})),
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .context("reading metadata from standard input")?;
            s
        }
        Some(a) if a.starts_with('@') => {
            let p = &a[1..];
            std::fs::read_to_string(p).map_err(|source| ArchiveError::InputFile {
                path: p.into(),
                source,
            })?
        }
        Some(a) => a.to_string(),
    };
    serde_json::from_str(&text).map_err(|e| {
        ArchiveError::InvalidMetadata {
            problems: vec![format!("(json): metadata is not valid JSON: {e}")],
        }
        .into()
    })
}

async fn deposit(
    ctx: &Ctx,
    files: Vec<PathBuf>,
    metadata: Option<String>,
    each: bool,
    batch: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let mut requests: Vec<(Vec<PathBuf>, serde_json::Value)> = Vec::new();
    if let Some(list) = batch {
        let text = std::fs::read_to_string(&list).map_err(|source| ArchiveError::InputFile {
            path: list.clone(),
            source,
        })?;
        let entries: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(&text)
            .map_err(|e| ArchiveError::InvalidMetadata {
                problems: vec![format!(
                    "{}: not a JSON array of objects: {e}",
                    list.display()
                )],
            })?;
        let dir = list.parent().map(Path::to_path_buf).unwrap_or_default();
        for (i, mut e) in entries.into_iter().enumerate() {
            let file = match e.remove("file") {
                Some(serde_json::Value::String(f)) => f,
                _ => {
                    return Err(ArchiveError::InvalidMetadata {
                        problems: vec![format!("[{i}].file: missing or not a string")],
                    }
                    .into());
                }
            };
            requests.push((vec![dir.join(file)], serde_json::Value::Object(e)));
        }
    } else {
        if files.is_empty() {
            return Err(UsageError(
                "give at least one file to deposit (or --batch LIST.json)".into(),
            )
            .into());
        }
        let md = parse_metadata(metadata.as_deref())?;
        if each {
            requests.extend(files.into_iter().map(|f| (vec![f], md.clone())));
        } else {
            requests.push((files, md));
        }
    }
    // Check every input before writing anything.
    for (files, _) in &requests {
        for f in files {
            let m = std::fs::metadata(f).map_err(|source| ArchiveError::InputFile {
                path: f.clone(),
                source,
            })?;
            if m.is_dir() {
                return Err(ArchiveError::InvalidInput(format!(
                    "{} is a directory: give the files inside it",
                    f.display()
                ))
                .into());
            }
            std::fs::File::open(f).map_err(|source| ArchiveError::InputFile {
                path: f.clone(),
                source,
            })?;
        }
    }
    let total: u64 = requests
        .iter()
        .flat_map(|(f, _)| f.iter())
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut a = Archive::open_writer(ctx.store.clone(), ctx.options.clone(), "deposit").await?;
    let pb = ctx.progress(total, "deposit");
    let mut receipts = Vec::new();
    let mut failure = None;
    // Records are stored several at a time and committed a group per journal batch;
    // each is acknowledged (printed) only after its group's batch is written.
    let mut pending = requests.into_iter().peekable();
    while pending.peek().is_some() {
        let group: Vec<(Vec<PathBuf>, serde_json::Value)> =
            pending.by_ref().take(DEPOSIT_GROUP).collect();
        let names: Vec<String> = group
            .iter()
            .map(|(f, _)| {
                f.iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
        let sizes: Vec<u64> = group
            .iter()
            .map(|(f, _)| {
                f.iter()
                    .filter_map(|f| std::fs::metadata(f).ok())
                    .map(|m| m.len())
                    .sum()
            })
            .collect();
        let reqs = group
            .into_iter()
            .map(|(files, md)| DepositRequest {
                metadata: md,
                files: files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let role = if i == 0 {
                            FileRole::Main
                        } else {
                            FileRole::Attachment
                        };
                        DepositFile::from_path(f.clone(), role)
                    })
                    .collect(),
            })
            .collect();
        let results = match a.deposit_many(reqs, DEPOSIT_CONCURRENCY).await {
            Ok(r) => r,
            Err(e) => {
                failure = Some(anyhow::Error::new(e).context(format!(
                    "committing a group of deposits failed; none of {} was acknowledged ({} record(s) acknowledged before are safe)",
                    names.join("; "),
                    receipts.len()
                )));
                break;
            }
        };
        for ((r, name), size) in results.into_iter().zip(names).zip(sizes) {
            match r {
                Ok(r) => {
                    pb.inc(size);
                    if !ctx.json {
                        let extra = r.files.len().saturating_sub(1);
                        pb.suspend(|| {
                            println!(
                                "{}\t{}{}",
                                r.record_id,
                                r.files.first().map(|f| f.filename.as_str()).unwrap_or(""),
                                if extra > 0 {
                                    format!(" (+{extra} files)")
                                } else {
                                    String::new()
                                }
                            )
                        });
                    }
                    for w in &r.warnings {
                        pb.suspend(|| eprintln!("kho: warning: {}: {w}", r.record_id));
                    }
                    receipts.push(r);
                }
                Err(e) if failure.is_none() => {
                    failure = Some(anyhow::Error::new(e).context(format!(
                        "deposit of {name} failed; nothing of it is visible (every record printed is safe)"
                    )));
                }
                Err(e) => eprintln!("kho: deposit of {name} also failed: {e}"),
            }
        }
        if failure.is_some() {
            break;
        }
    }
    pb.finish_and_clear();
    a.close().await?;
    if ctx.json {
        print_json(&receipts)?;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn parse_id(id: &str) -> anyhow::Result<RecordId> {
    id.parse::<RecordId>()
        .map_err(|e| ArchiveError::InvalidInput(e.to_string()).into())
}

async fn get(
    ctx: &Ctx,
    id: &str,
    file: usize,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    if file == 0 {
        return Err(UsageError("--file counts from 1".into()).into());
    }
    let a = Archive::open(ctx.store.clone(), ctx.options.clone()).await?;
    let (entry, mut stream) = a.open_file(&id, file - 1).await?;
    let pb = ctx.progress(entry.size, "get");
    let (mut sink, partial): (Box<dyn Write + Send>, Option<(PathBuf, PathBuf)>) = match &output {
        Some(out) => {
            let mut tmp = out.clone().into_os_string();
            tmp.push(".kho-partial");
            let tmp = PathBuf::from(tmp);
            let f = std::fs::File::create(&tmp).map_err(|source| ArchiveError::Io {
                what: format!("creating {}", tmp.display()),
                source,
            })?;
            (
                Box::new(std::io::BufWriter::new(f)),
                Some((tmp, out.clone())),
            )
        }
        None => (Box::new(std::io::BufWriter::new(std::io::stdout())), None),
    };
    let mut hasher = blake3::Hasher::new();
    let result: anyhow::Result<()> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| {
                let object = archive_core::layout::blob(&entry.blake3, entry.encoding).to_string();
                if source.kind() == std::io::ErrorKind::InvalidData {
                    ArchiveError::Damaged {
                        object,
                        detail: format!("stored bytes cannot be decoded ({source}); run `kho repair` from a backup"),
                    }
                } else {
                    ArchiveError::Io {
                        what: format!("reading {object}"),
                        source,
                    }
                }
            })?;
            hasher.update(&chunk);
            sink.write_all(&chunk).context("writing output")?;
            pb.inc(chunk.len() as u64);
        }
        sink.flush().context("writing output")?;
        let got = archive_core::BlobHash::from(hasher.finalize());
        if got != entry.blake3 || hasher.count() != entry.size {
            return Err(ArchiveError::Damaged {
                object: archive_core::layout::blob(&entry.blake3, entry.encoding).to_string(),
                detail: format!("read back {} bytes hashing to {got}; expected {} bytes hashing to {}; run `kho repair` from a backup", hasher.count(), entry.size, entry.blake3),
            }
            .into());
        }
        Ok(())
    }
    .await;
    pb.finish_and_clear();
    drop(sink);
    match (result, partial) {
        (Ok(()), Some((tmp, out))) => {
            std::fs::rename(&tmp, &out)
                .with_context(|| format!("renaming {} to {}", tmp.display(), out.display()))?;
            if !ctx.json && !ctx.quiet {
                eprintln!(
                    "wrote {} ({} bytes, blake3 {})",
                    out.display(),
                    entry.size,
                    entry.blake3
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        (Ok(()), None) => Ok(ExitCode::SUCCESS),
        (Err(e), partial) => {
            if let Some((tmp, _)) = partial {
                let _ = std::fs::remove_file(tmp);
            }
            Err(e)
        }
    }
}

async fn show(ctx: &Ctx, id: &str, version: Option<u32>) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    let a = Archive::open(ctx.store.clone(), ctx.options.clone()).await?;
    if version.is_none() {
        a.check_not_disposed(&id)?;
    }
    let m = a.manifest(&id, version).await?;
    if ctx.json {
        print_json(&m)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("record    {}", m.record_id);
    println!(
        "version   {} of {}",
        m.version,
        a.catalog()
            .records
            .get(&id)
            .map(|e| e.versions.len())
            .unwrap_or(0)
    );
    println!("received  {}", m.received_at);
    println!("by        {}", m.actor);
    if let Some(o) = m.metadata.as_object() {
        for (k, v) in o {
            if !v.is_null() {
                println!(
                    "{k:<9} {}",
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                );
            }
        }
    }
    for r in &m.signature_reports {
        println!(
            "signature file {}: {} ({})",
            r.file + 1,
            r.decision,
            r.reason
        );
    }
    for (i, f) in m.files.iter().enumerate() {
        println!(
            "file {}    {} [{:?}, {}, {} bytes]\n          blake3 {}\n          sha256 {}",
            i + 1,
            f.filename,
            f.role,
            f.media_type,
            f.size,
            f.blake3,
            f.sha256
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_signatures(
    ctx: &Ctx,
    file: &Path,
    anchors: &[PathBuf],
    intermediates: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let options = archive_core::signing::load_options(anchors, intermediates)?;
    let open = |p: &Path| {
        std::fs::File::open(p).map_err(|source| ArchiveError::InputFile {
            path: p.to_path_buf(),
            source,
        })
    };
    let f = open(file)?;
    let mut detached = None;
    for ext in ["p7s", "sig"] {
        let mut s = file.as_os_str().to_owned();
        s.push(format!(".{ext}"));
        let p = PathBuf::from(s);
        if p.is_file() {
            detached = Some(std::fs::read(&p).map_err(|source| ArchiveError::InputFile {
                path: p.clone(),
                source,
            })?);
            break;
        }
    }
    let report = match detached {
        Some(sig) => signatures::verify_detached(f, &sig, &options),
        None => signatures::verify_pdf(f, &options),
    };
    if ctx.json {
        print_json(&report)?;
    } else {
        println!("{}: {}", report.decision.as_str(), report.reason);
        for (i, v) in report.signatures.iter().enumerate() {
            let yn = |b: bool| if b { "yes" } else { "no" };
            println!(
                "  signature {} ({}): signer {}; intact {}; trusted {}; covers whole file {}; modified after signing {}; timestamped {}; certificate valid at signing time {}",
                i + 1,
                v.field.as_deref().unwrap_or("detached"),
                v.signer_cn.as_deref().unwrap_or("?"),
                yn(v.intact),
                v.trusted.map(yn).unwrap_or("unknown"),
                yn(v.covers_whole_file),
                yn(v.modified_after_signing),
                yn(v.timestamped),
                v.cert_valid_at_signing_time.map(yn).unwrap_or("unknown"),
            );
            for p in v.problems.iter().chain(&v.warnings) {
                println!("    - {p}");
            }
        }
        println!("  revocation: not checked (no network during verification)");
    }
    Ok(if report.decision == signatures::Decision::Reject {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Builds a merge patch from `--set FIELD=VALUE` arguments and an optional JSON patch.
fn build_patch(set: &[String], metadata: Option<&str>) -> anyhow::Result<serde_json::Value> {
    let mut patch = match metadata {
        Some(_) => parse_metadata(metadata)?,
        None => serde_json::json!({}),
    };
    for kv in set {
        let (path, raw) = kv
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--set {kv:?}: expected FIELD=VALUE")))?;
        if path.is_empty() {
            return Err(UsageError(format!("--set {kv:?}: empty field name")).into());
        }
        let value = serde_json::from_str::<serde_json::Value>(raw)
            .unwrap_or_else(|_| serde_json::Value::String(raw.to_string()));
        let mut nested = value;
        for part in path.rsplit('.') {
            nested = serde_json::json!({ part: nested });
        }
        archive_core::archive::merge_patch(&mut patch, &nested);
    }
    if patch.as_object().is_none_or(|o| o.is_empty()) {
        return Err(UsageError(
            "nothing to change: give --set FIELD=VALUE or --metadata PATCH".into(),
        )
        .into());
    }
    Ok(patch)
}

async fn edit(
    ctx: &Ctx,
    id: &str,
    set: &[String],
    metadata: Option<&str>,
    reason: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    let patch = build_patch(set, metadata)?;
    let mut a = Archive::open_writer(ctx.store.clone(), ctx.options.clone(), "edit").await?;
    let res = a.update_metadata(&id, &patch, reason).await;
    a.close().await?;
    let r = res?;
    if ctx.json {
        print_json(&r)?;
    } else {
        println!("{} version {}", r.record_id, r.version);
        for c in &r.changes {
            println!("  {}: {} -> {}", c.path, c.old, c.new);
        }
        for w in &r.warnings {
            eprintln!("kho: warning: {}: {w}", r.record_id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn show_history(ctx: &Ctx, id: &str) -> anyhow::Result<ExitCode> {
    let id = parse_id(id)?;
    let a = Archive::open(ctx.store.clone(), ctx.options.clone()).await?;
    let versions = a.history(&id).await?;
    let mut rows = Vec::new();
    let mut prev: Option<&archive_core::RecordManifest> = None;
    for m in &versions {
        let changes = match prev {
            Some(p) => archive_core::archive::metadata_diff(&p.metadata, &m.metadata),
            None => Vec::new(),
        };
        rows.push(serde_json::json!({
            "version": m.version,
            "created_at": m.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "actor": m.actor,
            "previous": m.previous,
            "changes": changes,
        }));
        prev = Some(m);
    }
    if ctx.json {
        print_json(&rows)?;
    } else {
        for r in &rows {
            println!(
                "version {}  {}  by {}",
                r["version"],
                r["created_at"].as_str().unwrap_or(""),
                r["actor"].as_str().unwrap_or("")
            );
            if let Some(ch) = r["changes"].as_array() {
                for c in ch {
                    println!(
                        "  {}: {} -> {}",
                        c["path"].as_str().unwrap_or(""),
                        c["old"],
                        c["new"]
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let a = Archive::open(ctx.store.clone(), ctx.options.clone()).await?;
    let mut rows = Vec::new();
    for id in a.record_ids() {
        let m = a.manifest(id, None).await?;
        rows.push(m);
    }
    if ctx.json {
        print_json(&rows)?;
    } else {
        for m in rows {
            let num = m
                .metadata
                .get("doc_number")
                .and_then(|v| v.as_str())
                .unwrap_or("-");
            let sum = m
                .metadata
                .get("summary")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            println!(
                "{}\t{}\t{}\t{}",
                m.record_id,
                num,
                m.files.first().map(|f| f.filename.as_str()).unwrap_or(""),
                sum
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn revalidate_cmd(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let mut a = Archive::open_writer(
        ctx.store.clone(),
        ctx.options.clone(),
        "verify --signatures",
    )
    .await?;
    let res = archive_core::signing::revalidate(&mut a).await;
    a.close().await?;
    let rows = res?;
    if ctx.json {
        print_json(&rows)?;
    } else {
        for r in &rows {
            println!(
                "signature\t{}\t{}\t{} (at deposit: {})\t{}",
                r.record_id, r.filename, r.decision, r.previous_decision, r.reason
            );
        }
        println!("signatures: {} file(s) re-checked", rows.len());
    }
    Ok(if rows.iter().any(|r| r.decision == "reject") {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn verify_cmd(ctx: &Ctx, index_dir: &Path) -> anyhow::Result<ExitCode> {
    let a = Archive::open(ctx.store.clone(), ctx.options.clone()).await?;
    let rep = verify::verify(&a).await?;
    let drift = crate::search_cmd::drift_report(&a, index_dir).await;
    if ctx.json {
        print_json(&crate::search_cmd::with_drift(&rep, &drift)?)?;
    } else {
        for f in &rep.findings {
            let tag = match f.severity {
                Severity::Damage => "DAMAGE",
                Severity::Orphan => "orphan",
                Severity::Warning => "warning",
            };
            println!("{tag}\t{}\t{}", f.object, f.detail);
        }
        let damage = rep
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Damage)
            .count();
        let orphans = rep
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Orphan)
            .count();
        println!(
            "{}: {} journal batches, {} records, {} manifests, {} blobs, {} canaries detected; {damage} damaged, {orphans} orphans",
            if damage == 0 { "ok" } else { "DAMAGE FOUND" },
            rep.journal_batches,
            rep.records,
            rep.manifests,
            rep.blobs_referenced,
            rep.canaries.iter().filter(|c| c.detected).count(),
        );
        crate::search_cmd::print_drift(&drift);
    }
    Ok(if rep.has_damage() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn scrub_cmd(ctx: &Ctx, rate: Option<f64>, resume: bool) -> anyhow::Result<ExitCode> {
    let mut a = Archive::open_writer(ctx.store.clone(), ctx.options.clone(), "scrub").await?;
    let pb = ctx.progress(0, "scrub");
    let opts = ScrubOptions {
        rate_bytes_per_sec: rate.filter(|r| *r > 0.0).map(|r| (r * 1_000_000.0) as u64),
        resume,
    };
    let pb2 = pb.clone();
    let res = scrub::scrub(&mut a, &opts, &move |done, total| {
        pb2.set_length(total);
        pb2.set_position(done);
    })
    .await;
    pb.finish_and_clear();
    let rep = match res {
        Ok(r) => r,
        Err(e) => {
            let _ = a.close().await;
            return Err(e.into());
        }
    };
    a.close().await?;
    if ctx.json {
        print_json(&rep)?;
    } else {
        for f in &rep.findings {
            println!("DAMAGE\t{}\t{}", f.object, f.detail);
        }
        println!(
            "{}: {} blobs, {} bytes re-hashed in {:.1}s ({:.0} MB/s); canaries {}/{} detected; coverage period {} days, {} blobs overdue",
            if rep.has_damage() {
                "DAMAGE FOUND"
            } else {
                "ok"
            },
            rep.checked,
            rep.bytes,
            rep.seconds,
            rep.bytes as f64 / rep.seconds.max(1e-9) / 1e6,
            rep.canaries.iter().filter(|c| c.detected).count(),
            rep.canaries.len(),
            rep.coverage_period_days,
            rep.overdue
        );
    }
    Ok(if rep.has_damage() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn log(ctx: &Ctx, from: u64, limit: Option<usize>) -> anyhow::Result<ExitCode> {
    let a = Archive::open(ctx.store.clone(), ctx.options.clone()).await?;
    let mut out = Vec::new();
    for b in a.journal().batches.iter().filter(|b| b.batch.seq >= from) {
        for e in &b.batch.events {
            out.push((b.batch.seq, e));
        }
    }
    if let Some(l) = limit {
        out.truncate(l);
    }
    if ctx.json {
        let v: Vec<_> = out
            .iter()
            .map(|(seq, e)| serde_json::json!({ "seq": seq, "event": e }))
            .collect();
        print_json(&v)?;
    } else {
        for (seq, e) in &out {
            let t = e
                .time
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let oc = match e.outcome {
                Outcome::Success => "ok",
                Outcome::Failure => "FAILED",
                Outcome::Warning => "warning",
            };
            println!(
                "{seq:>8}  {t}  {:<22} {:<7} {}  {}",
                e.kind, oc, e.object, e.actor
            );
        }
    }
    for p in &a.journal().problems {
        eprintln!("kho: journal damaged at {}: {}", p.object, p.detail);
    }
    Ok(if a.journal().problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

//! `kho import register|edxml` and `kho export register`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use archive_core::ArchiveError;
use archive_core::archive::{Archive, ArchiveOptions};
use archive_core::import::{
    DEFAULT_MAX_ATTACHMENT_BYTES, EdxmlImportOptions, ImportReport, RegisterExport,
    RegisterImportOptions,
};
use archive_core::store::Store;
use clap::{Args, Subcommand, ValueEnum};
use records::RecordKind;
use records::edxml::PriorityMeaning;
use records::register::RegisterKind;
use time::Date;

use crate::cli::UsageError;

/// Which register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Sổ đăng ký văn bản đi.
    Outgoing,
    /// Sổ đăng ký văn bản đến.
    Incoming,
}

impl KindArg {
    fn record(self) -> RecordKind {
        match self {
            KindArg::Outgoing => RecordKind::Outgoing,
            KindArg::Incoming => RecordKind::Incoming,
        }
    }

    fn register(self) -> RegisterKind {
        match self {
            KindArg::Outgoing => RegisterKind::Outgoing,
            KindArg::Incoming => RegisterKind::Incoming,
        }
    }
}

/// `kho import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a register (CSV, UTF-8 or windows-1258): one record per row, files named in
    /// the column "Tệp đính kèm". Every row is checked first; if one fails, nothing is imported.
    Register {
        /// The register CSV file.
        file: PathBuf,
        /// Outgoing (văn bản đi) or incoming (văn bản đến) register.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Directory holding the files named in the register (default: the CSV's directory).
        #[arg(long)]
        files: Option<PathBuf>,
        /// Name of the agency keeping the register (issuer of outgoing documents).
        #[arg(long)]
        issuer: Option<String>,
        /// Its agency code.
        #[arg(long = "issuer-code")]
        issuer_code: Option<String>,
    },
    /// Import edXML messages (QCVN 102:2016), one record each; attachments are streamed.
    Edxml {
        /// Message files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Outgoing (the agency's own messages) or incoming (received; default).
        #[arg(long, value_enum, default_value = "incoming")]
        kind: KindArg,
        /// Meaning of an OtherInfo/Priority code, e.g. `1=urgency:khan` or
        /// `2=secrecy:mat` (secret documents are refused); repeat for each code.
        #[arg(long = "priority", value_name = "CODE=FIELD:VALUE[,FIELD:VALUE]")]
        priority: Vec<String>,
        /// Largest decoded attachment accepted, in bytes (suffixes K, M, G).
        #[arg(long = "max-attachment-size", env = "KHO_MAX_ATTACHMENT_SIZE")]
        max_attachment_size: Option<String>,
    },
}

/// `kho export register`.
#[derive(Debug, Args)]
pub struct ExportRegisterArgs {
    /// Outgoing (by ngày ban hành) or incoming (by ngày đến) register.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// First day (YYYY-MM-DD or dd/mm/yyyy).
    #[arg(long)]
    from: String,
    /// Last day, included.
    #[arg(long)]
    to: String,
    /// Output file (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// CSV that spreadsheet programs open with Vietnamese text intact (UTF-8 with BOM, CRLF).
    #[arg(long = "xlsx-csv")]
    xlsx_csv: bool,
}

/// A date argument: `YYYY-MM-DD` or `dd/mm/yyyy`.
pub(crate) fn parse_date(flag: &str, text: &str) -> Result<Date, UsageError> {
    records::dates::parse_lenient(text.trim()).map_err(|e| {
        UsageError(format!(
            "{flag} {text:?}: {e}; give a date as YYYY-MM-DD or dd/mm/yyyy"
        ))
    })
}

fn parse_size(text: &str) -> Result<u64, UsageError> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], t[i..].trim().to_ascii_lowercase()),
        None => (t, String::new()),
    };
    let factor: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => {
            return Err(UsageError(format!(
                "--max-attachment-size {text:?}: unknown unit; give bytes, or a number with K, M or G"
            )));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            UsageError(format!(
                "--max-attachment-size {text:?}: not a positive size; give bytes, or a number with K, M or G"
            ))
        })
}

fn parse_priority(specs: &[String]) -> Result<BTreeMap<String, PriorityMeaning>, UsageError> {
    let vocab = records::Vocabularies::builtin();
    let mut out = BTreeMap::new();
    for spec in specs {
        let bad = |why: &str| {
            UsageError(format!(
                "--priority {spec:?}: {why}; expected CODE=FIELD:VALUE[,FIELD:VALUE] with FIELD urgency or secrecy, e.g. 2=secrecy:mat"
            ))
        };
        let (code, rest) = spec.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let mut meaning = PriorityMeaning::default();
        for part in rest.split(',') {
            let (field, value) = part.split_once(':').ok_or_else(|| bad("no `:`"))?;
            let (slot, name) = match field.trim() {
                "urgency" => (&mut meaning.urgency, records::VocabularyName::Urgency),
                "secrecy" => (&mut meaning.secrecy, records::VocabularyName::Secrecy),
                _ => return Err(bad("unknown field")),
            };
            let entry = vocab
                .by_code(name, value.trim())
                .ok_or_else(|| bad(&format!("`{}` is not a {field} code", value.trim())))?;
            *slot = Some(entry.code.to_owned());
        }
        out.insert(code.trim().to_owned(), meaning);
    }
    Ok(out)
}

fn documents_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} documents eta {eta}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Prints a report; exit code 2 when anything failed.
fn finish(report: &ImportReport, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        print_json(report)?;
    } else {
        for d in &report.imported {
            let at = d.line.map(|l| format!(" line {l}")).unwrap_or_default();
            println!(
                "{}\t{}{at}\t{}",
                d.record_id,
                d.source,
                d.doc_number.as_deref().unwrap_or("-")
            );
            for w in &d.warnings {
                eprintln!("kho: warning: {}: {w}", d.record_id);
            }
        }
    }
    for f in &report.failed {
        eprintln!("kho: {f}");
    }
    if report.failed.is_empty() {
        if !json {
            eprintln!("imported {} record(s)", report.imported.len());
        }
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "kho: {} problem(s); {} record(s) imported{}",
            report.failed.len(),
            report.imported.len(),
            if report.imported.is_empty() {
                ", nothing was stored"
            } else {
                " (each listed record is whole; nothing of the failed documents was stored)"
            }
        );
        Ok(ExitCode::from(2))
    }
}

/// Runs `kho import …`.
pub async fn import(
    store: &Store,
    options: &ArchiveOptions,
    json: bool,
    quiet: bool,
    cmd: ImportCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        ImportCommand::Register {
            file,
            kind,
            files,
            issuer,
            issuer_code,
        } => {
            let bytes = std::fs::read(&file).map_err(|source| ArchiveError::InputFile {
                path: file.clone(),
                source,
            })?;
            let files_dir = files.unwrap_or_else(|| {
                file.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."))
            });
            if !files_dir.is_dir() {
                return Err(UsageError(format!(
                    "--files {}: not a directory",
                    files_dir.display()
                ))
                .into());
            }
            let opts = RegisterImportOptions {
                kind: kind.register(),
                files_dir,
                issuer,
                issuer_code,
                today: today(),
            };
            let mut a =
                Archive::open_writer(store.clone(), options.clone(), "import register").await?;
            let pb = crate::cli::progress_bar(0, "import", quiet || json);
            pb.set_style(documents_style());
            let pb2 = pb.clone();
            let source = file.display().to_string();
            let result = archive_core::import::import_register(
                &mut a,
                &source,
                &bytes,
                &opts,
                &move |done, total| {
                    pb2.set_length(total);
                    pb2.set_position(done);
                },
            )
            .await;
            pb.finish_and_clear();
            a.close().await?;
            finish(&result?, json)
        }
        ImportCommand::Edxml {
            files,
            kind,
            priority,
            max_attachment_size,
        } => {
            let opts = EdxmlImportOptions {
                kind: kind.record(),
                priority: parse_priority(&priority)?,
                max_attachment_bytes: match max_attachment_size.as_deref() {
                    Some(s) => parse_size(s)?,
                    None => DEFAULT_MAX_ATTACHMENT_BYTES,
                },
                today: today(),
            };
            let mut a =
                Archive::open_writer(store.clone(), options.clone(), "import edxml").await?;
            let pb = crate::cli::progress_bar(files.len() as u64, "import", quiet || json);
            pb.set_style(documents_style());
            let pb2 = pb.clone();
            let result =
                archive_core::import::import_edxml(&mut a, &files, &opts, &move |done, _| {
                    pb2.set_position(done)
                })
                .await;
            pb.finish_and_clear();
            a.close().await?;
            finish(&result?, json)
        }
    }
}

/// Runs `kho export register`.
pub async fn export_register(
    store: &Store,
    options: &ArchiveOptions,
    json: bool,
    args: ExportRegisterArgs,
) -> anyhow::Result<ExitCode> {
    let from = parse_date("--from", &args.from)?;
    let to = parse_date("--to", &args.to)?;
    if from > to {
        return Err(UsageError(format!(
            "--from {} is after --to {}: give the first day first",
            args.from, args.to
        ))
        .into());
    }
    let a = Archive::open(store.clone(), options.clone()).await?;
    let RegisterExport { text, rows } =
        archive_core::import::export_register(&a, args.kind.register(), from, to, args.xlsx_csv)
            .await?;
    match &args.output {
        Some(path) => {
            let tmp = path.with_extension("kho-partial");
            std::fs::write(&tmp, text.as_bytes())
                .with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
            if json {
                print_json(&serde_json::json!({
                    "output": path.display().to_string(),
                    "rows": rows,
                }))?;
            } else {
                eprintln!("wrote {} row(s) to {}", rows, path.display());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

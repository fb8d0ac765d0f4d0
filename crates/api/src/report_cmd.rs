//! `kho report`: documents sent and received in a period, with and without
//! valid signatures.

use std::io::Write;
use std::process::ExitCode;

use archive_core::archive::{Archive, ArchiveOptions};
use archive_core::report::{Counts, GroupBy, ReportRow};
use archive_core::store::Store;
use clap::{Args, ValueEnum};

use crate::cli::UsageError;
use crate::import_cmd::parse_date;

/// Grouping of report rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// Issuing agency (code, or name).
    Agency,
    /// Document type.
    Type,
    /// Month (YYYY-MM).
    Month,
}

/// `kho report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day (YYYY-MM-DD or dd/mm/yyyy).
    #[arg(long)]
    from: String,
    /// Last day, included.
    #[arg(long)]
    to: String,
    /// Group rows by agency, type or month.
    #[arg(long, value_enum, default_value = "agency")]
    by: ByArg,
    /// CSV on standard output (UTF-8 with BOM, CRLF, for spreadsheets); `--json` gives JSON.
    #[arg(long)]
    csv: bool,
}

const COLUMNS: [&str; 9] = [
    "group",
    "sent",
    "sent_valid_signature",
    "sent_without_valid_signature",
    "sent_signed_with_warning",
    "received",
    "received_valid_signature",
    "received_without_valid_signature",
    "received_signed_with_warning",
];

fn cells(row: &ReportRow) -> Vec<String> {
    let c = |c: &Counts| {
        [
            c.documents,
            c.valid_signature,
            c.without_valid_signature,
            c.signed_with_warning,
        ]
        .map(|n| n.to_string())
    };
    let mut v = vec![row.group.clone()];
    v.extend(c(&row.sent));
    v.extend(c(&row.received));
    v
}

/// Runs `kho report`.
pub async fn report(
    store: &Store,
    options: &ArchiveOptions,
    json: bool,
    args: ReportArgs,
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
    let by = match args.by {
        ByArg::Agency => GroupBy::Agency,
        ByArg::Type => GroupBy::Type,
        ByArg::Month => GroupBy::Month,
    };
    let a = Archive::open(store.clone(), options.clone()).await?;
    let rep = archive_core::report::statistics(&a, Some(from), Some(to), by).await?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &rep)?;
        writeln!(out)?;
    } else if args.csv {
        let mut w = Vec::new();
        w.extend_from_slice("\u{feff}".as_bytes());
        let line = |w: &mut Vec<u8>, cells: &[String]| {
            let quoted: Vec<String> = cells
                .iter()
                .map(|c| {
                    if c.contains([',', '"', '\r', '\n']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect();
            w.extend_from_slice(quoted.join(",").as_bytes());
            w.extend_from_slice(b"\r\n");
        };
        line(&mut w, &COLUMNS.map(str::to_owned));
        for row in rep.rows.iter().chain([&rep.total]) {
            line(&mut w, &cells(row));
        }
        out.write_all(&w)?;
    } else {
        writeln!(
            out,
            "documents from {} to {}, by {:?}",
            rep.from.as_deref().unwrap_or("-"),
            rep.to.as_deref().unwrap_or("-"),
            by
        )?;
        writeln!(
            out,
            "{:<32} {:>6} {:>8} {:>10} {:>8} {:>8} {:>10}",
            "group", "sent", "valid", "not valid", "received", "valid", "not valid"
        )?;
        for row in rep.rows.iter().chain([&rep.total]) {
            writeln!(
                out,
                "{:<32} {:>6} {:>8} {:>10} {:>8} {:>8} {:>10}",
                row.group,
                row.sent.documents,
                row.sent.valid_signature,
                row.sent.without_valid_signature,
                row.received.documents,
                row.received.valid_signature,
                row.received.without_valid_signature
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

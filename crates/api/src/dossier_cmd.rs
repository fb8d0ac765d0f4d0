//! `kho dossier`: create, add records, close, list, show. The logic is in
//! `archive_core::dossier`.

use std::process::ExitCode;

use archive_core::dossier::DossierEntry;
use archive_core::records::Dossier;
use archive_core::{ArchiveError, RecordId};
use clap::Subcommand;

use crate::retention_cmd::{Rc, parse_date, print_json, with_writer};

/// `kho dossier`.
#[derive(Debug, Subcommand)]
pub enum DossierCommand {
    /// Create an open dossier.
    Create {
        /// Dossier code (số và ký hiệu hồ sơ, at most 20 characters), unique in the archive.
        code: String,
        /// Title (tiêu đề hồ sơ).
        #[arg(long)]
        title: String,
        /// Code of the fonds (mã phông).
        #[arg(long)]
        fonds: Option<String>,
        /// Retention rule code of the schedule (e.g. 10y, permanent).
        #[arg(long)]
        retention: Option<String>,
        /// First day of the dossier's work (YYYY-MM-DD).
        #[arg(long)]
        start_date: Option<String>,
        /// Who keeps the dossier (người lập hồ sơ).
        #[arg(long)]
        creator: Option<String>,
        /// Note (ghi chú).
        #[arg(long)]
        note: Option<String>,
    },
    /// File records in an open dossier.
    Add {
        /// Dossier code.
        code: String,
        /// Record ids.
        #[arg(required = true)]
        records: Vec<String>,
    },
    /// Close a dossier: the year of the end date is the year its work ended, from which retention counts.
    Close {
        /// Dossier code.
        code: String,
        /// Day the work ended (YYYY-MM-DD).
        #[arg(long)]
        end_date: String,
    },
    /// List dossiers.
    List,
    /// Show a dossier and its records.
    Show {
        /// Dossier code.
        code: String,
    },
}

fn print_entry(e: &DossierEntry) {
    let d = &e.dossier;
    println!("dossier   {}", d.code);
    println!("title     {}", d.title);
    if let Some(f) = &d.fonds {
        println!("fonds     {f}");
    }
    println!(
        "status    {}",
        match d.year_work_ended {
            Some(y) => format!("closed (work ended {y})"),
            None => "open".into(),
        }
    );
    println!("retention {}", d.retention.as_deref().unwrap_or("-"));
    for o in &e.overrides {
        println!(
            "override  {} by {} on {}: {}",
            o.period, o.actor, o.decided_on, o.reason
        );
    }
    for r in &e.records {
        println!("record    {r}");
    }
}

/// Runs a dossier command.
pub(crate) async fn run(rc: Rc, cmd: DossierCommand) -> anyhow::Result<ExitCode> {
    let entry = match cmd {
        DossierCommand::Create {
            code,
            title,
            fonds,
            retention,
            start_date,
            creator,
            note,
        } => {
            let mut d = Dossier::new(code, title);
            d.fonds = fonds;
            d.retention = retention;
            d.creator = creator;
            d.note = note;
            d.start_date = start_date
                .map(|s| parse_date("--start-date", &s))
                .transpose()?;
            let schedule = &rc.schedule;
            with_writer!(rc, "dossier create", |a| a
                .create_dossier(d, schedule)
                .await)?
        }
        DossierCommand::Add { code, records } => {
            let ids = records
                .iter()
                .map(|r| {
                    r.parse::<RecordId>()
                        .map_err(|e| ArchiveError::InvalidInput(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            with_writer!(rc, "dossier add", |a| a.add_to_dossier(&code, &ids).await)?
        }
        DossierCommand::Close { code, end_date } => {
            let end = parse_date("--end-date", &end_date)?;
            with_writer!(rc, "dossier close", |a| a.close_dossier(&code, end).await)?
        }
        DossierCommand::List => {
            let a = rc.reader().await?;
            let all: Vec<&DossierEntry> = a.dossiers().iter().collect();
            if rc.json {
                print_json(&all)?;
            } else {
                for e in all {
                    println!(
                        "{}\t{}\t{}\t{} record(s)\t{}",
                        e.code(),
                        match e.dossier.year_work_ended {
                            Some(y) => format!("closed {y}"),
                            None => "open".into(),
                        },
                        e.rule().unwrap_or("-"),
                        e.records.len(),
                        e.dossier.title
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        DossierCommand::Show { code } => {
            let a = rc.reader().await?;
            a.dossiers().get(code.trim()).cloned().ok_or_else(|| {
                ArchiveError::InvalidInput(format!(
                    "no dossier {code:?}: `kho dossier list` shows the dossiers"
                ))
            })?
        }
    };
    if rc.json {
        print_json(&entry)?;
    } else {
        print_entry(&entry);
    }
    Ok(ExitCode::SUCCESS)
}

//! `kho backup run|verify|restore`, `kho repair` and `kho migrate`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use archive_core::archive::{Archive, ArchiveOptions};
use archive_core::backup::{
    self, BackupRunRecord, RunOptions, Target, VerifyMode, VerifyOptions, event_types,
};
use archive_core::store::Store;
use archive_core::verify::Severity;
use archive_core::{ArchiveError, ErrorClass};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;

use crate::cli::UsageError;
use crate::config::Config;

/// How long a finished run waits for a depositing writer to let go of the lease
/// before its journal event is written.
const LEASE_WAIT: Duration = Duration::from_secs(60);

/// `kho backup ...`.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Copy every object a target lacks, consistent at the current journal position (all targets by default).
    Run {
        /// Target name from kho.toml (or a store URL).
        target: Option<String>,
        /// Copy at most this many MB/s.
        #[arg(long)]
        limit: Option<f64>,
    },
    /// Check a target is complete at its last run and re-hash its blobs against the primary.
    Verify {
        /// Target name from kho.toml (or a store URL); all targets by default.
        target: Option<String>,
        /// Re-hash every blob (the default).
        #[arg(long, conflicts_with = "sample")]
        full: bool,
        /// Re-hash the blobs due in the rotation that covers every blob within the coverage period.
        #[arg(long)]
        sample: bool,
    },
    /// Delete from targets the blobs the primary destroyed (executed dispositions,
    /// orphan collection), except what a legal hold covers now.
    Prune {
        /// Target name from kho.toml (or a store URL); all targets by default.
        target: Option<String>,
        /// List what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rebuild a complete store from a target into a new, empty location.
    Restore {
        /// Target name from kho.toml (or a store URL).
        target: String,
        /// The new store: a path or URL.
        #[arg(long)]
        to: String,
    },
}

/// `kho repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Take copies only from this target (default: every target, in kho.toml order).
    #[arg(long)]
    from: Option<String>,
}

/// `kho migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// List what would change without writing (the default).
    #[arg(long, conflicts_with = "apply")]
    dry_run: bool,
    /// Write upgraded objects (create-only) and journal them.
    #[arg(long)]
    apply: bool,
}

/// What the commands need from the command line and the configuration.
pub struct Shared<'a> {
    store: &'a Store,
    options: &'a ArchiveOptions,
    json: bool,
    quiet: bool,
    config: &'a Config,
    base: &'a Path,
}

impl<'a> Shared<'a> {
    /// Bundles the common settings.
    pub fn new(
        store: &'a Store,
        options: &'a ArchiveOptions,
        json: bool,
        quiet: bool,
        config: &'a Config,
        base: &'a Path,
    ) -> Self {
        Shared {
            store,
            options,
            json,
            quiet,
            config,
            base,
        }
    }

    fn progress(&self, what: &str) -> ProgressBar {
        crate::cli::progress_bar(0, what, self.quiet || self.json)
    }

    /// Targets by name (or URL); every configured target when `name` is `None`.
    fn targets(&self, name: Option<&str>) -> anyhow::Result<Vec<Target>> {
        open_targets(self.config, self.base, name)
    }
}

/// Opens backup targets by name (or URL); every configured target when `name` is
/// `None`.
pub fn open_targets(
    config: &Config,
    base: &Path,
    name: Option<&str>,
) -> anyhow::Result<Vec<Target>> {
    let configured = &config.backup.targets;
    let open = |name: &str, url: &str, s3| -> anyhow::Result<Target> {
        Ok(Target {
            name: name.to_string(),
            store: Store::open_url(url, s3, base)?,
        })
    };
    match name {
        None if configured.is_empty() => Err(UsageError(
            "no backup targets configured: add [backup.targets.NAME] with url = \"...\" to kho.toml, or name a target URL".into(),
        )
        .into()),
        None => configured
            .iter()
            .map(|(n, t)| open(n, &t.url, &t.s3))
            .collect(),
        Some(n) => match configured.get(n) {
            Some(t) => Ok(vec![open(n, &t.url, &t.s3)?]),
            None if n.contains("://") || n.starts_with('/') || n.starts_with('.') => {
                Ok(vec![open(n, n, &config.store.s3)?])
            }
            None => Err(UsageError(format!(
                "no backup target {n:?} in kho.toml (configured: {}); add [backup.targets.{n}] or give a URL",
                if configured.is_empty() {
                    "none".to_string()
                } else {
                    configured.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))
            .into()),
        },
    }
}

fn code_of(e: &ArchiveError) -> u8 {
    match e.class() {
        ErrorClass::Damage => 1,
        ErrorClass::Input => 2,
        ErrorClass::Unavailable => 3,
        ErrorClass::Conflict => 4,
        ErrorClass::Internal => 5,
    }
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Runs `kho backup ...`.
pub async fn backup(sh: Shared<'_>, cmd: BackupCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BackupCommand::Run { target, limit } => run(&sh, target.as_deref(), limit).await,
        BackupCommand::Verify {
            target,
            full: _,
            sample,
        } => verify(&sh, target.as_deref(), sample).await,
        BackupCommand::Restore { target, to } => restore(&sh, &target, &to).await,
        BackupCommand::Prune { target, dry_run } => prune(&sh, target.as_deref(), dry_run).await,
    }
}

async fn run(
    sh: &Shared<'_>,
    target: Option<&str>,
    limit: Option<f64>,
) -> anyhow::Result<ExitCode> {
    let targets = sh.targets(target)?;
    let opts = RunOptions {
        limit_bytes_per_sec: limit.filter(|l| *l > 0.0).map(|l| (l * 1_000_000.0) as u64),
        ..RunOptions::default()
    };
    let mut worst = 0u8;
    let mut reports = Vec::new();
    let mut events = Vec::new();
    for t in &targets {
        // A fresh snapshot per target: each run is consistent at the position it starts at.
        let primary = Archive::open(sh.store.clone(), sh.options.clone()).await?;
        let pb = sh.progress(&format!("backup {}", t.name));
        let pb2 = pb.clone();
        let res = backup::run(&primary, t, &opts, &move |done, total| {
            pb2.set_length(total);
            pb2.set_position(done);
        })
        .await;
        pb.finish_and_clear();
        match res {
            Ok(rep) => {
                events.push(rep.record.event(&sh.options.actor, event_types::BACKUP_RUN));
                if !sh.json {
                    for f in &rep.findings {
                        println!("DAMAGE\t{}\t{}", f.object, f.detail);
                    }
                    for r in &rep.replaced_on_target {
                        println!(
                            "replaced\t{r}\twrong size on target {}; copied again",
                            t.name
                        );
                    }
                    let r = &rep.record;
                    println!(
                        "{} {}: journal position {}, {} objects copied ({} bytes), {} already there, in {:.1}s{}",
                        if rep.findings.is_empty() {
                            "ok"
                        } else {
                            "INCOMPLETE"
                        },
                        t.name,
                        r.journal_seq,
                        r.objects,
                        r.bytes,
                        r.objects_present,
                        r.duration_seconds,
                        match &rep.run_manifest {
                            Some(m) => format!("; run manifest {m}"),
                            None => "; no run manifest: damaged objects were not copied".into(),
                        }
                    );
                }
                if !rep.findings.is_empty() {
                    worst = worst.max(1);
                }
                reports.push(serde_json::to_value(&rep)?);
            }
            Err(e) => {
                let rec = BackupRunRecord::failed("run", t, &e);
                events.push(rec.event(&sh.options.actor, event_types::BACKUP_RUN));
                eprintln!(
                    "kho: backup to {} ({}) failed: {e}",
                    t.name,
                    t.store.location()
                );
                worst = worst.max(code_of(&e));
                reports.push(serde_json::json!({ "record": rec }));
            }
        }
    }
    let recorded = backup::record(sh.store, sh.options, events, LEASE_WAIT).await;
    if sh.json {
        print_json(&reports)?;
    }
    recorded.map_err(|e| {
        anyhow::Error::new(e).context("the work is done but its journal event could not be written")
    })?;
    Ok(ExitCode::from(worst))
}

async fn verify(sh: &Shared<'_>, target: Option<&str>, sample: bool) -> anyhow::Result<ExitCode> {
    let targets = sh.targets(target)?;
    let primary = Archive::open(sh.store.clone(), sh.options.clone()).await?;
    let opts = VerifyOptions {
        mode: if sample {
            VerifyMode::Sample
        } else {
            VerifyMode::Full
        },
        ..VerifyOptions::default()
    };
    let mut worst = 0u8;
    let mut reports = Vec::new();
    let mut events = Vec::new();
    for t in &targets {
        let pb = sh.progress(&format!("verify {}", t.name));
        let pb2 = pb.clone();
        let res = backup::verify(&primary, t, &opts, &move |done, total| {
            pb2.set_length(total);
            pb2.set_position(done);
        })
        .await;
        pb.finish_and_clear();
        match res {
            Ok(rep) => {
                events.push(
                    rep.record
                        .event(&sh.options.actor, event_types::BACKUP_VERIFY),
                );
                if !sh.json {
                    for f in &rep.findings {
                        println!("DAMAGE\t{}\t{}", f.object, f.detail);
                    }
                    for m in &rep.moved_aside {
                        println!(
                            "moved aside\t{m}\ton target {}; the next `kho backup run` copies it again",
                            t.name
                        );
                    }
                    let r = &rep.record;
                    println!(
                        "{} {}: journal position {}, {} objects checked, {}/{} blobs re-hashed ({} bytes) in {:.1}s; canaries {}/{} detected",
                        if rep.has_damage() {
                            "DAMAGE FOUND"
                        } else {
                            "ok"
                        },
                        t.name,
                        r.journal_seq,
                        r.objects,
                        rep.blobs_rehashed,
                        rep.blobs_total,
                        r.bytes,
                        r.duration_seconds,
                        rep.canaries.iter().filter(|c| c.detected).count(),
                        rep.canaries.len(),
                    );
                }
                if rep.has_damage() {
                    worst = worst.max(1);
                }
                reports.push(serde_json::to_value(&rep)?);
            }
            Err(e) => {
                let mut rec = BackupRunRecord::failed("verify", t, &e);
                rec.mode = Some(if sample { "sample" } else { "full" }.into());
                events.push(rec.event(&sh.options.actor, event_types::BACKUP_VERIFY));
                eprintln!(
                    "kho: verify of {} ({}) failed: {e}",
                    t.name,
                    t.store.location()
                );
                worst = worst.max(code_of(&e));
                reports.push(serde_json::json!({ "record": rec }));
            }
        }
    }
    drop(primary);
    let recorded = backup::record(sh.store, sh.options, events, LEASE_WAIT).await;
    if sh.json {
        print_json(&reports)?;
    }
    recorded.map_err(|e| {
        anyhow::Error::new(e).context("the work is done but its journal event could not be written")
    })?;
    Ok(ExitCode::from(worst))
}

async fn prune(sh: &Shared<'_>, target: Option<&str>, dry_run: bool) -> anyhow::Result<ExitCode> {
    let targets = sh.targets(target)?;
    // The writer lease first: nothing is deleted unless its event can be written.
    let mut primary = Archive::open_writer(sh.store.clone(), sh.options.clone(), "backup prune")
        .await
        .map_err(|e| match e {
            ArchiveError::LeaseHeld { .. } => anyhow::Error::from(e).context(
                "the store is open by another writer (kho serve?): prune through the API (POST /api/v1/backup/prunes) while it runs",
            ),
            other => other.into(),
        })?;
    let mut reports = Vec::new();
    for t in &targets {
        let rep = match backup::plan_prune(&primary, t, dry_run).await {
            Ok(r) => r,
            Err(e) => {
                primary.close().await?;
                return Err(e.into());
            }
        };
        if !dry_run && !rep.deleted.is_empty() {
            primary
                .append_events(vec![archive_core::journal::Event::new(
                    &sh.options.actor,
                    event_types::BACKUP_PRUNED,
                    t.name.clone(),
                    archive_core::journal::Outcome::Success,
                    serde_json::to_value(&rep)?,
                )])
                .await?;
            if let Err(e) = backup::apply_prune(t, &rep).await {
                primary.close().await?;
                return Err(anyhow::Error::new(e).context(format!(
                    "pruning {} stopped part-way (its event is journaled): run `kho backup prune {}` again to finish",
                    t.name, t.name
                )));
            }
        }
        if !sh.json {
            for d in &rep.deleted {
                println!(
                    "{}	{d}	on {}",
                    if dry_run { "would delete" } else { "deleted" },
                    t.name
                );
            }
            for k in &rep.kept_held {
                println!("HELD	{k}	on {}: a legal hold covers it; kept", t.name);
            }
            println!(
                "{}: {} blob(s) checked, {} {}, {} kept under a hold",
                t.name,
                rep.checked,
                rep.deleted.len(),
                if dry_run {
                    "to delete (dry run)"
                } else {
                    "deleted"
                },
                rep.kept_held.len()
            );
        }
        reports.push(rep);
    }
    primary.close().await?;
    if sh.json {
        print_json(&reports)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn restore(sh: &Shared<'_>, target: &str, to: &str) -> anyhow::Result<ExitCode> {
    let mut targets = sh.targets(Some(target))?;
    let t = targets
        .pop()
        .ok_or_else(|| UsageError(format!("no backup target {target:?}")))?;
    let dest = Store::open_url(to, &sh.config.store.s3, sh.base)?;
    let pb = sh.progress(&format!("restore from {}", t.name));
    let pb2 = pb.clone();
    let res = backup::restore(
        &t,
        &dest,
        sh.options,
        &RunOptions::default(),
        &move |d, n| {
            pb2.set_length(n);
            pb2.set_position(d);
        },
    )
    .await;
    pb.finish_and_clear();
    let rep = res?;
    if sh.json {
        print_json(&rep)?;
    } else {
        for f in rep.findings.iter().chain(
            rep.verify
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Damage),
        ) {
            println!("DAMAGE\t{}\t{}", f.object, f.detail);
        }
        println!(
            "{}: restored {} objects ({} bytes) from {} at journal position {} into {}; kho verify: {} records, {} blobs, {}",
            if rep.has_damage() {
                "DAMAGE FOUND"
            } else {
                "ok"
            },
            rep.record.objects,
            rep.record.bytes,
            t.name,
            rep.record.journal_seq,
            dest.location(),
            rep.verify.records,
            rep.verify.blobs_referenced,
            if rep.verify.has_damage() {
                "damaged"
            } else {
                "intact"
            },
        );
    }
    Ok(if rep.has_damage() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs `kho repair`.
pub async fn repair(sh: Shared<'_>, args: RepairArgs) -> anyhow::Result<ExitCode> {
    let sources = match args.from.as_deref() {
        Some(n) => sh.targets(Some(n))?,
        None if sh.config.backup.targets.is_empty() => Vec::new(),
        None => sh.targets(None)?,
    };
    let mut a = Archive::open_writer(sh.store.clone(), sh.options.clone(), "repair").await?;
    let pb = sh.progress("repair: re-hashing the primary");
    let pb2 = pb.clone();
    let res = backup::repair(&mut a, &sources, &move |d, n| {
        pb2.set_length(n);
        pb2.set_position(d);
    })
    .await;
    pb.finish_and_clear();
    let closed = a.close().await;
    let rep = res?;
    closed?;
    if sh.json {
        print_json(&rep)?;
    } else {
        for r in &rep.repaired {
            println!(
                "repaired\t{}\tfrom {} ({}){}",
                r.object,
                r.from,
                r.problem,
                r.quarantined_as
                    .as_deref()
                    .map(|q| format!("; damaged copy kept as {q}"))
                    .unwrap_or_default()
            );
        }
        for f in &rep.findings {
            println!("DAMAGE\t{}\t{}", f.object, f.detail);
        }
        println!(
            "{}: {} objects checked, {} repaired, {} not repaired",
            if rep.findings.is_empty() {
                "ok"
            } else {
                "DAMAGE REMAINS"
            },
            rep.checked,
            rep.repaired.len(),
            rep.findings.len()
        );
    }
    Ok(if rep.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `kho migrate`.
pub async fn migrate(sh: Shared<'_>, args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let plan = migrations::plan(sh.store).await?;
    let pending = plan.outdated.len();
    if sh.json {
        print_json(&plan)?;
    } else {
        for (kind, versions) in &plan.versions {
            for (v, n) in versions {
                println!("{kind}\tformat {v}\t{n} objects");
            }
        }
        for o in &plan.outdated {
            println!("{}\t{}", o.object, o.action);
        }
        println!(
            "{} JSON objects scanned; this Kho writes format {}; {}",
            plan.objects,
            plan.current,
            if pending == 0 {
                "nothing to migrate".to_string()
            } else {
                format!("{pending} objects not at format {}", plan.current)
            }
        );
    }
    if plan.blocked() {
        return Err(ArchiveError::UnsupportedFormat {
            object: plan
                .outdated
                .first()
                .map(|o| o.object.clone())
                .unwrap_or_default(),
            found: plan.outdated.first().and_then(|o| o.found).unwrap_or(0),
            supported: plan.current,
        }
        .into());
    }
    if args.apply && !args.dry_run && pending > 0 {
        return Err(UsageError(format!(
            "{pending} objects have an older format and no registered migration writes them yet; nothing was changed"
        ))
        .into());
    }
    Ok(ExitCode::SUCCESS)
}

//! `kho retention`, `kho hold`, `kho dispose` and `kho gc`: retention rules,
//! legal holds, disposition and orphan collection. The logic is in
//! `archive_core::retention`; this module parses arguments and prints.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use archive_core::archive::{Archive, ArchiveOptions};
use archive_core::retention_rules::{
    Appraisal, Approval, DeletionTarget, DueAction, HoldScope, QueryHoldMatcher, QueryMatch,
    Schedule,
};
use archive_core::store::Store;
use archive_core::{ArchiveError, RecordId};
use clap::Subcommand;
use serde::Deserialize;
use time::Date;

use crate::cli::UsageError;
use crate::config::Config;

/// `[retention]` in kho.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// A retention schedule table (TSV, the columns of the embedded reference
    /// table) that the agency edits; relative to kho.toml. Default: the
    /// reference schedule built into Kho.
    #[serde(default)]
    pub schedule: Option<PathBuf>,
}

/// What every retention and dossier command needs.
pub(crate) struct Rc {
    pub store: Store,
    pub options: ArchiveOptions,
    pub json: bool,
    pub schedule: Schedule,
    /// The search index, brought up to date after a destruction so that the
    /// text of destroyed files leaves it at once.
    pub index_dir: PathBuf,
}

impl Rc {
    /// Loads the schedule named in kho.toml (or the embedded one).
    pub fn new(
        store: &Store,
        options: &ArchiveOptions,
        json: bool,
        cfg: &Config,
        base: &Path,
    ) -> anyhow::Result<Rc> {
        let schedule = load_schedule(cfg, base)?;
        Ok(Rc {
            store: store.clone(),
            options: options.clone(),
            json,
            schedule,
            index_dir: cfg.index.dir(base),
        })
    }

    pub async fn reader(&self) -> anyhow::Result<Archive> {
        Ok(Archive::open(self.store.clone(), self.options.clone()).await?)
    }

    pub async fn writer(&self, purpose: &str) -> anyhow::Result<Archive> {
        Ok(Archive::open_writer(self.store.clone(), self.options.clone(), purpose).await?)
    }
}

/// The retention schedule named in kho.toml (`[retention] schedule`), or the
/// reference schedule built into Kho.
pub(crate) fn load_schedule(cfg: &Config, base: &Path) -> anyhow::Result<Schedule> {
    Ok(match &cfg.retention.schedule {
        None => Schedule::embedded()
            .map_err(|e| ArchiveError::Internal(format!("embedded schedule: {e}")))?,
        Some(p) => {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            };
            let text =
                std::fs::read_to_string(&path).map_err(|source| ArchiveError::InputFile {
                    path: path.clone(),
                    source,
                })?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "agency".into());
            Schedule::from_tsv_named(&name, &text).map_err(|e| {
                ArchiveError::InvalidInput(format!("retention schedule {}: {e}", path.display()))
            })?
        }
    })
}

/// Most records a query hold may find for the index to decide it (as far as
/// a search counts exactly and pages); beyond, it blocks.
const MAX_QUERY_HOLD_HITS: usize = indexer::query::MAX_WINDOW;

/// Every record a query matches, page by page; `None` when the query fails,
/// matches more than [`MAX_QUERY_HOLD_HITS`], or the pages do not add up to
/// the total.
fn all_matches(backend: &dyn indexer::SearchBackend, q: &str) -> Option<HashSet<String>> {
    let mut req = indexer::SearchRequest::new(q.to_string());
    req.snippets = false;
    req.facets = false;
    req.limit = indexer::query::MAX_LIMIT;
    let first = backend.search(&req).ok()?;
    if !first.total_exact || first.total > MAX_QUERY_HOLD_HITS {
        return None;
    }
    let total = first.total;
    let mut ids: HashSet<String> = first.hits.into_iter().map(|h| h.record_id).collect();
    let mut offset = req.limit;
    while offset < total {
        req.offset = offset;
        req.limit = indexer::query::MAX_LIMIT.min(total - offset);
        let page = backend.search(&req).ok()?;
        if page.total != total || page.hits.is_empty() {
            return None;
        }
        offset += page.hits.len();
        ids.extend(page.hits.into_iter().map(|h| h.record_id));
    }
    (ids.len() == total).then_some(ids)
}

/// Decides query holds with the search index. A query is decided only when the
/// index covers the whole journal and the query runs; any other query hold stays
/// undecided and blocks (fail closed).
#[derive(Debug, Default)]
pub(crate) struct IndexMatcher {
    found: HashMap<String, HashSet<String>>,
}

impl IndexMatcher {
    /// The queries of the active query holds.
    pub fn hold_queries(a: &Archive) -> Vec<String> {
        a.retention_book()
            .active_holds()
            .into_iter()
            .filter_map(|h| match h.scope {
                HoldScope::Query(q) => Some(q),
                _ => None,
            })
            .collect()
    }

    /// Runs each hold query on an index that covers the whole journal, page
    /// by page; a query that fails or finds too much stays undecided (and so
    /// blocks).
    pub fn run_queries(backend: &dyn indexer::SearchBackend, queries: Vec<String>) -> IndexMatcher {
        let mut found = HashMap::new();
        for q in queries {
            if let Some(ids) = all_matches(backend, &q) {
                found.insert(q, ids);
            }
        }
        IndexMatcher { found }
    }
}

impl QueryHoldMatcher for IndexMatcher {
    fn matches(&self, query: &str, target: &DeletionTarget) -> QueryMatch {
        match self.found.get(query) {
            Some(ids) if target.records.iter().any(|r| ids.contains(&r.0)) => QueryMatch::Matches,
            Some(_) => QueryMatch::NoMatch,
            None => QueryMatch::Undecided,
        }
    }
}

impl Rc {
    /// Brings the index up to date and runs every active query hold's query.
    pub async fn index_matcher(&self) -> IndexMatcher {
        let m = IndexMatcher::default();
        let queries = match self.reader().await {
            Ok(a) => IndexMatcher::hold_queries(&a),
            Err(_) => return m,
        };
        if queries.is_empty() {
            return m;
        }
        crate::search_cmd::after_deposit(&self.store, &self.options, &self.index_dir, true).await;
        let current = match self.reader().await {
            Ok(a) => indexer::drift(&a, &self.index_dir)
                .await
                .is_ok_and(|d| d.is_clean()),
            Err(_) => false,
        };
        if !current {
            return m;
        }
        let dir = self.index_dir.clone();
        tokio::task::spawn_blocking(move || match indexer::TantivyBackend::open(&dir) {
            Ok(backend) => IndexMatcher::run_queries(&backend, queries),
            Err(_) => IndexMatcher::default(),
        })
        .await
        .unwrap_or_default()
    }
}

/// Runs `f` on an archive opened for writing and closes it (lease released)
/// whatever the outcome.
macro_rules! with_writer {
    ($rc:expr, $purpose:expr, |$a:ident| $body:expr) => {{
        let mut $a = $rc.writer($purpose).await?;
        let res = async { $body }.await;
        $a.close().await?;
        res
    }};
}
pub(crate) use with_writer;

/// Subcommands of records management.
#[derive(Debug, Subcommand)]
pub enum RecordsCommand {
    /// Retention rules of dossiers: assign, list what is due, show the schedule.
    Retention {
        #[command(subcommand)]
        cmd: RetentionCommand,
    },
    /// Legal holds: nothing they cover can be deleted.
    Hold {
        #[command(subcommand)]
        cmd: HoldCommand,
    },
    /// Disposition: propose, appraise, approve or reject, execute.
    Dispose {
        #[command(subcommand)]
        cmd: DisposeCommand,
    },
    /// Delete blobs no committed record references, older than a grace period.
    Gc {
        /// Keep unreferenced blobs younger than this many days (interrupted deposits may still be running).
        #[arg(long, default_value_t = 7)]
        grace_days: u32,
        /// List what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `kho retention`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Assign a retention rule to a dossier; changing an assigned rule is an override that needs --reason and may only lengthen.
    Assign {
        /// Dossier code.
        dossier: String,
        /// Rule code of the schedule (e.g. 10y, permanent; `kho retention rules` lists them).
        code: String,
        /// Why (required for an override).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Dossiers due for destruction or transfer, held ones with their holds.
    ListDue {
        /// The day to decide for (YYYY-MM-DD, default today).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Record the event that ends a dossier's conditional retention ("until …").
    Trigger {
        /// Dossier code.
        dossier: String,
        /// Day the event happened (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// What happened (e.g. "replaced by decision 12/QĐ-UBND").
        #[arg(long)]
        description: String,
    },
    /// The rules of the schedule in use.
    Rules,
}

/// `kho hold`.
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Place a legal hold on a dossier, a record or what a search query finds.
    Add {
        /// Dossier code.
        #[arg(long, group = "scope")]
        dossier: Option<String>,
        /// Record id.
        #[arg(long, group = "scope")]
        record: Option<String>,
        /// Search query: blocks disposing of what it finds (every disposition while the search index cannot tell).
        #[arg(long, group = "scope")]
        query: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Authority that ordered it (court, inspectorate, agency head).
        #[arg(long)]
        authority: String,
    },
    /// Release a hold.
    Release {
        /// Hold id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// List holds (active ones; --all for released too).
    List {
        /// Include released holds.
        #[arg(long)]
        all: bool,
    },
}

/// `kho dispose`.
#[derive(Debug, Subcommand)]
pub enum DisposeCommand {
    /// Propose the destruction of dossiers whose retention ended.
    Propose {
        /// Dossier codes.
        #[arg(required = true)]
        dossiers: Vec<String>,
    },
    /// Record the appraisal council's review.
    Appraise {
        /// Disposition id.
        id: String,
        /// Who records it (council chair or secretary).
        #[arg(long)]
        by: String,
        /// Council's remarks.
        #[arg(long)]
        note: Option<String>,
        /// Day of the appraisal (YYYY-MM-DD, default today).
        #[arg(long)]
        date: Option<String>,
    },
    /// Record the approving decision.
    Approve {
        /// Disposition id.
        id: String,
        /// Number of the decision (e.g. 12/QĐ-UBND).
        #[arg(long)]
        decision_number: String,
        /// Who approved.
        #[arg(long)]
        approver: String,
        /// Reference of the appraisal council's minutes.
        #[arg(long)]
        minutes: String,
        /// Day of the decision (YYYY-MM-DD).
        #[arg(long)]
        date: String,
    },
    /// Reject a proposal.
    Reject {
        /// Disposition id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Execute an approved disposition (or finish an interrupted one).
    Execute {
        /// Disposition id.
        id: String,
    },
    /// List dispositions.
    List,
    /// Show a disposition.
    Show {
        /// Disposition id.
        id: String,
    },
}

pub(crate) fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_date(flag: &str, text: &str) -> anyhow::Result<Date> {
    archive_core::records::dates::parse_iso(text.trim())
        .map_err(|e| UsageError(format!("{flag}: {e} (expected YYYY-MM-DD)")).into())
}

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Runs a records-management command.
pub(crate) async fn run(rc: Rc, cmd: RecordsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RecordsCommand::Retention { cmd } => retention(rc, cmd).await,
        RecordsCommand::Hold { cmd } => hold(rc, cmd).await,
        RecordsCommand::Dispose { cmd } => dispose(rc, cmd).await,
        RecordsCommand::Gc {
            grace_days,
            dry_run,
        } => {
            let grace = time::Duration::days(i64::from(grace_days));
            let rep = with_writer!(rc, "gc", |a| a.collect_orphans(grace, dry_run).await)?;
            if rc.json {
                print_json(&rep)?;
            } else {
                for d in &rep.deleted {
                    println!("{}\t{d}", if dry_run { "would delete" } else { "deleted" });
                }
                println!(
                    "{} unreferenced blob(s) {}; {} younger than {grace_days} days kept",
                    rep.deleted.len(),
                    if dry_run { "to delete" } else { "deleted" },
                    rep.too_young
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn retention(rc: Rc, cmd: RetentionCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RetentionCommand::Assign {
            dossier,
            code,
            reason,
        } => {
            let schedule = &rc.schedule;
            let e = with_writer!(rc, "retention assign", |a| {
                a.assign_retention(&dossier, &code, reason.as_deref(), schedule)
                    .await
            })?;
            if rc.json {
                print_json(&e)?;
            } else {
                println!(
                    "dossier {}: rule {}{}",
                    e.code(),
                    e.rule().unwrap_or("-"),
                    match e.overrides.last() {
                        Some(o) => format!(", override to {} ({})", o.period, o.reason),
                        None => String::new(),
                    }
                );
            }
        }
        RetentionCommand::ListDue { as_of } => {
            let as_of = match as_of {
                Some(d) => parse_date("--as-of", &d)?,
                None => today(),
            };
            let a = rc.reader().await?;
            let due = a.list_due(&rc.schedule, as_of)?;
            if rc.json {
                print_json(&due)?;
            } else {
                for d in &due {
                    let what = match &d.action {
                        DueAction::Destroy { eligible_date } => {
                            format!("destroy (kept until {eligible_date})")
                        }
                        DueAction::Transfer { deadline } => {
                            format!("transfer to the historical archive by {deadline}")
                        }
                        DueAction::Review { problem } => format!("review: {problem}"),
                    };
                    let held = if d.blocked_by.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "\tHELD by {}",
                            d.blocked_by
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    println!("{}\t{}\t{what}{held}", d.dossier, d.rule);
                }
                println!("{} dossier(s) due on {as_of}", due.len());
            }
        }
        RetentionCommand::Trigger {
            dossier,
            date,
            description,
        } => {
            let on = parse_date("--date", &date)?;
            let schedule = &rc.schedule;
            let e = with_writer!(rc, "retention trigger", |a| {
                a.record_trigger(&dossier, on, &description, schedule).await
            })?;
            if rc.json {
                print_json(&e)?;
            } else {
                println!("dossier {}: trigger event recorded ({on})", e.code());
            }
        }
        RetentionCommand::Rules => {
            if rc.json {
                print_json(&rc.schedule.rules())?;
            } else {
                println!("schedule {}", rc.schedule.id());
                for r in rc.schedule.rules() {
                    println!(
                        "{}\t{}\t{}\t{}",
                        r.code,
                        r.period,
                        r.status.as_str(),
                        r.description
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn hold(rc: Rc, cmd: HoldCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        HoldCommand::Add {
            dossier,
            record,
            query,
            reason,
            authority,
        } => {
            let scope = match (dossier, record, query) {
                (Some(d), None, None) => {
                    HoldScope::Dossier(archive_core::retention_rules::DossierId::new(d))
                }
                (None, Some(r), None) => {
                    let id: RecordId =
                        r.parse().map_err(|e: archive_core::model::BadRecordId| {
                            ArchiveError::InvalidInput(e.to_string())
                        })?;
                    HoldScope::Record(archive_core::retention_rules::RecordId::new(id.to_string()))
                }
                (None, None, Some(q)) => HoldScope::Query(q),
                _ => {
                    return Err(UsageError(
                        "give one of --dossier CODE, --record ID or --query TEXT".into(),
                    )
                    .into());
                }
            };
            let h = with_writer!(rc, "hold add", |a| {
                a.place_hold(scope, &reason, &authority).await
            })?;
            if rc.json {
                print_json(&h)?;
            } else {
                println!("{}", h.id);
            }
        }
        HoldCommand::Release { id, reason } => {
            let h = with_writer!(rc, "hold release", |a| a.release_hold(&id, &reason).await)?;
            if rc.json {
                print_json(&h)?;
            } else {
                println!("released {}", h.id);
            }
        }
        HoldCommand::List { all } => {
            let a = rc.reader().await?;
            let holds: Vec<_> = a
                .retention_book()
                .holds()
                .filter(|h| all || h.is_active())
                .cloned()
                .collect();
            if rc.json {
                print_json(&holds)?;
            } else {
                for h in &holds {
                    let scope = match &h.scope {
                        HoldScope::Dossier(d) => format!("dossier {d}"),
                        HoldScope::Record(r) => format!("record {r}"),
                        HoldScope::Query(q) => format!("query {q:?}"),
                    };
                    println!(
                        "{}\t{}\t{scope}\t{}\t{}",
                        h.id,
                        if h.is_active() { "active" } else { "released" },
                        h.authority,
                        h.reason
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn dispose(rc: Rc, cmd: DisposeCommand) -> anyhow::Result<ExitCode> {
    let schedule = &rc.schedule;
    let d = match cmd {
        DisposeCommand::Propose { dossiers } => {
            let matcher = rc.index_matcher().await;
            with_writer!(rc, "dispose propose", |a| {
                a.propose_disposition(&dossiers, schedule, &matcher).await
            })?
        }
        DisposeCommand::Appraise { id, by, note, date } => {
            let appraised_on = match date {
                Some(d) => parse_date("--date", &d)?,
                None => today(),
            };
            let appraisal = Appraisal {
                appraised_by: by,
                appraised_on,
                note,
            };
            with_writer!(rc, "dispose appraise", |a| {
                a.appraise_disposition(&id, appraisal).await
            })?
        }
        DisposeCommand::Approve {
            id,
            decision_number,
            approver,
            minutes,
            date,
        } => {
            let approval = Approval {
                decision_number,
                approver,
                council_minutes: minutes,
                approved_on: parse_date("--date", &date)?,
            };
            with_writer!(rc, "dispose approve", |a| {
                a.approve_disposition(&id, approval).await
            })?
        }
        DisposeCommand::Reject { id, reason } => with_writer!(rc, "dispose reject", |a| {
            a.reject_disposition(&id, &reason).await
        })?,
        DisposeCommand::Execute { id } => {
            let matcher = rc.index_matcher().await;
            let rep = with_writer!(rc, "dispose execute", |a| {
                a.execute_disposition(&id, schedule, &matcher).await
            })?;
            crate::search_cmd::after_deposit(&rc.store, &rc.options, &rc.index_dir, true).await;
            if rc.json {
                print_json(&rep)?;
            } else {
                println!(
                    "{} executed{}: {} record(s) destroyed, {} blob(s) deleted, {} kept (shared with kept records)",
                    rep.disposition,
                    if rep.resumed {
                        " (finished an interrupted run)"
                    } else {
                        ""
                    },
                    rep.records.len(),
                    rep.blobs_deleted,
                    rep.blobs_kept_shared
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        DisposeCommand::List => {
            let a = rc.reader().await?;
            let all: Vec<_> = a.retention_book().dispositions().cloned().collect();
            if rc.json {
                print_json(&all)?;
            } else {
                for e in &all {
                    println!(
                        "{}\t{}{}\t{}",
                        e.disposition.id(),
                        e.disposition.state,
                        if e.is_incomplete() {
                            " (unfinished)"
                        } else {
                            ""
                        },
                        e.disposition
                            .proposal
                            .dossiers
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        DisposeCommand::Show { id } => {
            let a = rc.reader().await?;
            let e = a.retention_book().disposition(id.trim()).ok_or_else(|| {
                ArchiveError::InvalidInput(format!(
                    "no disposition {id:?}: `kho dispose list` shows the dispositions"
                ))
            })?;
            print_json(e)?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    if rc.json {
        print_json(&d)?;
    } else {
        println!("{}\t{}", d.id(), d.state);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use indexer::{IndexChange, IndexPosition, RecordDoc, SearchBackend, TantivyBackend};

    fn backend(n: usize) -> TantivyBackend {
        let mut b = TantivyBackend::in_memory().unwrap();
        let upserts = (0..n)
            .map(|i| {
                let summary = if i % 3 == 0 {
                    "tranh chấp đất đai"
                } else {
                    "văn bản khác"
                };
                let md = serde_json::json!({ "summary": summary });
                RecordDoc::new(format!("r{i:05}"), 1, "m".into(), &md, Vec::new())
            })
            .collect();
        let change = IndexChange {
            upserts,
            ..IndexChange::default()
        };
        let position = IndexPosition {
            format_version: indexer::POSITION_FORMAT,
            store_id: "s".into(),
            journal_seq: 1,
        };
        b.apply(change, position).unwrap();
        b
    }

    #[test]
    fn a_query_hold_is_decided_over_several_pages_of_matches() {
        // 2,334 matches: three pages of at most 1,000.
        let b = backend(7_000);
        let ids = all_matches(&b, "tranh chấp đất đai").unwrap();
        assert_eq!(ids.len(), 2_334);
        assert!(ids.contains("r00000") && ids.contains("r06999"));
        assert!(!ids.contains("r00001"));
        let m = IndexMatcher::run_queries(&b, vec!["tranh chấp".into(), "không có".into()]);
        assert_eq!(m.found["tranh chấp"].len(), 2_334);
        assert!(m.found["không có"].is_empty());
    }

    #[test]
    fn a_query_hold_matching_more_than_a_search_counts_stays_undecided() {
        let b = backend(MAX_QUERY_HOLD_HITS * 3 + 6);
        assert!(all_matches(&b, "tranh chấp").is_none());
        assert!(
            !IndexMatcher::run_queries(&b, vec!["tranh chấp".into()])
                .found
                .contains_key("tranh chấp")
        );
    }
}

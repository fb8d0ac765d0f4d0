//! `kho serve`: the HTTP API, the web UI and the scheduled jobs, on one open store.
//!
//! One process holds the store's writer lease. Reads share the open [`Archive`]
//! behind a read lock; the slow part of a deposit (spooling the upload, checks,
//! signatures, storing bytes) runs without the archive lock and only the journal
//! commit takes the write lock, so uploads never stall searches and downloads.
//! Access events (views, downloads, searches) are group-committed: each request
//! waits until its event is in the journal before it answers.

pub mod accounts;
mod api;
mod backup_job;
mod error;
mod jobs;
mod manage;
mod state;
mod ui;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use archive_core::archive::{Archive, ArchiveOptions};
use archive_core::store::Store;
use clap::Subcommand;

pub use state::AppState;

use crate::cli::UsageError;
use accounts::{Accounts, Role};

/// Arguments of `kho serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8420", env = "KHO_LISTEN")]
    pub listen: String,
    /// On first start, the first admin's token is read from this file instead of
    /// being generated and printed.
    #[arg(long, env = "KHO_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Name of the first admin account created on first start.
    #[arg(long, default_value = "admin")]
    pub admin_name: String,
    /// Largest deposit upload, in MiB.
    #[arg(long, default_value_t = 4096)]
    pub max_upload_mib: u64,
    /// Deposits received at the same time; more wait.
    #[arg(long, default_value_t = 8)]
    pub max_uploads: usize,
    /// Seconds a request (other than an upload or download) may take.
    #[arg(long, default_value_t = 60)]
    pub request_timeout: u64,
    /// Seconds an upload may stay silent before it is aborted.
    #[arg(long, default_value_t = 60)]
    pub idle_timeout: u64,
}

/// `kho user …`: accounts on a store that no server has open.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create an account for one person; prints its first token once.
    Add {
        /// Login name (a-z, 0-9, '.', '_', '-').
        name: String,
        /// Role: archivist, officer, auditor, backup or admin.
        #[arg(long)]
        role: String,
        /// Full name of the person.
        #[arg(long, default_value = "")]
        full_name: String,
        /// Token lifetime in days (default: no expiry).
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List accounts and their tokens (never the tokens themselves).
    List,
    /// Disable an account: its tokens stop working at once.
    Disable {
        /// Login name.
        name: String,
        /// Why (kept in the journal).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Issue a new token to an account; prints it once.
    Token {
        /// Login name.
        name: String,
        /// Token lifetime in days (default: no expiry).
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// Revoke one token by its id.
    Revoke {
        /// Token id (from `kho user list`).
        token_id: String,
    },
}

/// Settings of `kho serve` from `kho.toml` (`[serve]`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeSection {
    /// Minutes between scheduled scrub slices (0 = no scheduled scrub).
    pub scrub_interval_minutes: u64,
    /// Read at most this many MB/s while scrubbing.
    pub scrub_rate_mb: f64,
    /// Seconds between index catch-ups when nothing was deposited.
    pub index_interval_seconds: u64,
    /// Minutes between scheduled backups: each run copies to every target of
    /// `[backup.targets]` and then verifies a sample of it (0 = no scheduled backup).
    pub backup_interval_minutes: u64,
    /// Copy at most this many MB/s during a scheduled backup (0 = no limit).
    pub backup_rate_mb: f64,
}

impl Default for ServeSection {
    fn default() -> Self {
        ServeSection {
            scrub_interval_minutes: 60,
            scrub_rate_mb: 50.0,
            index_interval_seconds: 30,
            backup_interval_minutes: 24 * 60,
            backup_rate_mb: 0.0,
        }
    }
}

/// Everything `kho serve` needs from the command line and configuration.
pub struct ServeContext {
    /// The store.
    pub store: Store,
    /// Archive options.
    pub options: ArchiveOptions,
    /// Search index directory.
    pub index_dir: PathBuf,
    /// `[serve]` settings.
    pub settings: ServeSection,
    /// Names of the backup targets of `kho.toml`.
    pub backup_targets: Vec<String>,
    /// The backup targets, opened.
    pub targets: Vec<archive_core::backup::Target>,
    /// The retention schedule in use.
    pub schedule: archive_core::retention_rules::Schedule,
}

/// `kho serve`.
pub async fn run(ctx: ServeContext, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let addr: SocketAddr = args.listen.parse().map_err(|_| {
        UsageError(format!(
            "--listen {:?} is not an address like 127.0.0.1:8420",
            args.listen
        ))
    })?;
    let mut archive =
        match Archive::open_writer(ctx.store.clone(), ctx.options.clone(), "kho serve").await {
            Ok(a) => a,
            Err(archive_core::ArchiveError::NotInitialised { .. })
                if matches!(
                    ctx.store.backend(),
                    archive_core::store::Backend::Local { .. }
                ) =>
            {
                eprintln!("kho: no store at {}: creating it", ctx.store.location());
                Archive::init(ctx.store.clone(), ctx.options.clone()).await?
            }
            Err(e) => return Err(e.into()),
        };
    let journal_events = archive
        .journal()
        .batches
        .iter()
        .flat_map(|b| b.batch.events.iter());
    let accounts = Accounts::from_events(journal_events);
    if accounts.is_empty() {
        let token = match &args.admin_token_file {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                UsageError(format!(
                    "cannot read the admin token file {}: {e}",
                    p.display()
                ))
            })?),
            None => None,
        };
        let (events, issued) = accounts
            .create_events("system", &args.admin_name, "", Role::Admin, token, None)
            .map_err(UsageError)?;
        archive.append_events(events).await?;
        if args.admin_token_file.is_some() {
            eprintln!(
                "kho: created the first account {:?} (admin) with the token from {}",
                args.admin_name,
                args.admin_token_file
                    .as_deref()
                    .map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            );
        } else {
            // Shown once: the journal keeps only its hash.
            println!("first admin account: {}", issued.account);
            println!("token (shown once, keep it safe): {}", issued.token);
        }
    }
    let state = AppState::start(archive, accounts, &ctx, &args).await?;
    let app = api::router(state.clone(), &args);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!("kho serving {} on http://{local}/", ctx.store.location());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    jobs::spawn(state.clone(), ctx.settings.clone());
    backup_job::spawn(
        state.clone(),
        Duration::from_secs(ctx.settings.backup_interval_minutes * 60),
        ctx.settings.backup_rate_mb,
    );
    let shutdown = {
        let state = state.clone();
        async move {
            wait_for_signal().await;
            eprintln!("kho: shutting down: finishing requests in progress");
            state.begin_shutdown();
        }
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("server failed")?;
    state.finish(Duration::from_secs(30)).await?;
    eprintln!("kho: stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `kho user …`.
pub async fn user(
    store: Store,
    options: ArchiveOptions,
    cmd: UserCmd,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let expiry = |days: Option<i64>| -> anyhow::Result<Option<time::OffsetDateTime>> {
        match days {
            Some(d) if d <= 0 => {
                Err(UsageError("--expires-in-days must be at least 1".into()).into())
            }
            Some(d) => Ok(Some(
                time::OffsetDateTime::now_utc() + time::Duration::days(d),
            )),
            None => Ok(None),
        }
    };
    if let UserCmd::List = cmd {
        let archive = Archive::open(store, options).await?;
        let accounts = Accounts::from_events(
            archive
                .journal()
                .batches
                .iter()
                .flat_map(|b| b.batch.events.iter()),
        );
        let list: Vec<_> = accounts.list().cloned().collect();
        if json {
            println!("{}", serde_json::to_string_pretty(&list)?);
        } else {
            for a in list {
                let live = a.tokens.values().filter(|t| !t.revoked).count();
                println!(
                    "{:<20} {:<10} {}{}  tokens: {live} live",
                    a.name,
                    a.role,
                    a.full_name,
                    if a.disabled { " (disabled)" } else { "" }
                );
                for t in a.tokens.values() {
                    println!(
                        "    token {}  issued {}{}{}",
                        t.id,
                        t.issued_at.date(),
                        t.expires_at
                            .map(|x| format!("  expires {}", x.date()))
                            .unwrap_or_default(),
                        if t.revoked { "  revoked" } else { "" }
                    );
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let actor = options.actor.clone();
    let mut archive = Archive::open_writer(store, options, "kho user").await.map_err(|e| match e {
        archive_core::ArchiveError::LeaseHeld { .. } => anyhow::Error::from(e).context(
            "the store is open by another writer (kho serve?): manage accounts through the API at /api/v1/users while it runs",
        ),
        other => other.into(),
    })?;
    let accounts = Accounts::from_events(
        archive
            .journal()
            .batches
            .iter()
            .flat_map(|b| b.batch.events.iter()),
    );
    let (events, issued) = match cmd {
        UserCmd::Add {
            name,
            role,
            full_name,
            expires_in_days,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                UsageError(format!(
                    "unknown role {role:?}: use archivist, officer, auditor, backup or admin"
                ))
            })?;
            let (ev, t) = accounts
                .create_events(
                    &actor,
                    &name,
                    &full_name,
                    role,
                    None,
                    expiry(expires_in_days)?,
                )
                .map_err(UsageError)?;
            (ev, Some(t))
        }
        UserCmd::Token {
            name,
            expires_in_days,
        } => {
            let (ev, t) = accounts
                .token_events(&actor, &name, expiry(expires_in_days)?)
                .map_err(UsageError)?;
            (ev, Some(t))
        }
        UserCmd::Disable { name, reason } => (
            accounts
                .disable_events(&actor, &name, &reason)
                .map_err(UsageError)?,
            None,
        ),
        UserCmd::Revoke { token_id } => (
            accounts
                .revoke_events(&actor, &token_id)
                .map_err(UsageError)?,
            None,
        ),
        UserCmd::List => unreachable_list(),
    };
    archive.append_events(events).await?;
    archive.close().await?;
    match issued {
        Some(t) if json => println!("{}", serde_json::to_string_pretty(&t)?),
        Some(t) => {
            println!(
                "account {}: token {} (shown once, keep it safe):",
                t.account, t.id
            );
            println!("{}", t.token);
        }
        None if json => println!("{{\"ok\":true}}"),
        None => println!("done"),
    }
    Ok(ExitCode::SUCCESS)
}

fn unreachable_list() -> (
    Vec<archive_core::journal::Event>,
    Option<accounts::IssuedToken>,
) {
    // `List` returns before the writer is opened.
    (Vec::new(), None)
}

/// Shared handle type.
pub type Shared = Arc<AppState>;

//! What every request shares: the open archive, the search index, accounts, the
//! access-event log, idempotency keys, limits and counters.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use archive_core::archive::Archive;
use archive_core::journal::{Batch, Event};
use archive_core::layout;
use archive_core::model::RecordId;
use indexer::{SearchBackend, TantivyBackend};
use tokio::sync::{RwLock, Semaphore, mpsc, oneshot, watch};

use super::accounts::{Account, Accounts, Permission, Role, TokenProblem};
use super::error::ApiError;
use super::{ServeArgs, ServeContext};

/// Journal event type of a record's metadata being read.
pub const RECORD_VIEWED: &str = "access.record_viewed";
/// Journal event type of a file being downloaded.
pub const FILE_DOWNLOADED: &str = "access.file_downloaded";
/// Journal event type of a search.
pub const SEARCH_RUN: &str = "access.search";

/// The account a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

impl Caller {
    /// Refuses with 403 unless the caller's role allows `p`.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "account {} ({}) may not {}",
                self.name,
                self.role,
                match p {
                    Permission::Deposit => "deposit records",
                    Permission::Edit => "change metadata",
                    Permission::Retrieve => "read records",
                    Permission::Download => "download files",
                    Permission::Search => "search",
                    Permission::Dossiers => "manage dossiers",
                    Permission::Verify => "verify integrity",
                    Permission::Journal => "read the journal",
                    Permission::Report => "read reports",
                    Permission::Backup => "run backups",
                    Permission::Users => "manage accounts",
                    Permission::Holds => "manage legal holds",
                    Permission::Approve => "approve dispositions",
                    Permission::Jobs => "run jobs",
                }
            )))
        }
    }
}

/// Counters exposed at `/metrics`.
#[derive(Default)]
pub struct Metrics {
    /// Requests answered.
    pub requests: AtomicU64,
    /// Requests answered with a 4xx status.
    pub client_errors: AtomicU64,
    /// Requests answered with a 5xx status.
    pub server_errors: AtomicU64,
    /// Records deposited.
    pub deposits: AtomicU64,
    /// Bytes received in deposits.
    pub upload_bytes: AtomicU64,
    /// Bytes sent in downloads.
    pub download_bytes: AtomicU64,
    /// Searches run.
    pub searches: AtomicU64,
    /// Scheduled scrub slices run.
    pub scrub_runs: AtomicU64,
    /// Blobs re-hashed by scheduled scrubs.
    pub scrub_blobs: AtomicU64,
    /// Damaged blobs found by scheduled scrubs.
    pub scrub_damage: AtomicU64,
    /// Backup jobs run (scheduled or asked for).
    pub backup_runs: AtomicU64,
}

/// What a scheduled job last did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct JobStatus {
    /// Job name.
    pub name: String,
    /// Whether it is enabled.
    pub enabled: bool,
    /// Seconds between runs.
    pub interval_seconds: u64,
    /// When it last started (RFC 3339).
    pub last_started: Option<String>,
    /// When it last finished.
    pub last_finished: Option<String>,
    /// Outcome of the last run: `ok`, `damage` or `error`.
    pub last_outcome: Option<String>,
    /// What the last run did.
    pub last_detail: Option<String>,
    /// Runs since the server started.
    pub runs: u64,
}

/// An idempotency key's state.
#[derive(Debug, Clone)]
pub enum IdempotencyState {
    /// A deposit with this key is being received.
    InFlight,
    /// A deposit with this key was committed as this record.
    Done(RecordId),
}

struct AccessRequest {
    events: Vec<Event>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The server's shared state.
pub struct AppState {
    /// The open archive (holds the writer lease).
    pub archive: RwLock<Archive>,
    /// The search index, kept open for searching.
    pub index: RwLock<Option<TantivyBackend>>,
    /// Where the search index lives.
    pub index_dir: PathBuf,
    /// Journal position the index covers.
    pub index_seq: watch::Sender<u64>,
    /// Wakes the indexer after a commit.
    pub index_wake: tokio::sync::Notify,
    accounts: std::sync::RwLock<Accounts>,
    /// Journal batches that mention each object (record id, blob hash, account).
    event_index: std::sync::RwLock<EventIndex>,
    /// Idempotency keys of deposits.
    pub idempotency: Mutex<HashMap<String, IdempotencyState>>,
    access: mpsc::Sender<AccessRequest>,
    /// Deposits received at once.
    pub upload_slots: Semaphore,
    /// Where uploads are spooled before they are stored.
    pub spool: PathBuf,
    /// Largest upload in bytes.
    pub max_upload: u64,
    /// Longest silence of an upload.
    pub idle_timeout: Duration,
    /// Counters.
    pub metrics: Metrics,
    /// Scheduled jobs.
    pub jobs: Mutex<BTreeMap<String, JobStatus>>,
    shutting_down: AtomicBool,
    /// Why the writer lease was lost (another process took it over), if it was.
    pub lease_lost: Mutex<Option<String>>,
    /// When the server started.
    pub started: Instant,
    /// Names of the backup targets.
    pub backup_targets: Vec<String>,
    /// The backup targets.
    pub targets: Vec<archive_core::backup::Target>,
    /// Held while a backup or backup verification runs: one at a time.
    pub backup_running: tokio::sync::Mutex<()>,
    /// The retention schedule in use.
    pub schedule: archive_core::retention_rules::Schedule,
}

#[derive(Default)]
struct EventIndex {
    /// Highest journal batch folded.
    upto: u64,
    /// Object → batches mentioning it, ascending.
    by_object: HashMap<String, Vec<u64>>,
}

impl AppState {
    /// Opens the index, folds the journal, starts the access-event writer.
    pub async fn start(
        archive: Archive,
        accounts: Accounts,
        ctx: &ServeContext,
        args: &ServeArgs,
    ) -> anyhow::Result<Arc<AppState>> {
        let mut ev = EventIndex::default();
        let mut idem = HashMap::new();
        for b in &archive.journal().batches {
            fold_batch(&mut ev, &mut idem, &b.batch);
        }
        // `accounts` were folded from the same journal by the caller; events
        // appended since open (the first admin) are folded by `sync_events`.
        let spool = ctx
            .index_dir
            .parent()
            .map(|p| p.join("spool"))
            .unwrap_or_else(|| std::env::temp_dir().join("kho-spool"));
        std::fs::create_dir_all(&spool).map_err(|e| {
            anyhow::anyhow!("cannot create the upload spool {}: {e}", spool.display())
        })?;
        // Uploads left by a server that died are not records: nothing refers to them.
        if let Ok(entries) = std::fs::read_dir(&spool) {
            for e in entries.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let index_dir = ctx.index_dir.clone();
        let mut backend =
            tokio::task::spawn_blocking(move || TantivyBackend::open_or_create(&index_dir))
                .await??;
        let covered = backend.position()?.map(|p| p.journal_seq).unwrap_or(0);
        // Bring the index up to date before serving, so search never misses old records.
        let report = indexer::catch_up_backend(&archive, &mut backend, &Default::default()).await?;
        tracing::info!(?report, "index caught up");
        let head = archive.journal_head();
        let _ = covered;
        let (tx, rx) = mpsc::channel::<AccessRequest>(4096);
        let state = Arc::new(AppState {
            archive: RwLock::new(archive),
            index: RwLock::new(Some(backend)),
            index_dir: ctx.index_dir.clone(),
            index_seq: watch::Sender::new(head),
            index_wake: tokio::sync::Notify::new(),
            accounts: std::sync::RwLock::new(accounts),
            event_index: std::sync::RwLock::new(ev),
            idempotency: Mutex::new(idem),
            access: tx,
            upload_slots: Semaphore::new(args.max_uploads.max(1)),
            spool,
            max_upload: args.max_upload_mib.saturating_mul(1 << 20),
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            metrics: Metrics::default(),
            jobs: Mutex::new(BTreeMap::new()),
            shutting_down: AtomicBool::new(false),
            lease_lost: Mutex::new(None),
            started: Instant::now(),
            backup_targets: ctx.backup_targets.clone(),
            targets: ctx.targets.clone(),
            backup_running: tokio::sync::Mutex::new(()),
            schedule: ctx.schedule.clone(),
        });
        state.sync_events().await;
        tokio::spawn(access_writer(state.clone(), rx));
        Ok(state)
    }

    /// Authenticates a bearer token.
    pub fn authenticate(&self, token: &str) -> Result<Caller, ApiError> {
        let accounts = self
            .accounts
            .read()
            .map_err(|_| ApiError::internal("account table unavailable"))?;
        match accounts.authenticate(token, time::OffsetDateTime::now_utc()) {
            Ok(a) => Ok(Caller {
                name: a.name.clone(),
                role: a.role,
            }),
            Err(p) => Err(ApiError::unauthenticated(match p {
                TokenProblem::Unknown => "the token is not valid",
                TokenProblem::Revoked => "the token was revoked",
                TokenProblem::Expired => "the token has expired: ask an admin for a new one",
                TokenProblem::Disabled => "the account is disabled",
            })),
        }
    }

    /// A copy of the account table.
    pub fn accounts(&self) -> Accounts {
        self.accounts.read().map(|a| a.clone()).unwrap_or_default()
    }

    /// One account.
    pub fn account(&self, name: &str) -> Option<Account> {
        self.accounts.read().ok().and_then(|a| a.get(name).cloned())
    }

    /// Folds journal batches written since the last fold into the account table,
    /// the event index and the idempotency keys. Called after every write.
    pub async fn sync_events(&self) {
        let (store, head) = {
            let a = self.archive.read().await;
            (a.store().clone(), a.journal_head())
        };
        let from = self.event_index.read().map(|e| e.upto).unwrap_or(head);
        for seq in from + 1..=head {
            let batch = match store.get(&layout::journal_batch(seq)).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!("cannot read journal batch {seq}: {e}");
                    return;
                }
            };
            let Ok(batch) = serde_json::from_slice::<Batch>(&batch) else {
                tracing::warn!("cannot parse journal batch {seq}");
                return;
            };
            if let Ok(mut acc) = self.accounts.write() {
                for e in &batch.events {
                    acc.apply(e);
                }
            }
            let mut idem = self.idempotency.lock().unwrap_or_else(|p| p.into_inner());
            if let Ok(mut ev) = self.event_index.write() {
                if ev.upto >= seq {
                    continue;
                }
                fold_batch(&mut ev, &mut idem, &batch);
            }
        }
    }

    /// Journal batches that mention `object`.
    pub fn batches_of(&self, object: &str) -> Vec<u64> {
        self.event_index
            .read()
            .ok()
            .and_then(|e| e.by_object.get(object).cloned())
            .unwrap_or_default()
    }

    /// Appends events written by the server (accounts, jobs) and folds them.
    pub async fn append(&self, events: Vec<Event>) -> Result<u64, ApiError> {
        let seq = {
            let mut a = self.archive.write().await;
            a.append_events(events).await?
        };
        self.sync_events().await;
        Ok(seq)
    }

    /// Runs a change on the archive as `actor`, under the write lock, then folds
    /// the events it journaled into the server's indexes.
    pub async fn act<T>(
        &self,
        actor: &str,
        f: impl AsyncFnOnce(&mut Archive) -> archive_core::Result<T>,
    ) -> Result<T, ApiError> {
        let out = {
            let mut a = self.archive.write().await;
            a.set_actor(actor.to_string());
            f(&mut a).await
        }?;
        self.sync_events().await;
        Ok(out)
    }

    /// Records access events; returns once they are in the journal.
    pub async fn record_access(&self, events: Vec<Event>) -> Result<(), ApiError> {
        let (done, wait) = oneshot::channel();
        self.access
            .send(AccessRequest { events, done })
            .await
            .map_err(|_| {
                ApiError::unavailable("the access log is closed: the server is stopping")
            })?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ApiError::unavailable(format!(
                "the access could not be recorded in the journal, so it is refused: {e}"
            ))),
            Err(_) => Err(ApiError::unavailable(
                "the access log is closed: the server is stopping",
            )),
        }
    }

    /// Whether the server is stopping.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Marks the server as stopping: new deposits are refused with 503.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// After the last request: lets queued access events reach the journal, then
    /// writes a checkpoint and releases the writer lease.
    pub async fn finish(self: Arc<Self>, grace: Duration) -> anyhow::Result<()> {
        self.begin_shutdown();
        let deadline = Instant::now() + grace;
        while self.access.capacity() < self.access.max_capacity() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut a = self.archive.write().await;
        a.release().await?;
        Ok(())
    }

    /// Sets a job's status.
    /// Records that a run of job `name` ended with `outcome` (`ok`, `damage`, `error`).
    pub fn job_finished(&self, name: &str, outcome: &str, detail: String) {
        let finished = now_rfc3339();
        self.job_update(name, |j| {
            j.runs += 1;
            j.last_finished = Some(finished);
            j.last_outcome = Some(outcome.to_string());
            j.last_detail = Some(detail);
        });
    }

    /// Changes the status of job `name`.
    pub fn job_update(&self, name: &str, f: impl FnOnce(&mut JobStatus)) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let j = jobs.entry(name.to_string()).or_insert_with(|| JobStatus {
            name: name.to_string(),
            ..Default::default()
        });
        f(j);
    }
}

fn fold_batch(ev: &mut EventIndex, idem: &mut HashMap<String, IdempotencyState>, batch: &Batch) {
    for e in &batch.events {
        let list = ev.by_object.entry(e.object.clone()).or_default();
        if list.last() != Some(&batch.seq) {
            list.push(batch.seq);
        }
        if let Some(key) = e.detail.get("idempotency_key").and_then(|k| k.as_str())
            && let Ok(id) = e.object.parse::<RecordId>()
        {
            idem.insert(key.to_string(), IdempotencyState::Done(id));
        }
    }
    ev.upto = ev.upto.max(batch.seq);
}

/// Writes access events in group commits: whatever queued while the last batch
/// was being written goes into the next one.
async fn access_writer(state: Arc<AppState>, mut rx: mpsc::Receiver<AccessRequest>) {
    while let Some(first) = rx.recv().await {
        let mut reqs = vec![first];
        while reqs.len() < 512 {
            match rx.try_recv() {
                Ok(r) => reqs.push(r),
                Err(_) => break,
            }
        }
        let events: Vec<Event> = reqs.iter().flat_map(|r| r.events.iter().cloned()).collect();
        let result = {
            let mut a = state.archive.write().await;
            a.append_events(events).await.map_err(|e| e.to_string())
        };
        if result.is_ok() {
            state.sync_events().await;
        }
        for r in reqs {
            let _ = r.done.send(result.clone().map(|_| ()));
        }
    }
}

/// The current time as RFC 3339, for job status.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

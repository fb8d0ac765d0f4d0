//! The archive: a store opened for reading, or for writing under the writer lease.
//!
//! The journal is the commit point. A deposit writes blobs, then the manifest, then
//! its journal event; only then is it acknowledged and visible. A crash before the
//! event leaves objects that `verify` reports as orphans and nothing visible.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use serde::Serialize;
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;

use crate::blob::{self, ChunkStream, Compression, StoredBlob};
use crate::error::{ArchiveError, Result};
use crate::format::{self, FormatPolicy};
use crate::hash::BlobHash;
use crate::journal::{self, Event, JournalRead, JournalWriter, Outcome, ReadBatch};
use crate::layout::{self, Encoding};
use crate::lease::WriterLease;
use crate::model::{
    FORMAT_VERSION, FileEntry, FileRole, RecordId, RecordManifest, StoreDescriptor, check_format,
};
use crate::store::Store;

/// Event types written by the archive core.
pub mod event_types {
    /// The store was created.
    pub const STORE_INITIALISED: &str = "store.initialised";
    /// A record was deposited (its version 1 manifest is committed).
    pub const RECORD_DEPOSITED: &str = "record.deposited";
    /// A new manifest version of a record was committed.
    pub const RECORD_VERSION_ADDED: &str = "record.version_added";
    /// A blob was re-hashed.
    pub const FIXITY_CHECKED: &str = "fixity.checked";
    /// A scrub run started, progressed or ended.
    pub const SCRUB_RUN: &str = "scrub.run";
    /// A file's signatures were checked.
    pub const SIGNATURE_VERIFIED: &str = "signature.verified";
    /// A damaged blob was replaced by an intact upload of the same bytes.
    pub const BLOB_REPLACED: &str = "blob.replaced";
}
use event_types::*;

/// Settings of an open archive.
#[derive(Debug, Clone)]
pub struct ArchiveOptions {
    /// Compression of new blobs.
    pub compression: Compression,
    /// Which formats may be deposited.
    pub formats: FormatPolicy,
    /// How deposit metadata is checked.
    pub metadata: crate::rules::MetadataPolicy,
    /// Trust anchors and policy of signature checks at deposit.
    pub signatures: signatures::VerifyOptions,
    /// Who acts (account name).
    pub actor: String,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            compression: Compression::default(),
            formats: FormatPolicy::default(),
            metadata: crate::rules::MetadataPolicy::default(),
            signatures: signatures::VerifyOptions::default(),
            actor: std::env::var("USER").unwrap_or_else(|_| "system".into()),
        }
    }
}

/// One committed version of a record, as the journal knows it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRef {
    /// Version number.
    pub version: u32,
    /// BLAKE3 of the manifest bytes.
    pub manifest_blake3: BlobHash,
    /// Files (blob, encoding, original size) of this version.
    pub files: Vec<(BlobHash, Encoding, u64)>,
    /// Journal batch that committed it.
    pub seq: u64,
}

/// What the journal says about one record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordEntry {
    /// Versions in order.
    pub versions: Vec<VersionRef>,
}

/// State derived from the journal (rebuildable from the store at any time).
#[derive(Debug, Default)]
pub struct Catalog {
    /// Records by id.
    pub records: BTreeMap<RecordId, RecordEntry>,
    /// Last successful fixity check per blob (unix seconds).
    pub last_fixity: HashMap<BlobHash, i64>,
    /// Latest scrub run state: (run id, last object checked, finished).
    pub last_scrub: Option<(String, String, bool)>,
    /// Number of events.
    pub events: u64,
    /// Dossiers (replayed by [`crate::dossier`]).
    pub dossiers: crate::dossier::Dossiers,
    /// Holds and dispositions (replayed by [`crate::retention`]).
    pub retention: crate::retention::RetentionBook,
}

impl Catalog {
    fn apply(&mut self, rb: &ReadBatch) {
        for ev in &rb.batch.events {
            self.events += 1;
            match ev.kind.as_str() {
                RECORD_DEPOSITED | RECORD_VERSION_ADDED => {
                    let Ok(id) = ev.object.parse::<RecordId>() else {
                        continue;
                    };
                    if let Ok(d) = serde_json::from_value::<CommitDetail>(ev.detail.clone()) {
                        self.records
                            .entry(id)
                            .or_default()
                            .versions
                            .push(VersionRef {
                                version: d.version,
                                manifest_blake3: d.manifest_blake3,
                                files: d
                                    .files
                                    .iter()
                                    .map(|f| (f.blake3, f.encoding, f.size))
                                    .collect(),
                                seq: rb.batch.seq,
                            });
                    }
                }
                FIXITY_CHECKED if ev.outcome == Outcome::Success => {
                    if let Ok(h) = ev.object.parse::<BlobHash>() {
                        self.last_fixity.insert(h, ev.time.unix_timestamp());
                    }
                }
                SCRUB_RUN => {
                    let run = ev.detail.get("run").and_then(|v| v.as_str()).unwrap_or("");
                    let last = ev
                        .detail
                        .get("last_object")
                        .and_then(|v| v.as_str())
                        .unwrap_or("");
                    let done = ev
                        .detail
                        .get("finished")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                    self.last_scrub = Some((run.into(), last.into(), done));
                }
                _ => {
                    crate::dossier::apply(self, ev);
                    crate::retention::apply(self, ev);
                }
            }
        }
    }

    /// Every blob referenced by any committed version.
    pub fn referenced_blobs(&self) -> BTreeMap<BlobHash, (Encoding, u64)> {
        let mut m = BTreeMap::new();
        for r in self.records.values() {
            for v in &r.versions {
                for (h, e, s) in &v.files {
                    m.insert(*h, (*e, *s));
                }
            }
        }
        m
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct CommitFile {
    blake3: BlobHash,
    encoding: Encoding,
    size: u64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct CommitDetail {
    version: u32,
    manifest: String,
    manifest_blake3: BlobHash,
    files: Vec<CommitFile>,
}

/// Where the bytes of a deposited file come from.
pub enum FileSource {
    /// A local file.
    Path(std::path::PathBuf),
    /// Bytes in memory.
    Bytes(Bytes),
    /// A stream (HTTP upload).
    Stream(ChunkStream),
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileSource::Path(p) => write!(f, "Path({})", p.display()),
            FileSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            FileSource::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// One file of a deposit.
#[derive(Debug)]
pub struct DepositFile {
    /// Original file name (kept as metadata only, never used as a path).
    pub filename: String,
    /// Role.
    pub role: FileRole,
    /// Bytes.
    pub source: FileSource,
}

impl DepositFile {
    /// A local file; its name becomes the file name.
    pub fn from_path(path: impl Into<std::path::PathBuf>, role: FileRole) -> Self {
        let path = path.into();
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        DepositFile {
            filename,
            role,
            source: FileSource::Path(path),
        }
    }
}

/// A deposit: metadata and files.
#[derive(Debug)]
pub struct DepositRequest {
    /// Descriptive metadata (a JSON object).
    pub metadata: serde_json::Value,
    /// Files, the first usually the main document.
    pub files: Vec<DepositFile>,
}

/// What an acknowledged deposit returns.
#[derive(Debug, Clone, Serialize)]
pub struct DepositReceipt {
    /// New record id.
    pub record_id: RecordId,
    /// Manifest version (1).
    pub version: u32,
    /// Stored files.
    pub files: Vec<FileEntry>,
    /// Journal batch that committed the deposit.
    pub journal_seq: u64,
    /// Files whose bytes were already stored.
    pub deduplicated: usize,
    /// Metadata warnings that did not stop the deposit.
    pub warnings: Vec<String>,
}

/// A manifest version written to the store but not yet committed in the journal.
struct PreparedVersion {
    idempotency_key: Option<String>,
    manifest: RecordManifest,
    manifest_blake3: BlobHash,
    path: Path,
    stored: Vec<StoredBlob>,
    warnings: Vec<String>,
}

impl PreparedVersion {
    fn receipt(self, seq: u64) -> DepositReceipt {
        DepositReceipt {
            record_id: self.manifest.record_id,
            version: self.manifest.version,
            deduplicated: self.stored.iter().filter(|b| b.deduplicated).count(),
            files: self.manifest.files,
            journal_seq: seq,
            warnings: self.warnings,
        }
    }
}

struct Writer {
    lease: WriterLease,
    journal: JournalWriter,
}

/// An open archive.
pub struct Archive {
    store: Store,
    descriptor: StoreDescriptor,
    catalog: Catalog,
    journal_read: JournalRead,
    writer: Option<Writer>,
    options: ArchiveOptions,
}

/// Default coverage period: every blob re-hashed at least once in this many days.
pub const DEFAULT_COVERAGE_DAYS: u32 = 90;

impl Archive {
    /// Creates a new store (descriptor, canaries, first journal event) and opens it for writing.
    pub async fn init(store: Store, options: ArchiveOptions) -> Result<Archive> {
        let desc_path = Path::from(layout::STORE_DESCRIPTOR);
        if store.head(&desc_path).await?.is_some() {
            return Err(ArchiveError::AlreadyInitialised {
                location: store.location().to_string(),
            });
        }
        let lease = WriterLease::acquire(&store, "init").await?;
        let descriptor = StoreDescriptor {
            format_version: FORMAT_VERSION,
            store_id: uuid::Uuid::new_v4(),
            created_at: OffsetDateTime::now_utc(),
            content_digest: "blake3".into(),
            interchange_digest: "sha256".into(),
            journal_chain_digest: "blake3".into(),
            checkpoint_digest: "sha256".into(),
            coverage_period_days: DEFAULT_COVERAGE_DAYS,
        };
        let bytes = serde_json::to_vec_pretty(&descriptor)
            .map_err(|e| ArchiveError::Internal(e.to_string()))?;
        crate::canary::plant(&store).await?;
        store.put_create(&desc_path, Bytes::from(bytes)).await?;
        let read = JournalRead::default();
        let mut journal = JournalWriter::after(&read);
        journal
            .append(
                &store,
                vec![Event::new(
                    &options.actor,
                    STORE_INITIALISED,
                    descriptor.store_id.to_string(),
                    Outcome::Success,
                    serde_json::json!({ "location": store.location() }),
                )],
            )
            .await?;
        let mut a = Archive::load(store, options, Some(lease)).await?;
        a.descriptor = descriptor;
        Ok(a)
    }

    /// Opens an existing store for reading.
    pub async fn open(store: Store, options: ArchiveOptions) -> Result<Archive> {
        Archive::load(store, options, None).await
    }

    /// Opens an existing store for writing; fails fast if another writer holds it.
    pub async fn open_writer(
        store: Store,
        options: ArchiveOptions,
        purpose: &str,
    ) -> Result<Archive> {
        Self::open_writer_for(store, options, purpose, crate::lease::LEASE_TTL).await
    }

    /// As [`Archive::open_writer`], with the remote lease's lifetime given.
    pub async fn open_writer_for(
        store: Store,
        options: ArchiveOptions,
        purpose: &str,
        lease_ttl: std::time::Duration,
    ) -> Result<Archive> {
        Self::read_descriptor(&store).await?;
        let lease = WriterLease::acquire_for(&store, purpose, lease_ttl).await?;
        Archive::load(store, options, Some(lease)).await
    }

    /// Renews the writer lease when it is past half its life (remote stores; a
    /// long-running writer such as `kho serve` calls this periodically). Fails
    /// when another process took the lease over.
    pub async fn keep_lease(&mut self) -> Result<()> {
        let store = self.store.clone();
        let w = self.writer()?;
        if w.lease.needs_renewal() {
            w.lease.renew(&store).await?;
        }
        Ok(())
    }

    async fn read_descriptor(store: &Store) -> Result<StoreDescriptor> {
        let path = Path::from(layout::STORE_DESCRIPTOR);
        let bytes = store
            .get_opt(&path)
            .await?
            .ok_or_else(|| ArchiveError::NotInitialised {
                location: store.location().to_string(),
            })?;
        #[derive(serde::Deserialize)]
        struct V {
            format_version: u32,
        }
        let v: V = serde_json::from_slice(&bytes)
            .map_err(|e| ArchiveError::json(layout::STORE_DESCRIPTOR, e))?;
        check_format(layout::STORE_DESCRIPTOR, v.format_version)?;
        serde_json::from_slice(&bytes).map_err(|e| ArchiveError::json(layout::STORE_DESCRIPTOR, e))
    }

    async fn load(
        store: Store,
        options: ArchiveOptions,
        lease: Option<WriterLease>,
    ) -> Result<Archive> {
        let descriptor = Self::read_descriptor(&store).await?;
        let journal_read = journal::read_all(&store).await?;
        let mut catalog = Catalog::default();
        for b in &journal_read.batches {
            catalog.apply(b);
        }
        let writer = match lease {
            Some(lease) => {
                if let Some(p) = journal_read.problems.first() {
                    return Err(ArchiveError::Damaged {
                        object: p.object.clone(),
                        detail: format!(
                            "{}; the journal must be repaired before anything is written (see `kho verify`)",
                            p.detail
                        ),
                    });
                }
                Some(Writer {
                    lease,
                    journal: JournalWriter::after(&journal_read),
                })
            }
            None => None,
        };
        Ok(Archive {
            store,
            descriptor,
            catalog,
            journal_read,
            writer,
            options,
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store descriptor.
    pub fn descriptor(&self) -> &StoreDescriptor {
        &self.descriptor
    }

    /// State derived from the journal.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The journal as read at open (plus problems found).
    pub fn journal(&self) -> &JournalRead {
        &self.journal_read
    }

    /// Options.
    pub fn options(&self) -> &ArchiveOptions {
        &self.options
    }

    /// Sequence number of the last journal batch.
    pub fn journal_head(&self) -> u64 {
        match &self.writer {
            Some(w) => w.journal.head(),
            None => self.journal_read.batches.len() as u64,
        }
    }

    fn writer(&mut self) -> Result<&mut Writer> {
        self.writer
            .as_mut()
            .ok_or_else(|| ArchiveError::Internal("archive opened read-only".into()))
    }

    /// Appends events as one journal batch and applies them to the catalog.
    pub async fn append_events(&mut self, events: Vec<Event>) -> Result<u64> {
        let store = self.store.clone();
        let w = self.writer()?;
        // One writer per store: a remote lease past half its life is renewed
        // first, and a lease another process took over stops the write.
        if w.lease.needs_renewal() {
            w.lease.renew(&store).await?;
        }
        let seq = w.journal.append(&store, events.clone()).await?;
        let rb = ReadBatch {
            batch: journal::Batch {
                format_version: FORMAT_VERSION,
                seq,
                prev: None,
                events,
            },
            blake3: BlobHash::from_bytes([0; 32]),
            leaf: [0; 32],
        };
        self.catalog.apply(&rb);
        Ok(seq)
    }

    /// Deposits one record: stores its files, writes manifest v1, commits it in the journal.
    pub async fn deposit(&mut self, req: DepositRequest) -> Result<DepositReceipt> {
        self.writer()?;
        let p = self.prepare_deposit(req).await?;
        let events = self.commit_events(&p, RECORD_DEPOSITED)?;
        let seq = self.append_events(events).await?;
        Ok(p.receipt(seq))
    }

    /// Deposits many records, storing up to `concurrency` of them at once and
    /// committing all that were stored in one journal batch (group commit). Each
    /// result says what became of one request; a record is acknowledged only once
    /// the shared batch is written.
    pub async fn deposit_many(
        &mut self,
        requests: Vec<DepositRequest>,
        concurrency: usize,
    ) -> Result<Vec<Result<DepositReceipt>>> {
        self.writer()?;
        let prepared: Vec<Result<PreparedVersion>> = {
            let this = &*self;
            futures::stream::iter(requests)
                .map(|r| this.prepare_deposit(r))
                .buffered(concurrency.max(1))
                .collect()
                .await
        };
        let mut events = Vec::new();
        for p in prepared.iter().flatten() {
            events.extend(self.commit_events(p, RECORD_DEPOSITED)?);
        }
        let seq = if events.is_empty() {
            0
        } else {
            self.append_events(events).await?
        };
        Ok(prepared
            .into_iter()
            .map(|p| p.map(|p| p.receipt(seq)))
            .collect())
    }

    /// Checks a deposit, stores its files and writes its version 1 manifest; nothing
    /// is visible until the returned version is committed in the journal.
    async fn prepare_deposit(&self, req: DepositRequest) -> Result<PreparedVersion> {
        self.depositor(&self.options.actor)
            .prepare_version(req)
            .await
    }

    /// Writes a manifest version (create-only); committing it is a separate step.
    async fn write_manifest(
        &self,
        manifest: RecordManifest,
        stored: Vec<StoredBlob>,
    ) -> Result<PreparedVersion> {
        write_manifest(&self.store, manifest, stored).await
    }

    /// A handle that stores deposits for `actor` without holding the archive: the
    /// slow part of a deposit (checks, signatures, storing bytes) can run while the
    /// archive serves others, and only [`Archive::commit_prepared`] needs it mutably.
    pub fn depositor(&self, actor: &str) -> Depositor {
        let mut options = self.options.clone();
        options.actor = actor.to_string();
        Depositor {
            store: self.store.clone(),
            options,
        }
    }

    /// Commits deposits stored by a [`Depositor`] of this archive in one journal batch;
    /// each is acknowledged only once that batch is written.
    pub async fn commit_prepared(
        &mut self,
        prepared: Vec<PreparedDeposit>,
    ) -> Result<Vec<DepositReceipt>> {
        self.writer()?;
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        let mut events = Vec::new();
        for p in &prepared {
            events.extend(self.commit_events(&p.0, RECORD_DEPOSITED)?);
        }
        let seq = self.append_events(events).await?;
        Ok(prepared.into_iter().map(|p| p.0.receipt(seq)).collect())
    }

    /// Sets who acts in the events and manifests this archive writes from now on.
    pub fn set_actor(&mut self, actor: impl Into<String>) {
        self.options.actor = actor.into();
    }

    /// The journal events that commit a written manifest version.
    fn commit_events(&self, p: &PreparedVersion, kind: &str) -> Result<Vec<Event>> {
        let detail = CommitDetail {
            version: p.manifest.version,
            manifest: p.path.to_string(),
            manifest_blake3: p.manifest_blake3,
            files: p
                .manifest
                .files
                .iter()
                .map(|f| CommitFile {
                    blake3: f.blake3,
                    encoding: f.encoding,
                    size: f.size,
                })
                .collect(),
        };
        let mut detail =
            serde_json::to_value(&detail).map_err(|e| ArchiveError::Internal(e.to_string()))?;
        if let (Some(key), Some(obj)) = (&p.idempotency_key, detail.as_object_mut()) {
            obj.insert("idempotency_key".into(), key.clone().into());
        }
        let mut events = vec![Event::new(
            &p.manifest.actor,
            kind,
            p.manifest.record_id.to_string(),
            Outcome::Success,
            detail,
        )];
        if kind == RECORD_DEPOSITED {
            for r in &p.manifest.signature_reports {
                let outcome = match r.decision.as_str() {
                    "accept" | "accept-unsigned" => Outcome::Success,
                    "reject" => Outcome::Failure,
                    _ => Outcome::Warning,
                };
                events.push(Event::new(
                    &p.manifest.actor,
                    SIGNATURE_VERIFIED,
                    p.manifest.record_id.to_string(),
                    outcome,
                    serde_json::json!({
                        "file": r.file,
                        "filename": p.manifest.files.get(r.file).map(|f| f.filename.clone()),
                        "decision": r.decision,
                        "reason": r.reason,
                    }),
                ));
            }
        }
        for b in p.stored.iter().filter(|b| b.replaced_damaged) {
            events.push(Event::new(
                &p.manifest.actor,
                BLOB_REPLACED,
                b.hash.to_hex(),
                Outcome::Warning,
                serde_json::json!({ "reason": "existing copy was damaged; moved to quarantine and replaced by an intact upload" }),
            ));
        }
        Ok(events)
    }

    /// Ids of every committed record.
    pub fn record_ids(&self) -> impl Iterator<Item = &RecordId> {
        self.catalog.records.keys()
    }

    /// Reads a committed manifest version (latest when `version` is `None`), checking
    /// its bytes against the digest the journal recorded.
    pub async fn manifest(&self, id: &RecordId, version: Option<u32>) -> Result<RecordManifest> {
        let entry = self
            .catalog
            .records
            .get(id)
            .ok_or_else(|| ArchiveError::UnknownRecord(id.to_string()))?;
        let v = match version {
            None => entry.versions.last(),
            Some(n) => entry.versions.iter().find(|v| v.version == n),
        }
        .ok_or_else(|| {
            ArchiveError::UnknownRecord(format!("{id} version {}", version.unwrap_or(0)))
        })?;
        let path = layout::manifest(id, v.version);
        let bytes = self.store.get(&path).await?;
        if BlobHash::of(&bytes) != v.manifest_blake3 {
            return Err(ArchiveError::Damaged {
                object: path.to_string(),
                detail: format!(
                    "manifest bytes hash to {} but the journal recorded {}",
                    BlobHash::of(&bytes),
                    v.manifest_blake3
                ),
            });
        }
        let m: RecordManifest =
            serde_json::from_slice(&bytes).map_err(|e| ArchiveError::json(path.as_ref(), e))?;
        check_format(path.as_ref(), m.format_version)?;
        Ok(m)
    }

    /// Streams the original bytes of file `index` (0-based) of a record's latest version.
    pub async fn open_file(&self, id: &RecordId, index: usize) -> Result<(FileEntry, ChunkStream)> {
        self.check_not_disposed(id)?;
        let m = self.manifest(id, None).await?;
        let f = m.files.get(index).cloned().ok_or_else(|| {
            ArchiveError::InvalidInput(format!(
                "record {id} has {} file(s); file {} does not exist",
                m.files.len(),
                index + 1
            ))
        })?;
        let s = blob::open(&self.store, &f.blake3, f.encoding).await?;
        Ok((f, s))
    }

    /// Writes a checkpoint and gives the writer lease up.
    pub async fn close(mut self) -> Result<()> {
        self.release().await
    }

    /// Writes a checkpoint and gives up the writer lease; the archive stays open
    /// read-only (a server stopping while requests still hold it).
    pub async fn release(&mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            w.journal.checkpoint(&self.store).await?;
            w.lease.release(&self.store).await?;
        }
        Ok(())
    }
}

/// Reads the first chunk of a stream and gives back a stream that still yields it.
async fn peek(mut s: ChunkStream) -> Result<(Bytes, ChunkStream)> {
    match s.next().await {
        None => Ok((Bytes::new(), futures::stream::empty().boxed())),
        Some(Err(e)) => Err(ArchiveError::InvalidInput(format!(
            "cannot read deposit input: {e}; nothing was stored"
        ))),
        Some(Ok(first)) => {
            let head = first.clone();
            Ok((
                head,
                futures::stream::once(async move { Ok(first) })
                    .chain(s)
                    .boxed(),
            ))
        }
    }
}

/// One changed field between two metadata versions.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FieldChange {
    /// Dotted path, e.g. `summary` or `signer.full_name`.
    pub path: String,
    /// Value before (absent = null).
    pub old: serde_json::Value,
    /// Value after (absent = null).
    pub new: serde_json::Value,
}

/// Field-level differences between two JSON metadata objects.
pub fn metadata_diff(old: &serde_json::Value, new: &serde_json::Value) -> Vec<FieldChange> {
    fn walk(
        prefix: &str,
        old: &serde_json::Value,
        new: &serde_json::Value,
        out: &mut Vec<FieldChange>,
    ) {
        use serde_json::Value;
        match (old, new) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for k in keys {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(
                        &path,
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            (a, b) if a != b => out.push(FieldChange {
                path: prefix.to_string(),
                old: a.clone(),
                new: b.clone(),
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

/// Applies an RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// What a metadata change returns.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeReceipt {
    /// Record id.
    pub record_id: RecordId,
    /// New version number.
    pub version: u32,
    /// What changed.
    pub changes: Vec<FieldChange>,
    /// Journal batch that committed it.
    pub journal_seq: u64,
    /// Metadata warnings.
    pub warnings: Vec<String>,
}

impl Archive {
    /// Corrects a record's metadata with a merge patch: writes a new immutable manifest
    /// version (files unchanged, `previous` = digest of the version it replaces) and a
    /// journal event recording who changed which field from what to what.
    pub async fn update_metadata(
        &mut self,
        id: &RecordId,
        patch: &serde_json::Value,
        reason: Option<&str>,
    ) -> Result<ChangeReceipt> {
        self.writer()?;
        self.check_not_disposed(id)?;
        let current = self.manifest(id, None).await?;
        let prev_digest = self
            .catalog
            .records
            .get(id)
            .and_then(|e| e.versions.last())
            .map(|v| v.manifest_blake3)
            .ok_or_else(|| ArchiveError::UnknownRecord(id.to_string()))?;
        let mut proposed = current.metadata.clone();
        merge_patch(&mut proposed, patch);
        let checked = crate::rules::check(
            proposed,
            self.options.metadata,
            OffsetDateTime::now_utc().date(),
        )?;
        let changes = metadata_diff(&current.metadata, &checked.value);
        if changes.is_empty() {
            return Err(ArchiveError::InvalidInput(format!(
                "the change leaves record {id} as it is; nothing was written"
            )));
        }
        let manifest = RecordManifest {
            format_version: FORMAT_VERSION,
            record_id: *id,
            version: current.version + 1,
            previous: Some(prev_digest),
            created_at: OffsetDateTime::now_utc(),
            actor: self.options.actor.clone(),
            received_at: current.received_at,
            metadata: checked.value,
            files: current.files,
            signature_reports: current.signature_reports,
        };
        let p = self.write_manifest(manifest, Vec::new()).await?;
        let mut events = self.commit_events(&p, RECORD_VERSION_ADDED)?;
        if let Some(ev) = events.first_mut()
            && let Some(obj) = ev.detail.as_object_mut()
        {
            obj.insert(
                "changes".into(),
                serde_json::to_value(&changes)
                    .map_err(|e| ArchiveError::Internal(e.to_string()))?,
            );
            obj.insert(
                "reason".into(),
                reason.map(Into::into).unwrap_or(serde_json::Value::Null),
            );
        }
        let seq = self.append_events(events).await?;
        Ok(ChangeReceipt {
            record_id: *id,
            version: p.manifest.version,
            changes,
            journal_seq: seq,
            warnings: checked.warnings,
        })
    }

    /// Every committed version of a record, oldest first.
    pub async fn history(&self, id: &RecordId) -> Result<Vec<RecordManifest>> {
        let entry = self
            .catalog
            .records
            .get(id)
            .ok_or_else(|| ArchiveError::UnknownRecord(id.to_string()))?;
        let mut out = Vec::with_capacity(entry.versions.len());
        for v in &entry.versions {
            out.push(self.manifest(id, Some(v.version)).await?);
        }
        Ok(out)
    }
}

/// Stores deposits for one actor without holding the [`Archive`]; see
/// [`Archive::depositor`].
#[derive(Clone)]
pub struct Depositor {
    store: Store,
    options: ArchiveOptions,
}

/// A deposit whose files and manifest are stored but not yet committed: invisible
/// until [`Archive::commit_prepared`] writes its journal batch.
pub struct PreparedDeposit(PreparedVersion);

impl PreparedDeposit {
    /// The record id the deposit will have.
    pub fn record_id(&self) -> RecordId {
        self.0.manifest.record_id
    }

    /// Records the client's idempotency key in the commit event, so a retried
    /// upload can be recognised even after a restart.
    pub fn set_idempotency_key(&mut self, key: impl Into<String>) {
        self.0.idempotency_key = Some(key.into());
    }
}

impl Depositor {
    /// Checks a deposit, stores its files and writes its version 1 manifest.
    pub async fn prepare(&self, req: DepositRequest) -> Result<PreparedDeposit> {
        self.prepare_version(req).await.map(PreparedDeposit)
    }

    /// Checks a deposit, stores its files and writes its version 1 manifest; nothing
    /// is visible until the returned version is committed in the journal.
    async fn prepare_version(&self, req: DepositRequest) -> Result<PreparedVersion> {
        let checked = crate::rules::check(
            req.metadata,
            self.options.metadata,
            OffsetDateTime::now_utc().date(),
        )?;
        let metadata = checked.value;
        if req.files.is_empty() {
            return Err(ArchiveError::InvalidInput(
                "a deposit needs at least one file".into(),
            ));
        }
        // Open every input before storing anything, so a missing file stores nothing.
        let mut inputs = Vec::with_capacity(req.files.len());
        let mut checkable = Vec::with_capacity(req.files.len());
        for f in req.files {
            let stream = match f.source {
                FileSource::Path(p) => {
                    let s = blob::file_chunks(&p)?;
                    checkable.push(Some(crate::signing::Checkable::Path(p)));
                    s
                }
                FileSource::Bytes(b) => {
                    checkable.push(Some(crate::signing::Checkable::Bytes(b.clone())));
                    blob::bytes_chunks(b)
                }
                FileSource::Stream(s) => {
                    checkable.push(None);
                    s
                }
            };
            let filename: String = f.filename.nfc().collect();
            if filename.is_empty() || filename.chars().any(|c| c.is_control()) {
                return Err(ArchiveError::InvalidInput(format!(
                    "file name {filename:?} is empty or has control characters"
                )));
            }
            inputs.push((filename, f.role, stream));
        }
        let mut peeked = Vec::with_capacity(inputs.len());
        for (filename, role, stream) in inputs {
            let (head, stream) = peek(stream).await?;
            let media_type = format::identify(&head, &filename);
            if let Some(promised) = format::promised_by_name(&filename)
                && promised != media_type
                && self.options.formats == FormatPolicy::Standard
            {
                return Err(ArchiveError::Refused(format!(
                    "{filename}: its name says {promised} but its content is {media_type} (rule: content must match the file type); nothing was stored"
                )));
            }
            if !self.options.formats.allows(&media_type) {
                return Err(ArchiveError::Refused(format!(
                    "{filename}: format {media_type} is not an allowed archival format (rule: allowed formats, DESIGN §5)"
                )));
            }
            peeked.push((filename, role, media_type, stream));
        }
        // Signatures are checked before anything is stored, so a rejected file stores nothing.
        let candidates: Vec<crate::signing::Candidate> = peeked
            .iter()
            .zip(checkable)
            .map(
                |((filename, _, media_type, _), source)| crate::signing::Candidate {
                    filename: filename.clone(),
                    media_type: media_type.clone(),
                    source,
                },
            )
            .collect();
        let sig_options = self.options.signatures.clone();
        let signature_reports = tokio::task::spawn_blocking(move || {
            crate::signing::check_files(&candidates, &sig_options)
        })
        .await
        .map_err(|e| ArchiveError::Internal(e.to_string()))??;
        for r in &signature_reports {
            if let Some(si) = r.signature_file
                && let Some(entry) = peeked.get_mut(si)
            {
                entry.1 = FileRole::Signature;
            }
        }
        let mut files = Vec::with_capacity(peeked.len());
        let mut stored: Vec<StoredBlob> = Vec::new();
        for (filename, role, media_type, stream) in peeked {
            let b = blob::put(&self.store, stream, self.options.compression).await?;
            files.push(FileEntry {
                role,
                filename,
                media_type,
                size: b.size,
                blake3: b.hash,
                sha256: b.sha256,
                encoding: b.encoding,
                stored_size: b.stored_size,
            });
            stored.push(b);
        }
        let now = OffsetDateTime::now_utc();
        let manifest = RecordManifest {
            format_version: FORMAT_VERSION,
            record_id: RecordId::new(),
            version: 1,
            previous: None,
            created_at: now,
            actor: self.options.actor.clone(),
            received_at: now,
            metadata,
            files,
            signature_reports,
        };
        let mut p = write_manifest(&self.store, manifest, stored).await?;
        p.warnings = checked.warnings;
        Ok(p)
    }
}

/// Writes a manifest version (create-only); committing it is a separate step.
async fn write_manifest(
    store: &Store,
    manifest: RecordManifest,
    stored: Vec<StoredBlob>,
) -> Result<PreparedVersion> {
    let bytes = Bytes::from(
        serde_json::to_vec_pretty(&manifest).map_err(|e| ArchiveError::Internal(e.to_string()))?,
    );
    let path = layout::manifest(&manifest.record_id, manifest.version);
    store.put_create(&path, bytes.clone()).await?;
    Ok(PreparedVersion {
        idempotency_key: None,
        manifest_blake3: BlobHash::of(&bytes),
        path,
        manifest,
        stored,
        warnings: Vec::new(),
    })
}

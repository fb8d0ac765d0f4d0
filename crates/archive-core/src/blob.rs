//! Content-addressed blobs: streaming put with BLAKE3 + SHA-256 + size computed while
//! receiving, optional zstd, dedup that never trusts a damaged blob, and reads that
//! return the original bytes.

use std::io::{Read, Write};
use std::path::{Path as FsPath, PathBuf};

use bytes::{Bytes, BytesMut};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{CopyMode, CopyOptions, ObjectStoreExt, WriteMultipart};
use tokio::sync::mpsc;

use crate::error::{ArchiveError, Result};
use crate::hash::{BlobHash, DualHasher, Sha256Digest};
use crate::layout::{self, Encoding};
use crate::store::{Backend, Store};

/// A stream of byte chunks, the input of a deposit.
pub type ChunkStream = BoxStream<'static, std::io::Result<Bytes>>;

/// Blobs up to this size are hashed in memory and written with one create-only put.
pub const SMALL_BLOB_LIMIT: usize = 8 * 1024 * 1024;
const CHUNK: usize = 8 * 1024 * 1024;
const SAMPLE: usize = 64 * 1024;

/// Compression policy for new blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Compression {
    /// Store original bytes only.
    Off,
    /// zstd at `level` (1–3) when a sample of the first 64 KiB shrinks by ≥ 10 %.
    Auto {
        /// zstd level, 1–3.
        level: i32,
    },
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Auto { level: 3 }
    }
}

impl Compression {
    fn choose(self, sample: &[u8]) -> Encoding {
        match self {
            Compression::Off => Encoding::Identity,
            Compression::Auto { level } => {
                if sample.len() < 512 {
                    return Encoding::Identity;
                }
                match zstd::bulk::compress(sample, level.clamp(1, 3)) {
                    Ok(c) if (c.len() as f64) <= sample.len() as f64 * 0.9 => Encoding::Zstd,
                    _ => Encoding::Identity,
                }
            }
        }
    }

    fn level(self) -> i32 {
        match self {
            Compression::Off => 0,
            Compression::Auto { level } => level.clamp(1, 3),
        }
    }
}

/// A blob as stored (or found already stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// BLAKE3 of the original bytes.
    pub hash: BlobHash,
    /// SHA-256 of the original bytes.
    pub sha256: Sha256Digest,
    /// Original size.
    pub size: u64,
    /// Stored encoding.
    pub encoding: Encoding,
    /// Stored object size.
    pub stored_size: u64,
    /// The identical bytes were already stored and checked intact.
    pub deduplicated: bool,
    /// A damaged copy of the same blob was found and replaced.
    pub replaced_damaged: bool,
    /// First bytes, for format identification.
    pub head: Bytes,
}

/// Chunks of a local file, read on a blocking thread.
pub fn file_chunks(path: &FsPath) -> Result<ChunkStream> {
    let meta = std::fs::metadata(path).map_err(|source| ArchiveError::InputFile {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(ArchiveError::InvalidInput(format!(
            "{} is a directory: give the files inside it",
            path.display()
        )));
    }
    let mut file = std::fs::File::open(path).map_err(|source| ArchiveError::InputFile {
        path: path.to_path_buf(),
        source,
    })?;
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
    let p: PathBuf = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buf = BytesMut::zeroed(CHUNK);
            let mut filled = 0;
            let res = loop {
                match file.read(&mut buf[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        filled += n;
                        if filled == buf.len() {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        break Err(std::io::Error::new(
                            e.kind(),
                            format!("reading {}: {e}", p.display()),
                        ));
                    }
                }
            };
            match res {
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
                Ok(()) if filled == 0 => return,
                Ok(()) => {
                    buf.truncate(filled);
                    let last = filled < CHUNK;
                    if tx.blocking_send(Ok(buf.freeze())).is_err() || last {
                        return;
                    }
                }
            }
        }
    });
    Ok(tokio_stream(rx))
}

fn tokio_stream<T: Send + 'static>(rx: mpsc::Receiver<T>) -> BoxStream<'static, T> {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) }).boxed()
}

/// A stream over bytes in memory.
pub fn bytes_chunks(bytes: Bytes) -> ChunkStream {
    futures::stream::iter(if bytes.is_empty() {
        vec![]
    } else {
        vec![Ok(bytes)]
    })
    .boxed()
}

fn input_err(e: std::io::Error) -> ArchiveError {
    ArchiveError::InvalidInput(format!(
        "cannot read deposit input: {e}; nothing was committed"
    ))
}

/// Stores a stream of bytes as a blob; returns what was stored.
pub async fn put(
    store: &Store,
    mut input: ChunkStream,
    compression: Compression,
) -> Result<StoredBlob> {
    // Buffer up to the small-blob limit: most records are small documents.
    let mut buf = BytesMut::new();
    let mut first: Option<Bytes> = None;
    while buf.len() <= SMALL_BLOB_LIMIT {
        match input.next().await {
            None => {
                let data = first.take().unwrap_or_else(|| buf.split().freeze());
                return put_small(store, data, compression).await;
            }
            Some(chunk) => {
                let chunk = chunk.map_err(input_err)?;
                if first.is_none() && buf.is_empty() {
                    first = Some(chunk);
                } else {
                    if let Some(f) = first.take() {
                        buf.extend_from_slice(&f);
                    }
                    buf.extend_from_slice(&chunk);
                }
                if let Some(f) = &first
                    && f.len() > SMALL_BLOB_LIMIT
                {
                    break;
                }
            }
        }
    }
    let head = first.unwrap_or_else(|| buf.freeze());
    put_large(store, head, input, compression).await
}

async fn put_small(store: &Store, data: Bytes, compression: Compression) -> Result<StoredBlob> {
    let d = data.clone();
    let (hash, sha256, size, encoding, payload) = tokio::task::spawn_blocking(move || {
        let mut h = DualHasher::new();
        h.update(&d);
        let (hash, sha, size) = h.finish();
        let enc = compression.choose(&d[..d.len().min(SAMPLE)]);
        let payload = match enc {
            Encoding::Identity => Ok(d.clone()),
            Encoding::Zstd => zstd::bulk::compress(&d, compression.level()).map(Bytes::from),
        };
        (hash, sha, size, enc, payload)
    })
    .await
    .map_err(|e| ArchiveError::Internal(e.to_string()))?;
    let payload = payload.map_err(|source| ArchiveError::Io {
        what: "compressing blob".into(),
        source,
    })?;
    let head = data.slice(..data.len().min(SAMPLE));
    let replaced_damaged = match existing_intact(store, &hash, size).await? {
        Existing::Intact(encoding, stored_size) => {
            return Ok(StoredBlob {
                hash,
                sha256,
                size,
                encoding,
                stored_size,
                deduplicated: true,
                replaced_damaged: false,
                head,
            });
        }
        Existing::Damaged => true,
        Existing::Absent => false,
    };
    let stored_size = payload.len() as u64;
    store
        .put_create(&layout::blob(&hash, encoding), payload)
        .await?;
    Ok(StoredBlob {
        hash,
        sha256,
        size,
        encoding,
        stored_size,
        deduplicated: false,
        replaced_damaged,
        head,
    })
}

enum Existing {
    Absent,
    Intact(Encoding, u64),
    Damaged,
}

/// Looks for an existing copy of a blob and checks it before trusting it: identity
/// blobs by size, compressed ones by re-hashing. A damaged copy is moved to
/// `quarantine/` so the new upload can take its place.
async fn existing_intact(store: &Store, hash: &BlobHash, size: u64) -> Result<Existing> {
    let mut damaged = false;
    for enc in [Encoding::Identity, Encoding::Zstd] {
        let path = layout::blob(hash, enc);
        let Some(meta) = store.head(&path).await? else {
            continue;
        };
        let intact = match enc {
            Encoding::Identity => meta.size == size,
            Encoding::Zstd => {
                let c = check(store, hash, enc).await?;
                c.actual == Some(*hash) && c.size == size
            }
        };
        if intact {
            return Ok(Existing::Intact(enc, meta.size));
        }
        tracing::warn!(object = %path, "existing blob is damaged; replacing it with the new upload");
        quarantine(store, &path).await?;
        damaged = true;
    }
    Ok(if damaged {
        Existing::Damaged
    } else {
        Existing::Absent
    })
}

/// Moves a damaged object aside (`quarantine/<name>.<time>`), keeping it as evidence.
pub async fn quarantine(store: &Store, path: &Path) -> Result<Path> {
    let name = path.as_ref().replace('/', "_");
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let dest = Path::from(format!("{}/{name}.{stamp}", layout::QUARANTINE));
    store
        .object_store()
        .copy_opts(path, &dest, CopyOptions::new().with_mode(CopyMode::Create))
        .await
        .map_err(|e| ArchiveError::store(path.as_ref(), e))?;
    store.delete(path).await?;
    Ok(dest)
}

async fn put_large(
    store: &Store,
    head: Bytes,
    mut rest: ChunkStream,
    compression: Compression,
) -> Result<StoredBlob> {
    let encoding = compression.choose(&head[..head.len().min(SAMPLE)]);
    let level = compression.level();
    let sample = head.slice(..head.len().min(SAMPLE));
    // Hashing and compression run on a blocking thread; the upload runs here.
    let (in_tx, mut in_rx) = mpsc::channel::<Bytes>(2);
    let (out_tx, mut out_rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
    let worker =
        tokio::task::spawn_blocking(move || -> std::io::Result<(BlobHash, Sha256Digest, u64)> {
            let mut hasher = DualHasher::new();
            let mut enc = match encoding {
                Encoding::Zstd => Some(zstd::stream::write::Encoder::new(Vec::new(), level)?),
                Encoding::Identity => None,
            };
            while let Some(chunk) = in_rx.blocking_recv() {
                hasher.update(&chunk);
                let out = match enc.as_mut() {
                    Some(e) => {
                        e.write_all(&chunk)?;
                        Bytes::from(std::mem::take(e.get_mut()))
                    }
                    None => chunk,
                };
                if !out.is_empty() && out_tx.blocking_send(Ok(out)).is_err() {
                    return Err(std::io::Error::other("upload stopped"));
                }
            }
            if let Some(e) = enc {
                let tail = e.finish()?;
                if !tail.is_empty() && out_tx.blocking_send(Ok(Bytes::from(tail))).is_err() {
                    return Err(std::io::Error::other("upload stopped"));
                }
            }
            Ok(hasher.finish())
        });

    let staging = Path::from(format!("{}/{}", layout::STAGING, uuid::Uuid::now_v7()));
    let upload = store
        .object_store()
        .put_multipart(&staging)
        .await
        .map_err(|e| ArchiveError::store(staging.as_ref(), e))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);

    let feed = async {
        in_tx
            .send(head)
            .await
            .map_err(|_| ArchiveError::Internal("hasher stopped".into()))?;
        while let Some(chunk) = rest.next().await {
            let chunk = chunk.map_err(input_err)?;
            in_tx
                .send(chunk)
                .await
                .map_err(|_| ArchiveError::Internal("hasher stopped".into()))?;
        }
        drop(in_tx);
        Ok::<(), ArchiveError>(())
    };
    let drain = async {
        let mut stored = 0u64;
        while let Some(out) = out_rx.recv().await {
            let out = out.map_err(input_err)?;
            stored += out.len() as u64;
            writer
                .wait_for_capacity(2)
                .await
                .map_err(|e| ArchiveError::store(staging.as_ref(), e))?;
            writer.put(out);
        }
        Ok::<u64, ArchiveError>(stored)
    };
    let (fed, drained) = tokio::join!(feed, drain);
    let result = match (fed, drained) {
        (Ok(()), Ok(stored)) => Ok(stored),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let stored_size = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = writer.abort().await;
            worker.abort();
            return Err(e);
        }
    };
    let digests = worker
        .await
        .map_err(|e| ArchiveError::Internal(e.to_string()))?
        .map_err(|source| ArchiveError::Io {
            what: "hashing deposit input".into(),
            source,
        });
    let (hash, sha256, size) = match digests {
        Ok(d) => d,
        Err(e) => {
            let _ = writer.abort().await;
            return Err(e);
        }
    };
    if let Err(e) = writer.finish().await {
        return Err(ArchiveError::store(staging.as_ref(), e));
    }
    let publish = async {
        let replaced_damaged = match existing_intact(store, &hash, size).await? {
            Existing::Intact(encoding, stored_size) => {
                return Ok(StoredBlob {
                    hash,
                    sha256,
                    size,
                    encoding,
                    stored_size,
                    deduplicated: true,
                    replaced_damaged: false,
                    head: sample.clone(),
                });
            }
            Existing::Damaged => true,
            Existing::Absent => false,
        };
        publish_staged(store, &staging, &layout::blob(&hash, encoding)).await?;
        Ok(StoredBlob {
            hash,
            sha256,
            size,
            encoding,
            stored_size,
            deduplicated: false,
            replaced_damaged,
            head: sample.clone(),
        })
    };
    let res = publish.await;
    store.delete(&staging).await?;
    res
}

/// Moves a staged upload to its final, create-only name.
async fn publish_staged(store: &Store, staging: &Path, dest: &Path) -> Result<()> {
    let os = store.object_store();
    let create = CopyOptions::new().with_mode(CopyMode::Create);
    match os.copy_opts(staging, dest, create).await {
        Ok(()) => Ok(()),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
        Err(
            object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. },
        ) if matches!(store.backend(), Backend::S3 { .. }) => {
            // S3 without conditional copy: the writer lease makes check-then-copy safe,
            // and the name is the content's hash, so a copy never replaces other content.
            if store.head(dest).await?.is_none() {
                os.copy_opts(staging, dest, CopyOptions::new())
                    .await
                    .map_err(|e| ArchiveError::store(dest.as_ref(), e))?;
            }
            Ok(())
        }
        Err(e) => Err(ArchiveError::store(dest.as_ref(), e)),
    }
}

/// Result of re-hashing a stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCheck {
    /// BLAKE3 of the original bytes as read back; `None` when they could not be decoded.
    pub actual: Option<BlobHash>,
    /// Original bytes read.
    pub size: u64,
    /// Stored object bytes read.
    pub stored_size: u64,
    /// Why decoding failed, if it did.
    pub error: Option<String>,
}

/// Re-hashes a stored blob (decompressing if needed). Missing object → store error.
pub async fn check(store: &Store, hash: &BlobHash, encoding: Encoding) -> Result<BlobCheck> {
    check_path(store, &layout::blob(hash, encoding), encoding).await
}

/// Re-hashes any stored object as a blob of the given encoding.
pub async fn check_path(store: &Store, path: &Path, encoding: Encoding) -> Result<BlobCheck> {
    if let (Backend::Local { root }, Encoding::Identity) = (store.backend(), encoding) {
        let file = root.join(path.as_ref());
        let p = path.to_string();
        return tokio::task::spawn_blocking(move || hash_local_file(&file, &p))
            .await
            .map_err(|e| ArchiveError::Internal(e.to_string()))?;
    }
    let stream = raw_stream(store, path).await?;
    hash_stream(stream, encoding).await
}

/// Re-hashes a local file: one thread reads sequentially while BLAKE3 hashes the
/// previous chunk on every core, so a cold file is read in order at disk speed.
fn hash_local_file(file: &FsPath, name: &str) -> Result<BlobCheck> {
    const READ_CHUNK: usize = 4 * 1024 * 1024;
    let io_err = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ArchiveError::Damaged {
                object: name.to_string(),
                detail: "object is missing".into(),
            }
        } else {
            ArchiveError::Io {
                what: format!("reading {name}"),
                source,
            }
        }
    };
    let mut f = std::fs::File::open(file).map_err(io_err)?;
    let mut h = blake3::Hasher::new();
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(2);
    let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(3);
    for _ in 0..3 {
        let _ = free_tx.send(vec![0u8; READ_CHUNK]);
    }
    let read_result = std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> std::io::Result<()> {
            while let Ok(mut buf) = free_rx.recv() {
                let mut filled = 0;
                while filled < buf.len() {
                    match f.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                let last = filled < buf.len();
                if full_tx.send((buf, filled)).is_err() || last {
                    return Ok(());
                }
            }
            Ok(())
        });
        while let Ok((buf, n)) = full_rx.recv() {
            if n >= 1 << 20 {
                h.update_rayon(&buf[..n]);
            } else {
                h.update(&buf[..n]);
            }
            let _ = free_tx.send(buf);
        }
        reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("reader thread panicked")))
    });
    read_result.map_err(io_err)?;
    Ok(BlobCheck {
        actual: Some(h.finalize().into()),
        size: h.count(),
        stored_size: h.count(),
        error: None,
    })
}

async fn raw_stream(store: &Store, path: &Path) -> Result<ChunkStream> {
    let r = match store.object_store().get(path).await {
        Ok(r) => r,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(ArchiveError::Damaged {
                object: path.to_string(),
                detail: "object is missing".into(),
            });
        }
        Err(e) => return Err(ArchiveError::store(path.as_ref(), e)),
    };
    Ok(r.into_stream().map_err(std::io::Error::other).boxed())
}

async fn hash_stream(mut stream: ChunkStream, encoding: Encoding) -> Result<BlobCheck> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(2);
    let worker = tokio::task::spawn_blocking(move || {
        let mut h = blake3::Hasher::new();
        let mut stored = 0u64;
        let mut error = None;
        match encoding {
            Encoding::Zstd => match zstd::stream::write::Decoder::new(HashWriter(&mut h)) {
                Ok(mut d) => {
                    while let Some(chunk) = rx.blocking_recv() {
                        stored += chunk.len() as u64;
                        if error.is_none()
                            && let Err(e) = d.write_all(&chunk)
                        {
                            error = Some(format!("zstd: {e}"));
                        }
                    }
                    if error.is_none()
                        && let Err(e) = d.flush()
                    {
                        error = Some(format!("zstd: {e}"));
                    }
                    if error.is_none() && stored == 0 {
                        error = Some("empty zstd object".into());
                    }
                }
                Err(e) => error = Some(e.to_string()),
            },
            Encoding::Identity => {
                while let Some(chunk) = rx.blocking_recv() {
                    stored += chunk.len() as u64;
                    if chunk.len() >= 1 << 20 {
                        h.update_rayon(&chunk);
                    } else {
                        h.update(&chunk);
                    }
                }
            }
        }
        let size = h.count();
        let actual = if error.is_some() {
            None
        } else {
            Some(h.finalize().into())
        };
        (actual, size, stored, error)
    });
    let mut read_err = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => {
                if tx.send(c).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                read_err = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let (actual, size, stored_size, error) = worker
        .await
        .map_err(|e| ArchiveError::Internal(e.to_string()))?;
    if let Some(e) = read_err {
        return Err(ArchiveError::Io {
            what: "reading blob".into(),
            source: e,
        });
    }
    Ok(BlobCheck {
        actual,
        size,
        stored_size,
        error,
    })
}

struct HashWriter<'a>(&'a mut blake3::Hasher);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Streams the original bytes of a blob (decompressing if needed).
pub async fn open(store: &Store, hash: &BlobHash, encoding: Encoding) -> Result<ChunkStream> {
    let path = layout::blob(hash, encoding);
    let raw = raw_stream(store, &path).await?;
    match encoding {
        Encoding::Identity => Ok(raw),
        Encoding::Zstd => {
            let (tx, rx) = mpsc::channel::<Bytes>(2);
            let (otx, orx) = mpsc::channel::<std::io::Result<Bytes>>(2);
            let err_tx = otx.clone();
            let otx2 = otx.clone();
            tokio::spawn(async move {
                let mut raw = raw;
                while let Some(c) = raw.next().await {
                    match c {
                        Ok(c) => {
                            if tx.send(c).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ = err_tx.send(Err(e)).await;
                            return;
                        }
                    }
                }
            });
            tokio::task::spawn_blocking(move || {
                let mut rx = rx;
                let sink = ChannelWriter(otx2);
                let mut d = match zstd::stream::write::Decoder::new(sink) {
                    Ok(d) => d,
                    Err(e) => {
                        let _ = otx.blocking_send(Err(e));
                        return;
                    }
                };
                while let Some(c) = rx.blocking_recv() {
                    if let Err(e) = d.write_all(&c) {
                        let _ = otx.blocking_send(Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("zstd: {e}"),
                        )));
                        return;
                    }
                }
                if let Err(e) = d.flush() {
                    let _ = otx.blocking_send(Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("zstd: {e}"),
                    )));
                }
            });
            Ok(tokio_stream(orx))
        }
    }
}

struct ChannelWriter(mpsc::Sender<std::io::Result<Bytes>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::other("reader gone"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes bytes to a store object with a create-only put (used for canaries and tests).
pub async fn put_raw(store: &Store, path: &Path, bytes: Bytes) -> Result<()> {
    store.put_create(path, bytes).await
}

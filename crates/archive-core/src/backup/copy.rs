//! Copying one object between stores while re-hashing it, within a bandwidth limit.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{CopyMode, CopyOptions, ObjectStoreExt, WriteMultipart};
use tokio::sync::mpsc;

use crate::blob;
use crate::error::{ArchiveError, Result};
use crate::hash::BlobHash;
use crate::layout::{self, Encoding};
use crate::store::{Backend, Store};

/// Objects up to this size are copied with one read and one create-only put.
const SMALL: u64 = 8 * 1024 * 1024;
const PART: usize = 8 * 1024 * 1024;

/// What the bytes of a copied object must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// A blob: its decoded bytes hash to `hash` and number `size`.
    Blob {
        hash: BlobHash,
        encoding: Encoding,
        size: u64,
    },
    /// The object's bytes hash to this BLAKE3 (manifests, journal batches).
    Digest(BlobHash),
    /// Anything (canaries, checkpoints, descriptor).
    Any,
}

/// Shared bandwidth limit and progress of one run.
pub(crate) struct Throttle<'a> {
    start: Instant,
    rate: Option<u64>,
    done: AtomicU64,
    total: u64,
    progress: &'a (dyn Fn(u64, u64) + Send + Sync),
}

impl<'a> Throttle<'a> {
    pub(crate) fn new(
        rate: Option<u64>,
        total: u64,
        progress: &'a (dyn Fn(u64, u64) + Send + Sync),
    ) -> Self {
        Throttle {
            start: Instant::now(),
            rate: rate.filter(|r| *r > 0),
            done: AtomicU64::new(0),
            total,
            progress,
        }
    }

    /// Accounts `n` bytes and sleeps long enough to keep under the limit.
    pub(crate) async fn take(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        (self.progress)(done, self.total);
        if let Some(rate) = self.rate {
            let due = Duration::from_secs_f64(done as f64 / rate as f64);
            let elapsed = self.start.elapsed();
            if due > elapsed {
                tokio::time::sleep(due - elapsed).await;
            }
        }
    }
}

/// Result of copying one object.
#[derive(Debug)]
pub(crate) enum Copied {
    /// Written (bytes).
    Written(u64),
    /// The source is missing or its bytes are not what was expected: nothing written.
    Bad(String),
}

/// Checks bytes fed through a channel against `expect` on a blocking thread.
fn spawn_checker(expect: Expect) -> (mpsc::Sender<Bytes>, tokio::task::JoinHandle<Option<String>>) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(2);
    let handle = tokio::task::spawn_blocking(move || match expect {
        Expect::Any => {
            while rx.blocking_recv().is_some() {}
            None
        }
        Expect::Digest(want) => {
            let mut h = blake3::Hasher::new();
            while let Some(c) = rx.blocking_recv() {
                h.update(&c);
            }
            let got = BlobHash::from(h.finalize());
            (got != want).then(|| format!("bytes hash to {got}, the journal recorded {want}"))
        }
        Expect::Blob {
            hash,
            encoding,
            size,
        } => {
            let mut h = blake3::Hasher::new();
            let mut error = None;
            match encoding {
                Encoding::Identity => {
                    while let Some(c) = rx.blocking_recv() {
                        h.update(&c);
                    }
                }
                Encoding::Zstd => {
                    let mut any = false;
                    match zstd::stream::write::Decoder::new(HashSink(&mut h)) {
                        Ok(mut d) => {
                            while let Some(c) = rx.blocking_recv() {
                                any |= !c.is_empty();
                                if error.is_none()
                                    && let Err(e) = d.write_all(&c)
                                {
                                    error = Some(format!("zstd: {e}"));
                                }
                            }
                            if error.is_none()
                                && let Err(e) = d.flush()
                            {
                                error = Some(format!("zstd: {e}"));
                            }
                        }
                        Err(e) => {
                            error = Some(format!("zstd: {e}"));
                            while rx.blocking_recv().is_some() {}
                        }
                    }
                    if error.is_none() && !any {
                        error = Some("empty zstd object".into());
                    }
                }
            }
            if let Some(e) = error {
                return Some(format!("cannot decode stored bytes: {e}"));
            }
            let n = h.count();
            let got = BlobHash::from(h.finalize());
            if got != hash {
                Some(format!(
                    "content hashes to {got}, not to {hash} ({n} bytes read)"
                ))
            } else if n != size {
                Some(format!("has {n} bytes, the manifest says {size}"))
            } else {
                None
            }
        }
    });
    (tx, handle)
}

struct HashSink<'a>(&'a mut blake3::Hasher);

impl Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn joined<T>(r: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    r.map_err(|e| ArchiveError::Internal(e.to_string()))
}

/// Copies `from` on `src` to `to` on `dst`, checking the bytes against `expect`
/// before anything becomes visible under `to`. A different object already at `to`
/// is moved to `dst`'s quarantine first.
pub(crate) async fn copy_object(
    src: &Store,
    from: &Path,
    dst: &Store,
    to: &Path,
    expect: Expect,
    throttle: &Throttle<'_>,
) -> Result<Copied> {
    let r = match src.object_store().get(from).await {
        Ok(r) => r,
        Err(object_store::Error::NotFound { .. }) => {
            return Ok(Copied::Bad("object is missing".into()));
        }
        Err(e) => return Err(ArchiveError::store(from.as_ref(), e)),
    };
    let size = r.meta.size;
    if size <= SMALL {
        let bytes = r
            .bytes()
            .await
            .map_err(|e| ArchiveError::store(from.as_ref(), e))?;
        let (tx, checker) = spawn_checker(expect);
        let _ = tx.send(bytes.clone()).await;
        drop(tx);
        if let Some(problem) = joined(checker.await)? {
            return Ok(Copied::Bad(problem));
        }
        let n = bytes.len() as u64;
        throttle.take(n).await;
        match dst.put_create(to, bytes.clone()).await {
            Ok(()) => {}
            Err(ArchiveError::Collision(_)) => {
                move_aside(dst, to).await?;
                dst.put_create(to, bytes).await?;
            }
            Err(e) => return Err(e),
        }
        return Ok(Copied::Written(n));
    }
    // Large: stream into a staging object while re-hashing, publish only if intact.
    let staging = Path::from(format!("{}/{}", layout::STAGING, uuid::Uuid::now_v7()));
    let upload = dst
        .object_store()
        .put_multipart(&staging)
        .await
        .map_err(|e| ArchiveError::store(staging.as_ref(), e))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
    let (tx, checker) = spawn_checker(expect);
    let mut stream = r.into_stream();
    let fed: Result<()> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ArchiveError::store(from.as_ref(), e))?;
            throttle.take(chunk.len() as u64).await;
            if tx.send(chunk.clone()).await.is_err() {
                return Err(ArchiveError::Internal("checker stopped".into()));
            }
            writer
                .wait_for_capacity(2)
                .await
                .map_err(|e| ArchiveError::store(staging.as_ref(), e))?;
            writer.put(chunk);
        }
        Ok(())
    }
    .await;
    drop(tx);
    let problem = joined(checker.await)?;
    if let Err(e) = fed {
        let _ = writer.abort().await;
        return Err(e);
    }
    if let Some(problem) = problem {
        let _ = writer.abort().await;
        return Ok(Copied::Bad(problem));
    }
    writer
        .finish()
        .await
        .map_err(|e| ArchiveError::store(staging.as_ref(), e))?;
    let published = publish(dst, &staging, to).await;
    let cleaned = dst.delete(&staging).await;
    published?;
    cleaned?;
    Ok(Copied::Written(size))
}

/// Moves a damaged object aside to `quarantine/<name>.<ns>`, keeping it as evidence.
/// The quarantine name is new, so a plain copy is safe where the backend has no
/// create-only copy.
pub(crate) async fn move_aside(store: &Store, path: &Path) -> Result<Path> {
    match blob::quarantine(store, path).await {
        Ok(p) => Ok(p),
        Err(ArchiveError::Store {
            source:
                object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. },
            ..
        }) => {
            let name = path.as_ref().replace('/', "_");
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
            let dest = Path::from(format!("{}/{name}.{stamp}", layout::QUARANTINE));
            store
                .object_store()
                .copy_opts(path, &dest, CopyOptions::new())
                .await
                .map_err(|e| ArchiveError::store(path.as_ref(), e))?;
            store.delete(path).await?;
            Ok(dest)
        }
        Err(e) => Err(e),
    }
}

/// Moves a staged object to its final, create-only name; a different object
/// already there is quarantined first.
pub(crate) async fn publish(store: &Store, staging: &Path, dest: &Path) -> Result<()> {
    let os = store.object_store();
    let create = || CopyOptions::new().with_mode(CopyMode::Create);
    match os.copy_opts(staging, dest, create()).await {
        Ok(()) => Ok(()),
        Err(object_store::Error::AlreadyExists { .. }) => {
            move_aside(store, dest).await?;
            os.copy_opts(staging, dest, create())
                .await
                .map_err(|e| ArchiveError::store(dest.as_ref(), e))
        }
        Err(
            object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. },
        ) if matches!(store.backend(), Backend::S3 { .. }) => {
            // Without conditional copy: the name is the content's hash (or the caller
            // holds the writer lease), so check-then-copy replaces no other content.
            if store.head(dest).await?.is_some() {
                move_aside(store, dest).await?;
            }
            os.copy_opts(staging, dest, CopyOptions::new())
                .await
                .map_err(|e| ArchiveError::store(dest.as_ref(), e))
        }
        Err(e) => Err(ArchiveError::store(dest.as_ref(), e)),
    }
}

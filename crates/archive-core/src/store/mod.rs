//! Object store backends chosen by URL, with retry and fault-injection wrappers.
//!
//! `file:///path` (or a plain path) is a local directory written with fsync on,
//! `memory://` an in-process store for tests, `s3://bucket/prefix` any
//! S3-compatible service.

mod fault;
mod retry;

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

pub use fault::{Fault, FaultKind, FaultOp, FaultPlan, FaultyStore};
pub use retry::RetryStore;

use crate::error::{ArchiveError, Result};

/// S3 connection settings; each falls back to the usual `AWS_*` environment variables.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// Endpoint URL, e.g. `http://127.0.0.1:8333` (env `AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
    /// Region (env `AWS_REGION`, default `us-east-1`).
    pub region: Option<String>,
    /// Access key id (env `AWS_ACCESS_KEY_ID`).
    pub access_key_id: Option<String>,
    /// Secret key (env `AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key: Option<String>,
}

/// Which kind of backend a store runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Local directory, fsync on.
    Local {
        /// Root directory.
        root: PathBuf,
    },
    /// In-process memory.
    Memory,
    /// S3-compatible service.
    S3 {
        /// Bucket.
        bucket: String,
        /// Prefix inside the bucket.
        prefix: String,
    },
}

/// A store location with its backend: the archive's only source of truth.
#[derive(Debug, Clone)]
pub struct Store {
    os: Arc<dyn ObjectStore>,
    backend: Backend,
    location: String,
}

/// Result of a conditional update (lease).
#[derive(Debug, Clone)]
pub struct Versioned {
    /// Object bytes.
    pub bytes: Bytes,
    /// Version token for a conditional update.
    pub version: UpdateVersion,
}

impl Store {
    /// Opens a store by URL. `base` resolves relative local paths.
    pub fn open_url(url: &str, s3: &S3Settings, base: &FsPath) -> Result<Store> {
        if url == "memory://" || url == "memory:" {
            return Ok(Store::from_object_store(
                Arc::new(object_store::memory::InMemory::new()),
                Backend::Memory,
                "memory://".into(),
            ));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let prefix = prefix.trim_matches('/').to_string();
            if bucket.is_empty() {
                return Err(ArchiveError::Config(format!(
                    "store url {url:?} names no bucket: use s3://BUCKET/PREFIX"
                )));
            }
            return Self::open_s3(bucket, &prefix, s3, url);
        }
        let path = match url.strip_prefix("file://") {
            Some(p) => PathBuf::from(p),
            None if url.contains("://") => {
                return Err(ArchiveError::Config(format!(
                    "unsupported store url {url:?}: use file:///PATH, a plain path, s3://BUCKET/PREFIX or memory://"
                )));
            }
            None => PathBuf::from(url),
        };
        let root = if path.is_absolute() {
            path
        } else {
            base.join(path)
        };
        Self::open_local(&root)
    }

    /// Opens (creating the directory if needed) a local store at `root`.
    pub fn open_local(root: &FsPath) -> Result<Store> {
        std::fs::create_dir_all(root).map_err(|source| ArchiveError::Io {
            what: format!("creating store directory {}", root.display()),
            source,
        })?;
        let root = root.canonicalize().map_err(|source| ArchiveError::Io {
            what: format!("resolving store directory {}", root.display()),
            source,
        })?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| ArchiveError::store(root.display().to_string(), e))?
            .with_fsync(true);
        let location = format!("file://{}", root.display());
        Ok(Store::from_object_store(
            Arc::new(RetryStore::new(Arc::new(fs))),
            Backend::Local { root },
            location,
        ))
    }

    fn open_s3(bucket: &str, prefix: &str, s3: &S3Settings, url: &str) -> Result<Store> {
        use object_store::aws::AmazonS3Builder;
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let endpoint = s3.endpoint.clone().or_else(|| env("AWS_ENDPOINT_URL"));
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(
                s3.region
                    .clone()
                    .or_else(|| env("AWS_REGION"))
                    .unwrap_or_else(|| "us-east-1".into()),
            )
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(3))
                    .with_timeout(Duration::from_secs(120)),
            )
            .with_retry(object_store::RetryConfig {
                backoff: object_store::BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: Duration::from_secs(8),
            });
        if let Some(ep) = &endpoint {
            b = b
                .with_endpoint(ep)
                .with_allow_http(ep.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let Some(k) = s3
            .access_key_id
            .clone()
            .or_else(|| env("AWS_ACCESS_KEY_ID"))
        {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = s3
            .secret_access_key
            .clone()
            .or_else(|| env("AWS_SECRET_ACCESS_KEY"))
        {
            b = b.with_secret_access_key(k);
        }
        let s3store = b
            .build()
            .map_err(|e| ArchiveError::Config(format!("s3 store {url}: {e}")))?;
        let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3store, prefix))
        };
        Ok(Store::from_object_store(
            inner,
            Backend::S3 {
                bucket: bucket.into(),
                prefix: prefix.into(),
            },
            url.to_string(),
        ))
    }

    /// Wraps any object store (tests use this with [`FaultyStore`]).
    pub fn from_object_store(
        os: Arc<dyn ObjectStore>,
        backend: Backend,
        location: String,
    ) -> Store {
        Store {
            os,
            backend,
            location,
        }
    }

    /// The same store seen through a wrapper (e.g. fault injection).
    pub fn wrapped(
        &self,
        wrap: impl FnOnce(Arc<dyn ObjectStore>) -> Arc<dyn ObjectStore>,
    ) -> Store {
        Store {
            os: wrap(self.os.clone()),
            backend: self.backend.clone(),
            location: self.location.clone(),
        }
    }

    /// The underlying object store.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.os
    }

    /// Backend kind.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Human-readable location (URL).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Reads a whole object; `None` when it does not exist.
    pub async fn get_opt(&self, path: &Path) -> Result<Option<Bytes>> {
        match self.os.get(path).await {
            Ok(r) => Ok(Some(
                r.bytes()
                    .await
                    .map_err(|e| ArchiveError::store(path.as_ref(), e))?,
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ArchiveError::store(path.as_ref(), e)),
        }
    }

    /// Reads a whole object with its version token (for conditional updates).
    pub async fn get_versioned(&self, path: &Path) -> Result<Option<Versioned>> {
        match self.os.get(path).await {
            Ok(r) => {
                let version = UpdateVersion {
                    e_tag: r.meta.e_tag.clone(),
                    version: r.meta.version.clone(),
                };
                let bytes = r
                    .bytes()
                    .await
                    .map_err(|e| ArchiveError::store(path.as_ref(), e))?;
                Ok(Some(Versioned { bytes, version }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ArchiveError::store(path.as_ref(), e)),
        }
    }

    /// Reads a whole object that must exist.
    pub async fn get(&self, path: &Path) -> Result<Bytes> {
        self.get_opt(path)
            .await?
            .ok_or_else(|| ArchiveError::Damaged {
                object: path.to_string(),
                detail: "object is missing".into(),
            })
    }

    /// Metadata of an object; `None` when it does not exist.
    pub async fn head(&self, path: &Path) -> Result<Option<ObjectMeta>> {
        match self.os.head(path).await {
            Ok(m) => Ok(Some(m)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ArchiveError::store(path.as_ref(), e)),
        }
    }

    /// Create-only write. A retried write that finds its own bytes already there is a
    /// success; different bytes are a [`ArchiveError::Collision`].
    pub async fn put_create(&self, path: &Path, bytes: Bytes) -> Result<()> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .os
            .put_opts(path, PutPayload::from(bytes.clone()), opts)
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => match self.get_opt(path).await? {
                Some(existing) if existing == bytes => Ok(()),
                _ => Err(ArchiveError::Collision(path.to_string())),
            },
            Err(e) => Err(ArchiveError::store(path.as_ref(), e)),
        }
    }

    /// Unconditional write, only for the writer lease on backends without conditional update.
    pub(crate) async fn put_overwrite(&self, path: &Path, bytes: Bytes) -> Result<()> {
        self.os
            .put(path, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| ArchiveError::store(path.as_ref(), e))
    }

    /// Conditional update; `Ok(false)` when the object changed since `version` was read.
    pub(crate) async fn put_update(
        &self,
        path: &Path,
        bytes: Bytes,
        version: UpdateVersion,
    ) -> Result<bool> {
        let opts = PutOptions {
            mode: PutMode::Update(version),
            ..Default::default()
        };
        match self.os.put_opts(path, PutPayload::from(bytes), opts).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(ArchiveError::store(path.as_ref(), e)),
        }
    }

    /// Deletes an object; deleting a missing object is not an error.
    pub async fn delete(&self, path: &Path) -> Result<()> {
        match self.os.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(ArchiveError::store(path.as_ref(), e)),
        }
    }

    /// Lists every object under `prefix`, sorted by name.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let p = Path::from(prefix);
        let mut v: Vec<ObjectMeta> = self
            .os
            .list(Some(&p))
            .try_collect()
            .await
            .map_err(|e| ArchiveError::store(format!("listing {prefix}/"), e))?;
        v.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(v)
    }

    /// Lists objects under `prefix` whose names sort after `offset`, sorted by name.
    pub async fn list_after(&self, prefix: &str, offset: &Path) -> Result<Vec<ObjectMeta>> {
        let p = Path::from(prefix);
        let mut v: Vec<ObjectMeta> = self
            .os
            .list_with_offset(Some(&p), offset)
            .try_collect()
            .await
            .map_err(|e| ArchiveError::store(format!("listing {prefix}/"), e))?;
        v.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(v)
    }
}

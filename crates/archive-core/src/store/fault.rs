//! Fault injection for tests: errors, timeouts and short reads on chosen operations.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

/// Operation a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOp {
    /// `put_opts`.
    Put,
    /// Starting or completing a multipart upload.
    Multipart,
    /// `get_opts` / `get_ranges`.
    Get,
    /// Deletes.
    Delete,
    /// Lists.
    List,
    /// Copies and renames.
    Copy,
}

/// What happens when a fault fires.
#[derive(Debug, Clone, Copy)]
pub enum FaultKind {
    /// The operation fails with a generic (transient-looking) error.
    Error,
    /// The operation hangs for this long and then fails.
    Timeout(Duration),
    /// A read returns only this many bytes (gets only).
    ShortRead(usize),
}

/// One planned fault.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Operation.
    pub op: FaultOp,
    /// Only objects whose name starts with this.
    pub prefix: String,
    /// Skip this many matching calls first.
    pub skip: u64,
    /// Fire this many times, then stop (`u64::MAX` for always).
    pub times: u64,
    /// What to do.
    pub kind: FaultKind,
}

/// The faults of a [`FaultyStore`], changeable while it is in use.
#[derive(Debug, Default)]
pub struct FaultPlan {
    faults: Vec<(Fault, u64, u64)>,
    fired: u64,
}

impl FaultPlan {
    /// Adds a fault.
    pub fn add(&mut self, fault: Fault) {
        self.faults.push((fault, 0, 0));
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// How many faults have fired.
    pub fn fired(&self) -> u64 {
        self.fired
    }

    fn check(&mut self, op: FaultOp, path: &str) -> Option<FaultKind> {
        for (f, seen, fired) in &mut self.faults {
            if f.op == op && path.starts_with(&f.prefix) {
                *seen += 1;
                if *seen > f.skip && *fired < f.times {
                    *fired += 1;
                    self.fired += 1;
                    return Some(f.kind);
                }
            }
        }
        None
    }
}

/// An [`ObjectStore`] that injects the faults of its plan.
#[derive(Debug, Clone)]
pub struct FaultyStore {
    inner: Arc<dyn ObjectStore>,
    plan: Arc<Mutex<FaultPlan>>,
}

impl FaultyStore {
    /// Wraps `inner` with an empty plan.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        FaultyStore {
            inner,
            plan: Arc::default(),
        }
    }

    /// The plan, to add or clear faults.
    pub fn plan(&self) -> Arc<Mutex<FaultPlan>> {
        self.plan.clone()
    }

    fn fault(&self, op: FaultOp, path: &Path) -> Option<FaultKind> {
        match self.plan.lock() {
            Ok(mut p) => p.check(op, path.as_ref()),
            Err(_) => None,
        }
    }

    async fn fail(kind: FaultKind, path: &Path) -> object_store::Error {
        if let FaultKind::Timeout(d) = kind {
            tokio::time::sleep(d).await;
        }
        object_store::Error::Generic {
            store: "faulty",
            source: format!("injected fault ({kind:?}) on {path}").into(),
        }
    }
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Faulty({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        if let Some(k) = self.fault(FaultOp::Put, location) {
            return Err(Self::fail(k, location).await);
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        if let Some(k) = self.fault(FaultOp::Multipart, location) {
            return Err(Self::fail(k, location).await);
        }
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        match self.fault(FaultOp::Get, location) {
            Some(FaultKind::ShortRead(n)) => {
                let r = self.inner.get_opts(location, options).await?;
                let (meta, range, attributes) =
                    (r.meta.clone(), r.range.clone(), r.attributes.clone());
                let mut left = n;
                let truncated = r
                    .into_stream()
                    .map(move |chunk| {
                        chunk.map(|b| {
                            let take = b.len().min(left);
                            left -= take;
                            b.slice(..take)
                        })
                    })
                    .boxed();
                Ok(GetResult {
                    payload: GetResultPayload::Stream(truncated),
                    meta,
                    range,
                    attributes,
                    extensions: Default::default(),
                })
            }
            Some(k) => Err(Self::fail(k, location).await),
            None => self.inner.get_opts(location, options).await,
        }
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        if let Some(k) = self.fault(FaultOp::Get, location) {
            return Err(Self::fail(k, location).await);
        }
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let this = self.clone();
        let checked = locations
            .map(move |p| match p {
                Ok(p) => match this.fault(FaultOp::Delete, &p) {
                    Some(_) => Err(object_store::Error::Generic {
                        store: "faulty",
                        source: format!("injected fault on delete of {p}").into(),
                    }),
                    None => Ok(p),
                },
                Err(e) => Err(e),
            })
            .boxed();
        self.inner.delete_stream(checked)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let p = prefix.cloned().unwrap_or_default();
        if self.fault(FaultOp::List, &p).is_some() {
            let err = object_store::Error::Generic {
                store: "faulty",
                source: format!("injected fault on list of {p}").into(),
            };
            return futures::stream::once(async move { Err(err) }).boxed();
        }
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let p = prefix.cloned().unwrap_or_default();
        if self.fault(FaultOp::List, &p).is_some() {
            let err = object_store::Error::Generic {
                store: "faulty",
                source: format!("injected fault on list of {p}").into(),
            };
            return futures::stream::once(async move { Err(err) }).boxed();
        }
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        if let Some(k) = self.fault(FaultOp::Copy, to) {
            return Err(Self::fail(k, to).await);
        }
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        if let Some(k) = self.fault(FaultOp::Copy, to) {
            return Err(Self::fail(k, to).await);
        }
        self.inner.rename_opts(from, to, options).await
    }
}

//! The writer lease: one writer per store, many readers.
//!
//! On a local store the lease is an OS file lock on `lease.lock` (released by the
//! kernel when the holder dies, so a killed writer never blocks the next one) plus
//! `lease.json` naming the holder. On other backends `lease.json` is taken with a
//! create-only write and renewed or taken over with a conditional update once
//! expired.

use std::time::Duration;

use bytes::Bytes;
use object_store::path::Path;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{ArchiveError, Result};
use crate::layout;
use crate::store::{Backend, Store};

/// How long a remote lease lasts without renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(120);

/// Content of `lease.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaseInfo {
    /// Unique token of this holding.
    pub token: uuid::Uuid,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// Who runs it.
    pub user: String,
    /// What it does.
    pub purpose: String,
    /// Taken at.
    #[serde(with = "time::serde::rfc3339")]
    pub acquired_at: OffsetDateTime,
    /// Expires at unless renewed.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl LeaseInfo {
    fn describe(&self) -> String {
        format!(
            "{} on {} (pid {}, {}) since {}",
            self.user,
            self.host,
            self.pid,
            self.purpose,
            self.acquired_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        )
    }
}

/// A held lease; dropping it releases the local lock.
#[derive(Debug)]
pub struct WriterLease {
    info: LeaseInfo,
    _lock: Option<std::fs::File>,
    ttl: Duration,
}

impl WriterLease {
    /// Details of this holding.
    pub fn info(&self) -> &LeaseInfo {
        &self.info
    }

    /// Takes the lease or fails fast naming the current holder.
    pub async fn acquire(store: &Store, purpose: &str) -> Result<WriterLease> {
        Self::acquire_for(store, purpose, LEASE_TTL).await
    }

    /// Takes the lease with its own lifetime on remote stores (renewed at half of it).
    pub async fn acquire_for(store: &Store, purpose: &str, ttl: Duration) -> Result<WriterLease> {
        let now = OffsetDateTime::now_utc();
        let info = LeaseInfo {
            token: uuid::Uuid::now_v7(),
            host: hostname(),
            pid: std::process::id(),
            user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            purpose: purpose.to_string(),
            acquired_at: now,
            expires_at: now + ttl,
        };
        let path = Path::from(layout::LEASE);
        let bytes = Bytes::from(
            serde_json::to_vec_pretty(&info).map_err(|e| ArchiveError::Internal(e.to_string()))?,
        );
        if let Backend::Local { root } = store.backend() {
            let lock_path = root.join("lease.lock");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|source| ArchiveError::Io {
                    what: format!("opening {}", lock_path.display()),
                    source,
                })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = match store.get_opt(&path).await? {
                        Some(b) => serde_json::from_slice::<LeaseInfo>(&b)
                            .map(|i| i.describe())
                            .unwrap_or_else(|_| "unknown process".into()),
                        None => "unknown process".into(),
                    };
                    return Err(ArchiveError::LeaseHeld {
                        holder,
                        expires_at: "its exit (local lock)".into(),
                    });
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(ArchiveError::Io {
                        what: format!("locking {}", lock_path.display()),
                        source,
                    });
                }
            }
            store.put_overwrite(&path, bytes).await?;
            return Ok(WriterLease {
                info,
                _lock: Some(file),
                ttl,
            });
        }
        match store.get_versioned(&path).await? {
            None => match store.put_create(&path, bytes).await {
                Ok(()) => Ok(WriterLease {
                    info,
                    _lock: None,
                    ttl,
                }),
                Err(ArchiveError::Collision(_)) => Err(ArchiveError::LeaseHeld {
                    holder: "another process that took it a moment ago".into(),
                    expires_at: "unknown".into(),
                }),
                Err(e) => Err(e),
            },
            Some(v) => {
                let current: Option<LeaseInfo> = serde_json::from_slice(&v.bytes).ok();
                if let Some(c) = &current
                    && c.expires_at > now
                {
                    return Err(ArchiveError::LeaseHeld {
                        holder: c.describe(),
                        expires_at: c
                            .expires_at
                            .format(&time::format_description::well_known::Rfc3339)
                            .unwrap_or_default(),
                    });
                }
                if store.put_update(&path, bytes, v.version).await? {
                    Ok(WriterLease {
                        info,
                        _lock: None,
                        ttl,
                    })
                } else {
                    Err(ArchiveError::LeaseHeld {
                        holder: "another process that took over the expired lease a moment ago"
                            .into(),
                        expires_at: "unknown".into(),
                    })
                }
            }
        }
    }

    /// Whether a remote lease is past half its lifetime (or expired) and must be
    /// renewed before the next write. A local lock never expires.
    pub fn needs_renewal(&self) -> bool {
        self._lock.is_none() && self.info.expires_at - OffsetDateTime::now_utc() < self.ttl / 2
    }

    /// Extends a remote lease by its lifetime, with a conditional update of
    /// `lease.json` that succeeds only while it is still ours. When another
    /// process took the lease over (ours had expired), this fails with
    /// [`ArchiveError::LeaseHeld`] and the holder must write nothing more.
    pub async fn renew(&mut self, store: &Store) -> Result<()> {
        if self._lock.is_some() {
            return Ok(());
        }
        let path = Path::from(layout::LEASE);
        let lost = |holder: String, expires_at: String| ArchiveError::LeaseHeld {
            holder: format!("{holder}, which took over this writer's expired lease"),
            expires_at,
        };
        let Some(v) = store.get_versioned(&path).await? else {
            return Err(lost(
                "nobody (the lease was removed)".into(),
                "unknown".into(),
            ));
        };
        match serde_json::from_slice::<LeaseInfo>(&v.bytes) {
            Ok(c) if c.token == self.info.token => {}
            Ok(c) => {
                return Err(lost(
                    c.describe(),
                    c.expires_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                ));
            }
            Err(_) => return Err(lost("an unreadable lease".into(), "unknown".into())),
        }
        let mut next = self.info.clone();
        next.expires_at = OffsetDateTime::now_utc() + self.ttl;
        let bytes = Bytes::from(
            serde_json::to_vec_pretty(&next).map_err(|e| ArchiveError::Internal(e.to_string()))?,
        );
        if store.put_update(&path, bytes, v.version).await? {
            self.info = next;
            Ok(())
        } else {
            Err(lost("another process".into(), "unknown".into()))
        }
    }

    /// Gives the lease up (remote stores: deletes `lease.json` if still ours).
    pub async fn release(self, store: &Store) -> Result<()> {
        if self._lock.is_none() {
            let path = Path::from(layout::LEASE);
            if let Some(b) = store.get_opt(&path).await?
                && let Ok(i) = serde_json::from_slice::<LeaseInfo>(&b)
                && i.token == self.info.token
            {
                store.delete(&path).await?;
            }
        }
        Ok(())
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into())
}

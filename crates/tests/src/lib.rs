//! Shared helpers of Kho's end-to-end test suites.

use std::sync::Arc;

use archive_core::store::{Backend, S3Settings, Store};

/// Backends every conformance test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// In-process memory.
    Memory,
    /// Local directory with fsync.
    Local,
    /// SeaweedFS S3 started by `scripts/test.sh`.
    S3,
}

/// A fresh, empty store of a kind (the temp dir lives as long as the returned guard).
pub fn fresh_store(kind: Kind) -> Option<(Store, Option<tempfile::TempDir>)> {
    match kind {
        Kind::Memory => Some((
            Store::from_object_store(
                Arc::new(object_store::memory::InMemory::new()),
                Backend::Memory,
                "memory://".into(),
            ),
            None,
        )),
        Kind::Local => {
            let dir = tempfile::tempdir().ok()?;
            let store = Store::open_local(&dir.path().join("store")).ok()?;
            Some((store, Some(dir)))
        }
        Kind::S3 => {
            let s3 = s3_settings()?;
            let bucket = std::env::var("KHO_TEST_S3_BUCKET").unwrap_or_else(|_| "kho-test".into());
            let prefix = format!("t-{}", uuid_like());
            let url = format!("s3://{bucket}/{prefix}");
            Some((
                Store::open_url(&url, &s3, std::path::Path::new(".")).ok()?,
                None,
            ))
        }
    }
}

/// S3 settings of the test server, or `None` when it is not running.
///
/// Under CI (`CI=true`) a missing server is a failure, never a silent skip.
pub fn s3_settings() -> Option<S3Settings> {
    match std::env::var("KHO_TEST_S3_ENDPOINT") {
        Ok(ep) if !ep.is_empty() => Some(S3Settings {
            endpoint: Some(ep),
            region: Some("us-east-1".into()),
            access_key_id: std::env::var("KHO_TEST_S3_ACCESS_KEY").ok(),
            secret_access_key: std::env::var("KHO_TEST_S3_SECRET_KEY").ok(),
        }),
        _ => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "CI=true but no S3 test server: run the tests through scripts/test.sh"
            );
            eprintln!(
                "S3 test server not running (KHO_TEST_S3_ENDPOINT unset): skipping the S3 case; use scripts/test.sh"
            );
            None
        }
    }
}

fn uuid_like() -> String {
    format!("{:016x}{:08x}", rand::random::<u64>(), std::process::id())
}

/// Deterministic pseudo-random bytes.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

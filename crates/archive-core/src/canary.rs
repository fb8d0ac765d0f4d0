//! Canary objects: deliberately damaged blobs that every scrub must find damaged.
//!
//! A checker that reports a canary intact cannot detect damage, and the scrub fails
//! loudly instead of reporting a clean store.

use bytes::Bytes;
use object_store::path::Path;

use crate::blob;
use crate::error::Result;
use crate::hash::BlobHash;
use crate::layout::{self, Encoding};
use crate::store::Store;

/// A canary: where it is and the digest its name claims.
#[derive(Debug, Clone)]
pub struct Canary {
    /// Object name.
    pub path: Path,
    /// Digest the name claims (the stored bytes do not match it).
    pub claimed: BlobHash,
    /// Stored encoding.
    pub encoding: Encoding,
}

fn original() -> Vec<u8> {
    let mut v = Vec::with_capacity(64 * 1024);
    let mut x: u32 = 0x6b68_6f21;
    while v.len() < 64 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

/// The canaries a store holds: one bit flipped, one truncated, one compressed with a flipped bit.
pub fn expected() -> Vec<(Canary, Bytes)> {
    let orig = original();
    let claimed = BlobHash::of(&orig);
    let mut flipped = orig.clone();
    flipped[12_345] ^= 0x10;
    let truncated = orig[..orig.len() - 1].to_vec();
    let text: Vec<u8> = "Cộng hòa xã hội chủ nghĩa Việt Nam\n"
        .repeat(400)
        .into_bytes();
    let text_hash = BlobHash::of(&text);
    let mut z = zstd::bulk::compress(&text, 3).unwrap_or_default();
    let mid = z.len() / 2;
    if let Some(b) = z.get_mut(mid) {
        *b ^= 0x01;
    }
    let hex = claimed.to_hex();
    vec![
        (
            Canary {
                path: Path::from(format!("{}/bitflip/{hex}", layout::CANARY)),
                claimed,
                encoding: Encoding::Identity,
            },
            Bytes::from(flipped),
        ),
        (
            Canary {
                path: Path::from(format!("{}/truncated/{hex}", layout::CANARY)),
                claimed,
                encoding: Encoding::Identity,
            },
            Bytes::from(truncated),
        ),
        (
            Canary {
                path: Path::from(format!(
                    "{}/zstd-bitflip/{}.zst",
                    layout::CANARY,
                    text_hash.to_hex()
                )),
                claimed: text_hash,
                encoding: Encoding::Zstd,
            },
            Bytes::from(z),
        ),
    ]
}

/// Writes the canaries into a new store.
pub async fn plant(store: &Store) -> Result<()> {
    for (c, bytes) in expected() {
        store.put_create(&c.path, bytes).await?;
    }
    Ok(())
}

/// Result of checking one canary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CanaryResult {
    /// Object name.
    pub object: String,
    /// Present in the store.
    pub present: bool,
    /// The checker found it damaged (as it must).
    pub detected: bool,
}

/// Runs the fixity checker over every canary.
pub async fn check_all(store: &Store) -> Result<Vec<CanaryResult>> {
    let mut out = Vec::new();
    for (c, _) in expected() {
        let present = store.head(&c.path).await?.is_some();
        let detected = if present {
            let r = blob::check_path(store, &c.path, c.encoding).await?;
            r.actual != Some(c.claimed)
        } else {
            false
        };
        out.push(CanaryResult {
            object: c.path.to_string(),
            present,
            detected,
        });
    }
    Ok(out)
}

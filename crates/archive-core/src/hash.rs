//! Digests: BLAKE3 names blobs, SHA-256 is kept for interchange.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// BLAKE3 digest of a blob's original bytes; the blob's name in the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobHash([u8; 32]);

impl BlobHash {
    /// Wraps raw digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        BlobHash(bytes)
    }

    /// Digest of `data`.
    pub fn of(data: &[u8]) -> Self {
        BlobHash(*blake3::hash(data).as_bytes())
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl From<blake3::Hash> for BlobHash {
    fn from(h: blake3::Hash) -> Self {
        BlobHash(*h.as_bytes())
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobHash({})", self.to_hex())
    }
}

/// A hex digest string is not 64 lower- or upper-case hex digits.
#[derive(Debug, thiserror::Error)]
#[error("not a 64-digit hex digest: {0:?}")]
pub struct BadDigest(pub String);

fn parse32(s: &str) -> Result<[u8; 32], BadDigest> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| BadDigest(s.to_string()))?;
    Ok(out)
}

impl FromStr for BlobHash {
    type Err = BadDigest;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse32(s).map(BlobHash)
    }
}

impl Serialize for BlobHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for BlobHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// SHA-256 digest, kept for interchange (BagIt, OCFL, evidence records).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Wraps raw digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Sha256Digest(bytes)
    }

    /// Digest of `data`.
    pub fn of(data: &[u8]) -> Self {
        use sha2::Digest;
        Sha256Digest(sha2::Sha256::digest(data).into())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// An incremental SHA-256.
    pub fn streaming() -> Sha256Stream {
        use sha2::Digest;
        Sha256Stream(sha2::Sha256::new())
    }
}

/// Incremental SHA-256 ([`Sha256Digest::streaming`]).
pub struct Sha256Stream(sha2::Sha256);

impl Sha256Stream {
    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        self.0.update(data);
    }

    /// The digest.
    pub fn finish(self) -> Sha256Digest {
        use sha2::Digest;
        Sha256Digest(self.0.finalize().into())
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

impl FromStr for Sha256Digest {
    type Err = BadDigest;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse32(s).map(Sha256Digest)
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// BLAKE3 and SHA-256 computed together over one stream of bytes, with its length.
///
/// The two digests run on separate threads for large chunks so that hashing keeps
/// up with a disk copy on two cores.
pub struct DualHasher {
    blake3: blake3::Hasher,
    sha256: sha2::Sha256,
    len: u64,
}

impl Default for DualHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl DualHasher {
    /// New hasher over zero bytes.
    pub fn new() -> Self {
        use sha2::Digest;
        DualHasher {
            blake3: blake3::Hasher::new(),
            sha256: sha2::Sha256::new(),
            len: 0,
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        self.len += data.len() as u64;
        if data.len() >= 256 * 1024 {
            let (b, s) = (&mut self.blake3, &mut self.sha256);
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    b.update(data);
                });
                s.update(data);
            });
        } else {
            self.blake3.update(data);
            self.sha256.update(data);
        }
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when no bytes were seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digests and length.
    pub fn finish(self) -> (BlobHash, Sha256Digest, u64) {
        use sha2::Digest;
        (
            self.blake3.finalize().into(),
            Sha256Digest(self.sha256.finalize().into()),
            self.len,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_hasher_matches_one_shot_digests_for_small_and_large_chunks() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut h = DualHasher::new();
        h.update(&data[..10]);
        h.update(&data[10..]);
        let (b, s, n) = h.finish();
        assert_eq!(b, BlobHash::of(&data));
        assert_eq!(s, Sha256Digest::of(&data));
        assert_eq!(n, data.len() as u64);
    }

    #[test]
    fn blob_hash_hex_round_trips_and_rejects_garbage() {
        let h = BlobHash::of(b"kho");
        assert_eq!(h.to_hex().parse::<BlobHash>().ok(), Some(h));
        assert!("zz".parse::<BlobHash>().is_err());
        assert!(h.to_hex()[..63].parse::<BlobHash>().is_err());
    }
}

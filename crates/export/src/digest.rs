//! Streaming original bytes out of the store while hashing them.
//!
//! Export writers are synchronous (`std::io`) and run on blocking threads; a
//! [`BlockingStream`] turns the store's async chunk stream into a reader there, so a
//! file is never held whole in memory.

use std::io::Read;

use archive_core::blob::ChunkStream;
use archive_core::model::FileEntry;
use bytes::Bytes;
use futures::StreamExt;
use sha2::Digest;

use crate::error::{ExportError, Result};

/// Reads an async chunk stream from a blocking thread.
pub struct BlockingStream {
    handle: tokio::runtime::Handle,
    stream: ChunkStream,
    chunk: Bytes,
}

impl BlockingStream {
    /// Wraps `stream`; reads block on `handle`, so this must be used outside the
    /// runtime's own threads (e.g. in `spawn_blocking`).
    pub fn new(handle: tokio::runtime::Handle, stream: ChunkStream) -> Self {
        BlockingStream {
            handle,
            stream,
            chunk: Bytes::new(),
        }
    }
}

impl Read for BlockingStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

/// Digests of bytes that went through a [`HashingReader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// Number of bytes.
    pub size: u64,
    /// BLAKE3, lowercase hex.
    pub blake3: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// SHA-512, lowercase hex.
    pub sha512: String,
}

impl Digests {
    /// Digests of bytes in memory.
    pub fn of(bytes: &[u8]) -> Digests {
        let mut r = HashingReader::new(bytes);
        let _ = std::io::copy(&mut r, &mut std::io::sink());
        r.finish()
    }
}

/// A reader that hashes (BLAKE3, SHA-256, SHA-512) and counts what is read through it.
pub struct HashingReader<R> {
    inner: R,
    size: u64,
    blake3: blake3::Hasher,
    sha256: sha2::Sha256,
    sha512: sha2::Sha512,
    progress: Option<crate::Progress>,
}

impl<R: Read> HashingReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            size: 0,
            blake3: blake3::Hasher::new(),
            sha256: sha2::Sha256::new(),
            sha512: sha2::Sha512::new(),
            progress: None,
        }
    }

    /// Reports every read's length to `progress`.
    pub fn with_progress(mut self, progress: crate::Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The digests of everything read so far.
    pub fn finish(self) -> Digests {
        Digests {
            size: self.size,
            blake3: self.blake3.finalize().to_hex().to_string(),
            sha256: hex::encode(self.sha256.finalize()),
            sha512: hex::encode(self.sha512.finalize()),
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        self.size += n as u64;
        self.blake3.update(data);
        self.sha256.update(data);
        self.sha512.update(data);
        if let Some(p) = &self.progress {
            p(n as u64);
        }
        Ok(n)
    }
}

/// Checks that streamed bytes are those the manifest describes.
pub fn check_against(record: &str, entry: &FileEntry, got: &Digests) -> Result<()> {
    let damaged = |detail: String| ExportError::Damaged {
        record: record.to_string(),
        filename: entry.filename.clone(),
        detail,
    };
    if got.size != entry.size {
        return Err(damaged(format!(
            "the store returned {} bytes, the manifest says {}",
            got.size, entry.size
        )));
    }
    if got.blake3 != entry.blake3.to_hex() {
        return Err(damaged(format!(
            "stored bytes hash to {}, not to their name {}",
            got.blake3, entry.blake3
        )));
    }
    if got.sha256 != entry.sha256.to_hex() {
        return Err(damaged(format!(
            "stored bytes have SHA-256 {}, the manifest says {}",
            got.sha256, entry.sha256
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_values_of_abc() {
        let d = Digests::of(b"abc");
        assert_eq!(d.size, 3);
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(d.sha512.starts_with("ddaf35a193617aba"));
        assert_eq!(d.blake3, blake3::hash(b"abc").to_hex().to_string());
    }
}

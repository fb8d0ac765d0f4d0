//! Errors of signature verification.
//!
//! Verification itself never fails with an error: problems with the input
//! become verdicts. These errors describe why a step could not be done and
//! end up, as text, in the `reason` and `problems` of a verdict.

/// Why a step of signature verification could not be completed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Reading from the caller's reader failed.
    #[error("reading the document failed at offset {offset}: {source}")]
    Io {
        /// Byte offset where the read started.
        offset: u64,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The document is not a PDF this crate can read.
    #[error("malformed PDF: {0}")]
    Pdf(String),
    /// A BER/DER structure could not be decoded.
    #[error("malformed ASN.1: {0}")]
    Asn1(String),
    /// The CMS structure could not be decoded or is inconsistent.
    #[error("malformed CMS: {0}")]
    Cms(String),
    /// An algorithm, key type or format that this crate does not verify.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A trust anchor given by the caller could not be read.
    #[error("trust anchor {index} is not a readable certificate: {detail}; check the PEM file")]
    TrustAnchor {
        /// Position of the certificate in the caller's list.
        index: usize,
        /// What went wrong.
        detail: String,
    },
    /// A resource limit was reached (object count, nesting, size).
    #[error("limit exceeded: {0}")]
    Limit(String),
}

impl SignatureError {
    /// Whether this error means "not supported" rather than "broken".
    pub fn is_unsupported(&self) -> bool {
        matches!(self, SignatureError::Unsupported(_))
    }
}

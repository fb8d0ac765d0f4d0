//! Search for Kho: text extraction, the tantivy index of records and the
//! query builder.
//!
//! # Data flow
//!
//! ```text
//! journal ──► catch_up ──► manifest + files ──► extract ──► RecordDoc ──► SearchBackend
//!   (records changed since the index's position)   (Vietnamese forms once)   (tantivy)
//! ```
//!
//! The index is derived data. It stores the journal position it covers in
//! its commit payload together with the store id, so [`catch_up`] only reads
//! what was committed since, [`rebuild`] gives the same index from the store
//! alone, and [`drift`] tells which records are missing, extra or stale.
//!
//! Queries are built programmatically from [`query::ParsedQuery`] (never by a
//! query-language parser on user text): words with diacritics are searched
//! in the exact and folded forms, the exact form boosted; words without them
//! in the folded form; quoted phrases must match; document numbers are
//! matched on their key.

mod backend;
mod document;
pub mod extract;
pub mod query;
pub mod schema;
pub mod snippet;
mod sync;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use backend::{
    FacetCount, Facets, SearchHit, SearchResults, TOTAL_EXACT_UP_TO, TantivyBackend,
};
pub use document::{FileReport, RecordDoc, doc_key_parts, parse_date};
pub use query::{Filters, ParsedQuery, QueryError, SearchRequest, SortOrder};
pub use sync::{
    CatchUpReport, DriftReport, SkippedFile, catch_up, catch_up_backend, drift, drift_backend,
    rebuild, rebuild_backend,
};

/// Errors of the indexer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The query cannot be run.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// No index at the place configured.
    #[error("no search index at {0}: run `kho reindex`")]
    Missing(PathBuf),
    /// Another process is writing the index.
    #[error("the search index at {0} is being written by another process; try again shortly")]
    Busy(PathBuf),
    /// The index was built by another version of Kho.
    #[error("the search index at {0} was built with another schema: run `kho reindex`")]
    Incompatible(PathBuf),
    /// A file-system error.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An error of the search engine.
    #[error("search engine: {0}")]
    Engine(String),
    /// An error reading the archive.
    #[error(transparent)]
    Archive(#[from] archive_core::ArchiveError),
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> Self {
        IndexError::Engine(e.to_string())
    }
}

/// The journal position an index covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexPosition {
    /// Format of this record.
    pub format_version: u32,
    /// Store the index was built from.
    pub store_id: String,
    /// Last journal batch applied.
    pub journal_seq: u64,
}

/// The current format of [`IndexPosition`].
pub const POSITION_FORMAT: u32 = 1;

/// A change to apply to an index, committed atomically with its new
/// position.
#[derive(Debug, Default)]
pub struct IndexChange {
    /// Remove every document first (full rebuild).
    pub reset: bool,
    /// Records to add or replace (by record id).
    pub upserts: Vec<RecordDoc>,
    /// Records to remove.
    pub deletes: Vec<String>,
}

/// What the index holds about one record (for drift reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedRecord {
    /// Manifest version.
    pub version: u32,
    /// BLAKE3 (hex) of the manifest.
    pub manifest_blake3: String,
}

/// Changes to an index, invisible until [`commit`](IndexBatch::commit);
/// dropping the batch discards them and leaves the index as it was.
pub trait IndexBatch: Send {
    /// Removes a record.
    fn delete(&mut self, record_id: &str) -> Result<(), IndexError>;
    /// Adds a record, or replaces it.
    fn upsert(&mut self, doc: &RecordDoc) -> Result<(), IndexError>;
    /// Makes every change visible at once, with the position it brings the
    /// index to.
    fn commit(self: Box<Self>, position: IndexPosition) -> Result<(), IndexError>;
}

/// A search engine that holds Kho records. Embedded tantivy by default
/// ([`TantivyBackend`]); a cluster engine can be fed the same pre-normalised
/// [`RecordDoc`]s.
pub trait SearchBackend {
    /// The journal position the index covers, `None` for an empty index.
    fn position(&self) -> Result<Option<IndexPosition>, IndexError>;
    /// Starts a batch of changes that [`IndexBatch::commit`] makes visible
    /// at once; `reset` removes every record first. A batch of any size stays
    /// within the engine's memory budget (records are handed over one by
    /// one), so a rebuild of a large archive does not hold its text in
    /// memory. `expected_upserts` is a hint for sizing.
    fn begin(
        &mut self,
        reset: bool,
        expected_upserts: usize,
    ) -> Result<Box<dyn IndexBatch + '_>, IndexError>;
    /// Applies a change and records the new position, atomically.
    fn apply(&mut self, change: IndexChange, position: IndexPosition) -> Result<(), IndexError> {
        let mut batch = self.begin(change.reset, change.upserts.len())?;
        for id in &change.deletes {
            batch.delete(id)?;
        }
        for d in &change.upserts {
            batch.upsert(d)?;
        }
        batch.commit(position)
    }
    /// Every record indexed, by record id.
    fn indexed(&self) -> Result<std::collections::BTreeMap<String, IndexedRecord>, IndexError>;
    /// Runs a search.
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError>;
}

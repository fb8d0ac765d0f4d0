//! Legal holds: data that blocks every deletion it covers.
//!
//! A hold covers a record, a dossier, or whatever a search query finds. This
//! crate cannot run queries, so a [`QueryHoldMatcher`] supplied by the archive
//! says whether a deletion target matches; a matcher that cannot tell answers
//! [`QueryMatch::Undecided`], and an undecided query hold **blocks** (fail
//! closed). [`FailClosed`] is the matcher to use when no query engine is at
//! hand: every active query hold then blocks every deletion.
//!
//! Coverage rules for a [`DeletionTarget`] (a dossier, or none, and the
//! records the deletion would remove):
//!
//! - `Record(r)` blocks when `r` is among the target's records;
//! - `Dossier(d)` blocks when the target's dossier is `d`, whether the whole
//!   dossier or one of its records is being deleted;
//! - `Query(q)` blocks when the matcher says the target matches or cannot
//!   tell.
//!
//! A released hold never blocks.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{DossierId, RecordId};

/// Identifier of a legal hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HoldId(pub String);

impl HoldId {
    /// Wraps a hold identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for HoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a hold covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum HoldScope {
    /// One record.
    Record(RecordId),
    /// A dossier and every record in it.
    Dossier(DossierId),
    /// Whatever the search query finds, now or later.
    Query(String),
}

/// The release of a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRelease {
    /// Who released it.
    pub released_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub released_at: OffsetDateTime,
    /// Why (e.g. "case closed by judgment 15/2025/DS-ST").
    pub reason: String,
}

/// A legal hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Identifier.
    pub id: HoldId,
    /// What it covers.
    pub scope: HoldScope,
    /// Why it was placed.
    pub reason: String,
    /// Authority that ordered it (court, inspectorate, agency head).
    pub authority: String,
    /// Who placed it in Kho.
    pub placed_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    /// Its release, once released.
    #[serde(default)]
    pub released: Option<HoldRelease>,
}

impl Hold {
    /// True while the hold has not been released.
    pub fn is_active(&self) -> bool {
        self.released.is_none()
    }
}

/// What a deletion would remove: the dossier it happens in (if any) and
/// every record it would delete.
///
/// For a whole dossier, list all its records: a hold on any of them blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionTarget {
    /// Dossier the deletion happens in.
    pub dossier: Option<DossierId>,
    /// Records the deletion removes.
    pub records: Vec<RecordId>,
}

impl DeletionTarget {
    /// Deletion of a single record, in `dossier` if it belongs to one.
    pub fn record(record: RecordId, dossier: Option<DossierId>) -> Self {
        Self {
            dossier,
            records: vec![record],
        }
    }

    /// Deletion of a whole dossier and all its `records`.
    pub fn dossier(dossier: DossierId, records: Vec<RecordId>) -> Self {
        Self {
            dossier: Some(dossier),
            records,
        }
    }
}

/// Answer of a [`QueryHoldMatcher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMatch {
    /// The target is among what the query finds.
    Matches,
    /// The target is not.
    NoMatch,
    /// The matcher cannot tell; the hold blocks.
    Undecided,
}

/// Decides whether a query hold covers a deletion target.
pub trait QueryHoldMatcher {
    /// Whether `query` finds anything `target` would delete.
    fn matches(&self, query: &str, target: &DeletionTarget) -> QueryMatch;
}

impl<F> QueryHoldMatcher for F
where
    F: Fn(&str, &DeletionTarget) -> QueryMatch,
{
    fn matches(&self, query: &str, target: &DeletionTarget) -> QueryMatch {
        self(query, target)
    }
}

/// Matcher that cannot run queries: every query hold blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailClosed;

impl QueryHoldMatcher for FailClosed {
    fn matches(&self, _query: &str, _target: &DeletionTarget) -> QueryMatch {
        QueryMatch::Undecided
    }
}

/// How a hold came to block a deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "value")]
pub enum BlockedBy {
    /// It holds this record of the target.
    Record(RecordId),
    /// It holds the target's dossier.
    Dossier(DossierId),
    /// Its query finds the target.
    Query,
    /// Its query could not be decided, so it blocks.
    UndecidedQuery,
}

/// A hold that blocks a deletion, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingHold<'a> {
    /// The hold.
    pub hold: &'a Hold,
    /// How it covers the target.
    pub by: BlockedBy,
}

/// Holds among `holds` that block deleting `target`, in the order given.
///
/// Empty means no hold blocks. Released holds are skipped.
pub fn blocking_holds<'a>(
    holds: &'a [Hold],
    target: &DeletionTarget,
    matcher: &dyn QueryHoldMatcher,
) -> Vec<BlockingHold<'a>> {
    holds
        .iter()
        .filter(|hold| hold.is_active())
        .filter_map(|hold| {
            let by = match &hold.scope {
                HoldScope::Record(record) => target
                    .records
                    .contains(record)
                    .then(|| BlockedBy::Record(record.clone())),
                HoldScope::Dossier(dossier) => (target.dossier.as_ref() == Some(dossier))
                    .then(|| BlockedBy::Dossier(dossier.clone())),
                HoldScope::Query(query) => match matcher.matches(query, target) {
                    QueryMatch::Matches => Some(BlockedBy::Query),
                    QueryMatch::NoMatch => None,
                    QueryMatch::Undecided => Some(BlockedBy::UndecidedQuery),
                },
            };
            by.map(|by| BlockingHold { hold, by })
        })
        .collect()
}

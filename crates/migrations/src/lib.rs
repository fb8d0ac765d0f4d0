//! Format versions of everything Kho stores, and the upgrades between them.
//!
//! Every JSON object a store holds carries `format_version`: `kho.json`, record
//! manifests, journal batches, checkpoints and backup run manifests. A reader
//! refuses a version newer than [`CURRENT`] (the store was written by a newer Kho)
//! and accepts every older one, upgrading it in memory through the registered
//! [`Migration`]s. `kho migrate` lists what a store holds per version ([`plan`]);
//! writing upgraded objects is create-only (new manifest versions, new journal
//! events), so a migration never overwrites what it reads.
//!
//! Format 1 is the only format so far: [`MIGRATIONS`] is empty, and
//! `tests/fixtures/format-v1/` freezes a store written by it. Every future format
//! change adds a fixture, a migration and a test that reads the older fixture.

use std::collections::BTreeMap;

use archive_core::store::Store;
use archive_core::{ArchiveError, layout};
use futures::StreamExt;
use serde::Serialize;

/// The format version this build writes and the newest it reads.
pub const CURRENT: u32 = archive_core::model::FORMAT_VERSION;

/// Kinds of stored JSON objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// `kho.json`.
    StoreDescriptor,
    /// `records/<id>/v<version>.json`.
    Manifest,
    /// `journal/<seq>.json`.
    JournalBatch,
    /// `checkpoints/<seq>.json`.
    Checkpoint,
    /// `backup/runs/<seq>-<run>.json` (on backup targets).
    RunManifest,
}

impl ObjectKind {
    /// The kind of a stored object, from its name; `None` for blobs and other objects.
    pub fn of(object: &str) -> Option<ObjectKind> {
        let json = object.ends_with(".json");
        if object == layout::STORE_DESCRIPTOR {
            Some(ObjectKind::StoreDescriptor)
        } else if json && object.starts_with(&format!("{}/", layout::RECORDS)) {
            Some(ObjectKind::Manifest)
        } else if json && object.starts_with(&format!("{}/", layout::JOURNAL)) {
            Some(ObjectKind::JournalBatch)
        } else if json && object.starts_with(&format!("{}/", layout::CHECKPOINTS)) {
            Some(ObjectKind::Checkpoint)
        } else if json && object.starts_with(&format!("{}/", archive_core::backup::RUNS)) {
            Some(ObjectKind::RunManifest)
        } else {
            None
        }
    }
}

/// One upgrade of one kind of object from `from` to `from + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Kind of object.
    pub kind: ObjectKind,
    /// Version it reads.
    pub from: u32,
    /// What changes, for `kho migrate`'s listing.
    pub describe: &'static str,
    /// The upgrade of the parsed object (must set `format_version` to `from + 1`).
    pub upgrade: fn(serde_json::Value) -> Result<serde_json::Value, String>,
}

/// Registered migrations. Empty: format 1 is the only format so far.
pub static MIGRATIONS: &[Migration] = &[];

/// Checks a format version found in `object` against what this build reads.
pub fn check(object: &str, found: u32) -> Result<(), ArchiveError> {
    check_with(object, found, CURRENT)
}

fn check_with(object: &str, found: u32, current: u32) -> Result<(), ArchiveError> {
    if found == 0 || found > current {
        return Err(ArchiveError::UnsupportedFormat {
            object: object.into(),
            found,
            supported: current,
        });
    }
    Ok(())
}

/// Upgrades a parsed object of any older version to [`CURRENT`] in memory.
pub fn upgrade(
    kind: ObjectKind,
    object: &str,
    value: serde_json::Value,
) -> Result<serde_json::Value, ArchiveError> {
    upgrade_with(MIGRATIONS, CURRENT, kind, object, value)
}

/// [`upgrade`] with a given registry and current version (for tests of the mechanism).
pub fn upgrade_with(
    migrations: &[Migration],
    current: u32,
    kind: ObjectKind,
    object: &str,
    mut value: serde_json::Value,
) -> Result<serde_json::Value, ArchiveError> {
    let mut version = version_of(&value).ok_or_else(|| ArchiveError::Damaged {
        object: object.into(),
        detail: "no format_version".into(),
    })?;
    check_with(object, version, current)?;
    while version < current {
        let m = migrations
            .iter()
            .find(|m| m.kind == kind && m.from == version)
            .ok_or_else(|| {
                ArchiveError::Internal(format!(
                    "no migration of {kind:?} from format {version}: this build cannot read {object}"
                ))
            })?;
        value = (m.upgrade)(value).map_err(|detail| ArchiveError::Damaged {
            object: object.into(),
            detail: format!("upgrade from format {version}: {detail}"),
        })?;
        let next = version_of(&value);
        if next != Some(version + 1) {
            return Err(ArchiveError::Internal(format!(
                "migration of {kind:?} from format {version} produced format {next:?}"
            )));
        }
        version += 1;
    }
    Ok(value)
}

fn version_of(v: &serde_json::Value) -> Option<u32> {
    v.get("format_version")
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
}

/// One object whose format is not [`CURRENT`].
#[derive(Debug, Clone, Serialize)]
pub struct Outdated {
    /// Object name.
    pub object: String,
    /// Kind.
    pub kind: ObjectKind,
    /// Version found (`None` when unreadable).
    pub found: Option<u32>,
    /// What would be done, or why it cannot be.
    pub action: String,
}

/// What `kho migrate` finds in a store.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Version this build writes.
    pub current: u32,
    /// JSON objects scanned.
    pub objects: u64,
    /// Objects per (kind, version).
    pub versions: BTreeMap<String, BTreeMap<u32, u64>>,
    /// Objects that would be upgraded (older), or cannot be read (newer, unreadable).
    pub outdated: Vec<Outdated>,
}

impl Plan {
    /// True when some object is newer than this build or unreadable.
    pub fn blocked(&self) -> bool {
        self.outdated
            .iter()
            .any(|o| o.found.is_none_or(|f| f > self.current))
    }
}

/// Scans every JSON object of a store and lists its format versions.
pub async fn plan(store: &Store) -> Result<Plan, ArchiveError> {
    let mut names = vec![layout::STORE_DESCRIPTOR.to_string()];
    for prefix in [
        layout::RECORDS,
        layout::JOURNAL,
        layout::CHECKPOINTS,
        archive_core::backup::RUNS,
    ] {
        for m in store.list(prefix).await? {
            names.push(m.location.to_string());
        }
    }
    let mut plan = Plan {
        current: CURRENT,
        objects: 0,
        versions: BTreeMap::new(),
        outdated: Vec::new(),
    };
    let kinds: Vec<(String, ObjectKind)> = names
        .into_iter()
        .filter_map(|n| ObjectKind::of(&n).map(|k| (n, k)))
        .collect();
    let mut fetched = futures::stream::iter(kinds)
        .map(|(name, kind)| async move {
            let got = store.get_opt(&name.as_str().into()).await;
            (name, kind, got)
        })
        .buffered(16);
    while let Some((name, kind, got)) = fetched.next().await {
        let Some(bytes) = got? else { continue };
        plan.objects += 1;
        let found = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .as_ref()
            .and_then(version_of);
        if let Some(v) = found {
            *plan
                .versions
                .entry(format!("{kind:?}"))
                .or_default()
                .entry(v)
                .or_default() += 1;
        }
        let action = match found {
            Some(v) if v == CURRENT => continue,
            None => "unreadable: no format_version; run `kho verify`".to_string(),
            Some(v) if v > CURRENT => {
                format!("written by a newer Kho (format {v}): upgrade Kho")
            }
            Some(v) => match MIGRATIONS.iter().find(|m| m.kind == kind && m.from == v) {
                Some(m) => format!("upgrade from format {v}: {}", m.describe),
                None => format!("format {v} has no registered migration"),
            },
        };
        plan.outdated.push(Outdated {
            object: name,
            kind,
            found,
            action,
        });
    }
    plan.outdated.sort_by(|a, b| a.object.cmp(&b.object));
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bump(mut v: serde_json::Value) -> Result<serde_json::Value, String> {
        let n = version_of(&v).ok_or("no version")?;
        v["format_version"] = (n + 1).into();
        v[format!("added_in_{}", n + 1)] = true.into();
        Ok(v)
    }

    #[test]
    fn older_versions_are_upgraded_step_by_step_and_newer_ones_refused() {
        let chain = [
            Migration {
                kind: ObjectKind::Manifest,
                from: 1,
                describe: "test",
                upgrade: bump,
            },
            Migration {
                kind: ObjectKind::Manifest,
                from: 2,
                describe: "test",
                upgrade: bump,
            },
        ];
        let v1 = serde_json::json!({ "format_version": 1 });
        let v3 = upgrade_with(&chain, 3, ObjectKind::Manifest, "m", v1).expect("upgrade");
        assert_eq!(v3["format_version"], 3);
        assert_eq!(v3["added_in_2"], true);
        assert_eq!(v3["added_in_3"], true);
        let v4 = serde_json::json!({ "format_version": 4 });
        let err = upgrade_with(&chain, 3, ObjectKind::Manifest, "m", v4).expect_err("newer");
        assert!(err.to_string().contains("upgrade Kho"), "{err}");
        let other = serde_json::json!({ "format_version": 1 });
        assert!(upgrade_with(&chain, 3, ObjectKind::Checkpoint, "c", other).is_err());
    }

    #[test]
    fn the_current_version_needs_no_migration() {
        let v = serde_json::json!({ "format_version": CURRENT, "x": 1 });
        assert_eq!(
            upgrade(ObjectKind::JournalBatch, "j", v.clone()).expect("current"),
            v
        );
        assert!(check("kho.json", CURRENT + 1).is_err());
        assert!(check("kho.json", 0).is_err());
        assert!(check("kho.json", CURRENT).is_ok());
    }

    #[test]
    fn object_kinds_follow_the_layout() {
        assert_eq!(
            ObjectKind::of("kho.json"),
            Some(ObjectKind::StoreDescriptor)
        );
        assert_eq!(
            ObjectKind::of("journal/00000000000000000001.json"),
            Some(ObjectKind::JournalBatch)
        );
        assert_eq!(ObjectKind::of("blobs/blake3/ab/cd/abcd"), None);
    }
}

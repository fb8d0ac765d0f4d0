//! Field-level differences between two versions of metadata, for the
//! metadata-change events of the journal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field path: `summary`, `signer.full_name`; lists are compared whole
    /// (`recipients`).
    pub path: String,
    /// The old value; `None` when the field was absent.
    pub old: Option<Value>,
    /// The new value; `None` when the field was removed.
    pub new: Option<Value>,
}

fn flatten(prefix: &str, value: Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        Value::Null => {}
        leaf => {
            out.insert(prefix.to_owned(), leaf);
        }
    }
}

/// The fields that differ between `old` and `new`, sorted by path. Works on
/// any serialisable metadata ([`crate::RecordMetadata`], [`crate::Dossier`]);
/// extra fields appear under their own names.
pub fn diff<T: Serialize>(old: &T, new: &T) -> Vec<FieldChange> {
    let mut before = BTreeMap::new();
    let mut after = BTreeMap::new();
    // Serialising these types into a JSON value cannot fail (string keys
    // only); a failure would only make the diff coarser.
    flatten(
        "",
        serde_json::to_value(old).unwrap_or(Value::Null),
        &mut before,
    );
    flatten(
        "",
        serde_json::to_value(new).unwrap_or(Value::Null),
        &mut after,
    );
    let mut paths: Vec<&String> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let old = before.get(path);
            let new = after.get(path);
            (old != new).then(|| FieldChange {
                path: path.clone(),
                old: old.cloned(),
                new: new.cloned(),
            })
        })
        .collect()
}

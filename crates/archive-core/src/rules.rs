//! Deposit rules checked before anything is stored.
//!
//! Under [`MetadataPolicy::Required`] (the default) metadata must be lawful records
//! metadata (Nghị định 30/2020 Phụ lục VI, checked by the `records` crate) and is
//! stored in its normalised form; every problem is reported at once. Under
//! [`MetadataPolicy::Free`] any JSON object is kept as given (NFC). In both, secret
//! documents are refused and system fields cannot be given.

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::error::{ArchiveError, Result};

/// How deposit metadata is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataPolicy {
    /// Records-law metadata, validated and normalised.
    #[default]
    Required,
    /// Any JSON object (archives of other material, tests).
    Free,
}

/// Fields the archive sets itself and never takes from input.
const SYSTEM_FIELDS: &[&str] = &["sent_at", "received_at", "deposited_at", "record_id"];

/// Metadata that passed the rules, in the form to store.
#[derive(Debug, Clone)]
pub struct CheckedMetadata {
    /// What the manifest stores.
    pub value: Value,
    /// Things worth a look that do not stop the deposit.
    pub warnings: Vec<String>,
}

/// Stores metadata text as NFC, recursively.
fn nfc(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.nfc().collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(nfc).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k.nfc().collect(), nfc(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Checks deposit (or corrected) metadata; a secret document is refused naming the rule.
pub fn check(
    metadata: Value,
    policy: MetadataPolicy,
    today: time::Date,
) -> Result<CheckedMetadata> {
    let metadata = match metadata {
        Value::Null => Value::Object(Default::default()),
        Value::Object(_) => nfc(metadata),
        _ => {
            return Err(ArchiveError::InvalidMetadata {
                problems: vec!["(root): metadata must be a JSON object".into()],
            });
        }
    };
    if let Some(level) = metadata
        .get("secrecy")
        .and_then(Value::as_str)
        .and_then(records::SecretLevel::recognise)
    {
        let refusal = records::Refusal::Secret {
            level,
            rule: records::validation::SECRET_RULE,
        };
        return Err(ArchiveError::Refused(refusal.to_string()));
    }
    let problems: Vec<String> = SYSTEM_FIELDS
        .iter()
        .filter(|f| metadata.get(**f).is_some())
        .map(|f| {
            format!(
                "{f}: is set by the archive and cannot be given in metadata (rule: set_by_system)"
            )
        })
        .collect();
    if !problems.is_empty() {
        return Err(ArchiveError::InvalidMetadata { problems });
    }
    match policy {
        MetadataPolicy::Free => Ok(CheckedMetadata {
            value: metadata,
            warnings: Vec::new(),
        }),
        MetadataPolicy::Required => {
            match records::parse_deposit_json(&metadata.to_string(), today) {
                Ok(md) => {
                    let warnings = md.warnings().iter().map(ToString::to_string).collect();
                    let value = serde_json::to_value(&md)
                        .map_err(|e| ArchiveError::Internal(e.to_string()))?;
                    Ok(CheckedMetadata { value, warnings })
                }
                Err(records::DepositError::Refused(r)) => Err(ArchiveError::Refused(r.to_string())),
                Err(records::DepositError::Invalid(p)) => Err(ArchiveError::InvalidMetadata {
                    problems: p.0.iter().map(ToString::to_string).collect(),
                }),
                Err(e) => Err(ArchiveError::InvalidMetadata {
                    problems: vec![e.to_string()],
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::macros::date!(2026 - 12 - 02)
    }

    #[test]
    fn every_secret_level_is_refused_in_both_policies() {
        for policy in [MetadataPolicy::Required, MetadataPolicy::Free] {
            for s in ["Mật", "Tối mật", "Tuyệt mật", "mat", "toi_mat", "tuyet_mat"] {
                let r = check(serde_json::json!({ "secrecy": s }), policy, today());
                match r {
                    Err(ArchiveError::Refused(m)) => {
                        assert!(m.contains("secret_documents_refused"), "{m}")
                    }
                    other => panic!("{s} under {policy:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn system_fields_in_input_are_rejected() {
        let r = check(
            serde_json::json!({ "received_at": "2020-01-01T00:00:00Z" }),
            MetadataPolicy::Free,
            today(),
        );
        assert!(matches!(r, Err(ArchiveError::InvalidMetadata { .. })));
    }

    #[test]
    fn required_policy_reports_every_problem_with_path_and_label() {
        let r = check(
            serde_json::json!({ "kind": "outgoing", "issued_on": "2099-01-01", "page_count": "many" }),
            MetadataPolicy::Required,
            today(),
        );
        match r {
            Err(ArchiveError::InvalidMetadata { problems }) => {
                assert!(
                    problems
                        .iter()
                        .any(|p| p.starts_with("issued_on: ngày ban hành")),
                    "{problems:?}"
                );
                assert!(
                    problems.iter().any(|p| p.starts_with("page_count")),
                    "{problems:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn free_policy_keeps_any_object_as_nfc() {
        let decomposed = "Quye\u{302}\u{301}t \u{111}i\u{323}nh";
        let r = check(
            serde_json::json!({ "x": decomposed }),
            MetadataPolicy::Free,
            today(),
        )
        .expect("ok");
        assert_eq!(r.value["x"], "Quyết định");
    }
}

//! Deposit rules checked before anything is stored.

use serde_json::Value;

use crate::error::{ArchiveError, Result};

/// Secrecy levels (độ mật) whose documents the archive refuses (DESIGN §1.7).
const SECRET_LEVELS: &[(&str, &str)] = &[
    ("mat", "Mật"),
    ("toi_mat", "Tối mật"),
    ("tuyet_mat", "Tuyệt mật"),
];

/// Fields the archive sets itself and never takes from input.
const SYSTEM_FIELDS: &[&str] = &["sent_at", "received_at", "deposited_at", "record_id"];

fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c.to_ascii_lowercase(),
        })
        .collect::<String>()
        .replace([' ', '-'], "_")
}

/// Checks the rules; a secret document is refused naming the rule.
pub fn check(metadata: &Value) -> Result<()> {
    if let Some(s) = metadata.get("secrecy").and_then(Value::as_str) {
        let f = fold(s);
        if let Some((_, label)) = SECRET_LEVELS.iter().find(|(code, _)| *code == f) {
            return Err(ArchiveError::Refused(format!(
                "secrecy (độ mật) is {label}: documents classified Mật, Tối mật or Tuyệt mật must not be stored in this archive (rule: secret-documents-refused, DESIGN §1.7); nothing was stored"
            )));
        }
    }
    let problems: Vec<String> = SYSTEM_FIELDS
        .iter()
        .filter(|f| metadata.get(**f).is_some())
        .map(|f| format!("{f}: is set by the archive and cannot be given in deposit metadata"))
        .collect();
    if !problems.is_empty() {
        return Err(ArchiveError::InvalidMetadata { problems });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_level_is_refused_in_any_spelling() {
        for s in ["mat", "Mật", "toi_mat", "Tối mật", "TUYỆT MẬT", "tuyet-mat"] {
            let r = check(&serde_json::json!({ "secrecy": s }));
            assert!(matches!(r, Err(ArchiveError::Refused(_))), "{s}: {r:?}");
        }
        assert!(check(&serde_json::json!({ "secrecy": "thuong" })).is_ok());
    }

    #[test]
    fn system_fields_in_input_are_rejected() {
        let r = check(&serde_json::json!({ "received_at": "2020-01-01T00:00:00Z" }));
        assert!(matches!(r, Err(ArchiveError::InvalidMetadata { .. })));
    }
}

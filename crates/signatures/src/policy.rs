//! The per-document decision: accept, accept with a warning, accept an
//! unsigned document, or reject, under a configurable policy.
//!
//! Rules, in order (defaults from the project's signature fixtures):
//! 1. not a readable document: reject;
//! 2. no signature: accept-unsigned (or reject, by policy);
//! 3. a `/ByteRange` whose gap is not exactly `/Contents`: reject;
//! 4. a signature that does not verify: reject;
//! 5. per signature, content changed after signing, untrusted path,
//!    certificate not valid at the proven signing time, weak algorithms,
//!    unsupported signatures, missing time-stamp: the configured action;
//! 6. otherwise accept.

use serde::{Deserialize, Serialize};

use crate::report::{LaterChanges, SignatureStatus, SignatureVerdict};

/// The per-document decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Every signature intact, trusted and valid at signing time.
    Accept,
    /// Accepted; the reason says what to look at.
    AcceptWithWarning,
    /// No signature; accepted by policy.
    AcceptUnsigned,
    /// Refused; the reason says why.
    Reject,
}

impl Decision {
    /// The stable machine name (`accept`, `accept-with-warning`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::AcceptWithWarning => "accept-with-warning",
            Decision::AcceptUnsigned => "accept-unsigned",
            Decision::Reject => "reject",
        }
    }
}

/// What to do about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyAction {
    /// Ignore it for the decision (it stays in the verdict).
    Accept,
    /// Accept with a warning.
    Warn,
    /// Reject the document.
    Reject,
}

/// The archive's deposit policy for signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Accept documents with no signature (`accept-unsigned`); else reject.
    pub accept_unsigned: bool,
    /// A later revision changes content after a signature.
    pub content_changed_after_signing: PolicyAction,
    /// The certificate path does not validate to a trust anchor.
    pub untrusted_certificate: PolicyAction,
    /// The certificate was not valid at the proven (or claimed) signing time.
    pub certificate_not_valid_at_signing_time: PolicyAction,
    /// SHA-1 or RSA keys under 2048 bits.
    pub weak_algorithm: PolicyAction,
    /// A signature this verifier cannot check (sub-filter, algorithm).
    pub unsupported_signature: PolicyAction,
    /// A signature without a valid signature time-stamp.
    pub missing_timestamp: PolicyAction,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            accept_unsigned: true,
            content_changed_after_signing: PolicyAction::Warn,
            untrusted_certificate: PolicyAction::Warn,
            certificate_not_valid_at_signing_time: PolicyAction::Warn,
            weak_algorithm: PolicyAction::Warn,
            unsupported_signature: PolicyAction::Warn,
            missing_timestamp: PolicyAction::Accept,
        }
    }
}

/// The signer's name, or the field's when the signer could not be read.
fn who(v: &SignatureVerdict) -> String {
    v.signer_cn
        .clone()
        .or_else(|| v.field.as_ref().map(|f| format!("field {f}")))
        .unwrap_or_else(|| "?".to_owned())
}

/// Decides on a document from its signature verdicts.
///
/// `malformed` is the reason the document could not be read, if it could
/// not. Stored verdicts can be decided again under another policy.
pub fn decide(
    signatures: &[SignatureVerdict],
    malformed: Option<&str>,
    policy: &Policy,
) -> (Decision, String) {
    if let Some(what) = malformed {
        return (Decision::Reject, format!("malformed: {what}"));
    }
    if signatures.is_empty() {
        return if policy.accept_unsigned {
            (
                Decision::AcceptUnsigned,
                "no signature; accepted or refused by policy for unsigned documents".into(),
            )
        } else {
            (
                Decision::Reject,
                "no signature; unsigned documents are refused by policy".into(),
            )
        };
    }
    let bad_range: Vec<String> = signatures
        .iter()
        .filter(|s| !s.byte_range_ok)
        .map(who)
        .collect();
    if !bad_range.is_empty() {
        return (
            Decision::Reject,
            format!(
                "ByteRange leaves unsigned bytes other than /Contents: {}",
                bad_range.join(", ")
            ),
        );
    }
    let broken: Vec<String> = signatures
        .iter()
        .filter(|s| {
            matches!(
                s.status,
                SignatureStatus::Broken | SignatureStatus::Malformed
            )
        })
        .map(who)
        .collect();
    if !broken.is_empty() {
        return (
            Decision::Reject,
            format!(
                "signature does not verify (bytes changed after signing): {}",
                broken.join(", ")
            ),
        );
    }
    let mut findings: Vec<(PolicyAction, String)> = Vec::new();
    for s in signatures {
        let name = who(s);
        if s.status == SignatureStatus::Unsupported {
            let why = s.problems.first().cloned().unwrap_or_default();
            findings.push((
                policy.unsupported_signature,
                format!("signature of {name} could not be verified: {why}"),
            ));
            continue;
        }
        if s.later_changes == LaterChanges::ContentChanged {
            findings.push((
                policy.content_changed_after_signing,
                format!("document modified after signature of {name}"),
            ));
        }
        if s.trusted != Some(true) {
            findings.push((
                policy.untrusted_certificate,
                format!("certificate path of {name} does not validate to a trust anchor"),
            ));
        } else if s.cert_valid_at_signing_time != Some(true) {
            findings.push((
                policy.certificate_not_valid_at_signing_time,
                format!("certificate of {name} not valid at the proven signing time"),
            ));
        }
        if !s.weak_algorithms.is_empty() {
            findings.push((
                policy.weak_algorithm,
                format!("weak algorithm or key in the signature of {name}"),
            ));
        }
        if !s.timestamped {
            findings.push((
                policy.missing_timestamp,
                format!("signature of {name} has no trusted time-stamp"),
            ));
        }
    }
    let pick = |action: PolicyAction| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (a, msg) in &findings {
            if *a == action && !out.contains(msg) {
                out.push(msg.clone());
            }
        }
        out
    };
    let rejects = pick(PolicyAction::Reject);
    if !rejects.is_empty() {
        return (Decision::Reject, rejects.join("; "));
    }
    let warnings = pick(PolicyAction::Warn);
    if !warnings.is_empty() {
        return (Decision::AcceptWithWarning, warnings.join("; "));
    }
    (
        Decision::Accept,
        "all signatures intact, trusted and valid at signing time".into(),
    )
}

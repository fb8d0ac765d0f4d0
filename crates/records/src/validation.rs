//! Validation of deposit metadata: every problem at once, with the field path,
//! the rule and the Vietnamese label; secret documents refused apart.

use std::fmt;

use serde::Serialize;
use time::Date;

use crate::agency::{AgencyCode, AgencyCodeForm};
use crate::doc_number::DocNumber;
use crate::metadata::{RecordKind, RecordMetadata, SystemFields};
use crate::vocabulary::{DocTypes, Vocabularies, VocabularyName};

/// One problem of the metadata.
///
/// Displayed as `path: label message`, e.g.
/// `issued_on: ngày ban hành is in the future`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Field path, e.g. `issued_on` or `recipients[1].agency_code`.
    pub path: String,
    /// Stable machine name of the rule, e.g. `not_in_future`.
    pub rule: &'static str,
    /// Vietnamese label of the field, e.g. `ngày ban hành`.
    pub label_vi: &'static str,
    /// What is wrong, in English, lower case.
    pub message: String,
}

impl Problem {
    /// A problem of the field at `path`.
    pub fn new(
        path: impl Into<String>,
        rule: &'static str,
        label_vi: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            path: path.into(),
            rule,
            label_vi,
            message: message.into(),
        }
    }

    fn record(path: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        let path = path.into();
        let label = RecordMetadata::label_vi(&path).unwrap_or("");
        Problem::new(path, rule, label, message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.label_vi.is_empty() {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(f, "{}: {} {}", self.path, self.label_vi, self.message)
        }
    }
}

/// All problems of one piece of metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the metadata",
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// The three levels of state secret (NĐ 30/2020 Phụ lục I Phần I.III.2.a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretLevel {
    /// Mật.
    Mat,
    /// Tối mật.
    ToiMat,
    /// Tuyệt mật.
    TuyetMat,
}

impl SecretLevel {
    /// Code of the `secrecy` vocabulary.
    pub fn code(self) -> &'static str {
        match self {
            SecretLevel::Mat => "mat",
            SecretLevel::ToiMat => "toi_mat",
            SecretLevel::TuyetMat => "tuyet_mat",
        }
    }

    /// Recognises a secrecy value (code or label, any case).
    pub fn recognise(value: &str) -> Option<SecretLevel> {
        let entry = Vocabularies::builtin().lookup(VocabularyName::Secrecy, value)?;
        [SecretLevel::Mat, SecretLevel::ToiMat, SecretLevel::TuyetMat]
            .into_iter()
            .find(|level| level.code() == entry.code)
    }

    /// Vietnamese label, e.g. `Tối mật`.
    pub fn label_vi(self) -> &'static str {
        Vocabularies::builtin()
            .by_code(VocabularyName::Secrecy, self.code())
            .map_or(self.code(), |e| e.label_vi)
    }
}

/// Rule that refuses secret documents.
pub const SECRET_RULE: &str = "secret_documents_refused";

/// A deposit refused as a whole, whatever its other fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The document is a state secret; nothing is stored.
    #[error(
        "refused by rule {rule}: the document is marked {} ({}); secret documents are handled \
         under the state-secret law outside Kho, and nothing was stored",
        level.label_vi(),
        level.code()
    )]
    Secret {
        /// The secrecy level found.
        level: SecretLevel,
        /// The rule applied ([`SECRET_RULE`]).
        rule: &'static str,
    },
}

/// Why a deposit's metadata is not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DepositError {
    /// The text is not JSON.
    #[error("deposit metadata is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The JSON is not an object.
    #[error("deposit metadata must be a JSON object, got {found}")]
    NotAnObject {
        /// What was found instead (`array`, `string` …).
        found: &'static str,
    },
    /// A secret document.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The metadata has problems (all are listed).
    #[error(transparent)]
    Invalid(#[from] Problems),
}

pub(crate) fn check_len(
    problems: &mut Vec<Problem>,
    path: &str,
    label: &'static str,
    value: Option<&str>,
    max: usize,
) {
    if let Some(value) = value {
        let n = value.chars().count();
        if n > max {
            problems.push(Problem::new(
                path,
                "max_length",
                label,
                format!("has {n} characters, at most {max} are allowed"),
            ));
        }
    }
}

pub(crate) fn check_not_future(
    problems: &mut Vec<Problem>,
    path: &str,
    label: &'static str,
    date: Option<Date>,
    today: Date,
) {
    if let Some(date) = date
        && date > today
    {
        problems.push(Problem::new(
            path,
            "not_in_future",
            label,
            format!("is in the future ({})", crate::dates::format_iso(date)),
        ));
    }
}

fn check_vocabulary(
    problems: &mut Vec<Problem>,
    path: &str,
    value: Option<&str>,
    vocabulary: VocabularyName,
) {
    let Some(value) = value else { return };
    let vocab = Vocabularies::builtin();
    if vocab.lookup(vocabulary, value).is_none() {
        let expected: Vec<&str> = vocab.entries(vocabulary).map(|e| e.code).collect();
        problems.push(Problem::record(
            path,
            "in_vocabulary",
            format!(
                "`{value}` is not a known value; expected one of {}",
                expected.join(", ")
            ),
        ));
    }
}

fn check_max(problems: &mut Vec<Problem>, path: &str, value: Option<u64>, max: u64, law: &str) {
    if let Some(value) = value
        && value > max
    {
        problems.push(Problem::record(
            path,
            "max_value",
            format!("is {value}, at most {max} ({law})"),
        ));
    }
}

impl RecordMetadata {
    /// The refusal this metadata earns, if any: a secret document
    /// (Mật / Tối mật / Tuyệt mật, any spelling the vocabulary recognises).
    pub fn refusal(&self) -> Option<Refusal> {
        let level = SecretLevel::recognise(self.secrecy.as_deref()?)?;
        Some(Refusal::Secret {
            level,
            rule: SECRET_RULE,
        })
    }

    /// Every problem of the metadata at once (an empty list when valid).
    /// `today` is the date against which "in the future" is judged. Secrecy is
    /// not a problem but a refusal: see [`RecordMetadata::refusal`].
    pub fn validate(&self, today: Date) -> Vec<Problem> {
        let mut p = Vec::new();
        let label = |path: &str| RecordMetadata::label_vi(path).unwrap_or("");

        for (path, value) in [("summary", &self.summary), ("issuer", &self.issuer)] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                p.push(Problem::record(path, "required", "is missing"));
            }
        }

        let doc_type = self
            .doc_type
            .as_deref()
            .map(|t| (t, DocTypes::builtin().lookup(t)));
        if let Some((text, None)) = doc_type {
            p.push(Problem::record(
                "doc_type",
                "in_vocabulary",
                format!("`{text}` is not one of the document types (code, name or abbreviation)"),
            ));
        }
        if let Some(text) = &self.doc_number {
            match DocNumber::parse(text) {
                Err(e) => p.push(Problem::record(
                    "doc_number",
                    "doc_number_format",
                    format!("`{text}` is not a document number: {e}"),
                )),
                Ok(number) => {
                    if let Some((_, Some(entry))) = doc_type {
                        let expected = entry.abbreviation.map(str::to_lowercase);
                        let found = number.type_abbr().map(str::to_lowercase);
                        // A type without abbreviation (công văn) may have an
                        // issuer that looks like one (CT = Cục Thuế).
                        if expected.is_some() && expected != found {
                            p.push(Problem::record(
                                "doc_type",
                                "matches_doc_number",
                                format!(
                                    "is {} ({}) but the number {} has {}",
                                    entry.display_name(),
                                    entry.abbreviation.unwrap_or_default(),
                                    number,
                                    number.type_abbr().map_or_else(
                                        || "no type abbreviation".to_owned(),
                                        |a| format!("the abbreviation {a}")
                                    )
                                ),
                            ));
                        }
                    }
                }
            }
        }

        check_not_future(
            &mut p,
            "issued_on",
            label("issued_on"),
            self.issued_on,
            today,
        );
        check_not_future(
            &mut p,
            "arrival_date",
            label("arrival_date"),
            self.arrival_date,
            today,
        );
        if let Some(issued) = self.issued_on {
            for (path, date) in [("arrival_date", self.arrival_date), ("due_on", self.due_on)] {
                if date.is_some_and(|d| d < issued) {
                    p.push(Problem::record(
                        path,
                        "not_before_issued_on",
                        format!(
                            "is before the issue date {}",
                            crate::dates::format_iso(issued)
                        ),
                    ));
                }
            }
        }

        check_vocabulary(
            &mut p,
            "urgency",
            self.urgency.as_deref(),
            VocabularyName::Urgency,
        );
        check_vocabulary(
            &mut p,
            "secrecy",
            self.secrecy.as_deref(),
            VocabularyName::Secrecy,
        );
        check_vocabulary(
            &mut p,
            "circulation",
            self.circulation.as_deref(),
            VocabularyName::Circulation,
        );
        check_vocabulary(
            &mut p,
            "language",
            self.language.as_deref(),
            VocabularyName::Language,
        );

        for (path, value, max) in [
            ("place", &self.place, 50),
            ("issuer", &self.issuer, 200),
            ("summary", &self.summary, 500),
            ("language", &self.language, 30),
            ("note", &self.note, 500),
            ("assigned_to", &self.assigned_to, 1000),
        ] {
            check_len(&mut p, path, label(path), value.as_deref(), max);
        }
        if let Some(signer) = &self.signer {
            check_len(
                &mut p,
                "signer.full_name",
                label("signer.full_name"),
                signer.full_name.as_deref(),
                50,
            );
            check_len(
                &mut p,
                "signer.position",
                label("signer.position"),
                signer.position.as_deref(),
                100,
            );
            check_len(
                &mut p,
                "signer.on_behalf_of",
                label("signer.on_behalf_of"),
                signer.on_behalf_of.as_deref(),
                100,
            );
            check_vocabulary(
                &mut p,
                "signer.authority_mark",
                signer.authority_mark.as_deref(),
                VocabularyName::AuthorityMark,
            );
        }

        if let Some(code) = &self.issuer_code
            && let Err(e) = AgencyCode::parse(code)
        {
            p.push(Problem::record("issuer_code", "agency_code", e.to_string()));
        }
        for (i, recipient) in self.recipients.iter().enumerate() {
            if let Some(code) = &recipient.agency_code
                && let Err(e) = AgencyCode::parse(code)
            {
                p.push(Problem::record(
                    format!("recipients[{i}].agency_code"),
                    "agency_code",
                    e.to_string(),
                ));
            }
            check_len(
                &mut p,
                &format!("recipients[{i}].name"),
                label("recipients.name"),
                recipient.name.as_deref(),
                200,
            );
        }

        check_max(
            &mut p,
            "page_count",
            self.page_count.map(u64::from),
            999,
            "PageAmount, Number 3",
        );
        check_max(
            &mut p,
            "copies_issued",
            self.copies_issued.map(u64::from),
            999,
            "IssuedAmount, Number 3",
        );
        check_max(
            &mut p,
            "arrival_number",
            self.arrival_number,
            9_999_999_999,
            "ArrivalNumber, Number 10",
        );
        for (path, value) in [
            ("page_count", self.page_count.map(u64::from)),
            ("arrival_number", self.arrival_number),
        ] {
            if value == Some(0) {
                p.push(Problem::record(
                    path,
                    "at_least_one",
                    "is 0, it starts at 1",
                ));
            }
        }

        if self.kind != RecordKind::Incoming {
            for (path, present) in [
                ("arrival_number", self.arrival_number.is_some()),
                ("arrival_date", self.arrival_date.is_some()),
                ("assigned_to", self.assigned_to.is_some()),
            ] {
                if present {
                    p.push(Problem::record(
                        path,
                        "incoming_only",
                        format!(
                            "is only for incoming documents (văn bản đến), this one is {}",
                            self.kind.label_vi()
                        ),
                    ));
                }
            }
        } else if self.copies_issued.is_some() {
            p.push(Problem::record(
                "copies_issued",
                "not_for_incoming",
                "is only for documents the agency issues, not for incoming documents",
            ));
        }

        for name in SystemFields::NAMES {
            if self.extra.contains_key(name) {
                p.push(Problem::record(
                    name,
                    "set_by_system",
                    "is set by the system and cannot be given in a deposit; remove it",
                ));
            }
        }
        p
    }

    /// Advisory remarks that do not block a deposit: fields Kho does not know
    /// (kept in `extra`), document numbers not in the decree's presentation
    /// form, agency codes of neither known form.
    pub fn warnings(&self) -> Vec<Problem> {
        let mut w = Vec::new();
        for key in self.extra.keys() {
            if !SystemFields::NAMES.contains(&key.as_str()) {
                w.push(Problem::new(
                    key.as_str(),
                    "unknown_field",
                    "",
                    "is not a field of the records model; it is kept as an extra field",
                ));
            }
        }
        if let Some(number) = self
            .doc_number
            .as_deref()
            .and_then(|n| DocNumber::parse(n).ok())
            && !number.is_conforming()
        {
            w.push(Problem::record(
                "doc_number",
                "presentation_form",
                format!("is not in the decree's presentation form {number}"),
            ));
        }
        let codes = std::iter::once(("issuer_code".to_owned(), self.issuer_code.as_deref())).chain(
            self.recipients.iter().enumerate().map(|(i, r)| {
                (
                    format!("recipients[{i}].agency_code"),
                    r.agency_code.as_deref(),
                )
            }),
        );
        for (path, code) in codes {
            if let Some(Ok(code)) = code.map(AgencyCode::parse)
                && code.form() == AgencyCodeForm::Unknown
            {
                w.push(Problem::record(
                    path,
                    "agency_code_form",
                    format!("{code} is neither in the QĐ 20/2020 nor in the QCVN 102:2016 form"),
                ));
            }
        }
        w
    }

    /// Refusal first, then every problem: what a deposit must pass.
    pub fn check(&self, today: Date) -> Result<(), DepositError> {
        if let Some(refusal) = self.refusal() {
            return Err(refusal.into());
        }
        let problems = self.validate(today);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Problems(problems).into())
        }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads deposit metadata from JSON: refuses secret documents, reports every
/// problem at once (values of the wrong type, invalid dates such as
/// `2016-02-30`, and all the rules of [`RecordMetadata::validate`]), and
/// returns the metadata in stored form ([`RecordMetadata::normalized`]).
pub fn parse_deposit_json(text: &str, today: Date) -> Result<RecordMetadata, DepositError> {
    use serde_json::{Map, Value};
    let value: Value = serde_json::from_str(text).map_err(DepositError::Json)?;
    let Value::Object(map) = value else {
        return Err(DepositError::NotAnObject {
            found: json_kind(&value),
        });
    };
    if let Some(level) = map
        .get("secrecy")
        .and_then(Value::as_str)
        .and_then(SecretLevel::recognise)
    {
        return Err(Refusal::Secret {
            level,
            rule: SECRET_RULE,
        }
        .into());
    }

    let mut problems = Vec::new();
    let kind_ok = match map.get("kind") {
        None | Some(Value::Null) => {
            problems.push(Problem::record("kind", "required", "is missing"));
            false
        }
        Some(kind) => match serde_json::from_value::<RecordKind>(kind.clone()) {
            Ok(_) => true,
            Err(e) => {
                problems.push(Problem::record("kind", "in_vocabulary", e.to_string()));
                false
            }
        },
    };
    // Each field is tried alone so that every field of the wrong shape is
    // reported, not only the first one.
    let mut clean = Map::new();
    clean.insert("kind".to_owned(), Value::String("outgoing".to_owned()));
    for (key, field) in &map {
        if key == "kind" {
            continue;
        }
        let mut probe = Map::new();
        probe.insert("kind".to_owned(), Value::String("outgoing".to_owned()));
        probe.insert(key.clone(), field.clone());
        match serde_json::from_value::<RecordMetadata>(Value::Object(probe)) {
            Ok(_) => {
                clean.insert(key.clone(), field.clone());
            }
            Err(e) => problems.push(Problem::record(key.as_str(), "type", e.to_string())),
        }
    }
    if kind_ok && let Some(kind) = map.get("kind") {
        clean.insert("kind".to_owned(), kind.clone());
    }
    let metadata = serde_json::from_value::<RecordMetadata>(Value::Object(clean))
        .map_err(DepositError::Json)?
        .normalized();
    problems.extend(
        metadata
            .validate(today)
            .into_iter()
            .filter(|p| kind_ok || !matches!(p.rule, "incoming_only" | "not_for_incoming")),
    );
    if problems.is_empty() {
        Ok(metadata)
    } else {
        Err(Problems(problems).into())
    }
}

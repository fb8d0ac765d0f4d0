//! Deposit metadata of a record (văn bản), after NĐ 30/2020 Phụ lục VI
//! (văn bản đi: 16 fields, văn bản đến: 18 fields) and TT 05/2025.
//!
//! Serde names are stable snake_case English; each field's Vietnamese label
//! is given by [`RecordMetadata::label_vi`]. Fields with a controlled
//! vocabulary hold the table's code (`hoa_toc`, `mat`, `quyet_dinh`, `vi`);
//! on input they also accept the Vietnamese or English label, which
//! [`RecordMetadata::normalized`] turns into the code.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::vocabulary::{DocTypes, Vocabularies, VocabularyName};

/// Văn bản đi / đến / nội bộ: the direction of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// Văn bản đi: issued by the agency (NĐ 30 Điều 3.5).
    #[serde(alias = "van_ban_di")]
    Outgoing,
    /// Văn bản đến: received by the agency (NĐ 30 Điều 3.6).
    #[serde(alias = "van_ban_den")]
    Incoming,
    /// Văn bản nội bộ: internal (Kho's own category, not of NĐ 30).
    #[serde(alias = "noi_bo")]
    Internal,
}

impl RecordKind {
    /// Code of the `record_kind` vocabulary.
    pub fn vocabulary_code(self) -> &'static str {
        match self {
            RecordKind::Outgoing => "van_ban_di",
            RecordKind::Incoming => "van_ban_den",
            RecordKind::Internal => "noi_bo",
        }
    }

    /// Vietnamese label (`Văn bản đi` …), from the vocabulary table.
    pub fn label_vi(self) -> &'static str {
        Vocabularies::builtin()
            .by_code(VocabularyName::RecordKind, self.vocabulary_code())
            .map_or(self.vocabulary_code(), |e| e.label_vi)
    }
}

/// Người ký: the signer block (SignerInfo).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Signer {
    /// Họ và tên người ký (FullName, ≤ 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Chức vụ của người ký (Position, ≤ 100), e.g. `Chủ tịch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Thẩm quyền ký: code of the `authority_mark` vocabulary (`tm`, `q`,
    /// `kt`, `tl`, `tuq`, `none`); the marks `TM.`, `KT.` … are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_mark: Option<String>,
    /// Thay mặt / thừa lệnh cho: the body or head after the mark, e.g.
    /// `ỦY BAN NHÂN DÂN` in `TM. ỦY BAN NHÂN DÂN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl Signer {
    /// Splits a competence line such as `TM. ỦY BAN NHÂN DÂN` or `KT. CHỦ
    /// TỊCH` into the authority mark's code and the rest. `Trực tiếp` (sent by
    /// edXML implementations for a head signing directly) gives `none`.
    pub fn split_competence(text: &str) -> (Option<String>, Option<String>) {
        let text = vietnamese::canonicalize(text.trim());
        let vocab = Vocabularies::builtin();
        if vietnamese::fold_form(&text) == vietnamese::fold_form("Trực tiếp") {
            return (Some("none".to_owned()), None);
        }
        if let Some((mark, rest)) = text.split_once('.')
            && let Some(entry) = vocab.lookup(VocabularyName::AuthorityMark, mark)
            && entry.code != "none"
        {
            let rest = rest.trim();
            return (
                Some(entry.code.to_owned()),
                Some(rest.to_owned()).filter(|r| !r.is_empty()),
            );
        }
        (None, Some(text).filter(|t| !t.is_empty()))
    }
}

/// Nơi nhận: one recipient (To: OrganId + OrganName), or one line of the
/// printed recipient list (name only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Recipient {
    /// Mã định danh của cơ quan nhận (OrganId), ≤ 35 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_code: Option<String>,
    /// Tên cơ quan, tổ chức nhận (OrganName, ≤ 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Deposit metadata of one record (văn bản).
///
/// Only `kind` is required by the schema; what else is required is checked by
/// validation, which reports every problem at once. Names not listed here are
/// kept as extra fields (and reported as warnings). `sent_at` and
/// `received_at` are set by the system and are refused on input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Kho deposit metadata (văn bản)")]
pub struct RecordMetadata {
    /// Văn bản đi / đến / nội bộ.
    pub kind: RecordKind,
    /// Số, ký hiệu văn bản as written, e.g. `05/2016/QĐ-UBND` (CodeNumber +
    /// CodeNotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Tên loại văn bản: code of `doc_types.tsv` (`quyet_dinh`, `cong_van`
    /// …); the name (`Quyết định`) or abbreviation (`QĐ`) is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<String>,
    /// Ngày, tháng, năm văn bản (IssuedDate), ISO 8601 `YYYY-MM-DD`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::option_iso"
    )]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub issued_on: Option<Date>,
    /// Địa danh: place of issue (PromulgationInfo/Place, ≤ 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Tên cơ quan, tổ chức ban hành văn bản (OrganName, ≤ 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Mã định danh của cơ quan ban hành (OrganId), ≤ 35 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_code: Option<String>,
    /// Trích yếu nội dung (Subject, ≤ 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Người ký: name, position, authority mark (SignerInfo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    /// Mức độ khẩn: code of the `urgency` vocabulary (`hoa_toc`,
    /// `thuong_khan`, `khan`, `thuong`). Kept apart from secrecy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<String>,
    /// Độ mật: code of the `secrecy` vocabulary. `mat`, `toi_mat` and
    /// `tuyet_mat` are refused: secret documents are not kept in Kho.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrecy: Option<String>,
    /// Chỉ dẫn về phạm vi lưu hành: code of the `circulation` vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circulation: Option<String>,
    /// Nơi nhận (To).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<Recipient>,
    /// Số trang của văn bản (PageAmount, Number 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u32>,
    /// Số lượng bản phát hành (IssuedAmount, Number 3; outgoing only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies_issued: Option<u32>,
    /// Ngôn ngữ: code of the `language` vocabulary (`vi`, `en` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Mã hồ sơ: code of the dossier the record belongs to (FileCode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier: Option<String>,
    /// Hạn trả lời (outgoing) / thời hạn giải quyết (incoming) (DueDate),
    /// `YYYY-MM-DD`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::option_iso"
    )]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub due_on: Option<Date>,
    /// Ghi chú (Description, ≤ 500).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "description"
    )]
    pub note: Option<String>,
    /// Số đến (ArrivalNumber, Number 10; incoming only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_number: Option<u64>,
    /// Ngày đến (ArrivalDate, `YYYY-MM-DD`; incoming only).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::option_iso"
    )]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub arrival_date: Option<Date>,
    /// Đơn vị hoặc người nhận (ToPlaces, ≤ 1000; incoming only): the unit or
    /// person the document is assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    /// Other fields, kept as given (never dropped).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Fields set by the system, never taken from input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemFields {
    /// Thời điểm gửi: when the system sent the record (UTC offset kept).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// Thời điểm nhận: when the system received the record.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub received_at: Option<OffsetDateTime>,
}

impl SystemFields {
    /// Names of the system fields; input carrying them is refused
    /// (rule `set_by_system`).
    pub const NAMES: [&'static str; 2] = ["sent_at", "received_at"];
}

/// Vietnamese labels of the record fields, by serde path.
const RECORD_LABELS: &[(&str, &str)] = &[
    ("kind", "loại văn bản đi, đến, nội bộ"),
    ("doc_number", "số, ký hiệu văn bản"),
    ("doc_type", "tên loại văn bản"),
    ("issued_on", "ngày ban hành"),
    ("place", "địa danh"),
    ("issuer", "tên cơ quan, tổ chức ban hành văn bản"),
    ("issuer_code", "mã định danh của cơ quan ban hành"),
    ("summary", "trích yếu nội dung"),
    ("signer", "người ký"),
    ("signer.full_name", "họ và tên người ký"),
    ("signer.position", "chức vụ của người ký"),
    ("signer.authority_mark", "thẩm quyền ký"),
    ("signer.on_behalf_of", "thay mặt, thừa lệnh"),
    ("urgency", "mức độ khẩn"),
    ("secrecy", "độ mật"),
    ("circulation", "chỉ dẫn về phạm vi lưu hành"),
    ("recipients", "nơi nhận"),
    ("recipients.agency_code", "mã định danh của cơ quan nhận"),
    ("recipients.name", "tên cơ quan, tổ chức nhận"),
    ("page_count", "số trang của văn bản"),
    ("copies_issued", "số lượng bản phát hành"),
    ("language", "ngôn ngữ"),
    ("dossier", "mã hồ sơ"),
    ("due_on", "hạn trả lời, thời hạn giải quyết"),
    ("note", "ghi chú"),
    ("arrival_number", "số đến"),
    ("arrival_date", "ngày đến"),
    ("assigned_to", "đơn vị hoặc người nhận"),
    ("sent_at", "thời điểm gửi"),
    ("received_at", "thời điểm nhận"),
];

/// Strips list indices from a path: `recipients[2].name` → `recipients.name`.
pub(crate) fn label_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

pub(crate) fn lookup_label(labels: &[(&str, &'static str)], path: &str) -> Option<&'static str> {
    let path = label_path(path);
    labels.iter().find(|(p, _)| *p == path).map(|(_, l)| *l)
}

/// Canonical text (NFC and the text pipeline's canonicalisation), trimmed;
/// empty becomes `None`.
pub(crate) fn canonical_text(text: &mut Option<String>) {
    *text = text
        .take()
        .map(|t| vietnamese::canonicalize(&t).trim().to_owned())
        .filter(|t| !t.is_empty());
}

fn canonical_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(vietnamese::canonicalize(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (vietnamese::canonicalize(&k), canonical_json(v)))
                .collect(),
        ),
        other => other,
    }
}

pub(crate) fn canonical_extra(
    extra: BTreeMap<String, serde_json::Value>,
) -> BTreeMap<String, serde_json::Value> {
    extra
        .into_iter()
        .map(|(k, v)| (vietnamese::canonicalize(&k), canonical_json(v)))
        .collect()
}

/// Replaces a recognised vocabulary input by its code; unknown text is kept
/// (and reported by validation).
pub(crate) fn vocabulary_code(value: &mut Option<String>, vocabulary: VocabularyName) {
    canonical_text(value);
    if let Some(text) = value.as_mut()
        && let Some(entry) = Vocabularies::builtin().lookup(vocabulary, text)
    {
        *text = entry.code.to_owned();
    }
}

impl RecordMetadata {
    /// Empty metadata of the given kind.
    pub fn new(kind: RecordKind) -> Self {
        RecordMetadata {
            kind,
            doc_number: None,
            doc_type: None,
            issued_on: None,
            place: None,
            issuer: None,
            issuer_code: None,
            summary: None,
            signer: None,
            urgency: None,
            secrecy: None,
            circulation: None,
            recipients: Vec::new(),
            page_count: None,
            copies_issued: None,
            language: None,
            dossier: None,
            due_on: None,
            note: None,
            arrival_number: None,
            arrival_date: None,
            assigned_to: None,
            extra: BTreeMap::new(),
        }
    }

    /// The Vietnamese label of a field path (`issued_on` → `ngày ban hành`,
    /// `recipients[0].name` → `tên cơ quan, tổ chức nhận`), for error
    /// messages and forms.
    pub fn label_vi(path: &str) -> Option<&'static str> {
        lookup_label(RECORD_LABELS, path)
    }

    /// All field paths with a Vietnamese label.
    pub fn labelled_paths() -> impl Iterator<Item = (&'static str, &'static str)> {
        RECORD_LABELS.iter().copied()
    }

    /// The form in which metadata is stored: all text canonical (NFC and the
    /// text pipeline's canonicalisation) and trimmed, empty text removed,
    /// recognised vocabulary labels replaced by their codes, empty signer
    /// and recipients removed. Idempotent.
    pub fn normalized(&self) -> RecordMetadata {
        let mut m = self.clone();
        canonical_text(&mut m.doc_number);
        canonical_text(&mut m.doc_type);
        if let Some(text) = m.doc_type.as_mut()
            && let Some(entry) = DocTypes::builtin().lookup(text)
        {
            *text = entry.code.to_owned();
        }
        for text in [
            &mut m.place,
            &mut m.issuer,
            &mut m.issuer_code,
            &mut m.summary,
            &mut m.dossier,
            &mut m.note,
            &mut m.assigned_to,
        ] {
            canonical_text(text);
        }
        vocabulary_code(&mut m.urgency, VocabularyName::Urgency);
        vocabulary_code(&mut m.secrecy, VocabularyName::Secrecy);
        vocabulary_code(&mut m.circulation, VocabularyName::Circulation);
        vocabulary_code(&mut m.language, VocabularyName::Language);
        m.signer = m.signer.take().and_then(|mut s| {
            canonical_text(&mut s.full_name);
            canonical_text(&mut s.position);
            canonical_text(&mut s.on_behalf_of);
            vocabulary_code(&mut s.authority_mark, VocabularyName::AuthorityMark);
            Some(s).filter(|s| s != &Signer::default())
        });
        m.recipients = std::mem::take(&mut m.recipients)
            .into_iter()
            .filter_map(|mut r| {
                canonical_text(&mut r.agency_code);
                canonical_text(&mut r.name);
                Some(r).filter(|r| r != &Recipient::default())
            })
            .collect();
        m.extra = canonical_extra(std::mem::take(&mut m.extra));
        m
    }

    /// The document type's table row, if `doc_type` is recognised.
    pub fn doc_type_entry(&self) -> Option<&'static crate::DocTypeEntry> {
        self.doc_type
            .as_deref()
            .and_then(|t| DocTypes::builtin().lookup(t))
    }
}

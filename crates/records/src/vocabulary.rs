//! Controlled vocabularies and the document types, loaded from the embedded
//! reference tables (`data/vocabularies.tsv`, `data/doc_types.tsv`) at first use.
//!
//! The tables are data, not code: a row marked anything but `verified` may be
//! used (for example to recognise a value) but must not be shown as law.
//! Rows that cannot be read are skipped at run time and listed by
//! [`table_errors`]; the crate's tests require that list to be empty.

use std::sync::OnceLock;

use crate::table::{TableError, Tsv};

const VOCABULARIES_TSV: &str = include_str!("../data/vocabularies.tsv");
const DOC_TYPES_TSV: &str = include_str!("../data/doc_types.tsv");

/// How far a reference row was checked (column `status` of the tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Read in the text of the legal document itself.
    Verified,
    /// Read in a secondary text that reports the law; treat as unverified.
    Secondary,
    /// Seen only in public implementations; unverified.
    Impl,
    /// Not confirmed by any text read; placeholder or inference.
    Unverified,
    /// From a superseded circular; not valid for the current one.
    UnverifiedFor2022,
    /// Kho's own convention, not a legal requirement.
    Design,
}

impl Status {
    /// Parses the `status` cell of a reference table.
    pub fn parse(cell: &str) -> Option<Self> {
        Some(match cell {
            "verified" => Status::Verified,
            "secondary" => Status::Secondary,
            "impl" => Status::Impl,
            "unverified" => Status::Unverified,
            "unverified-for-2022" => Status::UnverifiedFor2022,
            "design" => Status::Design,
            _ => return None,
        })
    }

    /// Whether the row may be presented to users as law.
    pub fn is_law(self) -> bool {
        self == Status::Verified
    }
}

/// The controlled vocabularies of `vocabularies.tsv` (column `vocabulary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VocabularyName {
    /// Độ khẩn: urgency.
    Urgency,
    /// Độ mật: secrecy (Kho refuses the three secret levels).
    Secrecy,
    /// Chỉ dẫn về phạm vi lưu hành: circulation marks.
    Circulation,
    /// Thẩm quyền ký: TM., Q., KT., TL., TUQ.
    AuthorityMark,
    /// Kinds of signature.
    SignatureKind,
    /// Văn bản đi / đến / nội bộ.
    RecordKind,
    /// Draft, original, copies.
    DocumentState,
    /// Direction of a copy (paper, electronic).
    CopyDirection,
    /// Ngôn ngữ: language codes.
    Language,
    /// Trạng thái phông: open or closed fonds.
    FondsStatus,
    /// Tình trạng vật lý (placeholder values).
    PhysicalState,
    /// Mức độ tiếp cận / chế độ sử dụng (placeholder values).
    AccessLevel,
    /// Role of a file in a record.
    FileRole,
    /// edXML `OtherInfo/Priority` codes (meaning unverified).
    EdxmlPriority,
}

impl VocabularyName {
    /// All vocabularies, in the order of the table.
    pub const ALL: [VocabularyName; 14] = [
        VocabularyName::Urgency,
        VocabularyName::Secrecy,
        VocabularyName::Circulation,
        VocabularyName::AuthorityMark,
        VocabularyName::SignatureKind,
        VocabularyName::RecordKind,
        VocabularyName::DocumentState,
        VocabularyName::CopyDirection,
        VocabularyName::Language,
        VocabularyName::FondsStatus,
        VocabularyName::PhysicalState,
        VocabularyName::AccessLevel,
        VocabularyName::FileRole,
        VocabularyName::EdxmlPriority,
    ];

    /// The name used in the `vocabulary` column.
    pub fn as_str(self) -> &'static str {
        match self {
            VocabularyName::Urgency => "urgency",
            VocabularyName::Secrecy => "secrecy",
            VocabularyName::Circulation => "circulation",
            VocabularyName::AuthorityMark => "authority_mark",
            VocabularyName::SignatureKind => "signature_kind",
            VocabularyName::RecordKind => "record_kind",
            VocabularyName::DocumentState => "document_state",
            VocabularyName::CopyDirection => "copy_direction",
            VocabularyName::Language => "language",
            VocabularyName::FondsStatus => "fonds_status",
            VocabularyName::PhysicalState => "physical_state",
            VocabularyName::AccessLevel => "access_level",
            VocabularyName::FileRole => "file_role",
            VocabularyName::EdxmlPriority => "edxml_priority",
        }
    }

    /// Parses the `vocabulary` column.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// One value of a controlled vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabularyEntry {
    /// The vocabulary this value belongs to.
    pub vocabulary: VocabularyName,
    /// Stable ASCII code stored in metadata, e.g. `hoa_toc`.
    pub code: &'static str,
    /// Vietnamese label shown to users, e.g. `Hỏa tốc` (may be empty).
    pub label_vi: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// Where the value comes from.
    pub source: &'static str,
    /// How far the value was checked.
    pub status: Status,
    /// Free note of the table.
    pub note: &'static str,
}

/// All controlled vocabularies of the reference table.
#[derive(Debug)]
pub struct Vocabularies {
    entries: Vec<VocabularyEntry>,
}

/// Kind of a document type row (column `kind` of `doc_types.tsv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocTypeKind {
    /// One of the 29 administrative types of NĐ 30/2020 Điều 7.
    Administrative,
    /// A copy type: sao y, trích sao, sao lục.
    Copy,
    /// A legal normative type, used only to recognise numbers (unverified).
    LegalNormative,
}

/// One document type (loại văn bản).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocTypeEntry {
    /// Kind of type.
    pub kind: DocTypeKind,
    /// Order number within its kind, as in the decree.
    pub no: u8,
    /// Stable ASCII code stored in metadata, e.g. `quyet_dinh`.
    pub code: &'static str,
    /// Vietnamese name, e.g. `Quyết định (cá biệt)`.
    pub name_vi: &'static str,
    /// Abbreviation used in notations, e.g. `QĐ`; none for công văn and thư công.
    pub abbreviation: Option<&'static str>,
    /// Presentation template of Phụ lục III, if any.
    pub template: Option<&'static str>,
    /// Where the row comes from.
    pub source: &'static str,
    /// How far the row was checked.
    pub status: Status,
}

impl DocTypeEntry {
    /// The name without its parenthesised qualifier (`Quyết định (cá biệt)` →
    /// `Quyết định`): what registers and edXML messages write.
    pub fn display_name(&self) -> &'static str {
        match self.name_vi.find(" (") {
            Some(i) => &self.name_vi[..i],
            None => self.name_vi,
        }
    }
}

/// All document types of the reference table.
#[derive(Debug)]
pub struct DocTypes {
    entries: Vec<DocTypeEntry>,
}

struct Loaded {
    vocabularies: Vocabularies,
    doc_types: DocTypes,
    errors: Vec<TableError>,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let mut errors = Vec::new();
        let vocabularies = load_vocabularies(&mut errors);
        let doc_types = load_doc_types(&mut errors);
        Loaded {
            vocabularies,
            doc_types,
            errors,
        }
    })
}

/// Rows of the embedded tables that could not be read (empty when the data is
/// sound; the crate's tests check this).
pub fn table_errors() -> &'static [TableError] {
    &loaded().errors
}

fn load_vocabularies(errors: &mut Vec<TableError>) -> Vocabularies {
    let tsv = Tsv::parse("vocabularies.tsv", VOCABULARIES_TSV, errors);
    let mut entries = Vec::new();
    for row in tsv.rows() {
        let entry = (|| {
            let name = row.get("vocabulary")?;
            let vocabulary = VocabularyName::parse(name)
                .ok_or_else(|| row.error(format!("unknown vocabulary `{name}`")))?;
            let status = row.get("status")?;
            Ok::<_, TableError>(VocabularyEntry {
                vocabulary,
                code: row.get("code")?,
                label_vi: row.get("label_vi")?,
                label_en: row.get("label_en")?,
                source: row.get("source")?,
                status: Status::parse(status)
                    .ok_or_else(|| row.error(format!("unknown status `{status}`")))?,
                note: row.get("note")?,
            })
        })();
        match entry {
            Ok(entry) if entry.code.is_empty() => errors.push(row.error("empty code")),
            Ok(entry) => entries.push(entry),
            Err(error) => errors.push(error),
        }
    }
    Vocabularies { entries }
}

fn load_doc_types(errors: &mut Vec<TableError>) -> DocTypes {
    let tsv = Tsv::parse("doc_types.tsv", DOC_TYPES_TSV, errors);
    let mut entries = Vec::new();
    for row in tsv.rows() {
        let entry = (|| {
            let kind = match row.get("kind")? {
                "administrative" => DocTypeKind::Administrative,
                "copy" => DocTypeKind::Copy,
                "legal_normative" => DocTypeKind::LegalNormative,
                other => return Err(row.error(format!("unknown kind `{other}`"))),
            };
            let no = row.get("no")?;
            let status = row.get("status")?;
            Ok(DocTypeEntry {
                kind,
                no: no
                    .parse()
                    .map_err(|_| row.error(format!("`no` is not a number: `{no}`")))?,
                code: row.get("code")?,
                name_vi: row.get("name_vi")?,
                abbreviation: row.opt("abbreviation")?,
                template: row.opt("template")?,
                source: row.get("source")?,
                status: Status::parse(status)
                    .ok_or_else(|| row.error(format!("unknown status `{status}`")))?,
            })
        })();
        match entry {
            Ok(entry) => entries.push(entry),
            Err(error) => errors.push(error),
        }
    }
    DocTypes { entries }
}

/// Loose comparison for user input against labels: exact, then lower case,
/// then the folded search form (no diacritics) of the text pipeline.
fn loosely_equal(input: &str, candidate: &str) -> bool {
    if candidate.is_empty() {
        return false;
    }
    input == candidate
        || input.to_lowercase() == candidate.to_lowercase()
        || vietnamese::fold_form(input) == vietnamese::fold_form(candidate)
}

impl Vocabularies {
    /// The vocabularies embedded in the crate.
    pub fn builtin() -> &'static Vocabularies {
        &loaded().vocabularies
    }

    /// The values of one vocabulary, in table order.
    pub fn entries(&self, vocabulary: VocabularyName) -> impl Iterator<Item = &VocabularyEntry> {
        self.entries
            .iter()
            .filter(move |e| e.vocabulary == vocabulary)
    }

    /// The value with exactly this code.
    pub fn by_code(&self, vocabulary: VocabularyName, code: &str) -> Option<&VocabularyEntry> {
        self.entries(vocabulary).find(|e| e.code == code)
    }

    /// Recognises user input: the code, the Vietnamese label or the English
    /// label, compared exactly, then ignoring case, then ignoring diacritics.
    pub fn lookup(&self, vocabulary: VocabularyName, input: &str) -> Option<&VocabularyEntry> {
        let input = vietnamese::canonicalize(input.trim());
        if input.is_empty() {
            return None;
        }
        self.by_code(vocabulary, &input).or_else(|| {
            self.entries(vocabulary).find(|e| {
                loosely_equal(&input, e.code)
                    || loosely_equal(&input, e.label_vi)
                    || loosely_equal(&input, e.label_vi.trim_end_matches('.'))
                    || loosely_equal(&input, e.label_en)
            })
        })
    }
}

impl DocTypes {
    /// The document types embedded in the crate.
    pub fn builtin() -> &'static DocTypes {
        &loaded().doc_types
    }

    /// All rows, in table order (administrative, copy, legal normative).
    pub fn entries(&self) -> impl Iterator<Item = &DocTypeEntry> {
        self.entries.iter()
    }

    /// The type with exactly this code.
    pub fn by_code(&self, code: &str) -> Option<&DocTypeEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    /// The first type (in table order) whose abbreviation equals `group`
    /// ignoring case only: `QyĐ` stays distinct from `QĐ`, `CTr` from `CT`,
    /// `ĐA` from `DA`.
    pub fn by_abbreviation(&self, group: &str) -> Option<&DocTypeEntry> {
        let group = group.to_lowercase();
        self.entries
            .iter()
            .find(|e| e.abbreviation.is_some_and(|a| a.to_lowercase() == group))
    }

    /// Recognises user input: the code, the full name, the name without its
    /// qualifier (`Quyết định` → the administrative `quyet_dinh`, the first
    /// row in table order), or the abbreviation.
    pub fn lookup(&self, input: &str) -> Option<&DocTypeEntry> {
        let input = vietnamese::canonicalize(input.trim());
        if input.is_empty() {
            return None;
        }
        self.by_code(&input)
            .or_else(|| {
                self.entries.iter().find(|e| {
                    loosely_equal(&input, e.name_vi) || loosely_equal(&input, e.display_name())
                })
            })
            .or_else(|| self.by_abbreviation(&input))
    }
}

//! What the index holds about one record: its metadata and the text of its
//! files, canonical and in search forms, independent of the engine.

use serde::{Deserialize, Serialize};
use vietnamese::TextForms;

use crate::extract::Extraction;

/// The extraction report of one file of a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    /// File name as deposited.
    pub filename: String,
    /// Media type detected at deposit.
    pub media_type: String,
    /// Extractor that ran, or `none`.
    pub extractor: String,
    /// Characters of text kept.
    pub chars: usize,
    /// What was skipped or cut.
    pub notes: Vec<String>,
}

/// One record as the search engine sees it. The text is canonical
/// ([`vietnamese::canonicalize`]) and its search forms are computed once,
/// so any engine behind [`SearchBackend`](crate::SearchBackend) indexes the
/// same terms.
#[derive(Clone, Debug, Default)]
pub struct RecordDoc {
    /// Record id.
    pub record_id: String,
    /// Manifest version indexed.
    pub version: u32,
    /// BLAKE3 (hex) of the manifest version indexed.
    pub manifest_blake3: String,
    /// Title: metadata `title`, else document type, number and issuer.
    pub title: TextForms,
    /// Summary (trích yếu).
    pub summary: TextForms,
    /// Text of all files, one after the other.
    pub body: TextForms,
    /// Document number as written.
    pub doc_number: Option<String>,
    /// Document-number key.
    pub doc_key: Option<String>,
    /// Document type (canonical).
    pub doc_type: Option<String>,
    /// Issuing agency (canonical name, else its code).
    pub agency: Option<String>,
    /// Agency code.
    pub agency_code: Option<String>,
    /// Date of issue.
    pub issued_on: Option<time::Date>,
    /// Dossier reference.
    pub dossier: Option<String>,
    /// Urgency (canonical).
    pub urgency: Option<String>,
    /// Kind (incoming, outgoing, internal).
    pub kind: Option<String>,
    /// Extraction of each file.
    pub files: Vec<FileReport>,
}

fn text_of(metadata: &serde_json::Value, key: &str) -> Option<String> {
    let value = metadata.get(key)?;
    let text = match value {
        serde_json::Value::String(s) => vietnamese::canonicalize(s),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Parses `YYYY-MM-DD` (a longer ISO 8601 timestamp is cut to its date).
pub fn parse_date(text: &str) -> Option<time::Date> {
    let day = text.get(..10)?;
    time::Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

impl RecordDoc {
    /// Builds the document of a record version from its metadata and the
    /// extraction of its files (in file order).
    pub fn new(
        record_id: String,
        version: u32,
        manifest_blake3: String,
        metadata: &serde_json::Value,
        files: Vec<(String, String, Extraction)>,
    ) -> RecordDoc {
        let doc_number = text_of(metadata, "doc_number");
        // Records-law metadata stores the type's code (`quyet_dinh`); index its name.
        let doc_type = text_of(metadata, "doc_type").map(|t| doc_type_name(&t));
        let issuer = text_of(metadata, "issuer");
        let agency_code = text_of(metadata, "issuer_code");
        let title = text_of(metadata, "title").unwrap_or_else(|| {
            [&doc_type, &doc_number, &issuer]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        });
        // Each file's text goes through the pipeline on its own (legacy
        // repair decides per file, as each file has its own encoding); the
        // record's body is the files' forms one after the other.
        let mut body = TextForms::default();
        let mut reports = Vec::new();
        for (filename, media_type, x) in files {
            let f = vietnamese::forms(&x.text);
            reports.push(FileReport {
                filename,
                media_type,
                extractor: x.extractor,
                chars: f.canonical.chars().count(),
                notes: x.notes,
            });
            if !f.canonical.is_empty() {
                if !body.canonical.is_empty() {
                    body.canonical.push('\n');
                    body.exact.push('\n');
                    body.fold.push('\n');
                }
                body.canonical.push_str(&f.canonical);
                body.exact.push_str(&f.exact);
                body.fold.push_str(&f.fold);
            }
        }
        RecordDoc {
            record_id,
            version,
            manifest_blake3,
            title: vietnamese::forms(&title),
            summary: vietnamese::forms(&text_of(metadata, "summary").unwrap_or_default()),
            body,
            doc_key: doc_number.as_deref().and_then(vietnamese::doc_number_key),
            doc_number,
            doc_type,
            agency: issuer.or_else(|| agency_code.clone()),
            agency_code,
            issued_on: text_of(metadata, "issued_on")
                .as_deref()
                .and_then(parse_date),
            dossier: text_of(metadata, "dossier"),
            urgency: text_of(metadata, "urgency"),
            kind: text_of(metadata, "kind"),
            files: reports,
        }
    }
}

/// Parts of a document-number key that a query may give alone: for
/// `5/2016/qd-ubnd`, `5/2016`, `qd-ubnd` and `5`.
pub fn doc_key_parts(key: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let pieces: Vec<&str> = key.split('/').collect();
    if let Some(first) = pieces.first() {
        parts.push((*first).to_string());
    }
    if pieces.len() == 3 {
        parts.push(format!("{}/{}", pieces[0], pieces[1]));
    }
    if pieces.len() >= 2
        && let Some(last) = pieces.last()
    {
        parts.push((*last).to_string());
    }
    parts
}

/// The Vietnamese name of a document type given by code, name or abbreviation;
/// unknown text is kept as it is.
pub fn doc_type_name(t: &str) -> String {
    records::DocTypes::builtin()
        .lookup(t)
        .map(|e| e.display_name().to_string())
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_becomes_canonical_fields() {
        let md = serde_json::json!({
            "doc_number": "05/2016/QĐ-UBND", "doc_type": "Quyết định",
            "issued_on": "2016-03-16", "issuer": "Ủy ban nhân dân tỉnh Nam \u{00D0}ịnh",
            "summary": "Ban hành  quy định", "urgency": null
        });
        let d = RecordDoc::new("r".into(), 1, "m".into(), &md, Vec::new());
        assert_eq!(d.doc_key.as_deref(), Some("5/2016/qd-ubnd"));
        assert_eq!(d.agency.as_deref(), Some("Ủy ban nhân dân tỉnh Nam Định"));
        assert_eq!(d.summary.canonical, "Ban hành quy định");
        assert_eq!(d.issued_on, Some(time::macros::date!(2016 - 03 - 16)));
        assert_eq!(d.urgency, None);
        assert_eq!(
            d.title.canonical,
            "Quyết định 05/2016/QĐ-UBND Ủy ban nhân dân tỉnh Nam Định"
        );
    }

    fn text(t: &str) -> (String, String, Extraction) {
        let x = Extraction {
            text: t.to_string(),
            extractor: "text".into(),
            notes: Vec::new(),
        };
        ("a.txt".into(), "text/plain".into(), x)
    }

    #[test]
    fn each_file_is_repaired_on_its_own() {
        // A legacy word in one file must not make the pipeline read a
        // correct neighbouring file as legacy text (`hòa` once became
        // `hũa` when the joined body was canonicalised again).
        let md = serde_json::json!({});
        let d = RecordDoc::new(
            "r".into(),
            1,
            "m".into(),
            &md,
            vec![text("hòa"), text("Tiªng")],
        );
        let alone = vietnamese::forms("hòa");
        assert!(
            d.body.fold.starts_with(&format!("{}\n", alone.fold)),
            "{:?}",
            d.body
        );
        assert!(
            d.body.exact.starts_with(&format!("{}\n", alone.exact)),
            "{:?}",
            d.body
        );
        assert_eq!(d.body.canonical.lines().next(), Some("hòa"));
        assert_eq!(d.files.len(), 2);
        assert_eq!(d.files[0].chars, 3);
    }

    #[test]
    fn key_parts() {
        assert_eq!(doc_key_parts("5/2016/qd-ubnd"), ["5", "5/2016", "qd-ubnd"]);
        assert_eq!(doc_key_parts("12/qd-ttg"), ["12", "qd-ttg"]);
    }

    #[test]
    fn bad_dates_are_ignored() {
        assert_eq!(parse_date("2016-13-01"), None);
        assert_eq!(parse_date("16/3/2016"), None);
        assert_eq!(parse_date("ngày"), None);
    }
}

//! Format identification by magic bytes (never by file name), and the allowed-format policy.

use serde::{Deserialize, Serialize};

/// Which formats a deposit may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatPolicy {
    /// The formats of DESIGN §5: pdf, docx, doc, odt, rtf, txt, csv, xlsx, xls, ods,
    /// jpeg, png, tiff, xml.
    #[default]
    Standard,
    /// Any bytes (for stores that keep arbitrary files).
    Any,
}

/// Media types accepted under [`FormatPolicy::Standard`].
pub const STANDARD_TYPES: &[&str] = &[
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
    "application/vnd.oasis.opendocument.text",
    "text/rtf",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.spreadsheet",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "text/xml",
    "application/xml",
];

/// Identifies a media type from the first bytes of a file. The file name is only a
/// hint to tell CSV from other plain text.
pub fn identify(head: &[u8], filename_hint: &str) -> String {
    if head.is_empty() {
        return "application/x-empty".into();
    }
    if head.starts_with(b"{\\rtf") {
        return "text/rtf".into();
    }
    if let Some(t) = infer::get(head) {
        let m = t.mime_type();
        // Office formats inside OLE2 containers are reported generically by some
        // detectors; keep what is known.
        return m.to_string();
    }
    let trimmed = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if trimmed.starts_with(b"<?xml") {
        return "application/xml".into();
    }
    if looks_like_text(head) {
        if filename_hint.to_ascii_lowercase().ends_with(".csv") {
            return "text/csv".into();
        }
        return "text/plain".into();
    }
    "application/octet-stream".into()
}

fn looks_like_text(head: &[u8]) -> bool {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return true;
    }
    let sample = &head[..head.len().min(8192)];
    !sample.contains(&0) && sample.iter().filter(|&&b| b < 0x09).count() == 0
}

/// The media type a file name promises, for the formats where a mismatch with the
/// content means the file is not what it claims to be.
pub fn promised_by_name(filename: &str) -> Option<&'static str> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        _ => return None,
    })
}

impl FormatPolicy {
    /// Whether `media_type` may be deposited.
    pub fn allows(self, media_type: &str) -> bool {
        match self {
            FormatPolicy::Any => true,
            FormatPolicy::Standard => STANDARD_TYPES.contains(&media_type),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_identified_by_content_not_name() {
        assert_eq!(identify(b"%PDF-1.7\n...", "x.txt"), "application/pdf");
        assert_eq!(identify("Quyết định".as_bytes(), "x.pdf"), "text/plain");
        assert_eq!(identify(b"a,b\n1,2\n", "so-dang-ky.csv"), "text/csv");
        assert_eq!(
            identify(b"\x00\x01\x02\x03garbage", "x.pdf"),
            "application/octet-stream"
        );
        assert!(!FormatPolicy::Standard.allows("application/octet-stream"));
        assert!(FormatPolicy::Any.allows("application/octet-stream"));
    }
}

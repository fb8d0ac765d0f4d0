//! Text extraction from deposited files, by detected media type.
//!
//! Every extractor runs under [`Limits`] (bytes read, decompressed bytes,
//! pages, time, text kept) and never fails a deposit: what it could not do
//! is said in [`Extraction::notes`], and `extractor` says which one ran (or
//! `none`). Optional external tools (`pdftotext`, `pdftoppm` + `tesseract`,
//! `antiword`, `catdoc`) are used when installed; without them the file is
//! reported as skipped or handled by the pure-Rust fallback.

mod office;
mod rtf;
mod tools;

use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Limits applied to one file.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Files larger than this are not read for text.
    pub max_file_bytes: u64,
    /// Most bytes read out of a compressed container (zip bombs).
    pub max_decompressed_bytes: u64,
    /// Most zip entries in a container.
    pub max_zip_entries: usize,
    /// Most pages rendered for OCR or accepted from a PDF.
    pub max_pages: usize,
    /// Wall-clock time for one file.
    pub timeout: Duration,
    /// Most bytes of text kept per file (cut at a character boundary).
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 << 20,
            max_decompressed_bytes: 64 << 20,
            max_zip_entries: 10_000,
            max_pages: 2_000,
            timeout: Duration::from_secs(60),
            max_text_bytes: 8 << 20,
        }
    }
}

/// What extraction produced for one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extraction {
    /// Which extractor ran (`txt`, `pdftotext`, `pdf-extract`, `docx`,
    /// `odt`, `sheet`, `rtf`, `xml`, `antiword`, `catdoc`, `tesseract`), or
    /// `none`.
    pub extractor: String,
    /// The extracted text, not yet canonicalised.
    pub text: String,
    /// What was skipped or cut, and why (`skipped: tool not installed`, …).
    pub notes: Vec<String>,
}

impl Extraction {
    fn skipped(why: impl Into<String>) -> Self {
        Extraction {
            extractor: "none".into(),
            text: String::new(),
            notes: vec![format!("skipped: {}", why.into())],
        }
    }

    fn of(extractor: &str, text: String) -> Self {
        Extraction {
            extractor: extractor.into(),
            text,
            notes: Vec::new(),
        }
    }
}

/// Result of one extractor: text, or why not.
type Outcome = Result<Extraction, String>;

/// Extracts the text of one file. `media_type` is the type detected at
/// deposit (magic bytes); `filename` only tells apart formats that share a
/// container (an OLE2 `.doc` from an `.xls`). Runs the extractor on its own
/// thread and gives up after [`Limits::timeout`].
pub fn extract(media_type: &str, filename: &str, bytes: Vec<u8>, limits: &Limits) -> Extraction {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Extraction::skipped(format!(
            "file of {} bytes is over the extraction limit of {} bytes",
            bytes.len(),
            limits.max_file_bytes
        ));
    }
    let kind = Kind::of(media_type, filename);
    if kind == Kind::Unsupported {
        return Extraction::skipped(format!("no text extractor for {media_type}"));
    }
    let (tx, rx) = mpsc::channel();
    let worker_limits = limits.clone();
    let spawned = std::thread::Builder::new()
        .name("kho-extract".into())
        .spawn(move || {
            let _ = tx.send(kind.run(&bytes, &worker_limits));
        });
    if let Err(e) = spawned {
        return Extraction::skipped(format!("cannot start the extractor: {e}"));
    }
    let mut out = match rx.recv_timeout(limits.timeout) {
        Ok(Ok(x)) => x,
        Ok(Err(why)) => Extraction::skipped(why),
        Err(mpsc::RecvTimeoutError::Timeout) => Extraction::skipped(format!(
            "time limit of {} s reached",
            limits.timeout.as_secs_f32()
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Extraction::skipped("the extractor failed on malformed input")
        }
    };
    cut_text(&mut out, limits.max_text_bytes);
    out
}

fn cut_text(out: &mut Extraction, max: usize) {
    if out.text.len() > max {
        let mut end = max;
        while !out.text.is_char_boundary(end) {
            end -= 1;
        }
        out.text.truncate(end);
        out.notes
            .push(format!("text cut at {max} bytes (limit of text per file)"));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Pdf,
    Docx,
    Odt,
    Sheet,
    Rtf,
    Xml,
    Doc,
    Image,
    Unsupported,
}

impl Kind {
    fn of(media_type: &str, filename: &str) -> Kind {
        let ext = filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match media_type {
            "text/plain" | "text/csv" => Kind::Text,
            "application/pdf" => Kind::Pdf,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Kind::Docx,
            "application/vnd.oasis.opendocument.text" => Kind::Odt,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/vnd.oasis.opendocument.spreadsheet"
            | "application/vnd.ms-excel" => Kind::Sheet,
            "text/rtf" | "application/rtf" => Kind::Rtf,
            "text/xml" | "application/xml" => Kind::Xml,
            "application/msword" => Kind::Doc,
            "image/jpeg" | "image/png" | "image/tiff" => Kind::Image,
            "application/zip" => match ext.as_str() {
                "docx" => Kind::Docx,
                "odt" => Kind::Odt,
                "xlsx" | "ods" => Kind::Sheet,
                _ => Kind::Unsupported,
            },
            "application/x-ole-storage" | "application/x-cfb" => match ext.as_str() {
                "xls" => Kind::Sheet,
                "doc" => Kind::Doc,
                _ => Kind::Unsupported,
            },
            _ => Kind::Unsupported,
        }
    }

    fn run(self, bytes: &[u8], limits: &Limits) -> Outcome {
        match self {
            Kind::Text => plain_text(bytes),
            Kind::Pdf => pdf(bytes, limits),
            Kind::Docx => office::docx(bytes, limits),
            Kind::Odt => office::odt(bytes, limits),
            Kind::Sheet => office::sheet(bytes, limits),
            Kind::Rtf => Ok(Extraction::of("rtf", rtf::text(bytes))),
            Kind::Xml => office::xml(bytes, limits),
            Kind::Doc => tools::legacy_doc(bytes, limits),
            Kind::Image => tools::ocr_image(bytes, limits),
            Kind::Unsupported => Err("no text extractor".into()),
        }
    }
}

/// Share of control characters and replacement characters above which
/// "text" is taken for binary content.
const MAX_JUNK_SHARE: f64 = 0.10;

/// Plain text (and CSV) in any encoding.
fn plain_text(bytes: &[u8]) -> Outcome {
    let decoded = vietnamese::decode_bytes(bytes, None);
    let total = decoded.text.chars().count().max(1);
    let junk = decoded
        .text
        .chars()
        .filter(|c| {
            *c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{0C}'))
        })
        .count();
    if junk as f64 / total as f64 > MAX_JUNK_SHARE {
        return Err(format!(
            "binary content, not text ({junk} of {total} characters are control or undecodable)"
        ));
    }
    let mut out = Extraction::of("txt", decoded.text);
    if decoded.had_replacements {
        out.notes
            .push("some bytes could not be decoded and were replaced".into());
    }
    Ok(out)
}

/// Characters of a PDF text layer below which its pages are taken as
/// scanned images and OCR is tried.
const MIN_TEXT_LAYER_CHARS: usize = 16;

/// A PDF: `pdftotext` when installed, else the pure-Rust extractor; OCR of
/// the rendered pages when the text layer is empty.
fn pdf(bytes: &[u8], limits: &Limits) -> Outcome {
    let mut notes = Vec::new();
    let layer = match tools::pdftotext(bytes, limits) {
        Some(Ok(text)) => Ok(Extraction::of("pdftotext", text)),
        Some(Err(e)) => Err(e),
        None => pdf_pure(bytes),
    };
    let mut out = match layer {
        Ok(x) => x,
        Err(e) => {
            notes.push(format!("text layer not read: {e}"));
            Extraction::of("none", String::new())
        }
    };
    if out.text.trim().chars().count() < MIN_TEXT_LAYER_CHARS {
        match tools::ocr_pdf(bytes, limits) {
            Ok(ocr) => {
                out.text = ocr.text;
                out.extractor = ocr.extractor;
                notes.extend(ocr.notes);
            }
            Err(e) => notes.push(format!("OCR {e}")),
        }
    }
    out.notes.splice(0..0, notes);
    Ok(out)
}

fn pdf_pure(bytes: &[u8]) -> Outcome {
    // The pure-Rust extractor may panic on malformed files: the caller runs
    // it on a thread of its own and reports a failure when it does.
    let pages = pdf_extract::extract_text_from_mem_by_pages(bytes)
        .map_err(|e| format!("malformed or encrypted PDF ({e})"))?;
    Ok(Extraction::of("pdf-extract", pages.join("\n\u{0C}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_in_windows_1258_is_decoded() {
        // Tone marks are combining characters in windows-1258.
        let bytes = b"Vi\xEA\xF2t Nam \xF0\xF4\xF2c l\xE2\xF2p".to_vec();
        let x = extract("text/plain", "a.txt", bytes, &Limits::default());
        assert_eq!(x.extractor, "txt");
        assert_eq!(vietnamese::canonicalize(&x.text), "Việt Nam độc lập");
    }

    #[test]
    fn binary_junk_named_txt_is_skipped() {
        let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
        let x = extract("text/plain", "junk.txt", junk, &Limits::default());
        assert_eq!(x.extractor, "none");
        assert!(x.notes[0].contains("binary"), "{:?}", x.notes);
    }

    #[test]
    fn text_is_cut_at_the_limit_on_a_character_boundary() {
        let limits = Limits {
            max_text_bytes: 5,
            ..Limits::default()
        };
        let x = extract("text/plain", "a.txt", "ăăăăă".as_bytes().to_vec(), &limits);
        assert_eq!(x.text, "ăă");
        assert!(x.notes.iter().any(|n| n.contains("cut")));
    }

    #[test]
    fn unknown_types_say_so() {
        let x = extract(
            "application/octet-stream",
            "x.bin",
            vec![1, 2, 3],
            &Limits::default(),
        );
        assert!(x.notes[0].starts_with("skipped: no text extractor"));
    }
}

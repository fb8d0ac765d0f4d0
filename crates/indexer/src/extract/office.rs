//! Zip + XML documents (docx, odt), spreadsheets (calamine) and plain XML.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::Event;

use super::{Extraction, Limits, Outcome};

/// Opens a zip container after checking entry count and the declared
/// decompressed size against the limits.
fn open_zip<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<zip::ZipArchive<Cursor<&'a [u8]>>, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip container ({e})"))?;
    if zip.len() > limits.max_zip_entries {
        return Err(format!(
            "zip container with {} entries (limit {})",
            zip.len(),
            limits.max_zip_entries
        ));
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| format!("damaged zip entry {i} ({e})"))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.max_decompressed_bytes {
        return Err(format!(
            "zip container declares {declared} decompressed bytes (limit {}): possible zip bomb",
            limits.max_decompressed_bytes
        ));
    }
    Ok(zip)
}

/// Streams the text of one XML entry of a zip container, reading at most
/// the decompressed-size limit (the declared sizes may lie).
fn zip_entry_text(
    bytes: &[u8],
    entry: &str,
    limits: &Limits,
    style: XmlStyle,
) -> Result<String, String> {
    let mut zip = open_zip(bytes, limits)?;
    let file = zip
        .by_name(entry)
        .map_err(|e| format!("{entry} not found in the container ({e})"))?;
    let mut reader = LimitedRead {
        inner: file,
        left: limits.max_decompressed_bytes,
    };
    let text = xml_text(BufReader::new(&mut reader), style, limits.max_text_bytes)?;
    if reader.left == 0 {
        return Err(format!(
            "{entry} decompresses past {} bytes: possible zip bomb",
            limits.max_decompressed_bytes
        ));
    }
    Ok(text)
}

/// A reader that fails once more than `left` bytes have been read.
struct LimitedRead<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for LimitedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("decompressed size limit reached"));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Which elements break lines and which hold tabs or spaces.
#[derive(Clone, Copy)]
enum XmlStyle {
    /// WordprocessingML.
    Docx,
    /// OpenDocument text.
    Odt,
    /// Any XML: every element ends a line.
    Generic,
}

impl XmlStyle {
    /// What an element adds to the text where it ends (or, when empty,
    /// where it stands).
    fn separator(self, local: &str) -> Option<&'static str> {
        match self {
            XmlStyle::Docx => match local {
                "p" | "br" | "cr" | "tr" => Some("\n"),
                "tab" | "tc" => Some("\t"),
                _ => None,
            },
            XmlStyle::Odt => match local {
                "p" | "h" | "line-break" | "table-row" => Some("\n"),
                "tab" | "table-cell" => Some("\t"),
                "s" => Some(" "),
                _ => None,
            },
            XmlStyle::Generic => Some("\n"),
        }
    }
}

/// Collects the character data of an XML document.
fn xml_text<R: std::io::BufRead>(
    input: R,
    style: XmlStyle,
    max_text: usize,
) -> Result<String, String> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut out = String::new();
    // Docx keeps deleted revisions and field codes in the XML; they are not
    // the text of the document.
    let mut hidden_depth = 0usize;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("malformed XML at byte {} ({e})", reader.buffer_position()))?;
        match event {
            Event::Start(e)
                if matches!(style, XmlStyle::Docx)
                    && matches!(e.local_name().into_inner(), "delText" | "instrText") =>
            {
                hidden_depth += 1;
            }
            Event::End(e) => {
                let local = e.local_name().into_inner();
                if matches!(style, XmlStyle::Docx) && matches!(local, "delText" | "instrText") {
                    hidden_depth = hidden_depth.saturating_sub(1);
                }
                if let Some(sep) = style.separator(local) {
                    out.push_str(sep);
                }
            }
            Event::Empty(e) => {
                if let Some(sep) = style.separator(e.local_name().into_inner()) {
                    out.push_str(sep);
                }
            }
            Event::Text(t) if hidden_depth == 0 => out.push_str(&t.xml10_content()),
            Event::CData(t) if hidden_depth == 0 => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if hidden_depth == 0 => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else {
                    match &*r.into_inner() {
                        "amp" => out.push('&'),
                        "lt" => out.push('<'),
                        "gt" => out.push('>'),
                        "quot" => out.push('"'),
                        "apos" => out.push('\''),
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if out.len() > max_text {
            break;
        }
        buf.clear();
    }
    Ok(out)
}

/// Word documents (Office Open XML).
pub(super) fn docx(bytes: &[u8], limits: &Limits) -> Outcome {
    let text = zip_entry_text(bytes, "word/document.xml", limits, XmlStyle::Docx)?;
    Ok(Extraction::of("docx", text))
}

/// OpenDocument text.
pub(super) fn odt(bytes: &[u8], limits: &Limits) -> Outcome {
    let text = zip_entry_text(bytes, "content.xml", limits, XmlStyle::Odt)?;
    Ok(Extraction::of("odt", text))
}

/// Any XML document (edXML envelopes, exports): its character data.
pub(super) fn xml(bytes: &[u8], limits: &Limits) -> Outcome {
    let text = xml_text(
        BufReader::new(bytes),
        XmlStyle::Generic,
        limits.max_text_bytes,
    )?;
    Ok(Extraction::of("xml", text))
}

/// Spreadsheets: xlsx, ods, xls. Cells of a row joined by tabs.
pub(super) fn sheet(bytes: &[u8], limits: &Limits) -> Outcome {
    use calamine::{DataType as _, Reader as _};
    if bytes.starts_with(b"PK") {
        // Check the container before calamine inflates it.
        open_zip(bytes, limits)?;
    }
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("not a readable spreadsheet ({e})"))?;
    let mut out = String::new();
    let mut notes = Vec::new();
    for name in book.sheet_names() {
        match book.worksheet_range(&name) {
            Ok(range) => {
                out.push_str(&name);
                out.push('\n');
                for row in range.rows() {
                    let cells: Vec<String> = row
                        .iter()
                        .filter(|c| !c.is_empty())
                        .map(ToString::to_string)
                        .collect();
                    if !cells.is_empty() {
                        out.push_str(&cells.join("\t"));
                        out.push('\n');
                    }
                    if out.len() > limits.max_text_bytes {
                        break;
                    }
                }
            }
            Err(e) => notes.push(format!("sheet {name:?} not read ({e})")),
        }
        if out.len() > limits.max_text_bytes {
            break;
        }
    }
    let mut x = Extraction::of("sheet", out);
    x.notes = notes;
    Ok(x)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            w.write_all(data).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
    }

    #[test]
    fn docx_paragraphs_become_lines() {
        let xml = r#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Quyết định</w:t></w:r></w:p><w:p><w:r><w:t>văn bản &amp; hồ sơ</w:t><w:delText>xoá</w:delText></w:r></w:p></w:body></w:document>"#.as_bytes();
        let bytes = zip_of(&[("word/document.xml", xml)]);
        let x = docx(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(x.text, "Quyết định\nvăn bản & hồ sơ\n");
    }

    #[test]
    fn odt_text_is_read() {
        let xml = r#"<office:document-content xmlns:office="o" xmlns:text="t"><office:body><text:h>Điều 1</text:h><text:p>Phạm<text:s/>vi</text:p></office:body></office:document-content>"#.as_bytes();
        let bytes = zip_of(&[("content.xml", xml)]);
        let x = odt(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(x.text, "Điều 1\nPhạm vi\n");
    }

    #[test]
    fn zip_bomb_is_refused() {
        let big = vec![b'a'; 4 << 20];
        let mut xml = b"<w:document xmlns:w=\"w\"><w:t>".to_vec();
        xml.extend_from_slice(&big);
        xml.extend_from_slice(b"</w:t></w:document>");
        let bytes = zip_of(&[("word/document.xml", &xml)]);
        let limits = Limits {
            max_decompressed_bytes: 1 << 20,
            ..Limits::default()
        };
        let e = docx(&bytes, &limits).err().unwrap_or_default();
        assert!(e.contains("zip bomb"), "{e}");
    }
}

//! Rich Text Format: the text of the document body.
//!
//! Handles groups, control words, `\'hh` bytes in the document code page
//! (`\ansicpg`, windows-1258 for Vietnamese), `\uN` characters with their
//! `\ucN` fallbacks, and skips destinations that are not text (font and
//! colour tables, styles, pictures, `{\*\…}` groups).

/// Destinations whose content is not document text.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "header",
    "footer",
    "headerl",
    "headerr",
    "footerl",
    "footerr",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "xmlnstbl",
    "filetbl",
    "revtbl",
    "fldinst",
];

/// Most nested groups followed; deeper ones are read as text of the
/// deepest tracked group.
const MAX_DEPTH: usize = 256;

#[derive(Clone, Copy)]
struct Group {
    skip: bool,
    uc: usize,
}

/// The text of an RTF document. Never fails: malformed input gives what
/// could be read.
pub(super) fn text(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut codepage: &'static encoding_rs::Encoding = encoding_rs::WINDOWS_1252;
    let mut stack: Vec<Group> = Vec::new();
    let mut cur = Group { skip: false, uc: 1 };
    let mut skip_chars = 0usize;
    let mut i = 0;
    let flush = |pending: &mut Vec<u8>, out: &mut String, cp: &'static encoding_rs::Encoding| {
        if !pending.is_empty() {
            let (t, _) = cp.decode_without_bom_handling(pending);
            out.push_str(&t);
            pending.clear();
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'{' => {
                flush(&mut pending, &mut out, codepage);
                if stack.len() < MAX_DEPTH {
                    stack.push(cur);
                }
                i += 1;
                if bytes.get(i..i + 2) == Some(b"\\*") {
                    cur.skip = true;
                    i += 2;
                }
            }
            b'}' => {
                flush(&mut pending, &mut out, codepage);
                cur = stack.pop().unwrap_or(Group { skip: false, uc: 1 });
                i += 1;
            }
            b'\\' => {
                i += 1;
                let Some(&c) = bytes.get(i) else { break };
                if c.is_ascii_alphabetic() {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[start..i]).unwrap_or("");
                    let num_start = i;
                    if i < bytes.len() && (bytes[i] == b'-' || bytes[i].is_ascii_digit()) {
                        i += 1;
                        while i < bytes.len() && bytes[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                    let param: Option<i64> = std::str::from_utf8(&bytes[num_start..i])
                        .ok()
                        .and_then(|s| s.parse().ok());
                    if bytes.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    if skip_chars > 0 {
                        skip_chars -= 1;
                        continue;
                    }
                    if SKIPPED.contains(&word) {
                        cur.skip = true;
                        continue;
                    }
                    if cur.skip {
                        continue;
                    }
                    match word {
                        "par" | "line" | "row" | "sect" | "page" => {
                            flush(&mut pending, &mut out, codepage);
                            out.push('\n');
                        }
                        "tab" | "cell" => {
                            flush(&mut pending, &mut out, codepage);
                            out.push('\t');
                        }
                        "ansicpg" => {
                            if let Some(cp) = param.and_then(|p| u16::try_from(p).ok()) {
                                codepage = code_page(cp);
                            }
                        }
                        "uc" => cur.uc = param.and_then(|p| usize::try_from(p).ok()).unwrap_or(1),
                        "u" => {
                            flush(&mut pending, &mut out, codepage);
                            if let Some(p) = param {
                                // Negative values stand for code units above 32767.
                                let unit = if p < 0 { p + 65_536 } else { p };
                                if let Some(c) = u32::try_from(unit).ok().and_then(char::from_u32) {
                                    out.push(c);
                                }
                            }
                            skip_chars = cur.uc;
                        }
                        "emdash" => out.push('—'),
                        "endash" => out.push('–'),
                        "lquote" => out.push('‘'),
                        "rquote" => out.push('’'),
                        "ldblquote" => out.push('“'),
                        "rdblquote" => out.push('”'),
                        "bullet" => out.push('•'),
                        _ => {}
                    }
                } else if c == b'\'' {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    i += 3;
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        if skip_chars > 0 {
                            skip_chars -= 1;
                        } else if !cur.skip {
                            pending.push(v);
                        }
                    }
                } else {
                    i += 1;
                    if cur.skip {
                        continue;
                    }
                    match c {
                        b'~' => pending.push(b' '),
                        b'\\' | b'{' | b'}' => pending.push(c),
                        b'\n' | b'\r' => {
                            flush(&mut pending, &mut out, codepage);
                            out.push('\n');
                        }
                        _ => {}
                    }
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                if skip_chars > 0 {
                    skip_chars -= 1;
                } else if !cur.skip {
                    pending.push(b);
                }
                i += 1;
            }
        }
    }
    flush(&mut pending, &mut out, codepage);
    out
}

fn code_page(cp: u16) -> &'static encoding_rs::Encoding {
    match cp {
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        1257 => encoding_rs::WINDOWS_1257,
        1258 => encoding_rs::WINDOWS_1258,
        65001 => encoding_rs::UTF_8,
        _ => encoding_rs::WINDOWS_1252,
    }
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn unicode_escapes_and_paragraphs_are_read() {
        let rtf = br"{\rtf1\ansi\ansicpg1258{\fonttbl{\f0 Times;}}{\*\generator x;}\uc1 Quy\u7871?t \u273?\u7883?nh\par v\'e3n b\u7843?n}";
        assert_eq!(text(rtf), "Quyết định\nvăn bản");
    }

    #[test]
    fn code_page_bytes_are_decoded() {
        let rtf = br"{\rtf1\ansi\ansicpg1258 Vi\'eat Nam}";
        assert_eq!(vietnamese::canonicalize(&text(rtf)), "Viêt Nam");
    }

    #[test]
    fn malformed_rtf_gives_what_it_can() {
        assert_eq!(text(br"{\rtf1 abc\'"), "abc");
        assert_eq!(text(b"}}}{{{\\"), "");
    }
}

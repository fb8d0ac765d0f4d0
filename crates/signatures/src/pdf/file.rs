//! The file structure of a PDF: cross-reference sections (tables and
//! streams) chained by `/Prev`, one per revision, and access to objects as
//! they were in any revision.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::rc::Rc;

use super::object::{Dict, Object, ParseError, Parser, StreamData, parse_uint};
use crate::error::SignatureError;

/// Largest window read to parse one object (dictionaries only; stream data
/// is read separately).
const MAX_OBJECT_WINDOW: usize = 8 * 1024 * 1024;
/// Largest decoded stream (object and cross-reference streams).
const MAX_DECODED_STREAM: usize = 64 * 1024 * 1024;
/// Most cross-reference sections (revisions) followed.
const MAX_SECTIONS: usize = 1000;
/// Most entries in one cross-reference section.
const MAX_XREF_ENTRIES: usize = 4_000_000;
/// Most `%%EOF` markers recorded.
const MAX_EOF_MARKERS: usize = 100_000;

fn pdf_err(what: impl Into<String>) -> SignatureError {
    SignatureError::Pdf(what.into())
}

/// One cross-reference entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XrefEntry {
    Free,
    InUse { offset: u64 },
    Compressed { stream: u32, index: u32 },
}

/// One cross-reference section: the objects one revision (re)defines.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub entries: HashMap<u32, XrefEntry>,
    pub trailer: Dict,
    /// Where the revision ends: just after its `%%EOF` line.
    pub end: Option<u64>,
}

/// Random access to the caller's reader.
pub(crate) struct Source<R> {
    reader: R,
    len: u64,
}

impl<R: Read + Seek> Source<R> {
    pub(crate) fn new(mut reader: R) -> Result<Self, SignatureError> {
        let len = reader
            .seek(SeekFrom::End(0))
            .map_err(|source| SignatureError::Io { offset: 0, source })?;
        Ok(Source { reader, len })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn reader(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the file).
    pub(crate) fn read_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, SignatureError> {
        if offset >= self.len {
            return Ok(Vec::new());
        }
        let avail = usize::try_from(self.len - offset).unwrap_or(usize::MAX);
        let len = len.min(avail);
        self.reader
            .seek(SeekFrom::Start(offset))
            .map_err(|source| SignatureError::Io { offset, source })?;
        let mut buf = vec![0u8; len];
        let mut filled = 0;
        while filled < len {
            let n = self
                .reader
                .read(&mut buf[filled..])
                .map_err(|source| SignatureError::Io { offset, source })?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        Ok(buf)
    }

    /// Runs `f` on a parser over a window at `offset`, growing the window
    /// while the parse is incomplete.
    fn parse_at<T>(
        &mut self,
        offset: u64,
        mut f: impl FnMut(&mut Parser<'_>) -> Result<T, ParseError>,
    ) -> Result<T, SignatureError> {
        let mut window = 4096usize;
        loop {
            let buf = self.read_at(offset, window)?;
            let at_eof = offset + buf.len() as u64 >= self.len;
            let mut p = Parser::new(&buf, offset, at_eof);
            match f(&mut p) {
                Ok(v) => return Ok(v),
                Err(ParseError::Invalid(e)) => return Err(pdf_err(e)),
                Err(ParseError::Incomplete) => {
                    if at_eof || window >= MAX_OBJECT_WINDOW {
                        return Err(pdf_err(format!("object at offset {offset} is too large")));
                    }
                    window *= 4;
                }
            }
        }
    }
}

/// An indirect object as parsed: number and value.
struct Indirect {
    num: u32,
    value: Object,
}

/// A PDF opened for reading its revisions.
pub(crate) struct Document<R> {
    pub src: Source<R>,
    /// Oldest first.
    pub sections: Vec<Section>,
    /// Ends of all `%%EOF` lines, ascending.
    pub eof_ends: Vec<u64>,
    objstm_cache: HashMap<u64, Rc<ObjStm>>,
    /// Object-resolution budget, so cyclic or huge graphs stay bounded.
    pub budget: usize,
}

struct ObjStm {
    data: Vec<u8>,
    /// (object number, offset in data).
    index: Vec<(u32, usize)>,
}

impl<R: Read + Seek> Document<R> {
    /// Opens the document: checks the header, finds `startxref` at the end
    /// and reads every cross-reference section.
    pub(crate) fn open(reader: R) -> Result<Self, SignatureError> {
        let mut src = Source::new(reader)?;
        let head = src.read_at(0, 1024)?;
        if find(&head, b"%PDF-").is_none() {
            return Err(pdf_err("no %PDF- header; not a PDF"));
        }
        let tail_len = 2048.min(src.len());
        let tail_start = src.len() - tail_len;
        let tail = src.read_at(tail_start, tail_len as usize)?;
        let sx = rfind(&tail, b"startxref")
            .ok_or_else(|| pdf_err("no startxref near the end of the file (truncated?)"))?;
        if find(&tail[sx..], b"%%EOF").is_none() {
            return Err(pdf_err("no %%EOF after startxref (truncated?)"));
        }
        let mut p = Parser::new(&tail[sx + 9..], tail_start + sx as u64 + 9, true);
        let start = p
            .uint()
            .map_err(|_| pdf_err("startxref is not followed by an offset"))?;

        let mut doc = Document {
            src,
            sections: Vec::new(),
            eof_ends: Vec::new(),
            objstm_cache: HashMap::new(),
            budget: 200_000,
        };
        doc.eof_ends = doc.scan_eof_markers()?;
        let mut next = Some(start);
        let mut seen = HashSet::new();
        while let Some(offset) = next {
            if !seen.insert(offset) {
                return Err(pdf_err(format!(
                    "cross-reference chain loops at offset {offset}"
                )));
            }
            if doc.sections.len() >= MAX_SECTIONS {
                return Err(SignatureError::Limit(format!(
                    "more than {MAX_SECTIONS} revisions"
                )));
            }
            let mut section = doc.read_section(offset)?;
            if let Some(stm) = section.trailer.int(b"XRefStm") {
                // Hybrid file: the stream supplements the table.
                if let Ok(extra) = u64::try_from(stm).map_err(|_| pdf_err("bad /XRefStm"))
                    && let Ok(extra) = doc.read_section(extra)
                {
                    for (k, v) in extra.entries {
                        section.entries.entry(k).or_insert(v);
                    }
                }
            }
            next = match section.trailer.get(b"Prev") {
                Some(Object::Int(i)) => {
                    Some(u64::try_from(*i).map_err(|_| pdf_err("negative /Prev offset"))?)
                }
                Some(_) => return Err(pdf_err("/Prev is not an offset")),
                None => None,
            };
            section.end = doc.eof_ends.iter().copied().find(|e| *e > offset);
            doc.sections.push(section);
        }
        doc.sections.reverse();
        Ok(doc)
    }

    fn scan_eof_markers(&mut self) -> Result<Vec<u64>, SignatureError> {
        const CHUNK: usize = 1 << 20;
        let mut ends = Vec::new();
        let mut offset = 0u64;
        let len = self.src.len();
        while offset < len {
            // Overlap by 7 bytes so a marker (and its EOL) across chunks is seen.
            let buf = self.src.read_at(offset, CHUNK + 7)?;
            let mut i = 0;
            while let Some(pos) = find(&buf[i..], b"%%EOF") {
                let at = i + pos;
                if at >= CHUNK && offset + (CHUNK as u64) < len {
                    break;
                }
                let mut end = at + 5;
                if buf.get(end) == Some(&b'\r') {
                    end += 1;
                }
                if buf.get(end) == Some(&b'\n') {
                    end += 1;
                }
                ends.push(offset + end as u64);
                if ends.len() > MAX_EOF_MARKERS {
                    return Err(SignatureError::Limit("too many %%EOF markers".into()));
                }
                i = at + 5;
            }
            offset += CHUNK as u64;
        }
        Ok(ends)
    }

    fn read_section(&mut self, offset: u64) -> Result<Section, SignatureError> {
        let head = self.src.read_at(offset, 4)?;
        if head == b"xref" {
            self.read_xref_table(offset)
        } else {
            self.read_xref_stream(offset)
        }
    }

    fn read_xref_table(&mut self, offset: u64) -> Result<Section, SignatureError> {
        let mut entries = HashMap::new();
        let mut pos = offset + 4;
        loop {
            // Subsection header or "trailer".
            let (tok, after) = self.src.parse_at(pos, |p| {
                let t = p.token()?.to_vec();
                Ok((t, p.offset()))
            })?;
            if tok == b"trailer" {
                let trailer = self.src.parse_at(after, |p| p.object())?;
                let Object::Dict(trailer) = trailer else {
                    return Err(pdf_err("trailer is not a dictionary"));
                };
                return Ok(Section {
                    entries,
                    trailer,
                    end: None,
                });
            }
            let first = parse_uint(&tok).ok_or_else(|| {
                pdf_err(format!("bad cross-reference subsection at offset {pos}"))
            })?;
            let (count, data_at) = self.src.parse_at(after, |p| {
                let c = p.uint()?;
                p.skip_ws();
                Ok((c, p.offset()))
            })?;
            if count.saturating_add(entries.len() as u64) > MAX_XREF_ENTRIES as u64 {
                return Err(SignatureError::Limit(
                    "cross-reference table too large".into(),
                ));
            }
            // Cannot overflow: count is at most MAX_XREF_ENTRIES here.
            let need = usize::try_from(count * 20).map_err(|_| pdf_err("xref too large"))?;
            let data = self.src.read_at(data_at, need)?;
            if data.len() < need {
                return Err(pdf_err(
                    "cross-reference table runs past the end of the file",
                ));
            }
            for (i, line) in data.chunks(20).enumerate() {
                let num = u32::try_from(first.saturating_add(i as u64))
                    .map_err(|_| pdf_err("object number too large"))?;
                let off = parse_uint(&line[0..10]);
                let kind = line[17];
                let entry = match (kind, off) {
                    (b'n', Some(o)) => XrefEntry::InUse { offset: o },
                    (b'f', _) => XrefEntry::Free,
                    _ => {
                        return Err(pdf_err(format!(
                            "bad cross-reference entry for object {num}"
                        )));
                    }
                };
                entries.insert(num, entry);
            }
            pos = data_at + need as u64;
        }
    }

    fn read_xref_stream(&mut self, offset: u64) -> Result<Section, SignatureError> {
        let obj = self.parse_indirect(offset, None, 0)?;
        let Object::Stream(dict, data) = obj.value else {
            return Err(pdf_err(format!(
                "startxref or /Prev offset {offset} points neither to a table nor a stream"
            )));
        };
        if dict.name(b"Type") != Some(b"XRef") {
            return Err(pdf_err(format!(
                "object at {offset} is not a cross-reference stream"
            )));
        }
        let raw = self.decode_stream(&dict, data)?;
        let widths: Vec<usize> = match dict.get(b"W") {
            Some(Object::Array(w)) if w.len() == 3 => w
                .iter()
                .map(|o| match o {
                    Object::Int(i) if (0..=8).contains(i) => Ok(*i as usize),
                    _ => Err(pdf_err("bad /W in cross-reference stream")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(pdf_err("missing /W in cross-reference stream")),
        };
        let row = widths.iter().sum::<usize>();
        if row == 0 {
            return Err(pdf_err("empty /W in cross-reference stream"));
        }
        let size = dict.int(b"Size").unwrap_or(0);
        let index: Vec<i64> = match dict.get(b"Index") {
            Some(Object::Array(a)) => a
                .iter()
                .map(|o| match o {
                    Object::Int(i) => Ok(*i),
                    _ => Err(pdf_err("bad /Index")),
                })
                .collect::<Result<_, _>>()?,
            _ => vec![0, size],
        };
        let mut entries = HashMap::new();
        let mut rows = raw.chunks_exact(row);
        for pair in index.chunks(2) {
            let [first, count] = pair else {
                return Err(pdf_err("odd /Index"));
            };
            if *first < 0 || *count < 0 {
                return Err(pdf_err("negative /Index"));
            }
            for i in 0..*count {
                let Some(r) = rows.next() else {
                    break;
                };
                let field = |n: usize| -> u64 {
                    let start: usize = widths[..n].iter().sum();
                    r[start..start + widths[n]]
                        .iter()
                        .fold(0u64, |acc, b| acc << 8 | u64::from(*b))
                };
                let kind = if widths[0] == 0 { 1 } else { field(0) };
                let num = u32::try_from(first.saturating_add(i))
                    .map_err(|_| pdf_err("object number too large"))?;
                let entry = match kind {
                    0 => XrefEntry::Free,
                    1 => XrefEntry::InUse { offset: field(1) },
                    2 => XrefEntry::Compressed {
                        stream: u32::try_from(field(1))
                            .map_err(|_| pdf_err("bad object stream"))?,
                        index: u32::try_from(field(2)).map_err(|_| pdf_err("bad index"))?,
                    },
                    _ => continue,
                };
                entries.insert(num, entry);
            }
        }
        Ok(Section {
            entries,
            trailer: dict,
            end: None,
        })
    }

    /// Parses `N G obj ... endobj` at `offset`; stream lengths given by
    /// reference are resolved in revision `rev` (or the latest).
    fn parse_indirect(
        &mut self,
        offset: u64,
        rev: Option<usize>,
        depth: usize,
    ) -> Result<Indirect, SignatureError> {
        let (num, value, stream_at) = self.src.parse_at(offset, |p| {
            let num = p.uint()?;
            let _generation = p.uint()?;
            p.keyword(b"obj")?;
            let value = p.object()?;
            let stream_at = if matches!(value, Object::Dict(_)) {
                p.stream_start()?
            } else {
                None
            };
            Ok((num, value, stream_at))
        })?;
        let num = u32::try_from(num).map_err(|_| pdf_err("object number too large"))?;
        let value = match (value, stream_at) {
            (Object::Dict(d), Some(at)) => {
                let len = match d.get(b"Length") {
                    Some(Object::Int(n)) => u64::try_from(*n).ok(),
                    Some(Object::Ref(n, _)) => {
                        let rev = rev.unwrap_or(self.sections.len().saturating_sub(1));
                        match self.resolve_num(*n, rev, depth + 1)? {
                            Some(Object::Int(n)) => u64::try_from(n).ok(),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                let len =
                    len.ok_or_else(|| pdf_err(format!("stream {num} has no usable /Length")))?;
                if at.checked_add(len).is_none_or(|end| end > self.src.len()) {
                    return Err(pdf_err(format!(
                        "stream {num} runs past the end of the file"
                    )));
                }
                Object::Stream(d, StreamData { offset: at, len })
            }
            (v, _) => v,
        };
        Ok(Indirect { num, value })
    }

    /// Reads and decodes a stream's data (FlateDecode and predictors only).
    pub(crate) fn decode_stream(
        &mut self,
        dict: &Dict,
        data: StreamData,
    ) -> Result<Vec<u8>, SignatureError> {
        if data.len > MAX_DECODED_STREAM as u64 {
            return Err(SignatureError::Limit("stream too large".into()));
        }
        let raw = self.src.read_at(data.offset, data.len as usize)?;
        let filters: Vec<Vec<u8>> = match dict.get(b"Filter") {
            None => Vec::new(),
            Some(Object::Name(n)) => vec![n.clone()],
            Some(Object::Array(a)) => a
                .iter()
                .filter_map(|o| match o {
                    Object::Name(n) => Some(n.clone()),
                    _ => None,
                })
                .collect(),
            Some(_) => return Err(pdf_err("bad /Filter")),
        };
        let mut out = raw;
        for f in &filters {
            if f != b"FlateDecode" {
                return Err(SignatureError::Unsupported(format!(
                    "stream filter {}",
                    String::from_utf8_lossy(f)
                )));
            }
            out = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&out, MAX_DECODED_STREAM)
                .map_err(|_| pdf_err("stream does not inflate"))?;
        }
        let params = match dict.get(b"DecodeParms") {
            Some(Object::Dict(d)) => Some(d.clone()),
            Some(Object::Array(a)) => a.iter().find_map(|o| match o {
                Object::Dict(d) => Some(d.clone()),
                _ => None,
            }),
            _ => None,
        };
        if let Some(params) = params {
            let predictor = params.int(b"Predictor").unwrap_or(1);
            if predictor >= 10 {
                let columns = params.int(b"Columns").unwrap_or(1);
                let columns = usize::try_from(columns)
                    .ok()
                    .filter(|c| (1..=1 << 20).contains(c))
                    .ok_or_else(|| pdf_err("bad /Columns"))?;
                out = png_unpredict(&out, columns)?;
            } else if predictor != 1 {
                return Err(SignatureError::Unsupported(format!(
                    "predictor {predictor}"
                )));
            }
        }
        Ok(out)
    }

    /// The cross-reference entry for object `num` as of revision `rev`.
    pub(crate) fn entry(&self, num: u32, rev: usize) -> Option<XrefEntry> {
        self.sections
            .iter()
            .take(rev + 1)
            .rev()
            .find_map(|s| s.entries.get(&num).copied())
    }

    /// Object `num` as of revision `rev`; `None` if free or absent.
    pub(crate) fn resolve_num(
        &mut self,
        num: u32,
        rev: usize,
        depth: usize,
    ) -> Result<Option<Object>, SignatureError> {
        if depth > 8 {
            return Err(pdf_err("references nested too deeply"));
        }
        if self.budget == 0 {
            return Err(SignatureError::Limit("object graph too large".into()));
        }
        self.budget -= 1;
        match self.entry(num, rev) {
            None | Some(XrefEntry::Free) => Ok(None),
            Some(XrefEntry::InUse { offset }) => {
                let obj = self.parse_indirect(offset, Some(rev), depth)?;
                if obj.num != num {
                    return Err(pdf_err(format!(
                        "cross-reference entry of object {num} points to object {}",
                        obj.num
                    )));
                }
                Ok(Some(obj.value))
            }
            Some(XrefEntry::Compressed { stream, index }) => {
                let stm = self.object_stream(stream, rev, depth)?;
                let Some(&(n, at)) = stm.index.get(index as usize) else {
                    return Err(pdf_err(format!(
                        "object {num} missing from its object stream"
                    )));
                };
                if n != num {
                    return Err(pdf_err(format!(
                        "object stream {stream} does not hold object {num}"
                    )));
                }
                let slice = stm.data.get(at..).unwrap_or_default();
                let mut p = Parser::new(slice, 0, true);
                p.object().map(Some).map_err(|e| pdf_err(format!("{e:?}")))
            }
        }
    }

    fn object_stream(
        &mut self,
        num: u32,
        rev: usize,
        depth: usize,
    ) -> Result<Rc<ObjStm>, SignatureError> {
        let Some(XrefEntry::InUse { offset }) = self.entry(num, rev) else {
            return Err(pdf_err(format!(
                "object stream {num} is not a plain object"
            )));
        };
        if let Some(s) = self.objstm_cache.get(&offset) {
            return Ok(Rc::clone(s));
        }
        let obj = self.parse_indirect(offset, Some(rev), depth + 1)?;
        let Object::Stream(dict, data) = obj.value else {
            return Err(pdf_err(format!("object stream {num} is not a stream")));
        };
        let decoded = self.decode_stream(&dict, data)?;
        let n = dict.int(b"N").unwrap_or(0);
        let first =
            usize::try_from(dict.int(b"First").unwrap_or(0)).map_err(|_| pdf_err("bad /First"))?;
        let mut p = Parser::new(&decoded, 0, true);
        let mut index = Vec::new();
        for _ in 0..n.clamp(0, 1_000_000) {
            let (Ok(obj_num), Ok(off)) = (p.uint(), p.uint()) else {
                break;
            };
            let (Ok(obj_num), Ok(off)) = (u32::try_from(obj_num), usize::try_from(off)) else {
                break;
            };
            index.push((obj_num, first.saturating_add(off)));
        }
        let stm = Rc::new(ObjStm {
            data: decoded,
            index,
        });
        self.objstm_cache.insert(offset, Rc::clone(&stm));
        Ok(stm)
    }

    /// Resolves a reference (or returns a direct object) in revision `rev`.
    pub(crate) fn resolve(&mut self, obj: &Object, rev: usize) -> Result<Object, SignatureError> {
        let mut current = obj.clone();
        for _ in 0..8 {
            match current {
                Object::Ref(n, _) => {
                    current = self.resolve_num(n, rev, 0)?.unwrap_or(Object::Null);
                }
                other => return Ok(other),
            }
        }
        Err(pdf_err("reference chain too long"))
    }

    /// The latest revision index.
    pub(crate) fn latest(&self) -> usize {
        self.sections.len().saturating_sub(1)
    }

    /// The trailer entry `key` as of revision `rev` (inherited from older
    /// trailers when a section omits it).
    pub(crate) fn trailer_get(&self, key: &[u8], rev: usize) -> Option<Object> {
        self.sections
            .iter()
            .take(rev + 1)
            .rev()
            .find_map(|s| s.trailer.get(key).cloned())
    }

    /// Feeds the raw bytes of a stream to `f` in chunks.
    pub(crate) fn stream_digest(&mut self, data: StreamData) -> Result<Vec<u8>, SignatureError> {
        crate::digest::digest_ranges(
            self.src.reader(),
            &[(data.offset, data.len)],
            crate::digest::DigestAlgorithm::Sha256,
        )
    }
}

fn png_unpredict(data: &[u8], columns: usize) -> Result<Vec<u8>, SignatureError> {
    let row = columns + 1;
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; columns];
    for chunk in data.chunks(row) {
        if chunk.len() < row {
            break;
        }
        let kind = chunk[0];
        let mut cur = chunk[1..].to_vec();
        for i in 0..columns {
            let left = if i > 0 { cur[i - 1] } else { 0 };
            let up = prev[i];
            let up_left = if i > 0 { prev[i - 1] } else { 0 };
            cur[i] = match kind {
                0 => cur[i],
                1 => cur[i].wrapping_add(left),
                2 => cur[i].wrapping_add(up),
                3 => cur[i].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => cur[i].wrapping_add(paeth(left, up, up_left)),
                _ => return Err(pdf_err("bad PNG predictor row")),
            };
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle)
}

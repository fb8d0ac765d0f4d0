//! edXML (QCVN 102:2016) envelopes: the message header mapped to
//! [`RecordMetadata`].
//!
//! Element names follow public implementations (`data/edxml_header_fields.tsv`,
//! status `impl`), not the standard's text. Safety:
//! - no DTD is accepted, so entity expansion (an "XML bomb") is impossible;
//!   only the five predefined entities and character references are read;
//! - reading stops at the end of the envelope: attachments carried after it
//!   (`AttachmentEncoded`) are never read here;
//! - the envelope may not exceed [`MAX_ENVELOPE_BYTES`], nor one text
//!   [`MAX_TEXT_BYTES`], nor nesting [`MAX_DEPTH`].
//!
//! Urgency and secrecy: edXML has one `OtherInfo/Priority` digit for both,
//! whose meaning is not verified. Kho maps it only through a
//! [`PriorityMeaning`] table given by the caller; without one, the value is
//! kept in `extra` and neither urgency nor secrecy is set.
//!
//! Header elements that are not mapped are kept in `extra.edxml`, by path
//! (`MessageHeader/OtherInfo/TyperNotation`), with their text; repeated
//! elements become lists. Elements of the envelope that the reference table
//! does not describe are also kept verbatim (raw XML with attributes) in
//! `extra.edxml_unknown`, by path from `edXMLEnvelope`. Nothing is dropped.

use std::collections::BTreeMap;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Serialize;
use serde_json::Value;
use time::Date;

use crate::dates::parse_lenient;
use crate::metadata::{Recipient, RecordKind, RecordMetadata, Signer};
use crate::validation::{DepositError, Problem, Problems};

/// Largest envelope read (everything before `AttachmentEncoded`).
pub const MAX_ENVELOPE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest text of one element.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Deepest element nesting.
pub const MAX_DEPTH: usize = 32;

/// What an `OtherInfo/Priority` code means, as configured by the agency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriorityMeaning {
    /// Urgency code (`urgency` vocabulary), if the code sets one.
    pub urgency: Option<String>,
    /// Secrecy code (`secrecy` vocabulary), if the code sets one.
    pub secrecy: Option<String>,
}

/// How to read an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdxmlOptions {
    /// Outgoing for the agency's own messages, incoming for received ones.
    pub kind: RecordKind,
    /// Meaning of `OtherInfo/Priority` codes; empty = not mapped.
    pub priority: BTreeMap<String, PriorityMeaning>,
    /// Date against which "in the future" is judged.
    pub today: Date,
}

/// An attachment listed in the manifest (content not read here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttachmentRef {
    /// File name (`AttachmentName`).
    pub name: Option<String>,
    /// Media type (`ContentType`).
    pub content_type: Option<String>,
    /// Content id (`ContentId`, e.g. `cid:…`).
    pub content_id: Option<String>,
    /// Description, e.g. `Văn bản chính`.
    pub description: Option<String>,
}

/// A read envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct EdxmlMessage {
    /// The record's metadata, in stored form.
    pub metadata: RecordMetadata,
    /// Attachments listed in the manifest.
    pub attachments: Vec<AttachmentRef>,
}

/// Why an envelope cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EdxmlError {
    /// Not well-formed XML.
    #[error("not well-formed XML at byte {position}: {message}")]
    Xml {
        /// Byte offset of the error.
        position: u64,
        /// The parser's message.
        message: String,
    },
    /// A document type declaration: refused, so no entity is ever expanded.
    #[error("the message has a DOCTYPE declaration; edXML messages have none and it is refused")]
    Doctype,
    /// An entity other than the five predefined ones.
    #[error(
        "unknown entity &{0}; (only &amp; &lt; &gt; &quot; &apos; and character references are allowed)"
    )]
    Entity(String),
    /// The root element is not an edXML envelope.
    #[error("not an edXML message: the root element is <{0}>, expected <edXMLEnvelope>")]
    NotEdxml(String),
    /// The input ended inside the envelope.
    #[error("the message is truncated: it ends inside <{0}>")]
    Truncated(String),
    /// A limit was exceeded.
    #[error("the envelope exceeds a limit: {0}")]
    TooLarge(String),
    /// An attachment's content cannot be read or stored.
    #[error("<{element}>: {message}; nothing was stored")]
    Attachment {
        /// The element (`ContentTransferEncoded`, `Attachment 2`).
        element: String,
        /// What is wrong.
        message: String,
    },
    /// The mapped metadata is refused or invalid.
    #[error(transparent)]
    Deposit(#[from] DepositError),
}

#[derive(Default)]
struct Collected {
    /// Header leaf texts by path (relative to `edXMLHeader`), in order.
    leaves: Vec<(String, String)>,
    /// Attachments of the manifest.
    attachments: Vec<AttachmentRef>,
    /// Elements not described by `edxml_header_fields.tsv`, as raw XML by
    /// path (from `edXMLEnvelope`).
    verbatim: Vec<(String, String)>,
}

const HEADER_FIELDS_TSV: &str = include_str!("../data/edxml_header_fields.tsv");

/// Elements whose children the reference table describes only in a note;
/// everything inside them counts as known.
const OPAQUE: &[&str] = &[
    "TraceHeader",
    "Bussiness",
    "ResponseFor",
    "Reference",
    "DigitalSignature",
    "Attachment",
];

/// Element paths of the reference table and their ancestors.
fn known_paths() -> &'static std::collections::BTreeSet<String> {
    static KNOWN: std::sync::OnceLock<std::collections::BTreeSet<String>> =
        std::sync::OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut known = std::collections::BTreeSet::new();
        for line in HEADER_FIELDS_TSV.lines().skip(1) {
            let Some(path) = line.split('\t').next().filter(|p| !p.is_empty()) else {
                continue;
            };
            let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
            for name in last.split('|') {
                let full = if parent.is_empty() {
                    name.to_owned()
                } else {
                    format!("{parent}/{name}")
                };
                let mut prefix = String::new();
                for part in full.split('/') {
                    if !prefix.is_empty() {
                        prefix.push('/');
                    }
                    prefix.push_str(part);
                    known.insert(prefix.clone());
                }
            }
        }
        known
    })
}

/// Whether the reference table describes the element at `path` (local names
/// from `edXMLEnvelope`).
fn is_known(path: &str) -> bool {
    let known = known_paths();
    if known.contains(path) {
        return true;
    }
    let mut prefix = String::new();
    for part in path.split('/') {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        if OPAQUE.contains(&part) && known.contains(&prefix) {
            return true;
        }
    }
    false
}

/// Raw XML of an unknown element being copied.
struct Capture {
    /// Stack depth of the element (its own depth, from 1).
    depth: usize,
    /// Its path from `edXMLEnvelope`.
    path: String,
    /// Raw bytes so far.
    raw: Vec<u8>,
}

/// Path of the top of `stack` from `edXMLEnvelope` (empty outside it).
fn envelope_path(stack: &[String]) -> String {
    match stack.iter().position(|n| n == "edXMLEnvelope") {
        Some(i) => stack[i..].join("/"),
        None => String::new(),
    }
}

fn xml_error(position: u64, error: impl std::fmt::Display) -> EdxmlError {
    EdxmlError::Xml {
        position,
        message: error.to_string(),
    }
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_owned(),
        None => name.into_owned(),
    }
}

fn collect<R: BufRead>(input: R) -> Result<Collected, EdxmlError> {
    // The limit is applied to the bytes read, so that no single event can
    // make the parser buffer more than the limit.
    let mut reader = Reader::from_reader(input.take(MAX_ENVELOPE_BYTES + 1));
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Collected::default();
    let mut seen_root = false;
    let mut capture: Option<Capture> = None;
    let too_large = || {
        EdxmlError::TooLarge(format!(
            "the envelope is larger than {MAX_ENVELOPE_BYTES} bytes"
        ))
    };
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) if reader.get_ref().limit() == 0 => return Err(too_large()),
            Ok(event) => event,
            Err(e) => return Err(xml_error(reader.error_position(), e)),
        };
        match event {
            Event::DocType(_) => return Err(EdxmlError::Doctype),
            Event::Start(start) => {
                let name = local(start.name().as_ref());
                if stack.is_empty() && !seen_root {
                    // One SDK wraps the envelope in <edXML>.
                    if name != "edXMLEnvelope" && name != "edXML" {
                        return Err(EdxmlError::NotEdxml(name));
                    }
                    seen_root = true;
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(EdxmlError::TooLarge(format!(
                        "nesting deeper than {MAX_DEPTH}"
                    )));
                }
                if name == "Reference" && stack.last().is_some_and(|p| p == "edXMLManifest") {
                    out.attachments.push(AttachmentRef::default());
                }
                stack.push(name);
                text.clear();
                if let Some(c) = capture.as_mut() {
                    c.raw.extend_from_slice(b"<");
                    c.raw.extend_from_slice(&start);
                    c.raw.extend_from_slice(b">");
                } else {
                    let path = envelope_path(&stack);
                    if !path.is_empty() && !is_known(&path) {
                        let mut raw = b"<".to_vec();
                        raw.extend_from_slice(&start);
                        raw.extend_from_slice(b">");
                        capture = Some(Capture {
                            depth: stack.len(),
                            path,
                            raw,
                        });
                    }
                }
            }
            Event::Empty(start) => {
                if stack.is_empty() {
                    return Err(EdxmlError::NotEdxml(local(start.name().as_ref())));
                }
                let mut raw = b"<".to_vec();
                raw.extend_from_slice(&start);
                raw.extend_from_slice(b"/>");
                if let Some(c) = capture.as_mut() {
                    c.raw.extend_from_slice(&raw);
                } else {
                    let mut path = envelope_path(&stack);
                    path.push('/');
                    path.push_str(&local(start.name().as_ref()));
                    if path.starts_with("edXMLEnvelope") && !is_known(&path) {
                        out.verbatim
                            .push((path, String::from_utf8_lossy(&raw).into_owned()));
                    }
                }
            }
            Event::Text(t) => {
                if let Some(c) = capture.as_mut() {
                    c.raw.extend_from_slice(&t);
                }
                let decoded = t
                    .xml10_content()
                    .map_err(|e| xml_error(reader.buffer_position(), e))?;
                text.push_str(&decoded);
            }
            Event::CData(c) => {
                if let Some(cap) = capture.as_mut() {
                    cap.raw.extend_from_slice(b"<![CDATA[");
                    cap.raw.extend_from_slice(&c);
                    cap.raw.extend_from_slice(b"]]>");
                }
                let decoded = c
                    .decode()
                    .map_err(|e| xml_error(reader.buffer_position(), e))?;
                text.push_str(&decoded);
            }
            Event::GeneralRef(r) => {
                if let Some(c) = capture.as_mut() {
                    c.raw.extend_from_slice(b"&");
                    c.raw.extend_from_slice(&r);
                    c.raw.extend_from_slice(b";");
                }
                if let Some(ch) = r
                    .resolve_char_ref()
                    .map_err(|e| xml_error(reader.buffer_position(), e))?
                {
                    text.push(ch);
                } else {
                    let name = r
                        .decode()
                        .map_err(|e| xml_error(reader.buffer_position(), e))?;
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => return Err(EdxmlError::Entity(name.into_owned())),
                    }
                }
            }
            Event::End(end) => {
                if let Some(c) = capture.as_mut() {
                    c.raw.extend_from_slice(b"</");
                    c.raw.extend_from_slice(end.name().as_ref());
                    c.raw.extend_from_slice(b">");
                }
                if let Some(c) = capture.take_if(|c| c.depth == stack.len()) {
                    out.verbatim
                        .push((c.path, String::from_utf8_lossy(&c.raw).into_owned()));
                }
                let path = stack.join("/");
                let name = stack.pop().unwrap_or_default();
                let value = text.trim().to_owned();
                if let Some(pos) = path.find("edXMLHeader/") {
                    if !value.is_empty() {
                        out.leaves
                            .push((path[pos + "edXMLHeader/".len()..].to_owned(), value));
                    }
                } else if path.contains("edXMLManifest/Reference/")
                    && let Some(attachment) = out.attachments.last_mut()
                {
                    let value = Some(value).filter(|v| !v.is_empty());
                    match name.as_str() {
                        "AttachmentName" => attachment.name = value,
                        "ContentType" => attachment.content_type = value,
                        "ContentId" => attachment.content_id = value,
                        "Description" => attachment.description = value,
                        _ => {}
                    }
                }
                text.clear();
                if name == "edXMLEnvelope" {
                    // Attachments after the envelope are not read here.
                    return Ok(out);
                }
            }
            Event::Eof => {
                return match stack.last() {
                    Some(open) => Err(EdxmlError::Truncated(open.clone())),
                    None if !seen_root => Err(EdxmlError::NotEdxml(String::new())),
                    None => Err(EdxmlError::Truncated("edXMLEnvelope".to_owned())),
                };
            }
            Event::Comment(comment) => {
                if let Some(c) = capture.as_mut() {
                    c.raw.extend_from_slice(b"<!--");
                    c.raw.extend_from_slice(&comment);
                    c.raw.extend_from_slice(b"-->");
                }
            }
            Event::Decl(_) | Event::PI(_) => {}
        }
        if text.len() > MAX_TEXT_BYTES {
            return Err(EdxmlError::TooLarge(format!(
                "the text of <{}> is larger than {MAX_TEXT_BYTES} bytes",
                stack.last().map_or("", String::as_str)
            )));
        }
        buf.clear();
    }
}

const PREFIX: &str = "MessageHeader/";

/// Reads an envelope's header into record metadata, refusing secret
/// documents and reporting every problem. The reader is consumed only up to
/// the end of the envelope.
pub fn parse_edxml<R: BufRead>(
    input: R,
    options: &EdxmlOptions,
) -> Result<EdxmlMessage, EdxmlError> {
    let collected = collect(input)?;
    let mut m = RecordMetadata::new(options.kind);
    let mut problems = Vec::new();
    let mut unmapped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut number: (Option<String>, Option<String>) = (None, None);
    let mut signer = Signer::default();
    let mut competence = None;
    let mut recipient: Option<Recipient> = None;
    let mut recipients = Vec::new();

    for (path, value) in collected.leaves {
        let short = path.strip_prefix(PREFIX).unwrap_or(&path);
        let mut date = |p: &'static str| {
            parse_lenient(&value)
                .map_err(|e| {
                    let label = RecordMetadata::label_vi(p).unwrap_or("");
                    problems.push(Problem::new(p, "date_format", label, e.to_string()));
                })
                .ok()
        };
        match short {
            "From/OrganId" => m.issuer_code = Some(value),
            "From/OrganName" => m.issuer = Some(value),
            "To/OrganId" => {
                if let Some(r) = recipient.as_mut().filter(|r| r.agency_code.is_none()) {
                    r.agency_code = Some(value);
                } else {
                    recipients.extend(recipient.take());
                    recipient = Some(Recipient {
                        agency_code: Some(value),
                        name: None,
                    });
                }
            }
            "To/OrganName" => {
                if let Some(r) = recipient.as_mut().filter(|r| r.name.is_none()) {
                    r.name = Some(value);
                } else {
                    recipients.extend(recipient.take());
                    recipient = Some(Recipient {
                        agency_code: None,
                        name: Some(value),
                    });
                }
            }
            "Code/CodeNumber" => number.0 = Some(value),
            "Code/CodeNotation" => number.1 = Some(value),
            "PromulgationInfo/Place" => m.place = Some(value),
            "PromulgationInfo/PromulgationDate" => m.issued_on = date("issued_on"),
            "DocumentType/TypeName" => m.doc_type = Some(value),
            "Subject" => m.summary = Some(value),
            "SignerInfo/Competence" => competence = Some(value),
            "SignerInfo/Position" => signer.position = Some(value),
            "SignerInfo/FullName" => signer.full_name = Some(value),
            "DueDate" => m.due_on = date("due_on"),
            "OtherInfo/PageAmount" => match value.parse() {
                Ok(n) => m.page_count = Some(n),
                Err(_) => problems.push(Problem::new(
                    "page_count",
                    "number_format",
                    RecordMetadata::label_vi("page_count").unwrap_or(""),
                    format!("`{value}` is not a whole number"),
                )),
            },
            // Copies issued belong to the issuer's record; a received
            // message keeps the sender's figure verbatim.
            "OtherInfo/PromulgationAmount" if options.kind != RecordKind::Outgoing => {
                unmapped.entry(path).or_default().push(value);
            }
            "OtherInfo/PromulgationAmount" => match value.parse() {
                Ok(n) => m.copies_issued = Some(n),
                Err(_) => problems.push(Problem::new(
                    "copies_issued",
                    "number_format",
                    RecordMetadata::label_vi("copies_issued").unwrap_or(""),
                    format!("`{value}` is not a whole number"),
                )),
            },
            "OtherInfo/Priority" => {
                if let Some(meaning) = options.priority.get(&value) {
                    m.urgency.clone_from(&meaning.urgency);
                    m.secrecy.clone_from(&meaning.secrecy);
                }
                unmapped.entry(path).or_default().push(value);
            }
            _ => unmapped.entry(path).or_default().push(value),
        }
    }
    recipients.extend(recipient.take());
    m.recipients = recipients;
    if let Some(competence) = competence {
        let (mark, on_behalf_of) = Signer::split_competence(&competence);
        signer.authority_mark = mark;
        signer.on_behalf_of = on_behalf_of;
    }
    if signer != Signer::default() {
        m.signer = Some(signer);
    }
    m.doc_number = match number {
        (Some(n), Some(notation)) => Some(format!("{n}/{notation}")),
        (Some(n), None) => Some(n),
        (None, notation) => notation,
    };
    if !collected.verbatim.is_empty() {
        let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, raw) in collected.verbatim {
            by_path.entry(path).or_default().push(raw);
        }
        let verbatim: serde_json::Map<String, Value> = by_path
            .into_iter()
            .map(|(path, mut raws)| {
                let value = if raws.len() == 1 {
                    Value::String(raws.remove(0))
                } else {
                    Value::Array(raws.into_iter().map(Value::String).collect())
                };
                (path, value)
            })
            .collect();
        m.extra
            .insert("edxml_unknown".to_owned(), Value::Object(verbatim));
    }
    if !unmapped.is_empty() {
        let edxml: serde_json::Map<String, Value> = unmapped
            .into_iter()
            .map(|(path, mut values)| {
                let value = if values.len() == 1 {
                    Value::String(values.remove(0))
                } else {
                    Value::Array(values.into_iter().map(Value::String).collect())
                };
                (path, value)
            })
            .collect();
        m.extra.insert("edxml".to_owned(), Value::Object(edxml));
    }

    let m = m.normalized();
    if let Some(refusal) = m.refusal() {
        return Err(DepositError::Refused(refusal).into());
    }
    problems.extend(m.validate(options.today));
    if !problems.is_empty() {
        return Err(DepositError::Invalid(Problems(problems)).into());
    }
    Ok(EdxmlMessage {
        metadata: m,
        attachments: collected.attachments,
    })
}

/// An attachment whose content was carried in the message
/// (`AttachmentEncoded/Attachment`) and written out by
/// [`extract_attachments`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EncodedAttachment {
    /// Position among the message's attachments (from 0); the sink opened
    /// for it had this index.
    pub index: usize,
    /// File name (`AttachmentName`).
    pub name: Option<String>,
    /// Media type (`ContentType`).
    pub content_type: Option<String>,
    /// Content id (`ContentId`).
    pub content_id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Decoded size in bytes.
    pub size: u64,
}

/// Largest markup (a tag, comment or processing instruction) read at once
/// while looking for attachments.
const MAX_MARKUP_BYTES: u64 = 1024 * 1024;

/// A buffered reader with a byte budget that can be reset between reads, so
/// that the XML parser never buffers more than the budget while text is
/// streamed past it.
struct Budgeted<R> {
    inner: R,
    remaining: u64,
    consumed: u64,
}

impl<R: BufRead> std::io::Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Budgeted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.remaining == 0 {
            return Ok(&[]);
        }
        let remaining = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        let buf = self.inner.fill_buf()?;
        let n = buf.len().min(remaining);
        Ok(&buf[..n])
    }

    fn consume(&mut self, amount: usize) {
        self.remaining = self.remaining.saturating_sub(amount as u64);
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

/// Where the text after a tag goes.
enum TextSink<'a, W> {
    /// Kept (bounded by [`MAX_TEXT_BYTES`]).
    Keep(&'a mut Vec<u8>),
    /// Base64, decoded into the writer.
    Base64(&'a mut Base64Writer<W>),
    /// Skipped (still bounded per chunk, never buffered).
    Skip,
}

/// Streams base64 text into a writer, 4 characters at a time.
struct Base64Writer<W> {
    out: W,
    carry: Vec<u8>,
    padded: bool,
    written: u64,
    limit: u64,
}

impl<W: std::io::Write> Base64Writer<W> {
    fn push(&mut self, text: &[u8]) -> Result<(), String> {
        for &b in text {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => continue,
                b'=' => self.padded = true,
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if !self.padded => {}
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => {
                    return Err("base64 content continues after its padding".into());
                }
                other => {
                    return Err(format!(
                        "byte {:?} is not base64",
                        char::from(other).escape_default().to_string()
                    ));
                }
            }
            self.carry.push(b);
            if self.carry.len() >= 64 * 1024 {
                self.flush_whole()?;
            }
        }
        Ok(())
    }

    fn flush_whole(&mut self) -> Result<(), String> {
        use base64::Engine as _;
        let whole = self.carry.len() / 4 * 4;
        if whole == 0 {
            return Ok(());
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&self.carry[..whole])
            .map_err(|e| format!("invalid base64: {e}"))?;
        self.written += decoded.len() as u64;
        if self.written > self.limit {
            return Err(format!(
                "the attachment is larger than the limit of {} bytes",
                self.limit
            ));
        }
        self.out
            .write_all(&decoded)
            .map_err(|e| format!("cannot write the attachment: {e}"))?;
        self.carry.drain(..whole);
        Ok(())
    }

    fn finish(mut self) -> Result<u64, String> {
        self.flush_whole()?;
        if !self.carry.is_empty() {
            return Err("base64 content is cut short (its length is not a multiple of 4)".into());
        }
        self.out
            .flush()
            .map_err(|e| format!("cannot write the attachment: {e}"))?;
        Ok(self.written)
    }
}

/// Reads text up to the next `<` without the XML parser, so that a large
/// text (an attachment) is never held in memory whole.
fn stream_text<R: BufRead, W: std::io::Write>(
    input: &mut Budgeted<R>,
    sink: &mut TextSink<'_, W>,
    element: &str,
) -> Result<(), EdxmlError> {
    input.remaining = u64::MAX;
    loop {
        let position = input.consumed;
        let buf = input
            .fill_buf()
            .map_err(|e| xml_error(position, format!("cannot read the message: {e}")))?;
        if buf.is_empty() {
            // The parser reports the truncation with the open element.
            return Ok(());
        }
        let (chunk, found) = match buf.iter().position(|b| *b == b'<') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        match sink {
            TextSink::Keep(kept) => {
                kept.extend_from_slice(chunk);
                if kept.len() > MAX_TEXT_BYTES {
                    return Err(EdxmlError::TooLarge(format!(
                        "the text of <{element}> is larger than {MAX_TEXT_BYTES} bytes"
                    )));
                }
            }
            TextSink::Base64(writer) => {
                writer
                    .push(chunk)
                    .map_err(|message| EdxmlError::Attachment {
                        element: element.to_owned(),
                        message,
                    })?
            }
            TextSink::Skip => {
                if chunk.iter().any(|b| !b.is_ascii_whitespace()) && element.is_empty() {
                    return Err(xml_error(position, "text outside the root element"));
                }
            }
        }
        input.consume(n);
        if found {
            return Ok(());
        }
    }
}

fn unescaped(bytes: &[u8], position: u64) -> Result<Option<String>, EdxmlError> {
    let text = std::str::from_utf8(bytes).map_err(|e| xml_error(position, e))?;
    let text = quick_xml::escape::unescape(text).map_err(|e| match e {
        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name) => EdxmlError::Entity(name),
        other => xml_error(position, other),
    })?;
    Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// Streams the base64 attachments carried in a message
/// (`AttachmentEncoded/Attachment/ContentTransferEncoded`) into writers
/// opened by `open(index)`, one per attachment, never holding an attachment
/// in memory. An attachment larger than `max_bytes` (decoded) stops the read
/// with an error; the caller discards what it wrote. The same safety rules as
/// [`parse_edxml`] apply (no DOCTYPE, no unknown entity, bounded markup,
/// texts and depth).
pub fn extract_attachments<R, W, F>(
    input: R,
    max_bytes: u64,
    mut open: F,
) -> Result<Vec<EncodedAttachment>, EdxmlError>
where
    R: BufRead,
    W: std::io::Write,
    F: FnMut(usize) -> std::io::Result<W>,
{
    let mut input = Budgeted {
        inner: input,
        remaining: u64::MAX,
        consumed: 0,
    };
    // Leading BOM and whitespace are skipped here so that the parser never
    // has to buffer text before the first tag.
    let mut first = true;
    loop {
        let buf = input
            .fill_buf()
            .map_err(|e| xml_error(0, format!("cannot read the message: {e}")))?;
        if buf.is_empty() {
            return Err(EdxmlError::NotEdxml(String::new()));
        }
        if first && buf.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
            first = false;
            continue;
        }
        first = false;
        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if n < buf.len() {
            if buf[n] != b'<' {
                return Err(EdxmlError::NotEdxml(String::new()));
            }
            input.consume(n);
            break;
        }
        input.consume(n);
    }
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut found: Vec<EncodedAttachment> = Vec::new();
    let mut kept = Vec::new();
    loop {
        reader.get_mut().remaining = MAX_MARKUP_BYTES;
        let event = match reader.read_event_into(&mut buf) {
            Ok(_) | Err(_) if reader.get_ref().remaining == 0 => {
                return Err(EdxmlError::TooLarge(format!(
                    "markup larger than {MAX_MARKUP_BYTES} bytes"
                )));
            }
            Ok(event) => event,
            Err(e) => {
                // A message cut inside a tag is truncated, not malformed.
                let input = reader.get_mut();
                input.remaining = u64::MAX;
                let at_end = input.fill_buf().map(|b| b.is_empty()).unwrap_or(false);
                return Err(match stack.last() {
                    Some(open) if at_end => EdxmlError::Truncated(open.clone()),
                    _ => xml_error(reader.error_position(), e),
                });
            }
        };
        let position = reader.buffer_position();
        match event {
            Event::DocType(_) => return Err(EdxmlError::Doctype),
            Event::Start(start) => {
                let name = local(start.name().as_ref());
                if stack.is_empty() && name != "edXMLEnvelope" && name != "edXML" {
                    return Err(EdxmlError::NotEdxml(name));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(EdxmlError::TooLarge(format!(
                        "nesting deeper than {MAX_DEPTH}"
                    )));
                }
                let parent = stack.last().map(String::as_str);
                let in_attachment = stack.len() >= 2
                    && stack[stack.len() - 2] == "AttachmentEncoded"
                    && parent == Some("Attachment");
                if name == "Attachment" && parent == Some("AttachmentEncoded") {
                    found.push(EncodedAttachment {
                        index: found.len(),
                        ..EncodedAttachment::default()
                    });
                }
                stack.push(name.clone());
                kept.clear();
                if in_attachment && name == "ContentTransferEncoded" {
                    let Some(attachment) = found.last_mut() else {
                        continue;
                    };
                    let index = attachment.index;
                    let out = open(index).map_err(|e| EdxmlError::Attachment {
                        element: name.clone(),
                        message: format!("cannot store attachment {}: {e}", index + 1),
                    })?;
                    let mut writer = Base64Writer {
                        out,
                        carry: Vec::new(),
                        padded: false,
                        written: 0,
                        limit: max_bytes,
                    };
                    stream_text(reader.get_mut(), &mut TextSink::Base64(&mut writer), &name)?;
                    attachment.size =
                        writer.finish().map_err(|message| EdxmlError::Attachment {
                            element: format!("Attachment {}", index + 1),
                            message,
                        })?;
                } else if in_attachment {
                    stream_text(reader.get_mut(), &mut TextSink::<W>::Keep(&mut kept), &name)?;
                } else {
                    stream_text(reader.get_mut(), &mut TextSink::<W>::Skip, &name)?;
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let in_attachment = stack.len() >= 2
                    && stack[stack.len() - 2] == "AttachmentEncoded"
                    && stack.last().is_some_and(|p| p == "Attachment");
                if in_attachment && let Some(attachment) = found.last_mut() {
                    let value = unescaped(&kept, position)?;
                    match name.as_str() {
                        "AttachmentName" => attachment.name = value,
                        "ContentType" => attachment.content_type = value,
                        "ContentId" => attachment.content_id = value,
                        "Description" => attachment.description = value,
                        _ => {}
                    }
                }
                kept.clear();
                if stack.is_empty() {
                    return Ok(found);
                }
                let parent = stack.last().cloned().unwrap_or_default();
                stream_text(reader.get_mut(), &mut TextSink::<W>::Skip, &parent)?;
            }
            Event::Empty(start) => {
                if stack.is_empty() {
                    return Err(EdxmlError::NotEdxml(local(start.name().as_ref())));
                }
                let parent = stack.last().cloned().unwrap_or_default();
                stream_text(reader.get_mut(), &mut TextSink::<W>::Skip, &parent)?;
            }
            Event::GeneralRef(r) => {
                // Only inside kept texts would a reference matter; an unknown
                // one is refused anywhere.
                let name = r.decode().map_err(|e| xml_error(position, e))?;
                if r.resolve_char_ref()
                    .map_err(|e| xml_error(position, e))?
                    .is_none()
                    && quick_xml::escape::resolve_predefined_entity(&name).is_none()
                {
                    return Err(EdxmlError::Entity(name.into_owned()));
                }
            }
            Event::Eof => {
                return match stack.last() {
                    Some(open) => Err(EdxmlError::Truncated(open.clone())),
                    None => Err(EdxmlError::NotEdxml(String::new())),
                };
            }
            Event::Text(_) | Event::CData(_) => {}
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {
                let parent = stack.last().cloned().unwrap_or_default();
                if !parent.is_empty() {
                    stream_text(reader.get_mut(), &mut TextSink::<W>::Skip, &parent)?;
                }
            }
        }
        buf.clear();
    }
}

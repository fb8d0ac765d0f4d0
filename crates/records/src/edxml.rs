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
//! elements become lists. Nothing is dropped.

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
            }
            Event::Empty(start) => {
                if stack.is_empty() {
                    return Err(EdxmlError::NotEdxml(local(start.name().as_ref())));
                }
            }
            Event::Text(t) => {
                let decoded = t
                    .xml10_content()
                    .map_err(|e| xml_error(reader.buffer_position(), e))?;
                text.push_str(&decoded);
            }
            Event::CData(c) => {
                let decoded = c
                    .decode()
                    .map_err(|e| xml_error(reader.buffer_position(), e))?;
                text.push_str(&decoded);
            }
            Event::GeneralRef(r) => {
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
            Event::End(_) => {
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
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
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

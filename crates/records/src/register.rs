//! Sổ đăng ký văn bản đi / đến: CSV registers to and from [`RecordMetadata`].
//!
//! The columns are Kho's reading of the registers of NĐ 30/2020 Phụ lục IV
//! (the reference tables do not list them: design, unverified), plus the
//! urgency and secrecy columns. A header row is required; columns are found
//! by their Vietnamese header or their machine name, in any order. Dates are
//! written `dd/mm/yyyy`; recipients are separated by `; `.
//!
//! Import is all-or-nothing: any failing row fails the import, and every
//! failing row is listed with its line number.
//!
//! Files: the optional column `Tệp đính kèm` (`tep_dinh_kem`, Kho's own
//! column, not in Phụ lục IV) names the files of each record, separated by
//! `;`, the first being the main document. Bytes are read by
//! [`decode_register`]: UTF-8 (with or without BOM) or windows-1258; a file
//! mixing both is refused with the lines that disagree.

use serde::Serialize;
use time::Date;
use unicode_normalization::UnicodeNormalization;

use crate::dates::{format_vi, parse_vi};
use crate::metadata::{Recipient, RecordKind, RecordMetadata, Signer};
use crate::validation::{DepositError, Problem, Problems};
use crate::vocabulary::{DocTypes, Vocabularies, VocabularyName};

/// Which register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterKind {
    /// Sổ đăng ký văn bản đi.
    Outgoing,
    /// Sổ đăng ký văn bản đến.
    Incoming,
}

/// One column of a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterColumn {
    /// Machine name, e.g. `so_ky_hieu`.
    pub id: &'static str,
    /// Vietnamese header, e.g. `Số, ký hiệu văn bản`.
    pub header_vi: &'static str,
    /// Whether the column must be present.
    pub required: bool,
}

const fn col(id: &'static str, header_vi: &'static str, required: bool) -> RegisterColumn {
    RegisterColumn {
        id,
        header_vi,
        required,
    }
}

const OUTGOING: &[RegisterColumn] = &[
    col("so_ky_hieu", "Số, ký hiệu văn bản", true),
    col("ngay_thang", "Ngày, tháng văn bản", true),
    col("ten_loai", "Tên loại văn bản", false),
    col("trich_yeu", "Trích yếu nội dung", true),
    col("nguoi_ky", "Người ký", false),
    col("noi_nhan", "Nơi nhận văn bản", false),
    col("so_luong_ban", "Số lượng bản", false),
    col("do_khan", "Mức độ khẩn", false),
    col("do_mat", "Độ mật", false),
    col("ghi_chu", "Ghi chú", false),
    col(FILES_COLUMN, "Tệp đính kèm", false),
];

const INCOMING: &[RegisterColumn] = &[
    col("ngay_den", "Ngày đến", true),
    col("so_den", "Số đến", true),
    col("tac_gia", "Tác giả", true),
    col("so_ky_hieu", "Số, ký hiệu văn bản", true),
    col("ngay_thang", "Ngày, tháng văn bản", true),
    col("ten_loai", "Tên loại văn bản", false),
    col("trich_yeu", "Trích yếu nội dung", true),
    col("don_vi_nhan", "Đơn vị hoặc người nhận", false),
    col("do_khan", "Mức độ khẩn", false),
    col("do_mat", "Độ mật", false),
    col("ghi_chu", "Ghi chú", false),
    col(FILES_COLUMN, "Tệp đính kèm", false),
];

/// Machine name of the column that names a record's files (Kho's own).
pub const FILES_COLUMN: &str = "tep_dinh_kem";

impl RegisterKind {
    /// The columns of the register, in export order (the files column last).
    pub fn columns(self) -> &'static [RegisterColumn] {
        match self {
            RegisterKind::Outgoing => OUTGOING,
            RegisterKind::Incoming => INCOMING,
        }
    }

    fn record_kind(self) -> RecordKind {
        match self {
            RegisterKind::Outgoing => RecordKind::Outgoing,
            RegisterKind::Incoming => RecordKind::Incoming,
        }
    }
}

/// What an import needs besides the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOptions {
    /// The agency keeping the register: issuer of outgoing documents.
    pub issuer: Option<String>,
    /// Its agency code.
    pub issuer_code: Option<String>,
    /// Date against which "in the future" is judged.
    pub today: Date,
}

/// One imported row.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterRow {
    /// Line of the row in the file (the header is line 1).
    pub line: u64,
    /// Its metadata, in stored form.
    pub metadata: RecordMetadata,
    /// File names from the `Tệp đính kèm` column, main document first.
    pub files: Vec<String>,
}

/// A row that failed.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct RowFailure {
    /// Line of the row in the file.
    pub line: u64,
    /// Why it failed (refusal or problems).
    pub error: DepositError,
}

/// Why a register cannot be imported or exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The file has no header row.
    #[error("the register is empty: a header row is required")]
    Empty,
    /// Required columns are missing.
    #[error("the register lacks the columns {}", .missing.join("; "))]
    MissingColumns {
        /// Vietnamese headers of the missing columns.
        missing: Vec<&'static str>,
    },
    /// Columns that are not part of the register.
    #[error("the register has unknown columns {}; expected: {}", .unknown.join("; "), .expected.join("; "))]
    UnknownColumns {
        /// Headers not recognised.
        unknown: Vec<String>,
        /// Headers of the register.
        expected: Vec<&'static str>,
    },
    /// A column appears twice.
    #[error("the register has the column {0} twice")]
    DuplicateColumn(&'static str),
    /// The CSV itself is malformed (wrong number of cells, bad quoting).
    #[error("malformed CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The bytes mix UTF-8 with another encoding.
    #[error(
        "the register mixes encodings: line {utf8_line} is UTF-8 but line {other_line} is not; save the whole file as UTF-8 (or whole as windows-1258) and import again"
    )]
    MixedEncodings {
        /// A line with UTF-8 multi-byte characters.
        utf8_line: u64,
        /// A line that is not valid UTF-8.
        other_line: u64,
    },
    /// Rows failed; nothing was imported.
    #[error("{} row(s) failed, nothing was imported:\n{}", .0.len(), .0.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<RowFailure>),
}

fn header_key(text: &str) -> String {
    vietnamese::fold_form(text.trim())
}

/// Reads the bytes of a register: UTF-8 with or without BOM, or
/// windows-1258 (composed to NFC). A file whose lines disagree (some UTF-8
/// with accented letters, some not UTF-8) is refused, naming a line of each.
pub fn decode_register(bytes: &[u8]) -> Result<String, RegisterError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let mut utf8_line = None;
    let mut other_line = None;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = i as u64 + 1;
        match std::str::from_utf8(line) {
            Ok(text) if !text.is_ascii() => {
                utf8_line.get_or_insert(number);
            }
            Ok(_) => {}
            Err(_) => {
                other_line.get_or_insert(number);
            }
        }
    }
    if let (Some(utf8_line), Some(other_line)) = (utf8_line, other_line) {
        return Err(RegisterError::MixedEncodings {
            utf8_line,
            other_line,
        });
    }
    let (text, _) = encoding_rs::WINDOWS_1258.decode_without_bom_handling(bytes);
    Ok(text.nfc().collect())
}

/// Imports a register (UTF-8 text, with or without BOM). All rows or none.
pub fn import_register(
    kind: RegisterKind,
    text: &str,
    options: &RegisterOptions,
) -> Result<Vec<RegisterRow>, RegisterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader.headers()?.clone();
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(RegisterError::Empty);
    }
    let columns = kind.columns();
    let mut positions: Vec<Option<usize>> = vec![None; columns.len()];
    let mut unknown = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let key = header_key(header);
        match columns
            .iter()
            .position(|c| key == header_key(c.header_vi) || key == c.id)
        {
            Some(c) if positions[c].is_some() => {
                return Err(RegisterError::DuplicateColumn(columns[c].header_vi));
            }
            Some(c) => positions[c] = Some(i),
            None => unknown.push(header.to_owned()),
        }
    }
    if !unknown.is_empty() {
        return Err(RegisterError::UnknownColumns {
            unknown,
            expected: columns.iter().map(|c| c.header_vi).collect(),
        });
    }
    let missing: Vec<&str> = columns
        .iter()
        .zip(&positions)
        .filter(|(c, p)| c.required && p.is_none())
        .map(|(c, _)| c.header_vi)
        .collect();
    if !missing.is_empty() {
        return Err(RegisterError::MissingColumns { missing });
    }

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |id: &str| -> Option<String> {
            let c = columns.iter().position(|c| c.id == id)?;
            let value = record.get(positions[c]?)?.trim();
            Some(value.to_owned()).filter(|v| !v.is_empty())
        };
        match row_metadata(kind, &cell, options) {
            Ok(metadata) => rows.push(RegisterRow {
                line,
                metadata,
                files: cell(FILES_COLUMN)
                    .map(|list| {
                        list.split(';')
                            .map(str::trim)
                            .filter(|n| !n.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            Err(error) => failures.push(RowFailure { line, error }),
        }
    }
    if failures.is_empty() {
        Ok(rows)
    } else {
        Err(RegisterError::Rows(failures))
    }
}

fn row_metadata(
    kind: RegisterKind,
    cell: &dyn Fn(&str) -> Option<String>,
    options: &RegisterOptions,
) -> Result<RecordMetadata, DepositError> {
    let mut problems = Vec::new();
    let mut m = RecordMetadata::new(kind.record_kind());
    let mut date = |id: &str, path: &'static str| -> Option<Date> {
        let text = cell(id)?;
        parse_vi(&text)
            .map_err(|e| {
                let label = RecordMetadata::label_vi(path).unwrap_or("");
                problems.push(Problem::new(path, "date_format", label, e.to_string()));
            })
            .ok()
    };
    m.issued_on = date("ngay_thang", "issued_on");
    m.arrival_date = date("ngay_den", "arrival_date");
    let mut number = |id: &str, path: &'static str| -> Option<u64> {
        let text = cell(id)?;
        text.parse::<u64>()
            .map_err(|_| {
                let label = RecordMetadata::label_vi(path).unwrap_or("");
                problems.push(Problem::new(
                    path,
                    "number_format",
                    label,
                    format!("`{text}` is not a whole number"),
                ));
            })
            .ok()
    };
    m.arrival_number = number("so_den", "arrival_number");
    m.copies_issued =
        number("so_luong_ban", "copies_issued").map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    m.doc_number = cell("so_ky_hieu");
    m.doc_type = cell("ten_loai");
    m.summary = cell("trich_yeu");
    m.signer = cell("nguoi_ky").map(|name| Signer {
        full_name: Some(name),
        ..Signer::default()
    });
    m.recipients = cell("noi_nhan")
        .map(|list| {
            list.split(';')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| Recipient {
                    agency_code: None,
                    name: Some(name.to_owned()),
                })
                .collect()
        })
        .unwrap_or_default();
    m.assigned_to = cell("don_vi_nhan");
    m.urgency = cell("do_khan");
    m.secrecy = cell("do_mat");
    m.note = cell("ghi_chu");
    match kind {
        RegisterKind::Outgoing => {
            m.issuer = options.issuer.clone();
            m.issuer_code = options.issuer_code.clone();
        }
        RegisterKind::Incoming => m.issuer = cell("tac_gia"),
    }
    let m = m.normalized();
    if let Some(refusal) = m.refusal() {
        return Err(refusal.into());
    }
    problems.extend(m.validate(options.today));
    if problems.is_empty() {
        Ok(m)
    } else {
        Err(Problems(problems).into())
    }
}

fn vocabulary_label(vocabulary: VocabularyName, code: Option<&str>) -> String {
    code.map(|c| {
        Vocabularies::builtin()
            .by_code(vocabulary, c)
            .map_or(c, |e| e.label_vi)
            .to_owned()
    })
    .unwrap_or_default()
}

/// One record to export: its metadata and the names of its files.
#[derive(Debug, Clone, Copy)]
pub struct ExportRow<'a> {
    /// The record's metadata.
    pub metadata: &'a RecordMetadata,
    /// File names, main document first (written in `Tệp đính kèm`).
    pub files: &'a [String],
}

/// How a register is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Write the `Tệp đính kèm` column.
    pub files_column: bool,
    /// XLSX-compatible CSV: UTF-8 with a BOM and CRLF line ends, which
    /// spreadsheet programs open with Vietnamese text intact. Otherwise UTF-8
    /// without BOM and LF.
    pub spreadsheet: bool,
}

/// Exports records as a register with Vietnamese headers (UTF-8, no BOM,
/// no files column). See [`export_register_rows`].
pub fn export_register(
    kind: RegisterKind,
    records: &[RecordMetadata],
) -> Result<String, RegisterError> {
    let rows: Vec<ExportRow<'_>> = records
        .iter()
        .map(|metadata| ExportRow {
            metadata,
            files: &[],
        })
        .collect();
    export_register_rows(kind, &rows, ExportOptions::default())
}

/// Exports records as a register with Vietnamese headers. Vocabulary codes
/// are written as their Vietnamese labels and document types as their
/// names, so that an exported register imports again to the same metadata.
pub fn export_register_rows(
    kind: RegisterKind,
    records: &[ExportRow<'_>],
    options: ExportOptions,
) -> Result<String, RegisterError> {
    let terminator = if options.spreadsheet {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(Vec::new());
    let columns: Vec<&RegisterColumn> = kind
        .columns()
        .iter()
        .filter(|c| options.files_column || c.id != FILES_COLUMN)
        .collect();
    writer.write_record(columns.iter().map(|c| c.header_vi))?;
    for row in records {
        let m = row.metadata;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match c.id {
                "so_ky_hieu" => text(&m.doc_number),
                "ngay_thang" => m.issued_on.map(format_vi).unwrap_or_default(),
                "ten_loai" => m.doc_type.as_deref().map_or_else(String::new, |t| {
                    DocTypes::builtin()
                        .lookup(t)
                        .map_or(t, |e| e.display_name())
                        .to_owned()
                }),
                "trich_yeu" => text(&m.summary),
                "nguoi_ky" => m
                    .signer
                    .as_ref()
                    .and_then(|s| s.full_name.clone())
                    .unwrap_or_default(),
                "noi_nhan" => m
                    .recipients
                    .iter()
                    .filter_map(|r| r.name.as_deref())
                    .collect::<Vec<_>>()
                    .join("; "),
                "so_luong_ban" => m.copies_issued.map(|n| n.to_string()).unwrap_or_default(),
                "do_khan" => vocabulary_label(VocabularyName::Urgency, m.urgency.as_deref()),
                "do_mat" => vocabulary_label(VocabularyName::Secrecy, m.secrecy.as_deref()),
                "ghi_chu" => text(&m.note),
                "ngay_den" => m.arrival_date.map(format_vi).unwrap_or_default(),
                "so_den" => m.arrival_number.map(|n| n.to_string()).unwrap_or_default(),
                "tac_gia" => text(&m.issuer),
                "don_vi_nhan" => text(&m.assigned_to),
                FILES_COLUMN => row.files.join("; "),
                _ => String::new(),
            })
            .collect();
        writer.write_record(&cells)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| RegisterError::Csv(csv::Error::from(e.into_error())))?;
    // Only UTF-8 strings were written.
    let text = String::from_utf8_lossy(&bytes);
    Ok(if options.spreadsheet {
        format!("\u{feff}{text}")
    } else {
        text.into_owned()
    })
}

//! Parquet tables: column definitions (the one source of the schemas, checked
//! against `docs/parquet-schema.md` by a test) and a writer that builds Arrow
//! batches from rows and writes zstd-compressed Parquet files, one per partition.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder,
    ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::error::{ExportError, Result};

/// Rows collected in memory before they are handed to the Parquet writer.
pub const BATCH_ROWS: usize = 8192;

/// Arrow type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 64-bit float.
    Float64,
    /// Boolean.
    Bool,
    /// Calendar date (Arrow `Date32`, days since 1970-01-01).
    Date,
    /// Instant in UTC (Arrow `Timestamp(Microsecond, "UTC")`).
    Timestamp,
    /// List of UTF-8 texts.
    TextList,
}

impl ColumnType {
    /// The Arrow data type.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Text => DataType::Utf8,
            ColumnType::Int32 => DataType::Int32,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Date => DataType::Date32,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColumnType::TextList => {
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
            }
        }
    }

    /// How the type is named in `docs/parquet-schema.md`.
    pub fn doc_name(self) -> &'static str {
        match self {
            ColumnType::Text => "string",
            ColumnType::Int32 => "int32",
            ColumnType::Int64 => "int64",
            ColumnType::Float64 => "double",
            ColumnType::Bool => "boolean",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp[us, UTC]",
            ColumnType::TextList => "list<string>",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Stable column name.
    pub name: &'static str,
    /// Type.
    pub kind: ColumnType,
    /// Whether the column may be null.
    pub nullable: bool,
}

/// Shorthand for column definitions.
const fn col(name: &'static str, kind: ColumnType, nullable: bool) -> Column {
    Column {
        name,
        kind,
        nullable,
    }
}

/// How a table's files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `TABLE/part-….parquet`.
    None,
    /// `TABLE/year=YYYY/part-….parquet` (Hive style), by the year of a timestamp.
    ByYear,
}

/// A table: name, columns, layout.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// Table (and directory) name.
    pub name: &'static str,
    /// Columns in order.
    pub columns: &'static [Column],
    /// Layout of its files.
    pub partition: Partition,
}

impl TableSpec {
    /// The Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.kind.data_type(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }
}

use ColumnType::*;

/// `records`: one row per record version.
pub const RECORDS: TableSpec = TableSpec {
    name: "records",
    partition: Partition::ByYear,
    columns: &[
        col("record_id", Text, false),
        col("version", Int32, false),
        col("journal_seq", Int64, false),
        col("created_at", Timestamp, false),
        col("received_at", Timestamp, false),
        col("actor", Text, false),
        col("kind", Text, true),
        col("doc_number", Text, true),
        col("doc_number_key", Text, true),
        col("doc_type", Text, true),
        col("issued_on", Date, true),
        col("agency", Text, true),
        col("agency_code", Text, true),
        col("summary", Text, true),
        col("urgency", Text, true),
        col("secrecy", Text, true),
        col("dossier", Text, true),
        col("fonds", Text, true),
        col("language", Text, true),
        col("page_count", Int32, true),
        col("file_count", Int32, false),
        col("total_size", Int64, false),
        col("signature_decision", Text, true),
        col("manifest_blake3", Text, false),
        col("previous_blake3", Text, true),
        col("metadata", Text, false),
    ],
};

/// `files`: one row per file of each record version.
pub const FILES: TableSpec = TableSpec {
    name: "files",
    partition: Partition::None,
    columns: &[
        col("record_id", Text, false),
        col("version", Int32, false),
        col("journal_seq", Int64, false),
        col("file_index", Int32, false),
        col("role", Text, false),
        col("filename", Text, false),
        col("media_type", Text, false),
        col("size", Int64, false),
        col("blake3", Text, false),
        col("sha256", Text, false),
        col("encoding", Text, false),
        col("stored_size", Int64, false),
        col("signature_decision", Text, true),
        col("signature_reason", Text, true),
    ],
};

/// `events`: every journal event.
pub const EVENTS: TableSpec = TableSpec {
    name: "events",
    partition: Partition::ByYear,
    columns: &[
        col("seq", Int64, false),
        col("event_index", Int32, false),
        col("event_id", Text, false),
        col("time", Timestamp, false),
        col("actor", Text, false),
        col("kind", Text, false),
        col("subject", Text, false),
        col("outcome", Text, false),
        col("detail", Text, false),
    ],
};

/// `fixity_checks`: one row per `fixity.checked` event.
pub const FIXITY_CHECKS: TableSpec = TableSpec {
    name: "fixity_checks",
    partition: Partition::None,
    columns: &[
        col("seq", Int64, false),
        col("event_id", Text, false),
        col("time", Timestamp, false),
        col("actor", Text, false),
        col("blob", Text, false),
        col("outcome", Text, false),
        col("run", Text, true),
        col("problem", Text, true),
        col("detail", Text, false),
    ],
};

/// `dispositions`: one row per `disposition.*` event.
pub const DISPOSITIONS: TableSpec = TableSpec {
    name: "dispositions",
    partition: Partition::None,
    columns: &[
        col("seq", Int64, false),
        col("event_id", Text, false),
        col("time", Timestamp, false),
        col("actor", Text, false),
        col("kind", Text, false),
        col("subject", Text, false),
        col("outcome", Text, false),
        col("disposition_id", Text, true),
        col("state", Text, true),
        col("action", Text, true),
        col("dossiers", TextList, true),
        col("records", TextList, true),
        col("decision_number", Text, true),
        col("approver", Text, true),
        col("council_minutes", Text, true),
        col("decided_on", Date, true),
        col("reason", Text, true),
        col("detail", Text, false),
    ],
};

/// `backups`: one row per `backup.run`, `backup.verify`, `backup.restore` or `repair.run` event.
pub const BACKUPS: TableSpec = TableSpec {
    name: "backups",
    partition: Partition::None,
    columns: &[
        col("seq", Int64, false),
        col("event_id", Text, false),
        col("time", Timestamp, false),
        col("actor", Text, false),
        col("kind", Text, false),
        col("outcome", Text, false),
        col("run", Text, true),
        col("run_kind", Text, true),
        col("target", Text, true),
        col("target_location", Text, true),
        col("mode", Text, true),
        col("started_at", Timestamp, true),
        col("duration_seconds", Float64, true),
        col("journal_seq", Int64, true),
        col("objects", Int64, true),
        col("bytes", Int64, true),
        col("objects_present", Int64, true),
        col("errors", Int64, true),
        col("coverage", Float64, true),
        col("error", Text, true),
        col("detail", Text, false),
    ],
};

/// Every table, in the order they are written.
pub const TABLES: &[TableSpec] = &[RECORDS, FILES, EVENTS, FIXITY_CHECKS, DISPOSITIONS, BACKUPS];

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Null.
    Null,
    /// Text.
    Text(&'a str),
    /// 32-bit integer.
    Int32(i32),
    /// 64-bit integer.
    Int64(i64),
    /// Float.
    Float64(f64),
    /// Boolean.
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01T00:00:00Z.
    Timestamp(i64),
    /// List of texts.
    TextList(Vec<&'a str>),
}

impl<'a> Value<'a> {
    /// Text, or null.
    pub fn opt_text(v: Option<&'a str>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

/// Microseconds since the Unix epoch.
pub fn micros(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

/// Days since 1970-01-01.
pub fn days(d: time::Date) -> i32 {
    d.to_julian_day() - 2_440_588
}

enum Builder {
    Text(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    TextList(ListBuilder<StringBuilder>),
}

impl Builder {
    fn new(kind: ColumnType) -> Builder {
        Builder::with_text_capacity(kind, BATCH_ROWS * 16)
    }

    /// A builder whose text buffer starts with `bytes` of room, so a batch
    /// fills it without growing it step by step.
    fn with_text_capacity(kind: ColumnType, bytes: usize) -> Builder {
        match kind {
            Text => Builder::Text(StringBuilder::with_capacity(BATCH_ROWS, bytes)),
            Int32 => Builder::Int32(Int32Builder::with_capacity(BATCH_ROWS)),
            Int64 => Builder::Int64(Int64Builder::with_capacity(BATCH_ROWS)),
            Float64 => Builder::Float64(Float64Builder::with_capacity(BATCH_ROWS)),
            Bool => Builder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            Date => Builder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            Timestamp => Builder::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS).with_timezone("UTC"),
            ),
            TextList => Builder::TextList(ListBuilder::new(StringBuilder::new())),
        }
    }

    /// Appends a value; false when its type is not the column's.
    fn append(&mut self, v: &Value<'_>) -> bool {
        match (self, v) {
            (Builder::Text(b), Value::Text(s)) => b.append_value(s),
            (Builder::Text(b), Value::Null) => b.append_null(),
            (Builder::Int32(b), Value::Int32(x)) => b.append_value(*x),
            (Builder::Int32(b), Value::Null) => b.append_null(),
            (Builder::Int64(b), Value::Int64(x)) => b.append_value(*x),
            (Builder::Int64(b), Value::Null) => b.append_null(),
            (Builder::Float64(b), Value::Float64(x)) => b.append_value(*x),
            (Builder::Float64(b), Value::Null) => b.append_null(),
            (Builder::Bool(b), Value::Bool(x)) => b.append_value(*x),
            (Builder::Bool(b), Value::Null) => b.append_null(),
            (Builder::Date(b), Value::Date(x)) => b.append_value(*x),
            (Builder::Date(b), Value::Null) => b.append_null(),
            (Builder::Timestamp(b), Value::Timestamp(x)) => b.append_value(*x),
            (Builder::Timestamp(b), Value::Null) => b.append_null(),
            (Builder::TextList(b), Value::TextList(items)) => {
                for s in items {
                    b.values().append_value(s);
                }
                b.append(true);
            }
            (Builder::TextList(b), Value::Null) => b.append(false),
            _ => return false,
        }
        true
    }

    /// Bytes of text collected (0 for other types).
    fn text_bytes(&self) -> usize {
        match self {
            Builder::Text(b) => b.values_slice().len(),
            _ => 0,
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Int64(b) => Arc::new(b.finish()),
            Builder::Float64(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::TextList(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Builder::Text(b) => b.len(),
            Builder::Int32(b) => b.len(),
            Builder::Int64(b) => b.len(),
            Builder::Float64(b) => b.len(),
            Builder::Bool(b) => b.len(),
            Builder::Date(b) => b.len(),
            Builder::Timestamp(b) => b.len(),
            Builder::TextList(b) => b.len(),
        }
    }
}

/// Builds Arrow record batches of one table from rows of [`Value`]s.
pub struct BatchBuilder {
    spec: TableSpec,
    schema: SchemaRef,
    builders: Vec<Builder>,
}

impl BatchBuilder {
    /// An empty builder for `spec`.
    pub fn new(spec: TableSpec) -> Self {
        BatchBuilder {
            spec,
            schema: spec.schema(),
            builders: spec.columns.iter().map(|c| Builder::new(c.kind)).collect(),
        }
    }

    /// Appends one row; its values must match the columns in number and type
    /// (a mismatch is a bug: the error ends the export).
    pub fn push(&mut self, row: &[Value<'_>]) -> Result<()> {
        if row.len() != self.builders.len() {
            return Err(ExportError::Internal(format!(
                "table {}: row has {} values for {} columns",
                self.spec.name,
                row.len(),
                self.builders.len()
            )));
        }
        for (i, (b, v)) in self.builders.iter_mut().zip(row).enumerate() {
            if !b.append(v) {
                // Only a bug gets here; the builder's columns now differ in length,
                // so the export stops (and its partial output is removed).
                let name = self.spec.columns.get(i).map_or("?", |c| c.name);
                return Err(ExportError::Internal(format!(
                    "table {}: column {name} cannot hold {v:?}",
                    self.spec.name
                )));
            }
        }
        Ok(())
    }

    /// Rows collected so far.
    pub fn len(&self) -> usize {
        self.builders.first().map_or(0, Builder::len)
    }

    /// Whether no rows are collected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The collected rows as a batch; the builder starts over empty.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.builders.len());
        for (b, c) in self.builders.iter_mut().zip(self.spec.columns) {
            // The next batch likely needs as much room as this one.
            let room = b.text_bytes() + b.text_bytes() / 8;
            columns.push(b.finish());
            if c.kind == Text {
                *b = Builder::with_text_capacity(Text, room.max(BATCH_ROWS * 16));
            }
        }
        RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| ExportError::Parquet {
            table: self.spec.name.to_string(),
            detail: e.to_string(),
        })
    }

    /// The table's schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Columns whose values are (nearly) all different: dictionary encoding only
/// costs time there.
const UNIQUE_COLUMNS: &[&str] = &[
    "record_id",
    "event_id",
    "manifest_blake3",
    "previous_blake3",
    "blake3",
    "sha256",
    "summary",
    "metadata",
    "detail",
];

/// Writer settings of every export file: zstd level 1, statistics on, no
/// dictionary for columns of unique values, the creator named.
pub fn writer_properties() -> WriterProperties {
    let level = ZstdLevel::try_new(1).unwrap_or_default();
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_created_by(format!("kho {}", env!("CARGO_PKG_VERSION")));
    for c in UNIQUE_COLUMNS {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*c), false);
    }
    b.build()
}

fn parquet_error(table: &str, e: impl std::fmt::Display) -> ExportError {
    ExportError::Parquet {
        table: table.to_string(),
        detail: e.to_string(),
    }
}

/// Encodes batches into one Parquet file on its own thread, so building the
/// next batch from rows overlaps with compressing the last one.
struct Encoder {
    table: &'static str,
    sender: Option<std::sync::mpsc::SyncSender<RecordBatch>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Encoder {
    fn start(table: &'static str, file: File, schema: SchemaRef) -> Result<Encoder> {
        let mut writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema,
            Some(writer_properties()),
        )
        .map_err(|e| parquet_error(table, e))?;
        // Two batches in flight bound the memory used.
        let (sender, batches) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let thread = std::thread::Builder::new()
            .name(format!("parquet-{table}"))
            .spawn(move || -> Result<()> {
                for b in batches {
                    writer.write(&b).map_err(|e| parquet_error(table, e))?;
                }
                let buf = writer.into_inner().map_err(|e| parquet_error(table, e))?;
                let file = buf.into_inner().map_err(|e| {
                    ExportError::io(format!("writing table {table}"), e.into_error())
                })?;
                file.sync_all()
                    .map_err(|e| ExportError::io(format!("writing table {table}"), e))
            })
            .map_err(|e| ExportError::io("starting a parquet writer thread", e))?;
        Ok(Encoder {
            table,
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    fn send(&mut self, batch: RecordBatch) -> Result<()> {
        if self.sender.as_ref().is_some_and(|s| s.send(batch).is_ok()) {
            return Ok(());
        }
        // The thread stopped: its own error says why.
        self.finish()?;
        Err(ExportError::Internal(format!(
            "the parquet writer of {} stopped",
            self.table
        )))
    }

    /// Waits for every batch to be written and the file flushed to disk.
    fn finish(&mut self) -> Result<()> {
        drop(self.sender.take());
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| {
                ExportError::Internal(format!("the parquet writer of {} panicked", self.table))
            })?,
            None => Ok(()),
        }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // Close the file before anyone removes the directory it is in.
        drop(self.sender.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Part {
    relative: PathBuf,
    batch: BatchBuilder,
    encoder: Encoder,
    rows: u64,
    /// Rows in `batch` not yet handed to the writer.
    pending: usize,
}

/// A file written by a [`TableWriter`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrittenFile {
    /// Path relative to the export directory, `/`-separated.
    pub path: String,
    /// Table.
    pub table: String,
    /// Rows in the file.
    pub rows: u64,
}

/// Writes one table's rows into Parquet files under a directory: one file per
/// partition, named `part-<stem>.parquet`.
pub struct TableWriter {
    spec: TableSpec,
    root: PathBuf,
    stem: String,
    parts: BTreeMap<Option<i32>, Part>,
}

impl TableWriter {
    /// A writer for `spec` under `root` (the export directory); file names end
    /// in `part-<stem>.parquet`.
    pub fn new(spec: TableSpec, root: &Path, stem: &str) -> Self {
        TableWriter {
            spec,
            root: root.to_path_buf(),
            stem: stem.to_string(),
            parts: BTreeMap::new(),
        }
    }

    /// The table written.
    pub fn spec(&self) -> &TableSpec {
        &self.spec
    }

    fn part(&mut self, year: Option<i32>) -> Result<&mut Part> {
        let key = match self.spec.partition {
            Partition::None => None,
            Partition::ByYear => year,
        };
        if !self.parts.contains_key(&key) {
            self.open_part(key)?;
        }
        self.parts
            .get_mut(&key)
            .ok_or_else(|| ExportError::Internal("partition vanished".into()))
    }

    fn open_part(&mut self, key: Option<i32>) -> Result<()> {
        {
            let mut relative = PathBuf::from(self.spec.name);
            if let Some(y) = key {
                relative.push(format!("year={y}"));
            }
            relative.push(format!("part-{}.parquet", self.stem));
            let path = self.root.join(&relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| ExportError::io(format!("creating {}", parent.display()), e))?;
            }
            let file = File::create(&path)
                .map_err(|e| ExportError::io(format!("creating {}", path.display()), e))?;
            let batch = BatchBuilder::new(self.spec);
            let encoder = Encoder::start(self.spec.name, file, batch.schema())?;
            self.parts.insert(
                key,
                Part {
                    relative,
                    batch,
                    encoder,
                    rows: 0,
                    pending: 0,
                },
            );
        }
        Ok(())
    }

    /// Makes sure the (unpartitioned) table has a file even when it gets no rows,
    /// so readers find its schema.
    pub fn ensure_file(&mut self) -> Result<()> {
        if self.spec.partition == Partition::None {
            self.part(None)?;
        }
        Ok(())
    }

    /// Appends one row to the partition of `year` (ignored for unpartitioned tables).
    pub fn push(&mut self, year: Option<i32>, row: &[Value<'_>]) -> Result<()> {
        let key = match self.spec.partition {
            Partition::None => None,
            Partition::ByYear => year,
        };
        // One map lookup per row in the common case of an open partition.
        let part = match self.parts.get_mut(&key) {
            Some(p) => p,
            None => self.part(key)?,
        };
        part.batch.push(row)?;
        part.rows += 1;
        part.pending += 1;
        if part.pending >= BATCH_ROWS {
            part.pending = 0;
            let b = part.batch.finish()?;
            part.encoder.send(b)?;
        }
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.parts.values().map(|p| p.rows).sum()
    }

    /// Writes the remaining rows and the Parquet footers, flushes the files to disk.
    pub fn finish(self) -> Result<Vec<WrittenFile>> {
        let name = self.spec.name;
        let mut out = Vec::with_capacity(self.parts.len());
        for (_, mut part) in self.parts {
            if !part.batch.is_empty() {
                let b = part.batch.finish()?;
                part.encoder.send(b)?;
            }
            part.encoder.finish()?;
            out.push(WrittenFile {
                path: part
                    .relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
                table: name.to_string(),
                rows: part.rows,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_of_the_wrong_type_is_refused_with_the_column_name() {
        let mut b = BatchBuilder::new(FIXITY_CHECKS);
        let e = b
            .push(&[
                Value::Text("not a number"),
                Value::Text("id"),
                Value::Timestamp(0),
                Value::Text("a"),
                Value::Text("b"),
                Value::Text("success"),
                Value::Null,
                Value::Null,
                Value::Text("{}"),
            ])
            .unwrap_err();
        assert!(e.to_string().contains("column seq"), "{e}");
    }

    #[test]
    fn every_table_has_unique_column_names() {
        for t in TABLES {
            let mut names: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.columns.len(), "table {}", t.name);
        }
    }

    #[test]
    fn days_and_micros_count_from_the_unix_epoch() {
        assert_eq!(days(time::macros::date!(1970 - 01 - 02)), 1);
        assert_eq!(
            micros(time::macros::datetime!(1970-01-01 00:00:01 UTC)),
            1_000_000
        );
    }
}

//! `kho-bench parquet [--rows N]`: rows/s of the `records` table through Kho's
//! Parquet writer (rows → Arrow builders → zstd Parquet on an encoder thread)
//! against a raw `ArrowWriter` writing the same batches, prebuilt outside the
//! clock, with the same settings, in the same run (targets: ≥ 0.5 M rows/s and
//! ≥ 70 % of raw). Rows are generated before either clock starts.

use std::path::Path;
use std::time::{Duration, Instant};

use export::table::{BATCH_ROWS, BatchBuilder, RECORDS, TableWriter, Value, writer_properties};
use parquet::arrow::ArrowWriter;

/// One generated `records` row with owned values.
struct Row {
    id: String,
    created_at: i64,
    doc_number: String,
    doc_key: String,
    doc_type: &'static str,
    issued_on: i32,
    agency: String,
    summary: String,
    dossier: String,
    file_count: i32,
    total_size: i64,
    manifest_blake3: String,
    metadata: String,
}

const AGENCIES: [&str; 5] = [
    "Ủy ban nhân dân tỉnh Nam Định",
    "Ủy ban nhân dân tỉnh Nghệ An",
    "Ủy ban nhân dân tỉnh Bắc Giang",
    "Sở Nội vụ thành phố Hải Phòng",
    "Văn phòng Chính phủ",
];
const TYPES: [&str; 4] = ["Quyết định", "Công văn", "Thông báo", "Kế hoạch"];

fn rows(start: usize, n: usize) -> Vec<Row> {
    (start..start + n)
        .map(|i| {
            let agency = AGENCIES[i % AGENCIES.len()];
            let doc_type = TYPES[i % TYPES.len()];
            let year = 2015 + (i % 10) as i32;
            let doc_number = format!("{}/{year}/QĐ-UBND", i % 5000 + 1);
            // All versions written in 2025, so both writers produce one file.
            let created_at = 1_735_689_600_000_000 + (i as i64) * 1_000_003;
            Row {
                id: format!("01a2{:04x}-{:04x}-7{:03x}-8000-{:012x}", i >> 16, i & 0xffff, i % 4096, i),
                created_at,
                doc_key: doc_number.to_lowercase().replace('đ', "d"),
                metadata: format!(
                    r#"{{"doc_number":"{doc_number}","doc_type":"{doc_type}","issuer":"{agency}","issued_on":"{year}-03-16"}}"#
                ),
                doc_number,
                doc_type,
                issued_on: (year - 1970) * 365 + 75,
                agency: agency.to_string(),
                summary: format!("Ban hành quy định số {i} về việc quản lý văn bản điện tử"),
                dossier: format!("HS-{year}-{:03}", i % 200),
                file_count: 1 + (i % 3) as i32,
                total_size: 50_000 + (i as i64 % 900_000),
                manifest_blake3: blake3::hash(&i.to_le_bytes()).to_hex().to_string(),
            }
        })
        .collect()
}

fn values(r: &Row) -> [Value<'_>; 26] {
    [
        Value::Text(&r.id),
        Value::Int32(1),
        Value::Int64(1 + (r.created_at % 1000)),
        Value::Timestamp(r.created_at),
        Value::Timestamp(r.created_at),
        Value::Text("archivist"),
        Value::Text("outgoing"),
        Value::Text(&r.doc_number),
        Value::Text(&r.doc_key),
        Value::Text(r.doc_type),
        Value::Date(r.issued_on),
        Value::Text(&r.agency),
        Value::Null,
        Value::Text(&r.summary),
        Value::Null,
        Value::Null,
        Value::Text(&r.dossier),
        Value::Null,
        Value::Text("vi"),
        Value::Int32(3),
        Value::Int32(r.file_count),
        Value::Int64(r.total_size),
        Value::Text("accept"),
        Value::Text(&r.manifest_blake3),
        Value::Null,
        Value::Text(&r.metadata),
    ]
}

/// Runs the benchmark and prints one Markdown table row.
pub fn run(args: &[String], base: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let arg = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let total: usize = arg("--rows", "1000000").parse()?;
    let work = tempfile::tempdir_in(base)?;

    // Every row generated first, so nothing the clock does not see runs while the
    // writer's encoder thread works.
    let all = rows(0, total);

    // Kho's writer: rows pushed one by one; it builds batches and hands them to
    // its encoder thread.
    let mut writer = TableWriter::new(RECORDS, work.path(), "kho");
    let t = Instant::now();
    for r in &all {
        writer.push(Some(2025), &values(r))?;
    }
    let files = writer.finish()?;
    let kho = t.elapsed();
    let kho_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(work.path().join(&f.path)).map_or(0, |m| m.len()))
        .sum();

    // Raw: the same batches, built before the clock starts, written by ArrowWriter.
    let mut raw = Duration::ZERO;
    let path = work.path().join("raw.parquet");
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let mut builder = BatchBuilder::new(RECORDS);
    let mut w = ArrowWriter::try_new(file, builder.schema(), Some(writer_properties()))?;
    for chunk in all.chunks(BATCH_ROWS) {
        for r in chunk {
            builder.push(&values(r))?;
        }
        let batch = builder.finish()?;
        let t = Instant::now();
        w.write(&batch)?;
        raw += t.elapsed();
    }
    let t = Instant::now();
    let file = w.into_inner()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    raw += t.elapsed();
    let raw_bytes = std::fs::metadata(&path)?.len();

    let kho_rate = total as f64 / kho.as_secs_f64();
    let raw_rate = total as f64 / raw.as_secs_f64();
    println!("| work | Kho | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| Parquet export, `records` table, {total} generated rows (zstd 1; {:.1} MB vs {:.1} MB) | {:.2} M rows/s (target ≥ 0.5; builds batches, encodes on a second thread) | raw `ArrowWriter` (one thread) of the same prebuilt batches: {:.2} M rows/s | {:.0} % (target ≥ 70 %) |",
        kho_bytes as f64 / 1e6,
        raw_bytes as f64 / 1e6,
        kho_rate / 1e6,
        raw_rate / 1e6,
        100.0 * kho_rate / raw_rate
    );
    Ok(())
}

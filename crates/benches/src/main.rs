//! `kho-bench`: Kho's speed targets as ratios against raw baselines run in the same
//! process (DESIGN §13). Prints a Markdown table; `scripts/bench.sh` writes it to
//! BENCHMARKS.md.
//!
//! Usage: kho-bench [--small N] [--large-gib G] [--dir DIR]
//!        kho-bench parquet [--rows N]
//!        kho-bench signatures [--large-mb N] [--runs N] [--deadline-ms N]
//!        kho-bench search-quality [--corpus FILE] [--number-stride N]
//!        kho-bench search-indexing [--corpus FILE] [--docs N]
//!        kho-bench search-latency [--corpus FILE] [--docs N] [--queries N] [--dir DIR | --keep DIR] [--kho-only]
//!        kho-bench gen-corpus [--corpus FILE] [--docs N] --out DIR

mod parquet_export;
mod search_corpus;
mod search_indexing;
mod search_latency;
mod search_quality;
mod signatures_bench;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::blob::Compression;
use archive_core::format::FormatPolicy;
use archive_core::model::FileRole;
use archive_core::store::Store;
use bytes::Bytes;

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut xof = blake3::Hasher::new()
        .update(&seed.to_le_bytes())
        .finalize_xof();
    let _ = xof.read_exact(&mut out);
    out
}

fn fsync_dir(p: &Path) -> std::io::Result<()> {
    std::fs::File::open(p)?.sync_all()
}

/// Raw baseline: write, fsync, rename, fsync the directory.
fn raw_small_writes(dir: &Path, files: &[Vec<u8>]) -> std::io::Result<f64> {
    std::fs::create_dir_all(dir)?;
    let t = Instant::now();
    for (i, d) in files.iter().enumerate() {
        let tmp = dir.join(format!("{i}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(d)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(format!("{i}")))?;
        fsync_dir(dir)?;
    }
    Ok(files.len() as f64 / t.elapsed().as_secs_f64())
}

fn drop_caches() -> bool {
    // Needs root; otherwise the read is warm and the report says so.
    std::process::Command::new("sync")
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        && std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

fn options() -> ArchiveOptions {
    ArchiveOptions {
        formats: FormatPolicy::Any,
        metadata: archive_core::rules::MetadataPolicy::Free,
        compression: Compression::default(),
        ..ArchiveOptions::default()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("parquet") {
        return parquet_export::run(&args[2..], &std::env::temp_dir());
    }
    match args.get(1).map(String::as_str) {
        Some("signatures") => return signatures_bench::run(&args[2..]),
        Some("search-quality") => return search_quality::run(&args[2..]),
        Some("search-indexing") => return search_indexing::run(&args[2..]),
        Some("search-latency") => return search_latency::run(&args[2..]),
        Some("gen-corpus") => return search_latency::write_corpus(&args[2..]),
        _ => {}
    }
    let arg = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let small: usize = arg("--small", "2000").parse()?;
    let concurrency: usize = arg("--concurrency", "8").parse()?;
    let large_gib: u64 = arg("--large-gib", "4").parse()?;
    let base = PathBuf::from(arg("--dir", &std::env::temp_dir().display().to_string()));
    let work = tempfile::tempdir_in(&base)?;
    let mut rows: Vec<(String, String, String, String)> = Vec::new();

    // 1. Small deposits vs raw fsync'd publishes.
    let files: Vec<Vec<u8>> = (0..small).map(|i| noise(100 * 1024, i as u64)).collect();
    let raw_rate = raw_small_writes(&work.path().join("raw"), &files)?;
    let store = Store::open_local(&work.path().join("store"))?;
    let mut a = Archive::init(store.clone(), options()).await?;
    let t = Instant::now();
    // As `kho deposit --each` does: groups of 64 records, 8 stored at a time, one
    // journal batch per group.
    for (g, group) in files.chunks(64).enumerate() {
        let reqs = group
            .iter()
            .enumerate()
            .map(|(i, d)| DepositRequest {
                metadata: serde_json::json!({ "summary": format!("văn bản {}", g * 64 + i) }),
                files: vec![DepositFile {
                    filename: format!("{i}.pdf"),
                    role: FileRole::Main,
                    source: FileSource::Bytes(Bytes::from(d.clone())),
                }],
            })
            .collect();
        for r in a.deposit_many(reqs, concurrency).await? {
            r?;
        }
    }
    let kho_rate = small as f64 / t.elapsed().as_secs_f64();
    rows.push((
        format!("deposit {small} × 100 KiB, local store, fsync"),
        format!("{kho_rate:.0} records/s"),
        format!("{raw_rate:.0} files/s (write+fsync+rename+dir fsync)"),
        format!("{:.0} % (target ≥ 80 %)", 100.0 * kho_rate / raw_rate),
    ));
    drop(files);

    a.close().await?;

    // 2. One large file, deposited by the real `kho` binary in its own process so its
    //    peak RSS is its own: rate vs a raw fsync'd copy.
    let kho = std::env::current_exe()?
        .parent()
        .ok_or("no exe dir")?
        .join("kho");
    let store2 = work.path().join("store2");
    let cfg = work.path().join("kho.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\nurl = {:?}\n[ingest]\nformats = \"any\"\nmetadata = \"free\"\n",
            store2.display().to_string()
        ),
    )?;
    let run = |args: &[&str]| {
        std::process::Command::new(&kho)
            .arg("--config")
            .arg(&cfg)
            .arg("--quiet")
            .args(args)
            .output()
    };
    let o = run(&["init"])?;
    if !o.status.success() {
        return Err(format!("kho init: {}", String::from_utf8_lossy(&o.stderr)).into());
    }
    let total = large_gib * 1024 * 1024 * 1024;
    let src = work.path().join("large.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src)?);
        let mut xof = blake3::Hasher::new().update(b"large").finalize_xof();
        let mut buf = vec![0u8; 8 << 20];
        let mut left = total;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            xof.read_exact(&mut buf[..n])?;
            f.write_all(&buf[..n])?;
            left -= n as u64;
        }
        f.into_inner()?.sync_all()?;
    }
    let t = Instant::now();
    {
        let mut r = std::fs::File::open(&src)?;
        let dst = work.path().join("copy.bin");
        let mut w = std::fs::File::create(&dst)?;
        std::io::copy(&mut r, &mut w)?;
        w.sync_all()?;
        std::fs::remove_file(dst)?;
    }
    let raw_copy = total as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut child = std::process::Command::new(&kho)
        .arg("--config")
        .arg(&cfg)
        .arg("--quiet")
        .arg("deposit")
        .arg(&src)
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut hwm = 0u64;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if let Some(v) = std::fs::read_to_string(&status_path).ok().and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        }) {
            hwm = hwm.max(v);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    if !status.success() {
        return Err("kho deposit of the large file failed".into());
    }
    let kho_large = total as f64 / t.elapsed().as_secs_f64();
    rows.push((
        format!("deposit one {large_gib} GiB file (`kho deposit`)"),
        format!("{:.0} MiB/s", kho_large / 1048576.0),
        format!("{:.0} MiB/s (copy + fsync)", raw_copy / 1048576.0),
        format!("{:.0} % (target ≥ 70 %)", 100.0 * kho_large / raw_copy),
    ));
    rows.push((
        format!("peak RSS of `kho deposit` of the {large_gib} GiB file"),
        format!("{} MiB (VmHWM, sampled every 20 ms)", hwm / 1024),
        "-".into(),
        "target < 200 MiB".into(),
    ));
    std::fs::remove_file(&src)?;

    // 3. `kho scrub` of that store vs min(cold sequential read, 2-thread BLAKE3).
    let mut blob_file = None;
    let mut stack = vec![store2.join("blobs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e.metadata()?.len() >= total {
                blob_file = Some(p);
            }
        }
    }
    let blob_file = blob_file.ok_or("large blob not found")?;
    let cold = drop_caches();
    let t = Instant::now();
    let mut f = std::fs::File::open(&blob_file)?;
    let mut buf = vec![0u8; 8 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
    }
    let read_rate = n as f64 / t.elapsed().as_secs_f64();
    let mem = noise(512 << 20, 1);
    let t = Instant::now();
    let _ = blake3::Hasher::new().update_rayon(&mem).finalize();
    let b3_rate = mem.len() as f64 / t.elapsed().as_secs_f64();
    drop(mem);
    let cold2 = drop_caches();
    let o = run(&["--json", "scrub"])?;
    if !o.status.success() {
        return Err(format!("kho scrub: {}", String::from_utf8_lossy(&o.stderr)).into());
    }
    let rep: serde_json::Value = serde_json::from_slice(&o.stdout)?;
    let bytes = rep["bytes"].as_f64().ok_or("scrub bytes")?;
    let secs = rep["seconds"].as_f64().ok_or("scrub seconds")?;
    let scrub_rate = bytes / secs;
    let base_rate = read_rate.min(b3_rate);
    rows.push((
        format!(
            "`kho scrub` of {:.1} GiB ({})",
            bytes / 1073741824.0,
            if cold && cold2 {
                "cold cache"
            } else {
                "warm cache: could not drop caches"
            }
        ),
        format!("{:.0} MiB/s", scrub_rate / 1048576.0),
        format!(
            "min(read {:.0} MiB/s, 2-thread BLAKE3 {:.0} MiB/s)",
            read_rate / 1048576.0,
            b3_rate / 1048576.0
        ),
        format!("{:.0} % (target ≥ 80 %)", 100.0 * scrub_rate / base_rate),
    ));

    println!("| work | Kho | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    for (w, k, b, r) in rows {
        println!("| {w} | {k} | {b} | {r} |");
    }
    Ok(())
}

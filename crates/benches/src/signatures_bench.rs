//! `kho-bench signatures [--large-mb N] [--runs N] [--deadline-ms N]`: signature
//! verification (issue 8) against a raw SHA-256 of the same bytes in the same run.
//!
//! - Verification time of the shared fixtures (the two-signature document and the
//!   1 MB one) and of an N MB signed PDF generated here with the test PKI
//!   (default 50 MB), each read through a `File`: median of `--runs` runs, MB/s,
//!   and the ratio to a streamed SHA-256 of the same file (64 KiB reads).
//! - Peak memory: each file is verified once more in a child process
//!   (`kho-bench signatures --child verify FILE`) that reports its own VmHWM; a
//!   child that only streams SHA-256 over the same file is the baseline. A
//!   streamed digest keeps the peak flat whatever the file size.
//! - Bad input: every hostile case is written to a file and verified in its own
//!   child with a wall-clock deadline per file; a child past its deadline is
//!   killed and counted. The report gives the slowest case and the count over the
//!   deadline. This is a measurement, not a test assertion.

#[path = "../../signatures/tests/common/signer.rs"]
mod signer;

#[path = "../../signatures/tests/common/minimal_pdf.rs"]
mod minimal_pdf;
use minimal_pdf::pdf_from_objects;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use signatures::{TrustAnchors, VerifyOptions, verify_pdf};
use signer::{PdfSpec, SignOptions, Signer, signed_pdf};

type Error = Box<dyn std::error::Error>;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../signatures/tests/fixtures/generated")
}

/// Options trusting the fixtures' test PKI and the benchmark's own signer.
fn options() -> Result<VerifyOptions, Error> {
    let dir = fixtures_dir();
    let mut anchors = TrustAnchors::from_pem(&std::fs::read(dir.join("trust/root.pem"))?)?;
    anchors.add_der(&Signer::load().cert)?;
    let mut options = VerifyOptions::new(anchors);
    options.add_intermediates_pem(&std::fs::read(dir.join("trust/intermediate.pem"))?)?;
    Ok(options)
}

/// Peak resident set of this process (KiB), from /proc/self/status.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// SHA-256 of a file read in 64 KiB chunks (the baseline).
fn sha256_file(path: &Path) -> Result<[u8; 32], Error> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut h = Sha256::new();
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

fn verify_file(path: &Path, options: &VerifyOptions) -> Result<signatures::SignatureReport, Error> {
    let f = std::fs::File::open(path)?;
    Ok(verify_pdf(BufReader::new(f), options))
}

/// The child side: one verification (or one SHA-256), one JSON line out.
fn child(args: &[String]) -> Result<(), Error> {
    let (mode, path) = match args {
        [mode, path, ..] => (mode.as_str(), Path::new(path)),
        _ => return Err("usage: kho-bench signatures --child verify|sha256 FILE".into()),
    };
    let options = options()?;
    let t = Instant::now();
    let line = match mode {
        "sha256" => {
            sha256_file(path)?;
            serde_json::json!({ "seconds": t.elapsed().as_secs_f64() })
        }
        "verify" => {
            let report = verify_file(path, &options)?;
            serde_json::json!({
                "seconds": t.elapsed().as_secs_f64(),
                "decision": report.decision.as_str(),
                "reason": report.reason,
                "signatures": report.signatures.len(),
                "intact": report.signatures.iter().filter(|s| s.intact).count(),
            })
        }
        other => return Err(format!("unknown child mode {other}").into()),
    };
    let mut line = line;
    line["vm_hwm_kib"] = vm_hwm_kib().into();
    println!("{line}");
    Ok(())
}

/// What a child reported, or that it ran past its deadline.
struct ChildRun {
    wall: Duration,
    killed: bool,
    /// The child failed (crash, panic, error): its status and stderr.
    failed: Option<String>,
    report: serde_json::Value,
}

fn run_child(mode: &str, path: &Path, deadline: Duration) -> Result<ChildRun, Error> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["signatures", "--child", mode])
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let t = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if t.elapsed() > deadline {
            child.kill()?;
            child.wait()?;
            return Ok(ChildRun {
                wall: t.elapsed(),
                killed: true,
                failed: None,
                report: serde_json::Value::Null,
            });
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let wall = t.elapsed();
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Ok(ChildRun {
            wall,
            killed: false,
            failed: Some(format!(
                "{}: {}",
                out.status,
                stderr.lines().next().unwrap_or("")
            )),
            report: serde_json::Value::Null,
        });
    }
    Ok(ChildRun {
        wall,
        killed: false,
        failed: None,
        report: serde_json::from_slice(&out.stdout)?,
    })
}

fn median(runs: usize, mut f: impl FnMut() -> Result<(), Error>) -> Result<Duration, Error> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn mib_per_s(bytes: u64, t: Duration) -> f64 {
    bytes as f64 / 1_048_576.0 / t.as_secs_f64().max(1e-9)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Rewrites the `n`-th number (1..=3) of the first `/ByteRange` of a PDF made by
/// the test signer (fixed-width numbers).
fn with_byte_range_number(mut pdf: Vec<u8>, n: usize, value: impl Fn(&[u64; 3]) -> u64) -> Vec<u8> {
    let Some(at) = find(&pdf, b"/ByteRange [0 ").map(|p| p + 14) else {
        return pdf;
    };
    let num = |i: usize| {
        String::from_utf8_lossy(&pdf[at + i * 11..at + i * 11 + 10])
            .parse()
            .unwrap_or(0)
    };
    let current = [num(0), num(1), num(2)];
    let start = at + (n - 1) * 11;
    pdf[start..start + 10].copy_from_slice(format!("{:010}", value(&current)).as_bytes());
    pdf
}

/// Every hostile case of issue 8 "Bad input", by name.
fn bad_inputs(signer: &Signer, large: &[u8]) -> Vec<(String, Vec<u8>)> {
    let fixture = |name: &str| std::fs::read(fixtures_dir().join(name)).unwrap_or_default();
    let small = signed_pdf(signer, &PdfSpec::default());
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    cases.push(("empty file".into(), Vec::new()));
    cases.push((
        "fixture 12_truncated.pdf".into(),
        fixture("12_truncated.pdf"),
    ));
    cases.push((
        "fixture 13_not_a_pdf.pdf".into(),
        fixture("13_not_a_pdf.pdf"),
    ));
    cases.push((
        format!("{} MB signed PDF cut in half", large.len() >> 20),
        large[..large.len() / 2].to_vec(),
    ));
    let mut noise = b"%PDF-1.7\n".to_vec();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    noise.extend((0..8 << 20).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    cases.push(("8 MB of random bytes after a PDF header".into(), noise));
    cases.push((
        "100 000 nested arrays".into(),
        pdf_from_objects(
            &[&format!("<< /Type /Catalog /X {} >>", "[".repeat(100_000))],
            "",
        ),
    ));
    let refs: String = (0..200_000).map(|i| format!("{} 0 R ", i + 10)).collect();
    cases.push((
        "200 000 field references (huge object graph)".into(),
        pdf_from_objects(
            &[&format!(
                "<< /Type /Catalog /AcroForm << /Fields [{refs}] >> >>"
            )],
            "",
        ),
    ));
    // A chain of 100 000 fields, each the only kid of the previous one.
    let mut chain: Vec<String> =
        vec!["<< /Type /Catalog /AcroForm << /Fields [2 0 R] >> >>".into()];
    for i in 2..100_002 {
        chain.push(format!("<< /T (f{i}) /Kids [{} 0 R] >>", i + 1));
    }
    chain.push("<< /T (last) /FT /Sig >>".into());
    let chain_refs: Vec<&str> = chain.iter().map(String::as_str).collect();
    cases.push((
        "field tree 100 000 levels deep".into(),
        pdf_from_objects(&chain_refs, ""),
    ));
    cases.push((
        "cyclic field tree".into(),
        pdf_from_objects(
            &[
                "<< /Type /Catalog /AcroForm << /Fields [2 0 R] >> >>",
                "<< /T (a) /Kids [3 0 R] >>",
                "<< /T (b) /Kids [2 0 R 3 0 R] /Parent 2 0 R >>",
            ],
            "",
        ),
    ));
    cases.push((
        "cyclic reference chain".into(),
        pdf_from_objects(
            &["<< /Type /Catalog /AcroForm 2 0 R >>", "3 0 R", "2 0 R"],
            "",
        ),
    ));
    let base = pdf_from_objects(&["<< /Type /Catalog >>"], "");
    let xref = find(&base, b"xref").unwrap_or(0);
    cases.push((
        "cyclic /Prev chain".into(),
        pdf_from_objects(&["<< /Type /Catalog >>"], &format!("/Prev {xref}")),
    ));
    cases.push((
        "self-referencing stream /Length".into(),
        pdf_from_objects(
            &[
                "<< /Type /Catalog /AcroForm << /Fields [2 0 R] >> >>",
                "<< /Length 2 0 R >>\nstream\nabc\nendstream",
            ],
            "",
        ),
    ));
    cases.push((
        "stream /Length past the end".into(),
        pdf_from_objects(
            &[
                "<< /Type /Catalog /AcroForm << /Fields [] >> >>",
                "<< /Length 99999999999 >>\nstream\nabc\nendstream",
            ],
            "",
        ),
    ));
    let len = small.len() as u64;
    cases.push((
        "/Contents larger than the file".into(),
        with_byte_range_number(small.clone(), 2, |n| n[1] + len),
    ));
    cases.push((
        "ByteRange outside the file".into(),
        with_byte_range_number(small.clone(), 3, |_| 9_999_999_999),
    ));
    cases.push((
        "ByteRange overlapping".into(),
        with_byte_range_number(small.clone(), 1, |n| n[1] + 10),
    ));
    let mut garbage = small.clone();
    if let Some(at) = find(&garbage, b"/Contents <").map(|p| p + 11) {
        garbage[at..at + 12].copy_from_slice(b"3084ffffffff");
    }
    cases.push(("CMS claiming 4 GB".into(), garbage));
    cases.push((
        "CMS with an unknown signature algorithm".into(),
        signed_pdf(
            signer,
            &PdfSpec {
                sign: SignOptions {
                    signature_oid: "1.2.3.4.5.6".into(),
                    ..SignOptions::default()
                },
                ..PdfSpec::default()
            },
        ),
    ));
    cases.push((
        "50 signature fields (one signed)".into(),
        signed_pdf(
            signer,
            &PdfSpec {
                fields: 50,
                reserved: 2048,
                ..PdfSpec::default()
            },
        ),
    ));
    cases.push((
        "500 signature fields (one signed)".into(),
        signed_pdf(
            signer,
            &PdfSpec {
                fields: 500,
                reserved: 2048,
                ..PdfSpec::default()
            },
        ),
    ));
    cases
}

/// Runs the benchmark (or, with `--child`, one measured verification).
pub fn run(args: &[String]) -> Result<(), Error> {
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    let arg = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let large_mb: usize = arg("--large-mb", "50").parse()?;
    let runs: usize = arg("--runs", "5").parse()?;
    let deadline = Duration::from_millis(arg("--deadline-ms", "2000").parse()?);
    let options = options()?;
    let work = tempfile::tempdir()?;
    let signer = Signer::load();

    // Inputs, all written before any clock starts.
    let mut good: Vec<(String, PathBuf)> = Vec::new();
    for (label, name) in [
        (
            "01_valid_two_signatures.pdf (two signatures)",
            "01_valid_two_signatures.pdf",
        ),
        ("09_large_1mb.pdf (1 MB, one signature)", "09_large_1mb.pdf"),
    ] {
        good.push((label.into(), fixtures_dir().join(name)));
    }
    let large = signed_pdf(
        &signer,
        &PdfSpec {
            filler: large_mb << 20,
            ..PdfSpec::default()
        },
    );
    let large_path = work.path().join("large.pdf");
    std::fs::write(&large_path, &large)?;
    good.push((
        format!("generated {large_mb} MB signed PDF"),
        large_path.clone(),
    ));
    let bad = bad_inputs(&signer, &large);
    drop(large);
    let mut bad_paths = Vec::new();
    for (i, (name, bytes)) in bad.into_iter().enumerate() {
        let p = work.path().join(format!("bad-{i}.pdf"));
        std::fs::write(&p, &bytes)?;
        bad_paths.push((name, p, bytes.len()));
    }

    println!(
        "| input | size | verify (median of {runs}) | verify MiB/s | SHA-256 MiB/s (same file, same run) | ratio | peak RSS verify / SHA-256 (child) | decision |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (label, path) in &good {
        let size = std::fs::metadata(path)?.len();
        // Warm the page cache for both the same way.
        sha256_file(path)?;
        let mut decision = String::new();
        let t_verify = median(runs, || {
            let report = verify_file(path, &options)?;
            decision = report.decision.as_str().to_string();
            Ok(())
        })?;
        let t_sha = median(runs, || sha256_file(path).map(|_| ()))?;
        let v = mib_per_s(size, t_verify);
        let s = mib_per_s(size, t_sha);
        let child_verify = run_child("verify", path, Duration::from_secs(600))?;
        let child_sha = run_child("sha256", path, Duration::from_secs(600))?;
        if let Some(why) = child_verify.failed.or(child_sha.failed) {
            return Err(format!("{label}: child failed: {why}").into());
        }
        println!(
            "| {label} | {size} B | {:.2} ms | {v:.0} | {s:.0} | {:.0} % | {} / {} MiB | {decision} |",
            t_verify.as_secs_f64() * 1e3,
            100.0 * v / s,
            child_verify.report["vm_hwm_kib"].as_u64().unwrap_or(0) / 1024,
            child_sha.report["vm_hwm_kib"].as_u64().unwrap_or(0) / 1024,
        );
    }

    println!();
    println!("| bad input | size | time in child | peak RSS | decision: reason |");
    println!("|---|---|---|---|---|");
    let mut slowest = (Duration::ZERO, String::new());
    let mut over = 0;
    let mut failed = 0;
    for (name, path, size) in &bad_paths {
        let run = run_child("verify", path, deadline)?;
        if let Some(why) = &run.failed {
            failed += 1;
            println!(
                "| {name} | {size} B | child failed | - | {} |",
                why.replace('|', "/")
            );
            continue;
        }
        if run.killed {
            over += 1;
            println!(
                "| {name} | {size} B | killed after {:.0} ms (deadline) | - | - |",
                run.wall.as_secs_f64() * 1e3
            );
            continue;
        }
        let secs = run.report["seconds"].as_f64().unwrap_or(0.0);
        let t = Duration::from_secs_f64(secs);
        if t > slowest.0 {
            slowest = (t, name.clone());
        }
        let reason: String = run.report["reason"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(90)
            .collect();
        println!(
            "| {name} | {size} B | {:.2} ms | {} MiB | {}: {} |",
            secs * 1e3,
            run.report["vm_hwm_kib"].as_u64().unwrap_or(0) / 1024,
            run.report["decision"].as_str().unwrap_or("?"),
            reason.replace('|', "/"),
        );
    }
    println!();
    println!(
        "{} bad inputs, deadline {} ms per file: slowest {:.2} ms ({}), {over} over the deadline, {failed} failed",
        bad_paths.len(),
        deadline.as_millis(),
        slowest.0.as_secs_f64() * 1e3,
        slowest.1
    );
    Ok(())
}

//! Verification time for the fixtures, a generated 50 MB signed PDF and
//! hostile inputs, with a deadline per file for the hostile ones.
//!
//! Run with `cargo bench -p signatures`; results go in `BENCHMARKS.md`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::signer::{PdfSpec, Signer, options_trusting, signed_pdf};
use signatures::{VerifyOptions, verify_pdf, verify_pdf_bytes};

/// Median wall time of `runs` calls.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A PDF whose form lists `refs` as fields, with a correct cross-reference table.
fn many_fields(refs: &str) -> Vec<u8> {
    let head = format!("%PDF-1.7\n1 0 obj\n<< /AcroForm << /Fields [{refs}] >> >>\nendobj\n");
    format!(
        "{head}xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n{}\n%%EOF\n",
        head.len()
    )
    .into_bytes()
}

fn main() {
    let options = common::options();
    println!("| input | size | median time |");
    println!("|---|---|---|");
    for file in [
        "01_valid_two_signatures.pdf",
        "07_timestamped.pdf",
        "09_large_1mb.pdf",
        "10_ber_encoded_cms.pdf",
    ] {
        let bytes = common::read(file);
        let t = median(21, || {
            let _ = verify_pdf_bytes(&bytes, &options);
        });
        println!(
            "| {file} | {} B | {:.2} ms |",
            bytes.len(),
            t.as_secs_f64() * 1e3
        );
    }

    let signer = Signer::load();
    let spec = PdfSpec {
        filler: 50 * 1024 * 1024,
        ..PdfSpec::default()
    };
    let pdf = signed_pdf(&signer, &spec);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("large.pdf");
    #[allow(clippy::disallowed_methods)] // scratch file of the benchmark
    std::fs::write(&path, &pdf).unwrap_or_else(|e| panic!("write: {e}"));
    let len = pdf.len();
    drop(pdf);
    let trusting = options_trusting(&signer);
    let t = median(5, || {
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
        let report = verify_pdf(std::io::BufReader::new(file), &trusting);
        assert!(report.signatures[0].intact);
    });
    println!(
        "| generated 50 MB signed PDF (file reader) | {len} B | {:.0} ms |",
        t.as_secs_f64() * 1e3
    );

    // Hostile inputs: each must finish well within the deadline.
    let deadline = Duration::from_secs(2);
    let refs: String = (0..200_000).map(|i| format!("{} 0 R ", i + 10)).collect();
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("not a PDF", b"hello".to_vec()),
        (
            "100 000 nested arrays",
            format!(
                "%PDF-1.7\n1 0 obj\n<< /X {} >>\nendobj\nstartxref\n9\n%%EOF\n",
                "[".repeat(100_000)
            )
            .into_bytes(),
        ),
        ("200 000 field references", many_fields(&refs)),
        (
            "50 signature fields",
            signed_pdf(
                &signer,
                &PdfSpec {
                    fields: 50,
                    reserved: 2048,
                    ..PdfSpec::default()
                },
            ),
        ),
    ];
    for (name, bytes) in hostile {
        let t = median(5, || {
            let _ = verify_pdf_bytes(&bytes, &VerifyOptions::default());
        });
        assert!(t < deadline, "{name} took {t:?}");
        println!(
            "| hostile: {name} | {} B | {:.2} ms |",
            bytes.len(),
            t.as_secs_f64() * 1e3
        );
    }
}

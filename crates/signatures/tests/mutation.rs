//! Property tests: damaged files never panic, and a change inside a signed
//! range is never reported intact.

mod common;

use std::sync::OnceLock;

use common::signer::{PdfSpec, Signer, options_trusting, signed_pdf};
use proptest::prelude::*;
use signatures::{SignatureReport, VerifyOptions, verify_pdf_bytes};

/// A signed PDF with an object stream and a compressed, predicted
/// cross-reference stream, and options that trust its signer.
fn compressed_pdf() -> &'static (Vec<u8>, VerifyOptions) {
    static PDF: OnceLock<(Vec<u8>, VerifyOptions)> = OnceLock::new();
    PDF.get_or_init(|| {
        let signer = Signer::load();
        let spec = PdfSpec {
            xref_stream: true,
            ..PdfSpec::default()
        };
        (signed_pdf(&signer, &spec), options_trusting(&signer))
    })
}

/// Fixtures whose signatures are all intact, per the manifest.
fn intact_fixtures() -> Vec<(String, Vec<u8>)> {
    common::manifest()["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            let sigs = f["signatures"].as_array().cloned().unwrap_or_default();
            !sigs.is_empty() && sigs.iter().all(|s| s["intact"] == true)
        })
        .filter_map(|f| f["file"].as_str().map(str::to_owned))
        .map(|name| {
            let bytes = common::read(&name);
            (name, bytes)
        })
        .collect()
}

/// Whether offset `p` lies in the byte ranges a verdict reports as signed.
fn signed_ranges_contain(range: &[i64], p: usize) -> bool {
    let p = p as i64;
    match range {
        [a, b, c, l] => (*a <= p && p < a + b) || (*c <= p && p < c + l),
        _ => false,
    }
}

fn no_intact_signature_covers(report: &SignatureReport, positions: &[usize]) -> Result<(), String> {
    for v in report.signatures.iter().filter(|v| v.intact) {
        let range = v.byte_range.clone().unwrap_or_default();
        if let Some(p) = positions
            .iter()
            .find(|p| signed_ranges_contain(&range, **p))
        {
            return Err(format!(
                "signature {:?} reported intact although byte {p} inside its range {range:?} changed",
                v.field
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, .. ProptestConfig::default() })]

    #[test]
    fn flipped_bytes_never_panic_and_never_pass_as_intact(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let fixtures = intact_fixtures();
        let (name, original) = &fixtures[which.index(fixtures.len())];
        let mut bytes = original.clone();
        let mut positions = Vec::new();
        for (at, xor) in &edits {
            let p = at.index(bytes.len());
            bytes[p] ^= xor;
            positions.push(p);
        }
        // Two edits at the same place may cancel out.
        positions.retain(|p| bytes[*p] != original[*p]);
        let report = verify_pdf_bytes(&bytes, &common::options());
        no_intact_signature_covers(&report, &positions)
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
    }

    #[test]
    fn damaged_compressed_structures_never_panic_or_pass_as_intact(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let (original, options) = compressed_pdf();
        let mut bytes = original.clone();
        let mut positions = Vec::new();
        for (at, xor) in &edits {
            let p = at.index(bytes.len());
            bytes[p] ^= xor;
            positions.push(p);
        }
        positions.retain(|p| bytes[*p] != original[*p]);
        let report = verify_pdf_bytes(&bytes, options);
        no_intact_signature_covers(&report, &positions).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn truncated_files_never_panic(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let fixtures = intact_fixtures();
        let (_, original) = &fixtures[which.index(fixtures.len())];
        let bytes = &original[..cut.index(original.len())];
        let report = verify_pdf_bytes(bytes, &common::options());
        prop_assert!(report.signatures.iter().all(|v| !v.covers_whole_file || !v.intact || bytes.len() == original.len()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let mut with_header = b"%PDF-1.7\n".to_vec();
        with_header.extend_from_slice(&bytes);
        with_header.extend_from_slice(b"\nstartxref\n9\n%%EOF\n");
        let _ = verify_pdf_bytes(&bytes, &common::options());
        let _ = verify_pdf_bytes(&with_header, &common::options());
    }
}

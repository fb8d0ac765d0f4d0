//! Detached CMS signatures (`file` + `file.p7s`) are verified the same way
//! as PDF signatures.

mod common;

use std::io::Cursor;

use base64::Engine as _;
use common::signer::{SignOptions, Signer, options_trusting};
use sha2::{Digest, Sha256};
use signatures::{Decision, DocumentKind, SignatureStatus, verify_detached};

/// The signed bytes and the CMS of the last signature of a fixture.
fn detached_parts(pdf: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let needle = b"/ByteRange [";
    let at = pdf
        .windows(needle.len())
        .rposition(|w| w == needle)
        .unwrap_or_else(|| panic!("no ByteRange"))
        + needle.len();
    let end = at + pdf[at..].iter().position(|b| *b == b']').unwrap_or(0);
    let nums: Vec<usize> = String::from_utf8_lossy(&pdf[at..end])
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let [a, b, c, l] = nums[..] else {
        panic!("ByteRange {nums:?}")
    };
    let mut signed = pdf[a..a + b].to_vec();
    signed.extend_from_slice(&pdf[c..c + l]);
    let hex = &pdf[a + b + 1..c - 1];
    let cms: Vec<u8> = hex
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("00"), 16).unwrap_or(0))
        .collect();
    (signed, cms)
}

#[test]
fn cms_of_whole_file_fixtures_verifies_detached_with_the_manifest_verdict() {
    let manifest = common::manifest();
    let mut checked = 0;
    for f in manifest["files"].as_array().into_iter().flatten() {
        let sigs = f["signatures"].as_array().cloned().unwrap_or_default();
        let [expected] = sigs.as_slice() else {
            continue;
        };
        if expected["covers_whole_file"] != true {
            continue;
        }
        let name = f["file"].as_str().unwrap_or_default();
        let (content, cms) = detached_parts(&common::read(name));
        let report = verify_detached(Cursor::new(&content), &cms, &common::options());
        assert_eq!(report.kind, DocumentKind::DetachedCms);
        let v = &report.signatures[0];
        assert_eq!(
            v.intact,
            expected["intact"] == true,
            "{name}: {:?}",
            v.problems
        );
        assert_eq!(
            serde_json::to_value(v.trusted).unwrap_or_default(),
            expected["trusted"],
            "{name}"
        );
        assert_eq!(v.timestamped, expected["timestamped"] == true, "{name}");
        assert_eq!(
            serde_json::to_value(v.cert_valid_at_signing_time).unwrap_or_default(),
            expected["cert_valid_at_signing_time"],
            "{name}"
        );
        assert_eq!(
            v.signer_cn.as_deref(),
            expected["signer_cn"].as_str(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} fixtures checked");
}

#[test]
fn detached_signature_over_changed_content_is_rejected() {
    let (mut content, cms) = detached_parts(&common::read("09_large_1mb.pdf"));
    let middle = content.len() / 2;
    content[middle] ^= 0x01;
    let report = verify_detached(Cursor::new(&content), &cms, &common::options());
    assert_eq!(report.signatures[0].status, SignatureStatus::Broken);
    assert_eq!(report.decision, Decision::Reject);
}

#[test]
fn pem_armoured_signature_is_accepted() {
    let (content, cms) = detached_parts(&common::read("10_ber_encoded_cms.pdf"));
    let body = base64::engine::general_purpose::STANDARD.encode(&cms);
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let pem = format!(
        "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\n",
        lines.join("\n")
    );
    let report = verify_detached(Cursor::new(&content), pem.as_bytes(), &common::options());
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    assert_eq!(
        report.signatures[0].algorithms.cms_encoding.as_deref(),
        Some("ber")
    );
}

#[test]
fn unreadable_signature_file_is_rejected_as_malformed() {
    let report = verify_detached(
        Cursor::new(b"content".to_vec()),
        b"not a signature",
        &common::options(),
    );
    assert_eq!(report.decision, Decision::Reject);
    assert!(report.reason.starts_with("malformed:"), "{}", report.reason);
}

#[test]
fn detached_signature_made_here_verifies_over_a_streamed_file() {
    let signer = Signer::load();
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let cms = signer.sign_digest(&Sha256::digest(&content), &SignOptions::default());
    let report = verify_detached(Cursor::new(&content), &cms, &options_trusting(&signer));
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    let v = &report.signatures[0];
    assert!(v.covers_whole_file && v.byte_range_ok);
    assert_eq!(
        v.claimed_signing_time.as_deref(),
        Some("2027-01-01T00:00:00Z")
    );
    assert!(v.evidence.cms.is_some() && !v.evidence.certificate_path.is_empty());
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn openssl_report(signature: &str, anchor_pem: Option<&str>) -> signatures::SignatureReport {
    let mut anchors = signatures::TrustAnchors::new();
    match anchor_pem {
        Some(pem) => anchors
            .add_pem(&data(pem))
            .unwrap_or_else(|e| panic!("{pem}: {e}")),
        None => anchors
            .add_der(&Signer::load().cert)
            .unwrap_or_else(|e| panic!("signer: {e}")),
    }
    verify_detached(
        Cursor::new(data("detached-content.txt")),
        &data(signature),
        &signatures::VerifyOptions::new(anchors),
    )
}

#[test]
fn openssl_ecdsa_p384_signature_is_accepted() {
    let report = openssl_report("detached-content.txt.p384.p7s", Some("p384-seal.cert.pem"));
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    let v = &report.signatures[0];
    assert_eq!(v.algorithms.key.as_deref(), Some("ECDSA P-384"));
    assert_eq!(v.signer_cn.as_deref(), Some("Con dấu P-384"));
}

#[test]
fn openssl_rsa_pss_signature_is_accepted() {
    let report = openssl_report("detached-content.txt.pss.p7s", None);
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    assert_eq!(
        report.signatures[0]
            .algorithms
            .signature_algorithm
            .as_deref(),
        Some("1.2.840.113549.1.1.10")
    );
}

#[test]
fn sha1_signature_is_accepted_with_a_weak_algorithm_warning() {
    let report = openssl_report("detached-content.txt.sha1.p7s", None);
    let v = &report.signatures[0];
    assert!(v.intact);
    assert!(!v.weak_algorithms.is_empty(), "{:?}", v.warnings);
    assert_eq!(report.decision, Decision::AcceptWithWarning);
    assert!(
        report.reason.contains("weak algorithm"),
        "{}",
        report.reason
    );
}

#[test]
fn openssl_signature_over_other_content_is_broken() {
    let mut anchors = signatures::TrustAnchors::new();
    anchors
        .add_der(&Signer::load().cert)
        .unwrap_or_else(|e| panic!("signer: {e}"));
    let report = verify_detached(
        Cursor::new(b"other content".to_vec()),
        &data("detached-content.txt.pss.p7s"),
        &signatures::VerifyOptions::new(anchors),
    );
    assert_eq!(report.signatures[0].status, SignatureStatus::Broken);
    assert!(
        report.signatures[0]
            .problems
            .iter()
            .any(|p| p.contains("message digest")),
        "{:?}",
        report.signatures[0].problems
    );
}

/// Re-encodes DER as BER: every constructed element gets an indefinite
/// length, and every OCTET STRING longer than 8 bytes is split into a
/// constructed string of two segments.
fn to_ber(der: &[u8]) -> Vec<u8> {
    fn header(input: &[u8]) -> (u8, usize, usize) {
        let tag = input[0];
        let first = input[1];
        if first < 0x80 {
            (tag, 2, first as usize)
        } else {
            let n = (first & 0x7f) as usize;
            let len = input[2..2 + n]
                .iter()
                .fold(0usize, |a, b| a << 8 | *b as usize);
            (tag, 2 + n, len)
        }
    }
    fn encode(input: &[u8], out: &mut Vec<u8>) -> usize {
        let (tag, hlen, len) = header(input);
        let value = &input[hlen..hlen + len];
        if tag & 0x20 != 0 {
            out.extend_from_slice(&[tag, 0x80]);
            let mut pos = 0;
            while pos < value.len() {
                pos += encode(&value[pos..], out);
            }
            out.extend_from_slice(&[0, 0]);
        } else if tag == 0x04 && value.len() > 8 {
            let (a, b) = value.split_at(value.len() / 2);
            out.extend_from_slice(&[0x24, 0x80]);
            out.extend(common::signer::tlv(0x04, a));
            out.extend(common::signer::tlv(0x04, b));
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&input[..hlen + len]);
        }
        hlen + len
    }
    let mut out = Vec::new();
    encode(der, &mut out);
    out
}

#[test]
fn fully_ber_encoded_cms_with_split_strings_still_verifies() {
    let signer = Signer::load();
    let content = b"Bien ban hop so 12".to_vec();
    let der = signer.sign_digest(&Sha256::digest(&content), &SignOptions::default());
    let ber = to_ber(&der);
    assert_ne!(ber, der);
    let report = verify_detached(Cursor::new(&content), &ber, &options_trusting(&signer));
    assert_eq!(report.decision, Decision::Accept, "{}", report.reason);
    assert_eq!(
        report.signatures[0].algorithms.cms_encoding.as_deref(),
        Some("ber")
    );
    // The evidence keeps the CMS exactly as it was found.
    let stored = base64::engine::general_purpose::STANDARD
        .decode(report.signatures[0].evidence.cms.as_deref().unwrap_or(""))
        .unwrap_or_default();
    assert_eq!(stored, ber);
}

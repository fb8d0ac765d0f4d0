//! Shared helpers for the signature tests: the in-repository fixtures and
//! their manifest.

#![allow(dead_code)]

pub mod minimal_pdf;

use std::path::PathBuf;

use serde_json::Value;
use signatures::{TrustAnchors, VerifyOptions};

/// The generated fixtures directory inside this crate.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generated")
}

/// The parsed `manifest.json`.
pub fn manifest() -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join("manifest.json"))
        .unwrap_or_else(|e| panic!("manifest.json not readable: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("manifest.json not JSON: {e}"))
}

/// Options with the manifest's trust anchors and intermediates.
pub fn options() -> VerifyOptions {
    let m = manifest();
    let mut anchors = TrustAnchors::new();
    for path in m["trust_anchors"].as_array().into_iter().flatten() {
        let pem = std::fs::read(fixtures_dir().join(path.as_str().unwrap_or_default()))
            .unwrap_or_else(|e| panic!("trust anchor not readable: {e}"));
        anchors
            .add_pem(&pem)
            .unwrap_or_else(|e| panic!("trust anchor not a certificate: {e}"));
    }
    let mut options = VerifyOptions::new(anchors);
    for path in m["intermediates"].as_array().into_iter().flatten() {
        let pem = std::fs::read(fixtures_dir().join(path.as_str().unwrap_or_default()))
            .unwrap_or_else(|e| panic!("intermediate not readable: {e}"));
        options
            .add_intermediates_pem(&pem)
            .unwrap_or_else(|e| panic!("intermediate not a certificate: {e}"));
    }
    options
}

/// The manifest entry of `file`.
pub fn entry(file: &str) -> Value {
    manifest()["files"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["file"] == file)
        .cloned()
        .unwrap_or_else(|| panic!("{file} not in the manifest"))
}

/// The bytes of a fixture.
pub fn read(file: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}
pub mod signer;

//! Detached CMS signatures at deposit (`X` with `X.p7s`): checked like PDF
//! signatures, the report names both files, the signature file gets the
//! `signature` role, a rejected pair stores nothing, and the bytes come back
//! unchanged.

use std::path::PathBuf;

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::format::FormatPolicy;
use archive_core::rules::MetadataPolicy;
use archive_core::store::S3Settings;
use archive_core::{ArchiveError, FileRole, Store};
use bytes::Bytes;
use futures::StreamExt;

fn data(name: &str) -> Bytes {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../signatures/tests/data")
        .join(name);
    Bytes::from(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

async fn archive() -> Archive {
    let mut anchors = signatures::TrustAnchors::new();
    anchors
        .add_der(&data("signer.cert.der"))
        .expect("test signer as anchor");
    let options = ArchiveOptions {
        formats: FormatPolicy::Any,
        metadata: MetadataPolicy::Free,
        actor: "tester".into(),
        signatures: signatures::VerifyOptions::new(anchors),
        ..ArchiveOptions::default()
    };
    let store = Store::open_url(
        "memory://",
        &S3Settings::default(),
        std::path::Path::new("."),
    )
    .expect("memory store");
    Archive::init(store, options).await.expect("init")
}

fn request(content: Bytes, signature: Bytes) -> DepositRequest {
    DepositRequest {
        metadata: serde_json::json!({ "summary": "tệp có chữ ký rời" }),
        files: vec![
            DepositFile {
                filename: "content.txt".into(),
                role: FileRole::Main,
                source: FileSource::Bytes(content),
            },
            DepositFile {
                filename: "content.txt.p7s".into(),
                role: FileRole::Attachment,
                source: FileSource::Bytes(signature),
            },
        ],
    }
}

#[tokio::test]
async fn detached_signature_pair_is_verified_and_recorded_at_deposit() {
    let mut a = archive().await;
    let content = data("detached-content.txt");
    let signature = data("detached-content.txt.pss.p7s");
    let receipt = a
        .deposit(request(content.clone(), signature.clone()))
        .await
        .expect("deposit");
    let m = a
        .manifest(&receipt.record_id, None)
        .await
        .expect("manifest");
    assert_eq!(m.signature_reports.len(), 1);
    let r = &m.signature_reports[0];
    assert_eq!((r.file, r.signature_file), (0, Some(1)));
    assert_eq!(r.decision, "accept", "{}", r.reason);
    assert_eq!(r.report["kind"], "detached-cms");
    assert_eq!(r.report["signatures"][0]["intact"], true);
    assert!(r.report["signatures"][0]["evidence"]["cms"].is_string());
    assert_eq!(m.files[0].role, FileRole::Main);
    assert_eq!(m.files[1].role, FileRole::Signature);

    for (i, original) in [content, signature].iter().enumerate() {
        let (_, mut stream) = a.open_file(&receipt.record_id, i).await.expect("open");
        let mut back = Vec::new();
        while let Some(chunk) = stream.next().await {
            back.extend_from_slice(&chunk.expect("chunk"));
        }
        assert_eq!(&back[..], &original[..], "file {i} changed");
    }
}

#[tokio::test]
async fn detached_signature_over_other_bytes_refuses_the_deposit() {
    let mut a = archive().await;
    let mut changed = data("detached-content.txt").to_vec();
    changed[0] ^= 0x20;
    let err = a
        .deposit(request(
            Bytes::from(changed),
            data("detached-content.txt.pss.p7s"),
        ))
        .await
        .expect_err("a broken detached signature must refuse the deposit");
    assert!(
        matches!(&err, ArchiveError::Refused(why) if why.contains("signature check rejected")),
        "{err}"
    );
    assert_eq!(a.record_ids().count(), 0, "nothing may be recorded");
}

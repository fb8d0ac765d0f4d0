//! Group commit: many deposits stored concurrently, committed in one journal batch.

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::format::FormatPolicy;
use archive_core::model::FileRole;
use archive_core::{ArchiveError, verify};
use bytes::Bytes;
use kho_tests_support::{Kind, fresh_store, pseudo_random};

fn req(name: &str, data: Vec<u8>, metadata: serde_json::Value) -> DepositRequest {
    DepositRequest {
        metadata,
        files: vec![DepositFile {
            filename: name.into(),
            role: FileRole::Main,
            source: FileSource::Bytes(Bytes::from(data)),
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_deposit_in_a_group_does_not_stop_the_others_and_one_batch_commits_them() {
    let (store, _g) = fresh_store(Kind::Local).expect("store");
    let mut a = Archive::init(
        store.clone(),
        ArchiveOptions {
            formats: FormatPolicy::Any,
            metadata: archive_core::rules::MetadataPolicy::Free,
            ..ArchiveOptions::default()
        },
    )
    .await
    .expect("init");
    let head_before = a.journal_head();
    let mut reqs: Vec<DepositRequest> = (0..20)
        .map(|i| {
            req(
                &format!("{i}.bin"),
                pseudo_random(50_000 + i, i as u64),
                serde_json::json!({}),
            )
        })
        .collect();
    reqs.insert(
        7,
        req(
            "mat.bin",
            b"x".to_vec(),
            serde_json::json!({ "secrecy": "Tối mật" }),
        ),
    );
    let results = a.deposit_many(reqs, 8).await.expect("group");
    assert_eq!(results.len(), 21);
    assert!(
        matches!(results[7], Err(ArchiveError::Refused(_))),
        "{:?}",
        results[7].as_ref().err()
    );
    let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(ok.len(), 20);
    assert!(
        ok.iter().all(|r| r.journal_seq == head_before + 1),
        "one batch commits the whole group"
    );
    assert_eq!(a.journal_head(), head_before + 1);
    a.close().await.expect("close");
    let a = Archive::open(store, ArchiveOptions::default())
        .await
        .expect("open");
    assert_eq!(a.catalog().records.len(), 20);
    let rep = verify::verify(&a).await.expect("verify");
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
}

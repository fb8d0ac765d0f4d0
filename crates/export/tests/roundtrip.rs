//! Exports of a small local store, written through the library (the CLI tests in
//! `crates/api/tests/export.rs` run the external validators on `kho` output).

use std::path::Path;

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::format::FormatPolicy;
use archive_core::model::FileRole;
use archive_core::rules::MetadataPolicy;
use archive_core::store::Store;
use bytes::Bytes;
use export::selection;

fn options() -> ArchiveOptions {
    ArchiveOptions {
        formats: FormatPolicy::Any,
        metadata: MetadataPolicy::Free,
        ..ArchiveOptions::default()
    }
}

async fn store_with_records(dir: &Path) -> (Store, Vec<String>) {
    let store = Store::open_local(&dir.join("store")).expect("store");
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    let mut ids = Vec::new();
    for (name, body, md) in [
        (
            "qd-05.txt",
            "Quyết định 05/2016/QĐ-UBND".as_bytes().to_vec(),
            serde_json::json!({"doc_number": "05/2016/QĐ-UBND", "issued_on": "2016-03-16", "issuer": "UBND tỉnh Nam Định", "dossier": "HS-1"}),
        ),
        (
            "large.bin",
            (0..3_000_000u32).map(|i| (i % 251) as u8).collect(),
            serde_json::json!({"summary": "dữ liệu", "dossier": "HS-1"}),
        ),
    ] {
        let r = a
            .deposit(DepositRequest {
                metadata: md,
                files: vec![DepositFile {
                    filename: name.into(),
                    role: FileRole::Main,
                    source: FileSource::Bytes(Bytes::from(body)),
                }],
            })
            .await
            .expect("deposit");
        ids.push(r.record_id.to_string());
    }
    let first = ids[0].parse().expect("id");
    a.update_metadata(&first, &serde_json::json!({"summary": "sửa"}), Some("typo"))
        .await
        .expect("edit");
    a.close().await.expect("close");
    (store, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_bagit_and_ocfl_exports_are_written_completely() {
    let tmp = tempfile::tempdir().expect("tmp");
    // KHO_KEEP=1 keeps the exports for a look with other tools.
    let (_guard, root) = if std::env::var_os("KHO_KEEP").is_some() {
        let p = tmp.keep();
        eprintln!("exports kept in {}", p.display());
        (None, p)
    } else {
        let p = tmp.path().to_path_buf();
        (Some(tmp), p)
    };
    let dir = root.as_path();
    let (store, ids) = store_with_records(dir).await;
    let a = Archive::open(store, options()).await.expect("open");

    let pq = dir.join("pq");
    let r = export::parquet::export(&a, &pq, None, export::no_progress())
        .await
        .expect("parquet");
    assert_eq!(r.rows["records"], 3);
    assert_eq!(r.rows["files"], 3);
    assert!(pq.join("_kho_export.json").is_file());

    let sel = selection::by_dossier(&a, "HS-1").await.expect("dossier");
    assert_eq!(sel.records.len(), 2);
    let bag = dir.join("bag");
    let b = export::bagit::export(&a, &sel, &bag, export::no_progress())
        .await
        .expect("bag");
    assert_eq!(b.payload_files, 5, "two originals and three metadata files");
    let tar = dir.join("bag.tar");
    export::bagit::export(&a, &sel, &tar, export::no_progress())
        .await
        .expect("tar");
    let o = dir.join("ocfl");
    let r = export::ocfl::export(&a, &sel, &o, export::no_progress())
        .await
        .expect("ocfl");
    assert_eq!(r.objects, 2);

    let sidecar = std::fs::read_to_string(
        o.join(export::ocfl::object_path(&export::ocfl::object_id(
            &ids[0].parse().expect("id"),
        )))
        .join("inventory.json.sha512"),
    )
    .expect("sidecar");
    assert!(sidecar.ends_with("  inventory.json\n"), "{sidecar}");
}

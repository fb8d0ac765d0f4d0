//! One storage conformance suite, run on memory, local disk and SeaweedFS S3.

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::blob::{self, Compression};
use archive_core::format::FormatPolicy;
use archive_core::layout::{self, Encoding};
use archive_core::model::FileRole;
use archive_core::{ArchiveError, BlobHash};
use bytes::Bytes;
use futures::StreamExt;
use kho_tests_support as support;
use object_store::path::Path;
use support::Kind;

fn options() -> ArchiveOptions {
    ArchiveOptions {
        formats: FormatPolicy::Any,
        metadata: archive_core::rules::MetadataPolicy::Free,
        ..ArchiveOptions::default()
    }
}

async fn read_all(mut s: blob::ChunkStream) -> Vec<u8> {
    let mut v = Vec::new();
    while let Some(c) = s.next().await {
        v.extend_from_slice(&c.expect("read"));
    }
    v
}

macro_rules! on_every_backend {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                $body(Kind::Memory).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn local() {
                $body(Kind::Local).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn s3() {
                $body(Kind::S3).await
            }
        }
    };
}

async fn create_only_put_on_existing_key_is_refused(kind: Kind) {
    let Some((store, _g)) = support::fresh_store(kind) else {
        return;
    };
    let p = Path::from("conformance/once.json");
    store
        .put_create(&p, Bytes::from_static(b"first"))
        .await
        .expect("first put");
    // The raw backend must refuse the second create: a server that ignores
    // If-None-Match would silently overwrite here.
    let raw = store
        .object_store()
        .put_opts(
            &p,
            Bytes::from_static(b"second").into(),
            object_store::PutOptions {
                mode: object_store::PutMode::Create,
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(raw, Err(object_store::Error::AlreadyExists { .. })),
        "backend accepted a create-only put on an existing key: {raw:?}"
    );
    assert_eq!(
        store.get(&p).await.expect("get"),
        Bytes::from_static(b"first")
    );
    // Through the store API: same bytes is an idempotent success, different bytes a collision.
    store
        .put_create(&p, Bytes::from_static(b"first"))
        .await
        .expect("idempotent retry");
    let e = store.put_create(&p, Bytes::from_static(b"other")).await;
    assert!(matches!(e, Err(ArchiveError::Collision(_))), "{e:?}");
}
on_every_backend!(create_only, create_only_put_on_existing_key_is_refused);

async fn list_head_get_delete_behave(kind: Kind) {
    let Some((store, _g)) = support::fresh_store(kind) else {
        return;
    };
    for i in 0..3 {
        store
            .put_create(
                &Path::from(format!("c/x/{i}")),
                Bytes::from(vec![i as u8; i + 1]),
            )
            .await
            .expect("put");
    }
    let l = store.list("c").await.expect("list");
    assert_eq!(l.len(), 3);
    assert_eq!(l[2].size, 3);
    assert!(
        store
            .head(&Path::from("c/x/9"))
            .await
            .expect("head")
            .is_none()
    );
    assert!(
        store
            .get_opt(&Path::from("c/x/9"))
            .await
            .expect("get")
            .is_none()
    );
    store.delete(&Path::from("c/x/0")).await.expect("delete");
    store
        .delete(&Path::from("c/x/0"))
        .await
        .expect("delete of missing is fine");
    assert_eq!(store.list("c").await.expect("list").len(), 2);
}
on_every_backend!(basic_ops, list_head_get_delete_behave);

async fn blobs_round_trip_small_large_and_compressed(kind: Kind) {
    let Some((store, _g)) = support::fresh_store(kind) else {
        return;
    };
    let text = "Ủy ban nhân dân tỉnh Nam Định ban hành quy định về văn bản điện tử.\n".repeat(2000);
    let cases: Vec<(Vec<u8>, Compression)> = vec![
        (vec![], Compression::default()),
        (vec![7], Compression::default()),
        (
            support::pseudo_random(100 * 1024, 1),
            Compression::default(),
        ),
        (text.clone().into_bytes(), Compression::default()),
        (text.into_bytes(), Compression::Off),
        // Over the small-blob limit: multipart path.
        (
            support::pseudo_random(blob::SMALL_BLOB_LIMIT + 3 * 1024 * 1024 + 7, 2),
            Compression::default(),
        ),
    ];
    for (data, comp) in cases {
        let b = blob::put(&store, blob::bytes_chunks(Bytes::from(data.clone())), comp)
            .await
            .expect("put blob");
        assert_eq!(b.hash, BlobHash::of(&data));
        assert_eq!(b.size, data.len() as u64);
        let back = read_all(blob::open(&store, &b.hash, b.encoding).await.expect("open")).await;
        assert!(
            back == data,
            "bytes differ for a {}-byte blob ({:?})",
            data.len(),
            b.encoding
        );
        let c = blob::check(&store, &b.hash, b.encoding)
            .await
            .expect("check");
        assert_eq!(c.actual, Some(b.hash));
        // Depositing the same bytes again stores nothing new.
        let again = blob::put(&store, blob::bytes_chunks(Bytes::from(data.clone())), comp)
            .await
            .expect("put again");
        assert!(
            again.deduplicated,
            "second put of identical bytes was not deduplicated"
        );
    }
    assert!(
        store.list(layout::STAGING).await.expect("list").is_empty(),
        "staging left behind"
    );
}
on_every_backend!(blobs, blobs_round_trip_small_large_and_compressed);

async fn compressible_text_is_stored_as_zstd_and_random_bytes_are_not(kind: Kind) {
    let Some((store, _g)) = support::fresh_store(kind) else {
        return;
    };
    let text = "Cộng hòa xã hội chủ nghĩa Việt Nam - Độc lập - Tự do - Hạnh phúc\n".repeat(500);
    let b = blob::put(
        &store,
        blob::bytes_chunks(Bytes::from(text)),
        Compression::default(),
    )
    .await
    .expect("put");
    assert_eq!(b.encoding, Encoding::Zstd);
    assert!(b.stored_size < b.size);
    let r = blob::put(
        &store,
        blob::bytes_chunks(Bytes::from(support::pseudo_random(200_000, 3))),
        Compression::default(),
    )
    .await
    .expect("put");
    assert_eq!(r.encoding, Encoding::Identity);
}
on_every_backend!(
    compression,
    compressible_text_is_stored_as_zstd_and_random_bytes_are_not
);

async fn deposit_then_get_returns_identical_bytes(kind: Kind) {
    let Some((store, _g)) = support::fresh_store(kind) else {
        return;
    };
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("rỗng.txt", vec![]),
        ("một byte.bin", vec![0x42]),
        (
            "Quyết định số 05 2016.pdf",
            support::pseudo_random(100 * 1024, 9),
        ),
        ("../../etc/passwd", b"not a path".to_vec()),
    ];
    let mut ids = Vec::new();
    for (name, data) in &files {
        let r = a
            .deposit(DepositRequest {
                metadata: serde_json::json!({ "summary": "Thử nghiệm" }),
                files: vec![DepositFile {
                    filename: (*name).to_string(),
                    role: FileRole::Main,
                    source: FileSource::Bytes(Bytes::from(data.clone())),
                }],
            })
            .await
            .expect("deposit");
        assert_eq!(r.files[0].filename, *name, "file name kept as metadata");
        ids.push(r.record_id);
    }
    a.close().await.expect("close");
    let a = Archive::open(store.clone(), options()).await.expect("open");
    for (id, (_, data)) in ids.iter().zip(&files) {
        let (entry, s) = a.open_file(id, 0).await.expect("open file");
        let back = read_all(s).await;
        assert_eq!(BlobHash::of(&back), BlobHash::of(data));
        assert_eq!(archive_core::Sha256Digest::of(&back), entry.sha256);
        assert!(back == *data);
    }
    // No object was written outside the store layout because of a `../` name.
    for m in store.list("").await.expect("list") {
        assert!(!m.location.as_ref().contains(".."), "{}", m.location);
    }
    let rep = archive_core::verify::verify(&a).await.expect("verify");
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
}
on_every_backend!(deposit_get, deposit_then_get_returns_identical_bytes);

async fn second_writer_fails_fast_naming_the_holder(kind: Kind) {
    let Some((store, _g)) = support::fresh_store(kind) else {
        return;
    };
    let a = Archive::init(store.clone(), options()).await.expect("init");
    let e = Archive::open_writer(store.clone(), options(), "second").await;
    match e {
        Err(ArchiveError::LeaseHeld { holder, .. }) => assert!(holder.contains("pid"), "{holder}"),
        Err(other) => panic!("expected LeaseHeld, got {other}"),
        Ok(_) => panic!("a second writer was let in"),
    }
    a.close().await.expect("close");
    let b = Archive::open_writer(store.clone(), options(), "after release").await;
    assert!(b.is_ok(), "lease not released: {:?}", b.err());
}
on_every_backend!(lease, second_writer_fails_fast_naming_the_holder);

async fn lease_expiry(store: &archive_core::store::Store) -> String {
    let b = store
        .get(&Path::from(layout::LEASE))
        .await
        .expect("lease.json");
    let v: serde_json::Value = serde_json::from_slice(&b).expect("lease json");
    v["expires_at"].as_str().unwrap_or("").to_string()
}

fn event(object: &str) -> archive_core::journal::Event {
    archive_core::journal::Event::new(
        "test",
        "test.event",
        object,
        archive_core::journal::Outcome::Success,
        serde_json::json!({}),
    )
}

async fn a_long_writer_renews_its_lease_and_stops_once_another_took_it(kind: Kind) {
    use std::time::Duration;
    let Some((store, _g)) = support::fresh_store(kind) else {
        return;
    };
    Archive::init(store.clone(), options())
        .await
        .expect("init")
        .close()
        .await
        .expect("close");
    let ttl = Duration::from_secs(2);
    let mut w = Archive::open_writer_for(store.clone(), options(), "long", ttl)
        .await
        .expect("writer");
    if matches!(kind, Kind::Local) {
        // An OS lock held by a live process never expires.
        tokio::time::sleep(ttl + Duration::from_millis(300)).await;
        w.append_events(vec![event("a")]).await.expect("local lock");
        assert!(
            Archive::open_writer(store.clone(), options(), "second")
                .await
                .is_err()
        );
        return;
    }
    let first = lease_expiry(&store).await;
    // Past half its life, the next commit renews it first.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    w.append_events(vec![event("a")])
        .await
        .expect("renewed, then written");
    let second = lease_expiry(&store).await;
    assert!(second > first, "not renewed: {first} then {second}");
    w.keep_lease().await.expect("still ours");
    // Stalled past its expiry, it is taken over; then it must write nothing.
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    let other = Archive::open_writer(store.clone(), options(), "taker")
        .await
        .expect("an expired lease is taken over");
    let head = other.journal_head();
    match w.append_events(vec![event("b")]).await {
        Err(ArchiveError::LeaseHeld { holder, .. }) => {
            assert!(holder.contains("took over"), "{holder}")
        }
        other => panic!("a writer whose lease was taken wrote: {other:?}"),
    }
    assert!(matches!(
        w.keep_lease().await,
        Err(ArchiveError::LeaseHeld { .. })
    ));
    let r = Archive::open(store.clone(), options()).await.expect("read");
    assert_eq!(r.journal_head(), head, "the stale writer wrote a batch");
    other.close().await.expect("close");
}
on_every_backend!(
    lease_renewal,
    a_long_writer_renews_its_lease_and_stops_once_another_took_it
);

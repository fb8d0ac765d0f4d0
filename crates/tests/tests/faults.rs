//! Injected store faults during deposit, read and scrub: clear errors, retries where
//! safe, nothing corrupted or half-visible.

use std::sync::Arc;
use std::time::Duration;

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::format::FormatPolicy;
use archive_core::model::FileRole;
use archive_core::scrub::{self, ScrubOptions};
use archive_core::store::{Backend, Fault, FaultKind, FaultOp, FaultyStore, RetryStore, Store};
use archive_core::verify::{self, Severity};
use archive_core::{ArchiveError, BlobHash};
use bytes::Bytes;
use futures::StreamExt;
use kho_tests_support::pseudo_random;

fn options() -> ArchiveOptions {
    ArchiveOptions {
        formats: FormatPolicy::Any,
        metadata: archive_core::rules::MetadataPolicy::Free,
        ..ArchiveOptions::default()
    }
}

/// A memory store seen through fault injection (and optionally retry), plus a clean view of it.
fn faulty(retry: bool) -> (Store, Store, FaultyStore) {
    let mem: Arc<dyn object_store::ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let clean = Store::from_object_store(mem.clone(), Backend::Memory, "memory://".into());
    let f = FaultyStore::new(mem);
    let os: Arc<dyn object_store::ObjectStore> = if retry {
        Arc::new(RetryStore::new(Arc::new(f.clone())).with_policy(4, Duration::from_millis(1)))
    } else {
        Arc::new(f.clone())
    };
    (
        Store::from_object_store(os, Backend::Memory, "memory://".into()),
        clean,
        f,
    )
}

fn request(data: &[u8]) -> DepositRequest {
    DepositRequest {
        metadata: serde_json::json!({ "summary": "thử lỗi" }),
        files: vec![DepositFile {
            filename: "a.bin".into(),
            role: FileRole::Main,
            source: FileSource::Bytes(Bytes::from(data.to_vec())),
        }],
    }
}

fn fault(op: FaultOp, prefix: &str, times: u64, kind: FaultKind) -> Fault {
    Fault {
        op,
        prefix: prefix.into(),
        skip: 0,
        times,
        kind,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_put_errors_are_retried_and_the_deposit_succeeds() {
    let (store, clean, f) = faulty(true);
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    {
        let plan = f.plan();
        let mut p = plan.lock().expect("plan");
        p.add(fault(FaultOp::Put, "blobs/", 2, FaultKind::Error));
        p.add(fault(FaultOp::Put, "records/", 1, FaultKind::Error));
        p.add(fault(FaultOp::Put, "journal/", 1, FaultKind::Error));
    }
    let data = pseudo_random(50_000, 1);
    let r = a
        .deposit(request(&data))
        .await
        .expect("deposit despite transient faults");
    assert_eq!(f.plan().lock().expect("plan").fired(), 4);
    a.close().await.expect("close");
    let a = Archive::open(clean, options()).await.expect("open");
    let rep = verify::verify(&a).await.expect("verify");
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
    let (_, mut s) = a.open_file(&r.record_id, 0).await.expect("open");
    let mut back = Vec::new();
    while let Some(c) = s.next().await {
        back.extend_from_slice(&c.expect("chunk"));
    }
    assert_eq!(back, data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_failure_before_the_journal_leaves_no_visible_record() {
    for failing in ["blobs/", "records/", "journal/"] {
        let (store, clean, f) = faulty(false);
        let mut a = Archive::init(store.clone(), options()).await.expect("init");
        f.plan().lock().expect("plan").add(fault(
            FaultOp::Put,
            failing,
            u64::MAX,
            FaultKind::Error,
        ));
        let e = a.deposit(request(&pseudo_random(10_000, 2))).await;
        let e = e.expect_err("deposit must fail");
        assert!(matches!(e, ArchiveError::Store { .. }), "{failing}: {e}");
        assert!(
            e.to_string().contains(failing.trim_end_matches('/')),
            "{failing}: error names the object: {e}"
        );
        drop(a);
        let a = Archive::open(clean, options()).await.expect("open");
        assert_eq!(
            a.catalog().records.len(),
            0,
            "{failing}: a failed deposit became visible"
        );
        let rep = verify::verify(&a).await.expect("verify");
        assert!(!rep.has_damage(), "{failing}: {:?}", rep.findings);
        assert!(
            rep.findings.iter().all(|f| f.severity == Severity::Orphan),
            "{failing}: only orphans may be left: {:?}",
            rep.findings
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_surface_as_errors_not_hangs() {
    let (store, _clean, f) = faulty(false);
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    f.plan().lock().expect("plan").add(fault(
        FaultOp::Put,
        "blobs/",
        1,
        FaultKind::Timeout(Duration::from_millis(200)),
    ));
    let e = a.deposit(request(b"abc")).await;
    assert!(matches!(e, Err(ArchiveError::Store { .. })), "{e:?}");
    // The next deposit works: the failure left nothing in the way.
    a.deposit(request(b"abc")).await.expect("second deposit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_failure_of_a_large_blob_leaves_nothing_visible() {
    let (store, clean, f) = faulty(false);
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    f.plan()
        .lock()
        .expect("plan")
        .add(fault(FaultOp::Copy, "blobs/", u64::MAX, FaultKind::Error));
    let big = pseudo_random(archive_core::blob::SMALL_BLOB_LIMIT + 1024 * 1024, 3);
    let e = a.deposit(request(&big)).await;
    assert!(e.is_err());
    let a2 = Archive::open(clean.clone(), options()).await.expect("open");
    assert!(a2.catalog().records.is_empty());
    assert!(!verify::verify(&a2).await.expect("verify").has_damage());
    f.plan().lock().expect("plan").clear();
    let r = a
        .deposit(request(&big))
        .await
        .expect("retry later succeeds");
    assert_eq!(r.files[0].blake3, BlobHash::of(&big));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_reads_are_detected_as_damage_by_scrub_not_reported_intact() {
    let (store, _clean, f) = faulty(false);
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    let r = a
        .deposit(request(&pseudo_random(80_000, 4)))
        .await
        .expect("deposit");
    f.plan().lock().expect("plan").add(fault(
        FaultOp::Get,
        "blobs/",
        u64::MAX,
        FaultKind::ShortRead(1000),
    ));
    let rep = scrub::scrub(&mut a, &ScrubOptions::default(), &|_, _| {})
        .await
        .expect("scrub");
    assert!(rep.has_damage());
    assert!(rep.findings[0].object.contains(&r.files[0].blake3.to_hex()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_outage_during_scrub_is_an_error_and_resume_continues() {
    let (store, _clean, f) = faulty(false);
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    for i in 0..6 {
        a.deposit(request(&pseudo_random(30_000, 10 + i)))
            .await
            .expect("deposit");
    }
    f.plan().lock().expect("plan").add(Fault {
        op: FaultOp::Get,
        prefix: "blobs/".into(),
        skip: 3,
        times: u64::MAX,
        kind: FaultKind::Error,
    });
    let e = scrub::scrub(&mut a, &ScrubOptions::default(), &|_, _| {}).await;
    assert!(matches!(e, Err(ArchiveError::Store { .. })), "{e:?}");
    f.plan().lock().expect("plan").clear();
    let rep = scrub::scrub(
        &mut a,
        &ScrubOptions {
            resume: true,
            ..Default::default()
        },
        &|_, _| {},
    )
    .await
    .expect("resumed scrub");
    assert!(
        rep.resumed_after.is_some(),
        "resume did not pick up the interrupted run"
    );
    assert_eq!(
        rep.checked, 3,
        "resume re-checked blobs it had already done or skipped some"
    );
    assert!(!rep.has_damage());
    assert_eq!(rep.overdue, 0, "every blob was covered across the two runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_existing_blob_is_replaced_by_a_new_upload_not_reused() {
    let (store, clean, _f) = faulty(false);
    let mut a = Archive::init(store.clone(), options()).await.expect("init");
    let data = pseudo_random(40_000, 5);
    let r1 = a.deposit(request(&data)).await.expect("deposit");
    // Truncate the stored blob behind the archive's back.
    let path = archive_core::layout::blob(&r1.files[0].blake3, r1.files[0].encoding);
    clean.delete(&path).await.expect("delete");
    clean
        .put_create(&path, Bytes::from(data[..100].to_vec()))
        .await
        .expect("put damaged");
    let r2 = a.deposit(request(&data)).await.expect("second deposit");
    assert_eq!(r2.deduplicated, 0, "a damaged blob was trusted");
    let c = archive_core::blob::check(&clean, &r1.files[0].blake3, r1.files[0].encoding)
        .await
        .expect("check");
    assert_eq!(
        c.actual,
        Some(r1.files[0].blake3),
        "blob not restored by the new upload"
    );
    assert_eq!(
        clean.list("quarantine").await.expect("list").len(),
        1,
        "damaged copy kept as evidence"
    );
}

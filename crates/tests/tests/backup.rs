//! Backups on memory, local disk and SeaweedFS S3: runs are complete and incremental,
//! consistent while deposits continue, resumable; damage on the primary or a target
//! is found and named; repairs come only from copies that re-hash; restores verify;
//! sampled verification covers every blob within the coverage period.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::backup::{
    self, Target, VerifyMode, VerifyOptions, event_types, sample::rotation_period,
};
use archive_core::format::FormatPolicy;
use archive_core::layout;
use archive_core::model::{FileRole, RecordId};
use archive_core::store::{Backend, Fault, FaultKind, FaultOp, FaultyStore, Store};
use archive_core::verify::{self, Severity};
use archive_core::{BlobHash, ErrorClass};
use bytes::Bytes;
use futures::StreamExt;
use kho_tests_support::{Kind, fresh_store, pseudo_random};
use object_store::ObjectStoreExt;
use object_store::path::Path;

fn options() -> ArchiveOptions {
    ArchiveOptions {
        formats: FormatPolicy::Any,
        actor: "test".into(),
        ..ArchiveOptions::default()
    }
}

fn nothing(_: u64, _: u64) {}

/// Lawful records metadata (valid whether or not the store checks it), a new
/// document number each time.
fn request(name: &str, data: Vec<u8>) -> DepositRequest {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    DepositRequest {
        metadata: serde_json::json!({
            "kind": "outgoing",
            "doc_number": format!("{n:02}/2016/QĐ-UBND"),
            "doc_type": "Quyết định",
            "issued_on": "2016-03-16",
            "issuer": "Ủy ban nhân dân tỉnh Nam Định",
            "place": "Nam Định",
            "summary": format!("Ban hành quy định lưu trữ, bản sao lưu {name}"),
        }),
        files: vec![DepositFile {
            filename: name.into(),
            role: FileRole::Main,
            source: FileSource::Bytes(Bytes::from(data)),
        }],
    }
}

/// Documents of several kinds: compressible text (zstd), random bytes, an empty file.
fn documents(large: bool) -> Vec<(String, Vec<u8>)> {
    let mut v = vec![
        (
            "quyet-dinh.txt".to_string(),
            "Điều 1. Ban hành kèm theo Quyết định này.\n"
                .repeat(500)
                .into_bytes(),
        ),
        ("scan.bin".to_string(), pseudo_random(100_000, 1)),
        ("nho.bin".to_string(), pseudo_random(300, 2)),
        ("rong.bin".to_string(), Vec::new()),
    ];
    if large {
        v.push((
            "lon.bin".to_string(),
            pseudo_random(9 * 1024 * 1024 + 17, 3),
        ));
    }
    v
}

/// A primary store (opened for writing) holding `docs`.
async fn primary(store: Store, docs: &[(String, Vec<u8>)]) -> (Archive, Vec<(RecordId, Vec<u8>)>) {
    let mut a = Archive::init(store, options()).await.expect("init");
    let mut out = Vec::new();
    for (name, data) in docs {
        let r = a
            .deposit(request(name, data.clone()))
            .await
            .expect("deposit");
        out.push((r.record_id, data.clone()));
    }
    (a, out)
}

fn memory() -> Store {
    fresh_store(Kind::Memory).expect("memory").0
}

fn target(name: &str, kind: Kind) -> Option<(Target, Option<tempfile::TempDir>)> {
    let (store, dir) = fresh_store(kind)?;
    Some((
        Target {
            name: name.into(),
            store,
        },
        dir,
    ))
}

async fn overwrite(store: &Store, path: &str, bytes: Vec<u8>) {
    store
        .object_store()
        .put(&Path::from(path), bytes.into())
        .await
        .expect("overwrite");
}

async fn read_record(a: &Archive, id: &RecordId) -> Vec<u8> {
    let (_, mut s) = a.open_file(id, 0).await.expect("open");
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.expect("chunk"));
    }
    out
}

fn blob_of(a: &Archive, id: &RecordId) -> String {
    let v = &a.catalog().records[id].versions[0];
    let (h, e, _) = v.files[0];
    layout::blob(&h, e).to_string()
}

fn named(findings: &[archive_core::verify::Finding], object: &str) -> bool {
    findings.iter().any(|f| f.object == object)
}

async fn verify_full(a: &Archive, t: &Target) -> backup::BackupVerifyReport {
    backup::verify(a, t, &VerifyOptions::default(), &nothing)
        .await
        .expect("verify")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_copies_everything_and_verifies_on_every_backend_and_the_next_copies_nothing() {
    for kind in [Kind::Memory, Kind::Local, Kind::S3] {
        let Some((t, _dir)) = target("t", kind) else {
            continue;
        };
        let (a, records) = primary(memory(), &documents(matches!(kind, Kind::S3))).await;
        let rep = backup::run(&a, &t, &Default::default(), &nothing)
            .await
            .expect("run");
        assert!(rep.findings.is_empty(), "{kind:?}: {:?}", rep.findings);
        assert!(rep.run_manifest.is_some());
        assert_eq!(rep.record.journal_seq, a.journal_head());
        assert_eq!(rep.record.coverage, 1.0);
        let v = verify_full(&a, &t).await;
        assert!(v.findings.is_empty(), "{kind:?}: {:?}", v.findings);
        assert_eq!(v.blobs_rehashed, v.blobs_total);
        assert!(v.canaries.iter().all(|c| c.present && c.detected));
        // Incremental: nothing new, nothing copied.
        let again = backup::run(&a, &t, &Default::default(), &nothing)
            .await
            .expect("second run");
        assert_eq!(again.record.objects, 0, "{kind:?}");
        assert_eq!(again.record.objects_present, rep.record.objects);
        // The target is itself a readable store holding every record.
        let copy = Archive::open(t.store.clone(), options())
            .await
            .expect("open target");
        for (id, data) in &records {
            assert_eq!(&read_record(&copy, id).await, data);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_primary_is_restored_to_a_store_that_verifies() {
    for kind in [Kind::Memory, Kind::Local, Kind::S3] {
        let Some((t, _dir)) = target("t", kind) else {
            continue;
        };
        let Some((dest, _ddir)) = fresh_store(kind) else {
            continue;
        };
        let (a, records) = primary(memory(), &documents(false)).await;
        backup::run(&a, &t, &Default::default(), &nothing)
            .await
            .expect("run");
        drop(a); // the primary is lost
        let rep = backup::restore(&t, &dest, &options(), &Default::default(), &nothing)
            .await
            .expect("restore");
        assert!(
            !rep.has_damage(),
            "{kind:?}: {:?} {:?}",
            rep.findings,
            rep.verify.findings
        );
        assert!(
            rep.verify.findings.is_empty(),
            "no orphans either: {:?}",
            rep.verify.findings
        );
        let restored = Archive::open(dest.clone(), options()).await.expect("open");
        assert_eq!(restored.catalog().records.len(), records.len());
        for (id, data) in &records {
            assert_eq!(&read_record(&restored, id).await, data);
        }
        let last = &restored
            .journal()
            .batches
            .last()
            .expect("batch")
            .batch
            .events[0];
        assert_eq!(last.kind, event_types::STORE_RESTORED);
        // Restoring over an existing store is refused.
        let err = backup::restore(&t, &dest, &options(), &Default::default(), &nothing)
            .await
            .expect_err("not empty");
        assert_eq!(err.class(), ErrorClass::Input);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_consistent_at_its_journal_position_while_deposits_continue() {
    let store = memory();
    let (mut writer, _) = primary(store.clone(), &documents(false)).await;
    let (t, _dir) = target("t", Kind::Local).expect("local");
    let snapshot = Archive::open(store.clone(), options())
        .await
        .expect("snapshot");
    let at = snapshot.journal_head();
    let deposits = async {
        for i in 0..20u64 {
            writer
                .deposit(request(
                    &format!("moi-{i}.bin"),
                    pseudo_random(20_000, 100 + i),
                ))
                .await
                .expect("deposit");
        }
    };
    let opts = backup::RunOptions::default();
    let run = backup::run(&snapshot, &t, &opts, &nothing);
    let ((), rep) = tokio::join!(deposits, run);
    let rep = rep.expect("run");
    assert_eq!(rep.record.journal_seq, at);
    assert!(writer.journal_head() >= at + 20);
    // The target holds exactly the store at `at`: restoring it verifies without orphans.
    let dest = memory();
    let r = backup::restore(&t, &dest, &options(), &Default::default(), &nothing)
        .await
        .expect("restore");
    assert!(r.verify.findings.is_empty(), "{:?}", r.verify.findings);
    assert_eq!(r.record.journal_seq, at);
    // The next run brings the target up to date.
    let now = Archive::open(store.clone(), options())
        .await
        .expect("reopen");
    let rep2 = backup::run(&now, &t, &Default::default(), &nothing)
        .await
        .expect("run 2");
    assert!(rep2.record.objects >= 40, "{:?}", rep2.record);
    assert!(verify_full(&now, &t).await.findings.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_on_a_target_is_named_moved_aside_and_copied_again_by_the_next_run() {
    for kind in [Kind::Memory, Kind::Local, Kind::S3] {
        let Some((t, _dir)) = target("t", kind) else {
            continue;
        };
        let (a, records) = primary(memory(), &documents(false)).await;
        backup::run(&a, &t, &Default::default(), &nothing)
            .await
            .expect("run");
        let b0 = blob_of(&a, &records[0].0); // zstd
        let b1 = blob_of(&a, &records[1].0);
        let b2 = blob_of(&a, &records[2].0);
        let manifest = layout::manifest(&records[3].0, 1).to_string();
        let batch = layout::journal_batch(2).to_string();
        let get = |p: String| {
            let s = t.store.clone();
            async move { s.get(&Path::from(p)).await.expect("get").to_vec() }
        };
        // Corrupt (same size), truncate, swap, delete, edit.
        let mut bytes1 = get(b1.clone()).await;
        bytes1[500] ^= 0x01;
        overwrite(&t.store, &b1, bytes1).await;
        let bytes0 = get(b0.clone()).await;
        overwrite(&t.store, &b0, bytes0[..bytes0.len() / 2].to_vec()).await;
        let bytes2 = get(b2.clone()).await;
        let swapped = get(b1.clone()).await;
        overwrite(&t.store, &b2, swapped).await;
        let _ = bytes2;
        t.store
            .delete(&Path::from(manifest.clone()))
            .await
            .expect("delete");
        let mut jb = get(batch.clone()).await;
        let pos = jb.len() - 3;
        jb[pos] ^= 0x20;
        overwrite(&t.store, &batch, jb).await;

        let v = verify_full(&a, &t).await;
        for o in [&b0, &b1, &b2, &manifest, &batch] {
            assert!(
                named(&v.findings, o),
                "{kind:?}: {o} not reported: {:?}",
                v.findings
            );
        }
        assert!(v.findings.iter().all(|f| f.severity == Severity::Damage));
        let rep = backup::run(&a, &t, &Default::default(), &nothing)
            .await
            .expect("run again");
        assert!(rep.findings.is_empty());
        let v2 = verify_full(&a, &t).await;
        assert!(v2.findings.is_empty(), "{kind:?}: {:?}", v2.findings);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_whose_checker_cannot_see_damage_fails_its_self_test() {
    let (a, _) = primary(memory(), &documents(false)).await;
    let (t, _dir) = target("t", Kind::Local).expect("local");
    backup::run(&a, &t, &Default::default(), &nothing)
        .await
        .expect("run");
    // "Heal" the bit-flip canary: a target that silently repairs or fakes content
    // would look like this, and the check must refuse to pass it.
    let listed = t.store.list("canary/bitflip").await.expect("list");
    let path = listed[0].location.clone();
    let mut bytes = t.store.get(&path).await.expect("get").to_vec();
    bytes[12_345] ^= 0x10;
    overwrite(&t.store, path.as_ref(), bytes).await;
    let v = verify_full(&a, &t).await;
    assert!(named(&v.findings, path.as_ref()), "{:?}", v.findings);
    assert!(
        v.findings
            .iter()
            .any(|f| f.detail.contains("self-test failed"))
    );
    assert_eq!(v.blobs_rehashed, 0, "no verdict from a blind checker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_on_the_primary_is_not_copied_and_is_repaired_from_a_copy_that_rehashes() {
    for kind in [Kind::Memory, Kind::Local, Kind::S3] {
        let Some((good, _d1)) = target("good", kind) else {
            continue;
        };
        let (mut a, records) = primary(memory(), &documents(false)).await;
        backup::run(&a, &good, &Default::default(), &nothing)
            .await
            .expect("run");
        let store = a.store().clone();
        let b0 = blob_of(&a, &records[0].0);
        let b1 = blob_of(&a, &records[1].0);
        let b2 = blob_of(&a, &records[2].0);
        let manifest = layout::manifest(&records[3].0, 1).to_string();
        // Corrupt, swap two blobs, delete another, delete a manifest.
        let x0 = store
            .get(&Path::from(b0.clone()))
            .await
            .expect("get")
            .to_vec();
        let x1 = store
            .get(&Path::from(b1.clone()))
            .await
            .expect("get")
            .to_vec();
        let mut c0 = x0.clone();
        c0[7] ^= 0x04;
        overwrite(&store, &b0, c0).await;
        overwrite(
            &store,
            &b1,
            store
                .get(&Path::from(b2.clone()))
                .await
                .expect("get")
                .to_vec(),
        )
        .await;
        overwrite(&store, &b2, x1).await;
        store
            .delete(&Path::from(manifest.clone()))
            .await
            .expect("delete");

        // A run to a fresh target copies nothing damaged and names every damaged object.
        let (fresh, _d2) = target("fresh", Kind::Memory).expect("memory");
        let rep = backup::run(&a, &fresh, &Default::default(), &nothing)
            .await
            .expect("run");
        for o in [&b0, &b1, &b2, &manifest] {
            assert!(named(&rep.findings, o), "{kind:?}: {o}: {:?}", rep.findings);
            if o != &manifest {
                assert!(
                    fresh
                        .store
                        .head(&Path::from(o.as_str()))
                        .await
                        .expect("head")
                        .is_none()
                );
            }
        }
        assert!(
            rep.run_manifest.is_none(),
            "an incomplete run writes no run manifest"
        );

        // Repair tries the damaged-free fresh target first (it lacks the objects), then the good one.
        let r = backup::repair(&mut a, &[fresh.clone(), good.clone()], &nothing)
            .await
            .expect("repair");
        assert!(r.findings.is_empty(), "{kind:?}: {:?}", r.findings);
        let mut fixed: Vec<&str> = r.repaired.iter().map(|x| x.object.as_str()).collect();
        fixed.sort_unstable();
        let mut want = vec![b0.as_str(), b1.as_str(), b2.as_str(), manifest.as_str()];
        want.sort_unstable();
        assert_eq!(fixed, want);
        assert!(r.repaired.iter().all(|x| x.from == "good"));
        let events: Vec<_> = a
            .journal()
            .batches
            .iter()
            .flat_map(|b| b.batch.events.iter())
            .filter(|e| e.kind == event_types::OBJECT_REPAIRED)
            .collect();
        assert!(
            events.is_empty(),
            "the journal read at open holds no repairs"
        );
        a.close().await.expect("close");
        let reopened = Archive::open(store.clone(), options())
            .await
            .expect("reopen");
        let repairs = reopened
            .journal()
            .batches
            .iter()
            .flat_map(|b| b.batch.events.iter())
            .filter(|e| e.kind == event_types::OBJECT_REPAIRED)
            .count();
        assert_eq!(repairs, 4);
        let vr = verify::verify(&reopened).await.expect("verify");
        assert!(!vr.has_damage(), "{:?}", vr.findings);
        for (id, data) in &records {
            assert_eq!(&read_record(&reopened, id).await, data);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_never_uses_a_copy_that_does_not_rehash() {
    let (mut a, records) = primary(memory(), &documents(false)).await;
    let (bad, _d) = target("bad", Kind::Local).expect("local");
    backup::run(&a, &bad, &Default::default(), &nothing)
        .await
        .expect("run");
    let store = a.store().clone();
    let b1 = blob_of(&a, &records[1].0);
    // Both the primary and the only copy are damaged, differently.
    let mut p = store
        .get(&Path::from(b1.clone()))
        .await
        .expect("get")
        .to_vec();
    let mut q = p.clone();
    p[10] ^= 1;
    q[20] ^= 1;
    overwrite(&store, &b1, p.clone()).await;
    overwrite(&bad.store, &b1, q).await;
    let r = backup::repair(&mut a, &[bad], &nothing)
        .await
        .expect("repair");
    assert!(r.repaired.is_empty());
    assert!(named(&r.findings, &b1), "{:?}", r.findings);
    assert!(
        r.findings[0].detail.contains("target bad"),
        "{}",
        r.findings[0].detail
    );
    // The primary object was left as it was (no good copy replaced it).
    assert_eq!(store.get(&Path::from(b1)).await.expect("get").to_vec(), p);
    a.close().await.expect("close");
    let reopened = Archive::open(store, options()).await.expect("reopen");
    let failed = reopened
        .journal()
        .batches
        .iter()
        .flat_map(|b| b.batch.events.iter())
        .filter(|e| e.kind == event_types::REPAIR_FAILED)
        .count();
    assert_eq!(failed, 1);
}

/// A target seen through fault injection.
fn faulty_target() -> (Target, FaultyStore) {
    let mem: Arc<dyn object_store::ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let f = FaultyStore::new(mem);
    (
        Target {
            name: "full".into(),
            store: Store::from_object_store(
                Arc::new(f.clone()),
                Backend::Memory,
                "memory://".into(),
            ),
        },
        f,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_target_stops_the_run_naming_the_object_and_the_next_run_resumes() {
    let (a, _) = primary(memory(), &documents(false)).await;
    let (t, f) = faulty_target();
    // The target accepts a few objects, then every write fails (quota exceeded).
    f.plan().lock().expect("plan").add(Fault {
        op: FaultOp::Put,
        prefix: String::new(),
        skip: 4,
        times: u64::MAX,
        kind: FaultKind::Error,
    });
    let err = backup::run(&a, &t, &Default::default(), &nothing)
        .await
        .expect_err("target full");
    assert_eq!(err.class(), ErrorClass::Unavailable);
    let msg = err.to_string();
    assert!(
        ["blobs/", "records/", "canary/", "journal/"]
            .iter()
            .any(|p| msg.contains(p)),
        "names the object: {msg}"
    );
    assert!(backup::latest_run(&t.store).await.expect("runs").is_none());
    let v = verify_full(&a, &t).await;
    assert!(v.findings.iter().any(|x| x.object == backup::RUNS));
    // Space again: the next run copies only what is missing.
    f.plan().lock().expect("plan").clear();
    let rep = backup::run(&a, &t, &Default::default(), &nothing)
        .await
        .expect("resume");
    assert!(rep.record.objects_present >= 4, "{:?}", rep.record);
    assert!(rep.run_manifest.is_some());
    assert!(verify_full(&a, &t).await.findings.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_fails_within_seconds_as_unavailable() {
    let (a, _) = primary(memory(), &documents(false)).await;
    let s3 = archive_core::store::S3Settings {
        endpoint: Some("http://127.0.0.1:1".into()),
        region: Some("us-east-1".into()),
        access_key_id: Some("x".into()),
        secret_access_key: Some("y".into()),
    };
    let t = Target {
        name: "gone".into(),
        store: Store::open_url("s3://kho-missing/p", &s3, std::path::Path::new(".")).expect("url"),
    };
    let started = std::time::Instant::now();
    let err = backup::run(&a, &t, &Default::default(), &nothing)
        .await
        .expect_err("unreachable");
    assert_eq!(err.class(), ErrorClass::Unavailable, "{err}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let err = verify_full_err(&a, &t).await;
    assert_eq!(err.class(), ErrorClass::Unavailable, "{err}");
}

async fn verify_full_err(a: &Archive, t: &Target) -> archive_core::ArchiveError {
    backup::verify(a, t, &VerifyOptions::default(), &nothing)
        .await
        .expect_err("verify must fail")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bandwidth_limit_holds() {
    let docs = vec![("a.bin".to_string(), pseudo_random(2_000_000, 9))];
    let (a, _) = primary(memory(), &docs).await;
    let (t, _d) = target("t", Kind::Memory).expect("memory");
    let opts = backup::RunOptions {
        limit_bytes_per_sec: Some(4_000_000),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let rep = backup::run(&a, &t, &opts, &nothing).await.expect("run");
    let secs = started.elapsed().as_secs_f64();
    assert!(rep.record.bytes >= 2_000_000);
    assert!(secs >= 0.45, "2 MB at 4 MB/s took only {secs:.2}s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampled_verification_rehashes_every_blob_within_the_coverage_period() {
    let docs: Vec<(String, Vec<u8>)> = (0..60u64)
        .map(|i| {
            (
                format!("d{i}.bin"),
                pseudo_random(2_000 + i as usize, 500 + i),
            )
        })
        .collect();
    let (mut a, _) = primary(memory(), &docs).await;
    let (t, _d) = target("t", Kind::Memory).expect("memory");
    backup::run(&a, &t, &Default::default(), &nothing)
        .await
        .expect("run");
    let coverage = i64::from(a.descriptor().coverage_period_days) * 86_400;
    let mut now = VerifyOptions::default().now;
    let start = now.unix_timestamp();
    let mut last: HashMap<BlobHash, i64> = HashMap::new();
    let mut worst_gap = 0i64;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut total = 0u64;
    let mut runs = 0u64;
    // Three coverage periods of sampled verification, at random intervals of at most a day.
    while now.unix_timestamp() - start < 3 * coverage {
        let opts = VerifyOptions {
            mode: VerifyMode::Sample,
            now,
            ..Default::default()
        };
        let v = backup::verify(&a, &t, &opts, &nothing)
            .await
            .expect("verify");
        assert!(v.findings.is_empty());
        for h in &v.rehashed {
            if let Some(prev) = last.insert(*h, now.unix_timestamp()) {
                worst_gap = worst_gap.max(now.unix_timestamp() - prev);
            }
        }
        total += v.blobs_rehashed;
        runs += 1;
        a.append_events(vec![v.record.event("test", event_types::BACKUP_VERIFY)])
            .await
            .expect("event");
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        now += Duration::from_secs(3_600 + rng % (23 * 3_600));
    }
    let blobs = a.catalog().referenced_blobs().len();
    assert_eq!(last.len(), blobs, "every blob re-hashed");
    assert!(
        worst_gap <= coverage,
        "a blob went {worst_gap}s without a re-hash; coverage period is {coverage}s"
    );
    let end = now.unix_timestamp() - coverage;
    assert!(
        last.values().all(|t| *t >= end),
        "every blob re-hashed in the last period"
    );
    // A sample is a sample: about one rotation's worth per period, not everything each time.
    let per_period = (total as f64) / 3.0;
    assert!(
        per_period < 3.0 * blobs as f64,
        "{total} re-hashes in {runs} runs for {blobs} blobs"
    );
    assert!(rotation_period(90) < coverage);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_primary_journal_is_reported_and_the_backup_stops_at_the_intact_prefix() {
    let store = memory();
    let (a, _) = primary(store.clone(), &documents(false)).await;
    a.close().await.expect("close");
    let batch = layout::journal_batch(3);
    let mut bytes = store.get(&batch).await.expect("batch").to_vec();
    let pos = bytes.len() / 2;
    bytes[pos] ^= 0x01;
    overwrite(&store, batch.as_ref(), bytes).await;
    let a = Archive::open(store.clone(), options()).await.expect("open");
    let (t, _d) = target("t", Kind::Memory).expect("memory");
    let rep = backup::run(&a, &t, &Default::default(), &nothing)
        .await
        .expect("run");
    assert!(!rep.findings.is_empty(), "the break is reported");
    assert!(rep.run_manifest.is_none());
    assert!(rep.record.journal_seq < a.journal().last_present);
    assert!(
        t.store
            .head(&layout::journal_batch(3))
            .await
            .expect("head")
            .is_none(),
        "a batch past the break is not copied"
    );
}

//! A multi-GiB file streamed through deposit and get: identical BLAKE3 and SHA-256,
//! without holding it in memory. 1 GiB by default, 5 GiB with `KHO_LONG=1`.

use std::io::Read;

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::format::FormatPolicy;
use archive_core::model::FileRole;
use archive_core::{BlobHash, Sha256Digest};
use bytes::Bytes;
use futures::StreamExt;
use kho_tests_support::{Kind, fresh_store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_gib_stream_round_trips_with_equal_digests() {
    let gib: u64 = if std::env::var("KHO_LONG").is_ok() {
        5
    } else {
        1
    };
    let total = gib * 1024 * 1024 * 1024 + 12_345;
    let (store, _g) = fresh_store(Kind::Local).expect("local store");
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
    // Generated on the fly from a BLAKE3 XOF; digests computed by the generator.
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(2);
    let gen_task = tokio::task::spawn_blocking(move || {
        let mut xof = blake3::Hasher::new()
            .update(b"kho large test")
            .finalize_xof();
        let mut b3 = blake3::Hasher::new();
        let mut sha = Sha256Digest::streaming();
        let mut left = total;
        while left > 0 {
            let n = left.min(4 * 1024 * 1024) as usize;
            let mut buf = vec![0u8; n];
            xof.read_exact(&mut buf).expect("xof");
            b3.update(&buf);
            sha.update(&buf);
            left -= n as u64;
            if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                break;
            }
        }
        (BlobHash::from(b3.finalize()), sha.finish())
    });
    let stream =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
            .boxed();
    let r = a
        .deposit(DepositRequest {
            metadata: serde_json::json!({}),
            files: vec![DepositFile {
                filename: "lớn.bin".into(),
                role: FileRole::Main,
                source: FileSource::Stream(stream),
            }],
        })
        .await
        .expect("deposit");
    let (b3, sha) = gen_task.await.expect("generator");
    assert_eq!(r.files[0].size, total);
    assert_eq!(r.files[0].blake3, b3);
    assert_eq!(r.files[0].sha256, sha);
    let (_, mut s) = a.open_file(&r.record_id, 0).await.expect("open");
    let mut back = blake3::Hasher::new();
    let mut back_sha = Sha256Digest::streaming();
    while let Some(c) = s.next().await {
        let c = c.expect("chunk");
        back.update(&c);
        back_sha.update(&c);
    }
    assert_eq!(back.count(), total);
    assert_eq!(BlobHash::from(back.finalize()), b3);
    assert_eq!(back_sha.finish(), sha);
    a.close().await.expect("close");
}

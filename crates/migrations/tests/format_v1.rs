//! The frozen store of format 1 (`tests/fixtures/format-v1/`): today's reader opens
//! it, verifies it and returns every original byte for byte; newer formats are
//! refused with a clear message.
//!
//! The fixture was written by `write_format_v1_fixture` (run it with
//! `cargo test -p migrations --test format_v1 -- --ignored` only when freezing a
//! new format; never rewrite a released fixture).

use std::path::{Path, PathBuf};

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::format::FormatPolicy;
use archive_core::model::{FileRole, RecordId};
use archive_core::store::Store;
use archive_core::verify;
use archive_core::{ArchiveError, BlobHash};
use bytes::Bytes;
use futures::StreamExt;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v1")
}

fn options() -> ArchiveOptions {
    ArchiveOptions {
        formats: FormatPolicy::Any,
        actor: "fixture".into(),
        ..ArchiveOptions::default()
    }
}

/// The documents of the fixture: a compressible Vietnamese text (stored as zstd)
/// and a small binary file (stored as is).
fn documents() -> Vec<(&'static str, Vec<u8>)> {
    let text = "QUYẾT ĐỊNH\nVề việc ban hành quy chế lưu trữ hồ sơ điện tử.\n".repeat(40);
    let bin: Vec<u8> = (0..700u32).map(|i| (i * 7 % 251) as u8).collect();
    vec![("quyet-dinh.txt", text.into_bytes()), ("phu-luc.bin", bin)]
}

/// Copies the fixture into a scratch directory (opening a store may create files).
fn scratch_copy() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture().join("store"), &dir.path().join("store"));
    let store = Store::open_local(&dir.path().join("store")).expect("open");
    (dir, store)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read fixture").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

#[tokio::test]
async fn todays_reader_opens_verifies_and_reads_the_format_v1_store_byte_for_byte() {
    let (_dir, store) = scratch_copy();
    let a = Archive::open(store.clone(), options())
        .await
        .expect("open v1 store");
    assert_eq!(a.descriptor().format_version, 1);
    let rep = verify::verify(&a).await.expect("verify");
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
    assert!(rep.canaries.iter().all(|c| c.present && c.detected));
    let expected: Vec<(String, String)> = serde_json::from_slice(
        &std::fs::read(fixture().join("records.json")).expect("records.json"),
    )
    .expect("parse records.json");
    assert_eq!(expected.len(), documents().len());
    for ((id, name), (doc_name, doc)) in expected.iter().zip(documents()) {
        assert_eq!(name, doc_name);
        let id: RecordId = id.parse().expect("id");
        let m = a.manifest(&id, None).await.expect("manifest");
        assert_eq!(m.files[0].blake3, BlobHash::of(&doc));
        let (_, mut s) = a.open_file(&id, 0).await.expect("open file");
        let mut got = Vec::new();
        while let Some(c) = s.next().await {
            got.extend_from_slice(&c.expect("chunk"));
        }
        assert_eq!(got, doc, "{name} read back byte for byte");
    }
    let plan = migrations::plan(&store).await.expect("plan");
    assert!(plan.outdated.is_empty(), "{:?}", plan.outdated);
    assert!(plan.objects >= 5);
}

#[tokio::test]
async fn a_store_of_a_newer_format_is_refused_with_a_clear_message() {
    let (dir, store) = scratch_copy();
    let desc = dir.path().join("store/kho.json");
    let text = std::fs::read_to_string(&desc).expect("read");
    std::fs::write(
        &desc,
        text.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .expect("write");
    let err = match Archive::open(store.clone(), options()).await {
        Ok(_) => panic!("a newer store must be refused"),
        Err(e) => e,
    };
    assert!(
        matches!(err, ArchiveError::UnsupportedFormat { found: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade Kho"), "{err}");
    let plan = migrations::plan(&store).await.expect("plan");
    assert!(plan.blocked());
    assert_eq!(plan.outdated[0].object, "kho.json");
}

/// Writes the fixture. Not run by default: a released fixture is never rewritten.
#[tokio::test]
#[ignore]
async fn write_format_v1_fixture() {
    let mem = Store::open_url("memory://", &Default::default(), Path::new(".")).expect("memory");
    let mut a = Archive::init(mem.clone(), options()).await.expect("init");
    let mut ids = Vec::new();
    for (name, data) in documents() {
        let r = a
            .deposit(DepositRequest {
                metadata: serde_json::json!({
                    "kind": "outgoing",
                    "doc_number": "05/2016/QĐ-UBND",
                    "doc_type": "Quyết định",
                    "issued_on": "2016-03-16",
                    "issuer": "Ủy ban nhân dân tỉnh Nam Định",
                    "place": "Nam Định",
                    "summary": format!("mẫu định dạng 1: {name}"),
                }),
                files: vec![DepositFile {
                    filename: name.into(),
                    role: FileRole::Main,
                    source: FileSource::Bytes(Bytes::from(data)),
                }],
            })
            .await
            .expect("deposit");
        ids.push((r.record_id.to_string(), name.to_string()));
    }
    a.close().await.expect("close");
    let root = fixture();
    let _ = std::fs::remove_dir_all(&root);
    for m in mem.list("").await.expect("list") {
        let name = m.location.to_string();
        if name == "lease.json" {
            continue;
        }
        let p = root.join("store").join(&name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, mem.get(&m.location).await.expect("get")).expect("write");
    }
    std::fs::write(
        root.join("records.json"),
        serde_json::to_vec_pretty(&ids).expect("json"),
    )
    .expect("write records.json");
}

/// Runs a tool, `None` when it is not installed.
fn tool(cmd: &str, args: &[&str], dir: &Path) -> Option<Vec<u8>> {
    let out = std::process::Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

#[test]
fn the_format_v1_store_is_readable_with_jq_zstd_and_b3sum_alone() {
    let root = fixture().join("store");
    let ids: Vec<(String, String)> = serde_json::from_slice(
        &std::fs::read(fixture().join("records.json")).expect("records.json"),
    )
    .expect("parse records.json");
    for ((id, _), (_, doc)) in ids.iter().zip(documents()) {
        let manifest = format!("records/{id}/v000001.json");
        let Some(line) = tool(
            "jq",
            &["-r", ".files[0] | \"\\(.blake3) \\(.encoding)\"", &manifest],
            &root,
        ) else {
            eprintln!("jq not installed: skipping the by-hand reading");
            return;
        };
        let line = String::from_utf8(line).expect("utf8");
        let (hex, encoding) = line.trim().split_once(' ').expect("two fields");
        let blob = format!("blobs/blake3/{}/{}/{hex}", &hex[..2], &hex[2..4]);
        let bytes = match encoding {
            "zstd" => match tool("zstd", &["-dc", &format!("{blob}.zst")], &root) {
                Some(b) => b,
                None => return,
            },
            _ => std::fs::read(root.join(&blob)).expect("blob"),
        };
        assert_eq!(bytes, doc, "{blob} holds the original bytes");
        assert_eq!(BlobHash::of(&bytes).to_hex(), hex, "its name is its BLAKE3");
        if encoding == "identity"
            && let Some(out) = tool("b3sum", &["--no-names", &blob], &root)
        {
            assert_eq!(String::from_utf8_lossy(&out).trim(), hex);
        }
    }
}

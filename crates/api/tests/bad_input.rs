//! Bad input gets a specific message and exit code, and writes nothing.

mod common;
use std::time::{Duration, Instant};

use common::*;

fn journal_len(s: &Scratch) -> usize {
    objects(s, "journal").len()
}

fn blob_count(s: &Scratch) -> usize {
    objects(s, "blobs").len()
}

#[test]
fn missing_file_is_an_input_error_and_stores_nothing() {
    let s = Scratch::new();
    s.init_any();
    s.write("ok.bin", b"fine");
    let before = (journal_len(&s), blob_count(&s));
    let o = s.run(&["deposit", "--each", "ok.bin", "khong-co.pdf"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("khong-co.pdf"), "{}", stderr(&o));
    assert_eq!(
        (journal_len(&s), blob_count(&s)),
        before,
        "something was written"
    );
}

#[test]
fn directory_is_refused() {
    let s = Scratch::new();
    s.init_any();
    std::fs::create_dir(s.path().join("thu-muc")).expect("mkdir");
    let o = s.run(&["deposit", "thu-muc"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
}

#[test]
fn file_that_fails_while_reading_commits_nothing() {
    // /proc/self/mem opens fine and fails on the first read: an input that breaks mid-stream.
    let s = Scratch::new();
    s.init_any();
    let before = journal_len(&s);
    let o = s.run(&["deposit", "/proc/self/mem"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
    assert_eq!(journal_len(&s), before);
}

#[test]
fn invalid_metadata_json_is_refused_before_anything_is_stored() {
    let s = Scratch::new();
    s.init_any();
    s.write("a.txt", b"van ban");
    let before = blob_count(&s);
    let o = s.run(&["deposit", "a.txt", "--metadata", "{\"summary\": "]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
    assert_eq!(blob_count(&s), before);
}

#[test]
fn secret_documents_are_refused_naming_the_rule_and_nothing_is_stored() {
    for level in ["Mật", "Tối mật", "Tuyệt mật"] {
        let s = Scratch::new();
        s.init_any();
        s.write("mat.txt", b"noi dung");
        let before = (journal_len(&s), blob_count(&s));
        let md = format!("{{\"secrecy\": \"{level}\"}}");
        let o = s.run(&["deposit", "mat.txt", "--metadata", &md]);
        assert_eq!(o.status.code(), Some(2), "{level}");
        let e = stderr(&o);
        assert!(
            e.contains("secret_documents_refused") && e.contains(level),
            "{e}"
        );
        assert_eq!(
            (journal_len(&s), blob_count(&s)),
            before,
            "{level}: something was stored"
        );
    }
}

#[test]
fn system_fields_cannot_be_given_in_metadata() {
    let s = Scratch::new();
    s.init_any();
    s.write("a.txt", b"x");
    let o = s.run(&[
        "deposit",
        "a.txt",
        "--metadata",
        "{\"received_at\": \"2001-01-01T00:00:00Z\"}",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("received_at"), "{}", stderr(&o));
}

#[test]
fn unarchivable_format_is_refused_under_the_standard_policy() {
    let s = Scratch::new();
    assert!(s.run(&["init"]).status.success());
    let md = r#"{"kind": "outgoing", "summary": "Thử", "issuer": "Ủy ban nhân dân tỉnh Nam Định", "doc_type": "Công văn", "issued_on": "2024-01-02", "doc_number": "12/UBND-VP"}"#;
    s.write("x.bin", b"\x00\x01\x02\x03 unknown binary");
    let o = s.run(&["deposit", "x.bin", "--metadata", md]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not an allowed archival format"),
        "{}",
        stderr(&o)
    );
    // A file whose name promises a PDF but whose bytes are something else.
    s.write("x.pdf", "Đây không phải PDF".as_bytes());
    let o = s.run(&["deposit", "x.pdf", "--metadata", md]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("content must match the file type"),
        "{}",
        stderr(&o)
    );
    assert_eq!(blob_count(&s), 0);
}

#[test]
fn store_path_that_cannot_be_created_is_reported_as_unavailable() {
    let s = Scratch::new();
    let o = s.run(&["--store", "/dev/null/kho", "init"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("/dev/null/kho"), "{}", stderr(&o));
}

#[test]
fn store_that_was_never_initialised_says_to_run_init() {
    let s = Scratch::new();
    let o = s.run(&["verify"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("kho init"), "{}", stderr(&o));
}

#[test]
fn s3_endpoint_down_fails_within_seconds_not_a_hang() {
    let s = Scratch::new();
    let start = Instant::now();
    let mut child = s
        .kho()
        .args(["--store", "s3://kho-missing/prefix", "verify"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "y")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // A generous bound that only a hang exceeds.
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert_eq!(
                status.code(),
                Some(3),
                "expected store-unavailable exit code"
            );
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("kho hung on an unreachable S3 endpoint");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("read");
    assert!(err.contains("store error"), "{err}");
}

#[test]
fn second_writer_fails_fast_naming_the_holder() {
    let s = Scratch::new();
    s.init_any();
    s.write("a.txt", b"x");
    let mut holder = std::process::Command::new("flock")
        .arg(s.store().join("lease.lock"))
        .args(["sleep", "30"])
        .spawn()
        .expect("flock");
    std::thread::sleep(Duration::from_millis(300));
    let o = s.run(&["deposit", "a.txt"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("locked by another writer"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("pid"),
        "the holder is named: {}",
        stderr(&o)
    );
}

#[test]
fn unknown_or_malformed_record_ids_are_input_errors() {
    let s = Scratch::new();
    s.init_any();
    let o = s.run(&["get", "0192f3a0-7c1e-7d2a-9b1e-3f5c2a1b0c9d"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no record"), "{}", stderr(&o));
    let o = s.run(&["show", "05/2016/QĐ-UBND"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a record id"), "{}", stderr(&o));
}

#[test]
fn get_to_a_file_writes_exact_bytes_and_no_partial_file_on_damage() {
    let s = Scratch::new();
    s.init_any();
    let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let id = deposit(&s, "Tờ trình số 12.pdf", &data);
    let o = s.run(&["get", &id, "-o", "ra.bin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(s.path().join("ra.bin")).expect("read"), data);
    // Damage the blob: get refuses, leaves no output behind.
    for b in objects(&s, "blobs") {
        let mut d = std::fs::read(&b).expect("r");
        let last = d.len() - 1;
        d[last] ^= 1;
        std::fs::write(&b, d).expect("w");
    }
    let o = s.run(&["get", &id, "-o", "ra2.bin"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!s.path().join("ra2.bin").exists());
    assert!(!s.path().join("ra2.bin.kho-partial").exists());
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_without_a_panic() {
    let s = Scratch::new();
    s.init_any();
    for i in 0..40 {
        deposit(&s, &format!("f{i}.txt"), format!("văn bản {i}").as_bytes());
    }
    let mut child = s
        .kho()
        .args(["log"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

//! `kho backup`, `kho repair` and `kho migrate` through the real binary: two targets
//! kept in sync and verified, damage named with exit code 1, a killed run resumed,
//! an unreachable target failing fast with exit code 3, a restored store verifying.

mod common;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// Scratch store with two local targets (and the SeaweedFS one when it runs).
fn setup(extra_s3: bool) -> Scratch {
    let s = Scratch::new();
    s.init_any();
    // The targets are added to the configuration `init_any` wrote.
    let mut cfg = std::fs::read_to_string(s.path().join("kho.toml")).expect("config");
    cfg.push_str(
        "[backup.targets.disk2]\nurl = \"backup-disk2\"\n[backup.targets.disk3]\nurl = \"backup-disk3\"\n",
    );
    if extra_s3
        && let Ok(ep) = std::env::var("KHO_TEST_S3_ENDPOINT")
        && !ep.is_empty()
    {
        let bucket = std::env::var("KHO_TEST_S3_BUCKET").unwrap_or_else(|_| "kho-test".into());
        let key = std::env::var("KHO_TEST_S3_ACCESS_KEY").unwrap_or_default();
        let secret = std::env::var("KHO_TEST_S3_SECRET_KEY").unwrap_or_default();
        let prefix = format!("cli-{:016x}", rand::random::<u64>());
        cfg.push_str(&format!(
            "[backup.targets.s3]\nurl = \"s3://{bucket}/{prefix}\"\n[backup.targets.s3.s3]\nendpoint = \"{ep}\"\nregion = \"us-east-1\"\naccess_key_id = \"{key}\"\nsecret_access_key = \"{secret}\"\n"
        ));
    }
    std::fs::write(s.path().join("kho.toml"), cfg).expect("config");
    s
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn ok(o: &std::process::Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

#[test]
fn two_targets_are_kept_in_sync_verified_and_restored() {
    let s = setup(true);
    let id1 = deposit(&s, "a.bin", &noise(200_000, 1));
    let text = "Điều 2. Quyết định này có hiệu lực.\n".repeat(300);
    let id2 = deposit(&s, "b.txt", text.as_bytes());
    ok(&s.run(&["backup", "run", "--quiet"]), "backup run");
    let o = s.run(&["backup", "verify", "--json"]);
    ok(&o, "backup verify");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let n = v.as_array().map(|a| a.len()).unwrap_or(0);
    assert!(n >= 2, "every target verified: {v}");
    // Deposits continue; the next run is incremental.
    let id3 = deposit(&s, "c.bin", &noise(50_000, 3));
    let o = s.run(&["backup", "run", "disk2", "--json"]);
    ok(&o, "second run");
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(
        r[0]["record"]["objects_present"].as_u64().unwrap_or(0) > 5,
        "{r}"
    );
    // Every run and verification is a journal event.
    let log = stdout(&s.run(&["log"]));
    assert!(
        log.contains("backup.run") && log.contains("backup.verify"),
        "{log}"
    );
    // One record comes back from a target as from any store: it is a readable store.
    let one = s.path().join("one.out");
    let o = s.run(&[
        "get",
        &id1,
        "--store",
        "backup-disk3",
        "-o",
        one.to_str().expect("utf8"),
    ]);
    ok(&o, "get one record from a target");
    assert_eq!(
        std::fs::read(&one).expect("read"),
        std::fs::read(s.path().join("a.bin")).expect("read")
    );
    // Restore from disk2 into a new store: it verifies and holds every record.
    let o = s.run(&["backup", "restore", "disk2", "--to", "restored"]);
    ok(&o, "restore");
    ok(
        &s.run(&["verify", "--store", "restored"]),
        "verify restored",
    );
    for (id, name) in [(&id1, "a.bin"), (&id2, "b.txt"), (&id3, "c.bin")] {
        let out = s.path().join(format!("{name}.out"));
        let o = s.run(&[
            "get",
            id,
            "--store",
            "restored",
            "-o",
            out.to_str().expect("utf8"),
        ]);
        ok(&o, "get from restored");
        assert_eq!(
            std::fs::read(&out).expect("read"),
            std::fs::read(s.path().join(name)).expect("read")
        );
    }
    // Restoring onto an existing store is an input error.
    let o = s.run(&["backup", "restore", "disk2", "--to", "restored"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn damage_on_a_target_is_named_with_exit_1_and_healed_by_the_next_run() {
    let s = setup(false);
    deposit(&s, "a.bin", &noise(100_000, 5));
    ok(&s.run(&["backup", "run"]), "run");
    let mut blobs = Vec::new();
    let mut stack = vec![s.path().join("backup-disk3/blobs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                blobs.push(e.path());
            }
        }
    }
    let victim = &blobs[0];
    let mut bytes = std::fs::read(victim).expect("read");
    bytes[1000] ^= 0x40;
    std::fs::write(victim, bytes).expect("write");
    let name = victim
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_string();
    let o = s.run(&["backup", "verify", "disk3", "--full"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&name),
        "names the object: {}",
        stdout(&o)
    );
    // The other target is unaffected.
    ok(&s.run(&["backup", "verify", "disk2"]), "disk2 intact");
    ok(&s.run(&["backup", "run", "disk3"]), "run heals");
    ok(&s.run(&["backup", "verify", "disk3"]), "verify after heal");
    ok(
        &s.run(&["backup", "verify", "disk3", "--sample"]),
        "sampled verify",
    );
}

#[test]
fn a_damaged_primary_blob_is_repaired_from_a_target_and_the_repair_is_journaled() {
    let s = setup(false);
    deposit(&s, "a.bin", &noise(80_000, 7));
    ok(&s.run(&["backup", "run"]), "run");
    let blob = objects(&s, "blobs")[0].clone();
    let len = std::fs::metadata(&blob).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&blob)
        .and_then(|f| f.set_len(len / 2))
        .expect("truncate");
    let o = s.run(&["verify"]);
    assert_eq!(o.status.code(), Some(1));
    let o = s.run(&["repair", "--from", "disk3"]);
    ok(&o, "repair");
    assert!(stdout(&o).contains("repaired"), "{}", stdout(&o));
    ok(&s.run(&["verify"]), "verify after repair");
    let log = stdout(&s.run(&["log"]));
    assert!(
        log.contains("object.repaired") && log.contains("repair.run"),
        "{log}"
    );
}

#[test]
fn repair_without_a_good_copy_exits_1_naming_the_object() {
    let s = setup(false);
    deposit(&s, "a.bin", &noise(80_000, 8));
    ok(&s.run(&["backup", "run", "disk2"]), "run");
    let blob = objects(&s, "blobs")[0].clone();
    let rel = blob.strip_prefix(s.store()).expect("rel").to_path_buf();
    for root in [s.store(), s.path().join("backup-disk2")] {
        let p = root.join(&rel);
        let mut b = std::fs::read(&p).expect("read");
        b[3] ^= 1;
        std::fs::write(&p, b).expect("write");
    }
    let o = s.run(&["repair", "--from", "disk2"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let name = rel.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(stdout(&o).contains(name), "{}", stdout(&o));
}

#[test]
fn a_killed_backup_run_resumes_and_completes() {
    let s = setup(false);
    for i in 0..12u64 {
        s.write(&format!("f{i}.bin"), &noise(1_000_000, 100 + i));
    }
    let files: Vec<String> = (0..12).map(|i| format!("f{i}.bin")).collect();
    let mut args = vec!["deposit", "--each", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    ok(&s.run(&args), "deposit");
    // 12 MB at 4 MB/s: killed after a second, part-way through.
    let mut child = s
        .kho()
        .args(["backup", "run", "disk2", "--limit", "4", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1200));
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let runs = s.path().join("backup-disk2/backup/runs");
    assert!(
        std::fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0) == 0,
        "a killed run writes no run manifest"
    );
    let o = s.run(&["backup", "verify", "disk2"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "an unfinished target is not verified: {}",
        stdout(&o)
    );
    let o = s.run(&["backup", "run", "disk2", "--json"]);
    ok(&o, "resume");
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(
        r[0]["record"]["objects_present"].as_u64().unwrap_or(0) >= 3,
        "the resumed run reuses what the killed one copied: {r}"
    );
    ok(&s.run(&["backup", "verify", "disk2", "--full"]), "verify");
    ok(
        &s.run(&["backup", "restore", "disk2", "--to", "r"]),
        "restore",
    );
    ok(&s.run(&["verify", "--store", "r"]), "restored verifies");
}

#[test]
fn an_unreachable_target_fails_within_seconds_with_exit_3() {
    let s = Scratch::new();
    s.init_any();
    let base = std::fs::read_to_string(s.path().join("kho.toml")).expect("config");
    std::fs::write(
        s.path().join("kho.toml"),
        base + "[backup.targets.offsite]\nurl = \"s3://kho-offsite/x\"\n[backup.targets.offsite.s3]\nendpoint = \"http://127.0.0.1:1\"\naccess_key_id = \"a\"\nsecret_access_key = \"b\"\n",
    )
    .expect("config");
    deposit(&s, "a.bin", b"abc");
    let started = Instant::now();
    let o = s.run(&["backup", "run", "offsite"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(stderr(&o).contains("offsite"), "{}", stderr(&o));
    let o = s.run(&["backup", "verify", "offsite"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // The failure is journaled too.
    let log = stdout(&s.run(&["log"]));
    assert!(
        log.contains("backup.run") && log.contains("FAILED"),
        "{log}"
    );
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    let s = setup(false);
    let o = s.run(&["backup", "run", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("disk2"),
        "lists the configured targets: {}",
        stderr(&o)
    );
}

#[test]
fn migrate_is_a_dry_run_listing_format_versions() {
    let s = setup(false);
    deposit(&s, "a.bin", b"abc");
    let o = s.run(&["migrate"]);
    ok(&o, "migrate");
    assert!(stdout(&o).contains("nothing to migrate"), "{}", stdout(&o));
    // A newer format is refused with a clear message and exit code 2.
    let desc = s.store().join("kho.json");
    let text = std::fs::read_to_string(&desc).expect("read");
    std::fs::write(
        &desc,
        text.replace("\"format_version\": 1", "\"format_version\": 9"),
    )
    .expect("write");
    let o = s.run(&["migrate"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("upgrade Kho"), "{}", stderr(&o));
}

//! Damage on the store is found by `kho verify` / `kho scrub`, named, and exits 1.

mod common;
use common::*;

fn setup() -> (Scratch, Vec<String>) {
    let s = Scratch::new();
    s.init_any();
    let ids = (0..3u8)
        .map(|i| {
            deposit(
                &s,
                &format!("f{i}.bin"),
                &noise(10_000 + i as usize, i as u64),
            )
        })
        .collect();
    let o = s.run(&["verify"]);
    assert!(
        o.status.success(),
        "clean store must verify: {}",
        stdout(&o)
    );
    (s, ids)
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

fn blobs(s: &Scratch) -> Vec<std::path::PathBuf> {
    objects(s, "blobs")
}

fn expect_damage(s: &Scratch, cmd: &str, object_part: &str) {
    let o = s.run(&[cmd]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{cmd} should exit 1: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let out = stdout(&o) + &stderr(&o);
    assert!(
        out.contains(object_part),
        "{cmd} output does not name {object_part}:\n{out}"
    );
}

fn name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn flipped_bit_in_a_blob_is_found_by_scrub() {
    let (s, _) = setup();
    let b = &blobs(&s)[0];
    let mut d = std::fs::read(b).expect("read");
    d[100] ^= 1;
    std::fs::write(b, d).expect("write");
    expect_damage(&s, "scrub", &name(b));
}

#[test]
fn truncated_blob_is_found_by_verify_and_scrub() {
    let (s, _) = setup();
    let b = &blobs(&s)[1];
    let d = std::fs::read(b).expect("read");
    std::fs::write(b, &d[..d.len() - 1]).expect("write");
    expect_damage(&s, "verify", &name(b));
    expect_damage(&s, "scrub", &name(b));
}

#[test]
fn deleted_blob_is_found_by_verify_and_scrub() {
    let (s, _) = setup();
    let b = &blobs(&s)[2];
    std::fs::remove_file(b).expect("rm");
    expect_damage(&s, "verify", &name(b));
    expect_damage(&s, "scrub", &name(b));
}

#[test]
fn swapped_blobs_are_found_by_scrub() {
    let (s, _) = setup();
    let v = blobs(&s);
    let (a, b) = (
        std::fs::read(&v[0]).expect("a"),
        std::fs::read(&v[1]).expect("b"),
    );
    std::fs::write(&v[0], &b).expect("w");
    std::fs::write(&v[1], &a).expect("w");
    expect_damage(&s, "scrub", &name(&v[0]));
    expect_damage(&s, "scrub", &name(&v[1]));
}

#[test]
fn edited_manifest_is_found_by_verify() {
    let (s, ids) = setup();
    let m = s.store().join("records").join(&ids[0]).join("v000001.json");
    let text = std::fs::read_to_string(&m)
        .expect("read")
        .replace("system", "mallory");
    std::fs::write(&m, text).expect("write");
    expect_damage(&s, "verify", &format!("records/{}/v000001.json", ids[0]));
    // Reading the record refuses the changed manifest too.
    let o = s.run(&["show", &ids[0]]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn deleted_journal_batch_breaks_the_chain_at_a_named_place() {
    let (s, _) = setup();
    let j = s.store().join("journal").join(format!("{:020}.json", 2));
    std::fs::remove_file(&j).expect("rm");
    expect_damage(&s, "verify", "journal/00000000000000000002.json");
    // A writer refuses to append to a broken journal.
    s.write("new.bin", b"new");
    let o = s.run(&["deposit", "new.bin"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn edited_journal_batch_breaks_the_chain() {
    let (s, _) = setup();
    let j = s.store().join("journal").join(format!("{:020}.json", 2));
    let text = std::fs::read_to_string(&j)
        .expect("read")
        .replace("system", "someone");
    std::fs::write(&j, text).expect("write");
    expect_damage(&s, "verify", "journal/00000000000000000003.json");
}

#[test]
fn scrub_fails_loudly_when_a_canary_is_not_detected() {
    let (s, _) = setup();
    // "Repair" a canary so it hashes to its name: a checker that reports it intact
    // cannot be told apart from one that sees nothing, so scrub must refuse.
    let c = objects(&s, "canary")
        .into_iter()
        .find(|p| p.to_string_lossy().contains("/truncated/"))
        .expect("canary");
    let hex = name(&c);
    let mut x: u32 = 0x6b68_6f21;
    let mut orig = Vec::new();
    while orig.len() < 64 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        orig.extend_from_slice(&x.to_le_bytes());
    }
    assert_eq!(
        blake3::hash(&orig).to_hex().as_str(),
        hex,
        "canary generator changed"
    );
    std::fs::write(&c, &orig).expect("write");
    let o = s.run(&["scrub"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("self-test failed"), "{}", stderr(&o));
}

#[test]
fn missing_canary_is_damage() {
    let (s, _) = setup();
    let c = &objects(&s, "canary")[0];
    std::fs::remove_file(c).expect("rm");
    expect_damage(&s, "verify", "canary/");
    let o = s.run(&["scrub"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn flipped_bit_in_a_compressed_blob_is_found_by_scrub() {
    let s = Scratch::new();
    s.init_any();
    deposit(
        &s,
        "van-ban.txt",
        "Ủy ban nhân dân tỉnh Nam Định\n".repeat(3000).as_bytes(),
    );
    let b = blobs(&s)
        .into_iter()
        .find(|p| name(p).ends_with(".zst"))
        .expect("compressed blob");
    let mut d = std::fs::read(&b).expect("read");
    let mid = d.len() / 2;
    d[mid] ^= 0x40;
    std::fs::write(&b, d).expect("write");
    expect_damage(&s, "scrub", &name(&b));
}

//! Crash safety: the real `kho deposit` is killed (SIGKILL) at random points; every
//! acknowledged deposit stays retrievable byte for byte, nothing partial is visible,
//! `kho verify` passes (orphans allowed) and the journal chain is intact.
//!
//! 50 kills by default; `KHO_LONG=1` (scripts/test.sh --long) runs 200.

mod common;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use common::*;

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

#[test]
fn killed_deposits_never_lose_acknowledged_records_or_show_partial_ones() {
    let iterations = if std::env::var("KHO_LONG").is_ok() {
        200
    } else {
        50
    };
    let s = Scratch::new();
    s.init_any();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut acked: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut kills_before_ack = 0;
    for it in 0..iterations {
        // Fresh content each round (plus one repeat) so both new and deduplicated blobs are hit.
        files.clear();
        for j in 0..4u64 {
            let size = match j {
                0 => 9 * 1024 * 1024 + 17, // over the small-blob limit: multipart path
                1 => 100 * 1024,
                2 => 3,
                _ => 40_000,
            };
            let seed = if j == 3 { 7 } else { (it as u64) * 10 + j + 1 };
            let name = format!("it{it}-f{j}.bin");
            let data = noise(size, seed);
            s.write(&name, &data);
            files.push((name, data));
        }
        let mut args = vec!["deposit".to_string(), "--each".to_string()];
        args.extend(files.iter().map(|(n, _)| n.clone()));
        let mut child = s
            .kho()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let delay = rand::random_range(0..250u64);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let mut out = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out)
            .expect("read stdout");
        // Only complete lines are acknowledgements.
        let complete = match out.rfind('\n') {
            Some(i) => &out[..=i],
            None => "",
        };
        if complete.is_empty() {
            kills_before_ack += 1;
        }
        for line in complete.lines() {
            let mut parts = line.split('\t');
            let id = parts.next().expect("id").to_string();
            let name = parts.next().expect("name").to_string();
            let data = files
                .iter()
                .find(|(n, _)| *n == name)
                .expect("known file")
                .1
                .clone();
            acked.insert(id.clone(), data.clone());
            // Byte-exact retrieval of what was just acknowledged.
            let o = s.run(&["get", &id]);
            assert!(
                o.status.success(),
                "iteration {it}: acknowledged {id} not retrievable: {}",
                stderr(&o)
            );
            assert!(o.stdout == data, "iteration {it}: {id} came back different");
        }
        for (_, data) in &files {
            let _ = data;
        }
        for (n, _) in &files {
            let _ = std::fs::remove_file(s.path().join(n));
        }
        // The store stays consistent after every kill.
        let o = s.run(&["verify", "--json"]);
        let rep: serde_json::Value = serde_json::from_slice(&o.stdout).expect("verify json");
        let damage: Vec<_> = rep["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] == "damage")
            .collect();
        assert!(
            damage.is_empty(),
            "iteration {it} (kill after {delay} ms): damage {damage:?}"
        );
        assert_eq!(o.status.code(), Some(0));
        // Every visible record is complete and every acknowledged one is visible.
        let o = s.run(&["list", "--json"]);
        assert!(o.status.success(), "list: {}", stderr(&o));
        let listed: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).expect("list json");
        let visible: Vec<String> = listed
            .iter()
            .map(|m| m["record_id"].as_str().expect("id").to_string())
            .collect();
        for id in acked.keys() {
            assert!(
                visible.contains(id),
                "iteration {it}: acknowledged {id} is not visible"
            );
        }
        for m in &listed {
            assert_eq!(
                m["files"].as_array().map(Vec::len),
                Some(1),
                "partial record {m}"
            );
        }
    }
    // All acknowledged records, once more, at the end.
    for (id, data) in &acked {
        let o = s.run(&["get", id]);
        assert!(
            o.status.success() && o.stdout == *data,
            "{id} lost or changed"
        );
    }
    let o = s.run(&["scrub"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "final scrub: {}{}",
        stdout(&o),
        stderr(&o)
    );
    eprintln!(
        "{iterations} kills, {} acknowledged records, {kills_before_ack} kills before any acknowledgement",
        acked.len()
    );
}

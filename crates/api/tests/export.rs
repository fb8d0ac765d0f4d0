//! `kho export parquet|bagit|ocfl`, checked with the tools other archives use:
//! DuckDB and pyarrow read the Parquet tables, bagit-python validates bags,
//! ocfl-py validates OCFL storage roots.
//!
//! The tools come from the Python named by `KHO_TEST_PYTHON` (a venv built from
//! `scripts/requirements-test.txt`). Without it a test prints a notice and passes
//! locally, and fails when `CI=true`.

mod common;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/documents")
}

/// The test Python, or `None` (with a notice) when it is not configured outside CI.
fn python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("KHO_TEST_PYTHON") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: KHO_TEST_PYTHON must name a Python with duckdb, pyarrow, bagit and ocfl-py in CI"
            );
            eprintln!(
                "NOTICE: {test} skipped: set KHO_TEST_PYTHON to a Python with duckdb, pyarrow, bagit and ocfl-py (scripts/requirements-test.txt)"
            );
            None
        }
    }
}

/// Runs a Python script with arguments; returns its standard output, failing the
/// test with its output when it fails.
fn run_python(py: &Path, script: &str, args: &[&Path]) -> String {
    let o = Command::new(py)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        o.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Deposits the five sample decisions with their metadata; returns their ids.
fn deposit_samples(s: &Scratch) -> Vec<String> {
    let list = samples().join("metadata.json");
    let o = s.run(&["deposit", "--batch", list.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ids: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids.len(), 5);
    ids
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).expect("json output")
}

/// Every event in the store's journal, read straight from the batch files.
fn journal_events(s: &Scratch) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for p in objects(s, "journal") {
        let b: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&p).expect("batch")).expect("batch json");
        out.extend(b["events"].as_array().expect("events").iter().cloned());
    }
    out
}

/// A store with the samples, one metadata correction and a scrub.
fn populated() -> (Scratch, Vec<String>) {
    let s = Scratch::new();
    s.init_any();
    let ids = deposit_samples(&s);
    ok(&s.run(&[
        "edit",
        &ids[1],
        "--set",
        "dossier=HS-2018-01",
        "--reason",
        "filed in its dossier",
    ]));
    ok(&s.run(&["scrub", "--quiet"]));
    (s, ids)
}

/// Names left in a directory (to prove nothing partial stays behind).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

const READ_TABLES: &str = r#"
import json, sys, duckdb, pyarrow.dataset as ds
root = sys.argv[1]
out = {}
con = duckdb.connect()
for t in ["records", "files", "events", "fixity_checks", "dispositions", "backups"]:
    glob = f"{root}/{t}/**/*.parquet"
    n = con.execute(f"select count(*) from read_parquet('{glob}', hive_partitioning=true)").fetchone()[0]
    types = {r[0]: r[1] for r in con.execute(f"describe select * from read_parquet('{glob}', hive_partitioning=true)").fetchall()}
    d = ds.dataset(f"{root}/{t}", format="parquet", partitioning="hive")
    tab = d.to_table()
    out[t] = {"duckdb_rows": n, "duckdb_types": types, "arrow_rows": tab.num_rows,
              "arrow_types": {f.name: str(f.type) for f in tab.schema}}
row = con.execute(f"""select doc_number, doc_number_key, strftime(issued_on, '%Y-%m-%d'), agency, version, file_count, total_size
                     from read_parquet('{root}/records/**/*.parquet', hive_partitioning=true)
                     where doc_number = '05/2016/QĐ-UBND'""").fetchall()
out["nam_dinh"] = [list(r) for r in row]
out["versions"] = con.execute(f"""select record_id, max(version) from read_parquet('{root}/records/**/*.parquet', hive_partitioning=true)
                                 group by record_id having max(version) > 1""").fetchall()
out["event_ids"] = sorted(r[0] for r in con.execute(f"select event_id from read_parquet('{root}/events/**/*.parquet', hive_partitioning=true)").fetchall())
out["files_blake3"] = sorted(r[0] for r in con.execute(f"select distinct blake3 from read_parquet('{root}/files/*.parquet')").fetchall())
print(json.dumps(out, default=str))
"#;

#[test]
fn parquet_tables_read_back_with_duckdb_and_pyarrow_match_the_store() {
    let Some(py) = python("parquet_tables_read_back") else {
        return;
    };
    let (s, ids) = populated();
    let out = s.path().join("pq");
    let report = json(&s.run(&[
        "export",
        "parquet",
        "-o",
        out.to_str().expect("p"),
        "--json",
    ]));
    assert_eq!(report["incremental"], false);
    let got: serde_json::Value =
        serde_json::from_str(&run_python(&py, READ_TABLES, &[&out])).expect("python json");

    let events = journal_events(&s);
    let fixity = events
        .iter()
        .filter(|e| e["type"] == "fixity.checked")
        .count();
    assert!(fixity >= 5, "the scrub checked every blob");
    for (table, rows) in [
        ("records", 6),
        ("files", 6),
        ("events", events.len()),
        ("fixity_checks", fixity),
        ("dispositions", 0),
        ("backups", 0),
    ] {
        assert_eq!(got[table]["duckdb_rows"], rows, "duckdb rows of {table}");
        assert_eq!(got[table]["arrow_rows"], rows, "pyarrow rows of {table}");
    }
    let rt = &got["records"]["arrow_types"];
    assert_eq!(rt["issued_on"], "date32[day]");
    assert_eq!(rt["created_at"], "timestamp[us, tz=UTC]");
    assert_eq!(rt["version"], "int32");
    assert_eq!(rt["total_size"], "int64");
    assert_eq!(rt["year"], "int32", "hive partition column");
    assert_eq!(got["records"]["duckdb_types"]["issued_on"], "DATE");
    assert_eq!(
        got["events"]["duckdb_types"]["time"],
        "TIMESTAMP WITH TIME ZONE"
    );
    assert_eq!(
        got["dispositions"]["arrow_types"]["dossiers"],
        "list<item: string>"
    );

    let nam_dinh = std::fs::read(samples().join("nam-dinh-05-2016-qd-ubnd.txt")).expect("sample");
    assert_eq!(
        got["nam_dinh"],
        serde_json::json!([[
            "05/2016/QĐ-UBND",
            "5/2016/qd-ubnd",
            "2016-03-16",
            "Ủy ban nhân dân tỉnh Nam Định",
            1,
            1,
            nam_dinh.len()
        ]])
    );
    assert_eq!(got["versions"], serde_json::json!([[ids[1], 2]]));
    let mut want_ids: Vec<String> = events
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_string())
        .collect();
    want_ids.sort();
    assert_eq!(got["event_ids"], serde_json::json!(want_ids));
    let listed = json(&s.run(&["list", "--json"]));
    let mut blobs: Vec<String> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["files"][0]["blake3"].as_str().expect("b3").to_string())
        .collect();
    blobs.sort();
    blobs.dedup();
    assert_eq!(got["files_blake3"], serde_json::json!(blobs));

    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_kho_export.json")).expect("export state"))
            .expect("state json");
    let batches = objects(&s, "journal").len();
    assert_eq!(state["journal_seq"], batches);
    assert_eq!(
        names(s.path())
            .iter()
            .filter(|n| n.contains("kho-tmp"))
            .count(),
        0
    );
}

#[test]
fn incremental_parquet_export_adds_only_rows_of_newer_batches() {
    let Some(py) = python("incremental_parquet_export") else {
        return;
    };
    let (s, _) = populated();
    let out = s.path().join("pq");
    let first = json(&s.run(&[
        "export",
        "parquet",
        "-o",
        out.to_str().expect("p"),
        "--json",
    ]));
    let covered = first["until"].as_u64().expect("until");
    deposit(&s, "later.txt", b"a later record");

    // Without --since (or with the wrong one) the earlier export is left alone.
    let o = s.run(&["export", "parquet", "-o", out.to_str().expect("p")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("--since {covered}")),
        "{}",
        stderr(&o)
    );
    let o = s.run(&[
        "export",
        "parquet",
        "-o",
        out.to_str().expect("p"),
        "--since",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let second = json(&s.run(&[
        "export",
        "parquet",
        "-o",
        out.to_str().expect("p"),
        "--since",
        &covered.to_string(),
        "--json",
    ]));
    assert_eq!(second["incremental"], true);
    assert_eq!(second["since"], covered);
    assert_eq!(second["rows"]["records"], 1);
    assert_eq!(second["rows"]["fixity_checks"], 0);
    let got: serde_json::Value =
        serde_json::from_str(&run_python(&py, READ_TABLES, &[&out])).expect("python json");
    let events = journal_events(&s);
    assert_eq!(got["records"]["duckdb_rows"], 7);
    assert_eq!(got["events"]["duckdb_rows"], events.len());
    let ids = got["event_ids"].as_array().expect("ids");
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no event is exported twice");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_kho_export.json")).expect("state"))
            .expect("json");
    assert_eq!(state["journal_seq"], second["until"]);
    assert_eq!(state["runs"].as_array().expect("runs").len(), 2);
    assert!(
        !names(&out).iter().any(|n| n.starts_with('.')),
        "no staging left: {:?}",
        names(&out)
    );

    // Nothing new: a successful run that writes no files.
    let third = json(&s.run(&[
        "export",
        "parquet",
        "-o",
        out.to_str().expect("p"),
        "--since",
        &second["until"].to_string(),
        "--json",
    ]));
    assert_eq!(third["files"], serde_json::json!([]));
}

const VALIDATE_BAG: &str = r#"
import sys, bagit
bag = bagit.Bag(sys.argv[1])
bag.validate()
print(bag.info.get("Payload-Oxum"))
"#;

#[test]
fn bagit_package_of_records_validates_and_holds_the_original_bytes() {
    let Some(py) = python("bagit_package_validates") else {
        return;
    };
    let (s, ids) = populated();
    let bag = s.path().join("transfer");
    let list = format!("{},{}", ids[0], ids[2]);
    let report = json(&s.run(&[
        "export",
        "bagit",
        "--records",
        &list,
        "-o",
        bag.to_str().expect("p"),
        "--json",
    ]));
    assert_eq!(report["records"], 2);
    // The command-line validator too, as an archivist would run it.
    let o = Command::new(&py)
        .args(["-m", "bagit", "--validate"])
        .arg(&bag)
        .output()
        .expect("bagit");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let oxum = run_python(&py, VALIDATE_BAG, &[&bag]);
    assert_eq!(oxum.trim(), report["payload_oxum"]);

    for (id, name) in [
        (&ids[0], "nam-dinh-05-2016-qd-ubnd.txt"),
        (&ids[2], "bac-giang-133-2015-qd-ubnd.txt"),
    ] {
        let got = std::fs::read(bag.join("data/records").join(id).join(name)).expect("payload");
        assert_eq!(got, std::fs::read(samples().join(name)).expect("sample"));
    }
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).expect("bag-info");
    assert!(
        info.contains("Source-Organization: Ủy ban nhân dân tỉnh Nam Định"),
        "{info}"
    );
    assert!(
        info.contains("Kho-Date-Range: 2015-04-10/2016-03-16"),
        "{info}"
    );
    assert!(info.contains("Bagging-Date: "), "{info}");
    for tag in [
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    ] {
        assert!(bag.join(tag).is_file(), "{tag}");
    }
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(bag.join("data/metadata/records.json")).expect("metadata json"),
    )
    .expect("json");
    assert_eq!(meta.as_array().expect("array").len(), 2);
    let csv = std::fs::read_to_string(bag.join("data/metadata/records.csv")).expect("csv");
    assert!(csv.contains("\"133/2015/QĐ-UBND\""), "{csv}");
}

#[test]
fn bagit_tar_of_a_dossier_validates_after_extraction() {
    let Some(py) = python("bagit_tar_of_a_dossier") else {
        return;
    };
    let (s, ids) = populated();
    let tar = s.path().join("hs.tar");
    let report = json(&s.run(&[
        "export",
        "bagit",
        "HS-2018-01",
        "-o",
        tar.to_str().expect("p"),
        "--json",
    ]));
    assert_eq!(report["records"], 1);
    assert_eq!(report["tar"], true);
    let dir = s.path().join("unpacked");
    run_python(
        &py,
        "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter='data')",
        &[&tar, &dir],
    );
    let bag = dir.join("hs");
    run_python(&py, VALIDATE_BAG, &[&bag]);
    let got = std::fs::read(
        bag.join("data/records")
            .join(&ids[1])
            .join("nghe-an-08-2018-qd-ubnd.txt"),
    )
    .expect("payload");
    assert_eq!(
        got,
        std::fs::read(samples().join("nghe-an-08-2018-qd-ubnd.txt")).expect("sample")
    );
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).expect("bag-info");
    assert!(info.contains("Kho-Dossier: HS-2018-01"), "{info}");
}

/// Validates a storage root with ocfl-py, object by object (its storage-root
/// result does not fail on invalid objects, so the counts are compared): first as
/// is, then with BLAKE3 registered as a fixity algorithm.
const VALIDATE_OCFL: &str = r#"
import sys, json, blake3, ocfl
import ocfl.digest as d, ocfl.validator as v
def run():
    s = ocfl.StorageRoot(root=sys.argv[1])
    s.validate(log_warnings=True, log_errors=False)
    return {"objects": s.num_objects, "good": s.good_objects, "errors": [e[1] for e in s.errors]}
out = {"strict": run()}
plain = d.file_digest
def file_digest(filename, digest_type="sha512", fs=None):
    if digest_type == "blake3":
        return d._file_digest(fs, filename, blake3.blake3())
    return plain(filename, digest_type=digest_type, fs=fs)
d.file_digest = v.file_digest = file_digest
d.DIGEST_REGEXES["blake3"] = r"^[0-9a-f]{64}$"
out["with_blake3"] = run()
print(json.dumps(out))
"#;

#[test]
fn ocfl_storage_root_validates_with_every_record_version_kept() {
    let Some(py) = python("ocfl_storage_root_validates") else {
        return;
    };
    let (s, ids) = populated();
    let root = s.path().join("ocfl");
    let list = ids.join(",");
    let report = json(&s.run(&[
        "export",
        "ocfl",
        "--records",
        &list,
        "-o",
        root.to_str().expect("p"),
        "--json",
    ]));
    assert_eq!(report["objects"], 5);
    assert_eq!(
        report["versions"], 5,
        "metadata corrections do not change files"
    );
    let got: serde_json::Value =
        serde_json::from_str(&run_python(&py, VALIDATE_OCFL, &[&root])).expect("json");
    // Strictly, OCFL knows no BLAKE3: ocfl-py's only complaint is that fixity key.
    let strict = got["strict"]["errors"].as_array().expect("errors");
    assert_eq!(strict.len(), 5, "{got}");
    assert!(
        strict
            .iter()
            .all(|e| e.as_str().is_some_and(|e| e.contains("[E056b]"))),
        "{got}"
    );
    // Taught BLAKE3, it re-hashes every fixity value too and finds every object valid.
    assert_eq!(got["with_blake3"]["errors"], serde_json::json!([]), "{got}");
    assert_eq!(got["with_blake3"]["objects"], 5);
    assert_eq!(got["with_blake3"]["good"], 5);

    // The corrected record keeps both manifest versions and its original bytes.
    let object_id = format!("urn:uuid:{}", ids[1]);
    // ocfl-py finds the object from its id through the layout extension.
    let script = r#"
import sys, json, os, ocfl
store = ocfl.StorageRoot(root=sys.argv[1])
store.open_root_fs()
store.check_root_structure()
path = store.object_path(sys.argv[2])
inv = json.load(open(os.path.join(sys.argv[1], path, "inventory.json")))
state = inv["versions"][inv["head"]]["state"]
print(json.dumps({"head": inv["head"], "paths": sorted(p for ps in state.values() for p in ps),
                  "fixity": sorted(inv["fixity"].keys()), "dir": path}))
"#;
    let o = Command::new(&py)
        .arg("-c")
        .arg(script)
        .arg(&root)
        .arg(&object_id)
        .output()
        .expect("python");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).expect("object json");
    assert_eq!(got["head"], "v1");
    assert_eq!(
        got["paths"],
        serde_json::json!([
            "files/nghe-an-08-2018-qd-ubnd.txt",
            "kho/manifests/v000001.json",
            "kho/manifests/v000002.json"
        ])
    );
    assert_eq!(got["fixity"], serde_json::json!(["blake3", "sha256"]));
    let dir = root.join(got["dir"].as_str().expect("dir"));
    assert_eq!(
        std::fs::read(dir.join("v1/content/files/nghe-an-08-2018-qd-ubnd.txt")).expect("content"),
        std::fs::read(samples().join("nghe-an-08-2018-qd-ubnd.txt")).expect("sample")
    );
}

#[test]
fn exports_to_a_non_empty_directory_are_refused_and_leave_it_unchanged() {
    let s = Scratch::new();
    s.init_any();
    let id = deposit(&s, "a.txt", b"some record");
    let dest = s.path().join("busy");
    std::fs::create_dir(&dest).expect("dir");
    std::fs::write(dest.join("keep.txt"), b"mine").expect("file");
    let d = dest.to_str().expect("p");
    for args in [
        vec!["export", "parquet", "-o", d],
        vec!["export", "bagit", "--records", &id, "-o", d],
        vec!["export", "ocfl", "--records", &id, "-o", d],
    ] {
        let o = s.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
        assert_eq!(names(&dest), ["keep.txt"]);
    }
    // An existing tar file is not overwritten either.
    let tar = s.write("old.tar", b"not mine to replace");
    let o = s.run(&[
        "export",
        "bagit",
        "--records",
        &id,
        "-o",
        tar.to_str().expect("p"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&tar).expect("tar"), b"not mine to replace");
    assert!(!names(s.path()).iter().any(|n| n.contains("kho-tmp")));
}

#[test]
fn exports_to_an_unwritable_destination_fail_clearly_and_write_nothing() {
    let s = Scratch::new();
    s.init_any();
    let id = deposit(&s, "a.txt", b"some record");
    let file = s.write("plain-file", b"x");
    let under_a_file = file.join("out");
    let d = under_a_file.to_str().expect("p");
    for args in [
        vec!["export", "parquet", "-o", d],
        vec!["export", "bagit", "--records", &id, "-o", d],
        vec!["export", "ocfl", "--records", &id, "-o", d],
    ] {
        let o = s.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("cannot write to"), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read(&file).expect("file"), b"x");
}

#[test]
fn packages_of_unknown_records_or_dossiers_are_refused_before_anything_is_written() {
    let s = Scratch::new();
    s.init_any();
    deposit(&s, "a.txt", b"some record");
    let dest = s.path().join("bag");
    let d = dest.to_str().expect("p");
    let unknown = "0192f3a0-7c1e-7d2a-9b1e-3f5c2a1b0c9d";
    let o = s.run(&["export", "bagit", "--records", unknown, "-o", d]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("no record {unknown}")),
        "{}",
        stderr(&o)
    );
    let o = s.run(&["export", "ocfl", "--records", "not-an-id", "-o", d]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a record id"), "{}", stderr(&o));
    let o = s.run(&["export", "bagit", "HS-NONE", "-o", d]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("has no records"), "{}", stderr(&o));
    let o = s.run(&["export", "bagit", "-o", d]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a selector is required: {}",
        stderr(&o)
    );
    assert!(!dest.exists());
    assert!(!names(s.path()).iter().any(|n| n.contains("kho-tmp")));
}

#[test]
fn a_damaged_blob_stops_a_bag_export_and_leaves_no_partial_bag() {
    let s = Scratch::new();
    s.init_any();
    let id = deposit(&s, "a.txt", &vec![b'k'; 100_000]);
    // Flip a byte of the stored blob (stored uncompressed or as zstd: either breaks it).
    let blob = objects(&s, "blobs").into_iter().next().expect("one blob");
    let mut bytes = std::fs::read(&blob).expect("blob");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, bytes).expect("damage");
    let dest = s.path().join("bag");
    let o = s.run(&[
        "export",
        "bagit",
        "--records",
        &id,
        "-o",
        dest.to_str().expect("p"),
    ]);
    assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!dest.exists());
    assert!(!names(s.path()).iter().any(|n| n.contains("kho-tmp")));
}

#[test]
fn bagit_package_of_a_query_holds_the_records_the_search_finds() {
    let s = Scratch::new();
    s.init_any();
    let ids = deposit_samples(&s);
    let bag = s.path().join("nghe-an");
    let report = json(&s.run(&[
        "export",
        "bagit",
        "--query",
        "\"tỉnh Nghệ An\"",
        "-o",
        bag.to_str().expect("p"),
        "--json",
    ]));
    assert_eq!(report["records"], 1, "{report}");
    assert!(
        bag.join("data/records")
            .join(&ids[1])
            .join("nghe-an-08-2018-qd-ubnd.txt")
            .is_file()
    );
    let o = s.run(&[
        "export",
        "bagit",
        "--query",
        "từkhôngcótrongkho",
        "-o",
        s.path().join("none").to_str().expect("p"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no record matches"), "{}", stderr(&o));
    assert!(!s.path().join("none").exists());
}

/// Runs `kho ARGS` in the scratch directory with files limited to `blocks` of
/// 512 bytes and SIGXFSZ ignored, so that a write past the limit fails with an
/// error (EFBIG), as a write to a full disk fails (ENOSPC) part-way.
fn run_with_file_limit(s: &Scratch, blocks: u32, args: &[&str]) -> std::process::Output {
    let kho = env!("CARGO_BIN_EXE_kho");
    let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\"");
    std::process::Command::new("sh")
        .current_dir(s.path())
        .env_remove("KHO_STORE")
        .env_remove("KHO_CONFIG")
        .args(["-c", &script, kho])
        .args(args)
        .output()
        .expect("run kho under a file size limit")
}

#[test]
fn a_write_failing_mid_export_leaves_no_partial_export() {
    let (s, ids) = populated();
    // A record file larger than the limit, so the failure comes part-way.
    let big: Vec<u8> = (0..256u32 << 10).map(|i| (i % 253) as u8).collect();
    let big_id = deposit(&s, "lon.bin", &big);
    let before = names(s.path());
    let out = s.path().join("out");
    let tar = s.path().join("out.tar");
    let (o_dir, o_tar) = (out.to_str().expect("p"), tar.to_str().expect("p"));
    let records = format!("{},{big_id}", ids[0]);
    // Parquet tables of a small store are small: 1 KiB; packages: 64 KiB, which
    // the metadata files fit and the large file does not.
    for (blocks, args) in [
        (2, vec!["export", "parquet", "-o", o_dir]),
        (
            128,
            vec!["export", "bagit", "--records", &records, "-o", o_dir],
        ),
        (
            128,
            vec!["export", "bagit", "--records", &records, "-o", o_tar],
        ),
        (
            128,
            vec!["export", "ocfl", "--records", &records, "-o", o_dir],
        ),
    ] {
        let o = run_with_file_limit(&s, blocks, &args);
        // Exit 3: the environment (disk full, quota, file size) failed, not Kho.
        assert_eq!(
            o.status.code(),
            Some(3),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let err = stderr(&o);
        assert!(
            err.contains("File too large") && err.contains("the partial export was removed"),
            "{args:?}: the error does not say what failed: {err}"
        );
        assert!(!out.exists() && !tar.exists(), "{args:?} left an export");
        assert_eq!(names(s.path()), before, "{args:?} left files behind");
    }
    // Without the limit the same exports succeed: the failure was the write.
    ok(&s.run(&["export", "bagit", "--records", &records, "-o", o_dir]));
    assert!(out.join("bagit.txt").exists());
}

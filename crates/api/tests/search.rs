//! `kho search`, `kho analyze`, `kho reindex` and the index kept by
//! `kho deposit` and checked by `kho verify`, through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{Scratch, stderr, stdout};

fn samples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/documents/metadata.json")
}

fn with_samples() -> Scratch {
    let s = Scratch::new();
    s.init_any();
    let o = s.run(&["deposit", "--batch", samples().to_str().unwrap()]);
    assert!(o.status.success(), "deposit: {}", stderr(&o));
    s
}

fn search_json(s: &Scratch, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    let o = s.run(&all);
    assert!(o.status.success(), "search {args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn numbers(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["doc_number"].as_str().unwrap_or("-").to_string())
        .collect()
}

#[test]
fn deposited_samples_are_found_in_every_spelling() {
    let s = with_samples();
    for q in [
        "văn bản điện tử",
        "van ban dien tu",
        "va\u{306}n ba\u{309}n đie\u{302}\u{323}n tu\u{31B}\u{309}",
        "VĂN BẢN ĐIỆN TỬ",
    ] {
        let v = search_json(&s, &[q]);
        assert_eq!(v["total"], 5, "{q}: {v}");
    }
    assert_eq!(
        numbers(&search_json(
            &s,
            &["quản lý, lưu trữ văn bản điện tử tỉnh Nghệ An"]
        ))[0],
        "08/2018/QĐ-UBND"
    );
    assert_eq!(
        numbers(&search_json(
            &s,
            &["quan ly luu tru van ban dien tu tinh nghe an"]
        ))[0],
        "08/2018/QĐ-UBND"
    );
    assert_eq!(
        search_json(&s, &["hòa"])["total"],
        search_json(&s, &["hoà"])["total"]
    );
    for q in ["05/2016/QĐ-UBND", "5/2016/qd-ubnd"] {
        assert_eq!(numbers(&search_json(&s, &[q]))[0], "05/2016/QĐ-UBND", "{q}");
    }
    assert_eq!(
        numbers(&search_json(&s, &["chữ ký số"]))[0],
        "07/2016/QĐ-UBND"
    );
}

#[test]
fn text_output_shows_number_date_summary_and_highlighted_snippet() {
    let s = with_samples();
    let o = s.run(&["search", "chu ky so", "--limit", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("07/2016/QĐ-UBND"), "{out}");
    assert!(out.contains("«chữ» «ký» «số»"), "{out}");
    assert!(
        out.contains("type    Quyết định (5)") || out.contains("Quyết định ("),
        "{out}"
    );
}

#[test]
fn filters_sort_and_facets() {
    let s = with_samples();
    let v = search_json(
        &s,
        &["văn bản", "--from", "2016-01-01", "--to", "2017-12-31"],
    );
    assert_eq!(numbers(&v), ["05/2016/QĐ-UBND"]);
    let v = search_json(&s, &["văn bản", "--agency", "Bắc Giang"]);
    assert_eq!(numbers(&v), ["133/2015/QĐ-UBND"]);
    let v = search_json(
        &s,
        &[
            "văn bản",
            "--type",
            "quyet dinh",
            "--kind",
            "outgoing",
            "--sort",
            "date",
            "--limit",
            "3",
        ],
    );
    assert_eq!(
        numbers(&v),
        ["08/2018/QĐ-UBND", "05/2016/QĐ-UBND", "133/2015/QĐ-UBND"]
    );
    assert_eq!(v["facets"]["doc_type"][0]["value"], "Quyết định");
    assert_eq!(v["facets"]["doc_type"][0]["count"], 5);
    assert_eq!(v["facets"]["year"].as_array().unwrap().len(), 3);
    let v = search_json(&s, &["văn bản", "--dossier", "HS-1"]);
    assert_eq!(v["total"], 0);
    let o = s.run(&["search", "x", "--from", "16/03/2016"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("YYYY-MM-DD"), "{}", stderr(&o));
}

#[test]
fn analyze_prints_forms_tokens_and_doc_key() {
    let s = Scratch::new();
    let o = s.run(&["analyze", "--json", "Số: 05/2016/QĐ-UBND"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["canonical"], "Số: 05/2016/QĐ-UBND");
    assert_eq!(v["exact"], "số: 05/2016/qđ-ubnd");
    assert_eq!(v["fold"], "so: 05/2016/qd-ubnd");
    assert_eq!(v["doc_key"], "5/2016/qd-ubnd");
    let o = s.run(&["analyze", "--json", "Văn bản hòa giải"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["exact"], "văn bản hoà giải");
    assert_eq!(
        v["tokens"]["fold"],
        serde_json::json!(["van", "ban", "hoa", "giai"])
    );
    assert_eq!(
        v["tokens"]["pairs"],
        serde_json::json!(["van ban", "ban hoa", "hoa giai"])
    );
    assert!(v["doc_key"].is_null());
}

#[test]
fn reindex_gives_the_same_results_as_the_index_kept_by_deposits() {
    let s = with_samples();
    s.write("cv.txt", "Công văn về lưu trữ hồ sơ điện tử".as_bytes());
    let o = s.run(&[
        "deposit",
        "cv.txt",
        "--metadata",
        r#"{"summary":"Công văn lưu trữ"}"#,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let queries = ["văn bản điện tử", "luu tru", "\"hồ sơ điện tử\"", "05/2016"];
    let before: Vec<serde_json::Value> = queries
        .iter()
        .map(|q| search_json(&s, &[q])["hits"].clone())
        .collect();
    std::fs::remove_dir_all(s.path().join("kho-index")).unwrap();
    let o = s.run(&["search", "văn bản"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("kho reindex"), "{}", stderr(&o));
    let o = s.run(&["reindex"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("indexed 6 records"), "{}", stdout(&o));
    let after: Vec<serde_json::Value> = queries
        .iter()
        .map(|q| search_json(&s, &[q])["hits"].clone())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn verify_reports_a_stale_index() {
    let s = with_samples();
    let o = s.run(&["verify"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("index: ok"), "{}", stdout(&o));
    // Keep the index as it is, deposit, then put the old index back.
    let index = s.path().join("kho-index");
    let saved = s.path().join("saved-index");
    std::fs::create_dir(&saved).unwrap();
    for e in std::fs::read_dir(&index).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), saved.join(e.file_name())).unwrap();
    }
    let id = common::deposit(&s, "new.txt", "Tờ trình mới".as_bytes());
    std::fs::remove_dir_all(&index).unwrap();
    std::fs::rename(&saved, &index).unwrap();
    let o = s.run(&["verify", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["index"]["missing"], serde_json::json!([id]));
    assert_eq!(v["index"]["lag"], 1);
    let o = s.run(&["verify"]);
    assert!(stdout(&o).contains("DRIFT"), "{}", stdout(&o));
    let o = s.run(&["reindex", "-q"]);
    assert!(o.status.success());
    assert!(stdout(&s.run(&["verify"])).contains("index: ok"));
}

#[test]
fn bad_queries_give_a_clear_message_or_no_result() {
    let s = with_samples();
    for q in ["", "   "] {
        let o = s.run(&["search", q]);
        assert_eq!(o.status.code(), Some(2), "{q:?}");
        assert!(stderr(&o).contains("empty query"), "{}", stderr(&o));
    }
    let long = "văn bản ".repeat(1_300);
    let o = s.run(&["search", &long]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("too long"), "{}", stderr(&o));
    for q in [
        "?!.,;:",
        "\"văn bản",
        "văn\" bản\"\"\"",
        "AND OR NOT ( ) + - * ~ ^ : \\",
        "title:văn* AND -bản~2",
    ] {
        let o = s.run(&["search", q, "--json"]);
        assert!(o.status.success(), "{q:?}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["total"].as_u64().unwrap() <= 5);
    }
    let o = s.run(&["search", "x", "--limit", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn hostile_files_are_stored_and_indexed_without_text() {
    let s = Scratch::new();
    s.init_any();
    // A zip bomb named .docx: 100 MiB of zeros deflated.
    let bomb = {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            w.write_all(&zeros).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let bomb_id = common::deposit(&s, "bomb.docx", &bomb);
    let junk: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let junk_id = common::deposit(&s, "junk.txt", &junk);
    let text = [
        "Quyết định về hồ sơ điện tử ".as_bytes(),
        b"\xff\xfe \xC3\x28 ",
        " lưu trữ hồ sơ".as_bytes(),
    ]
    .concat();
    let text_id = common::deposit(&s, "bad-utf8.txt", &text);
    let list = stdout(&s.run(&["list"]));
    for id in [&bomb_id, &junk_id, &text_id] {
        assert!(list.contains(id.as_str()), "{id} not stored: {list}");
    }
    let v = search_json(&s, &["hồ sơ"]);
    assert_eq!(v["hits"][0]["record_id"], text_id.as_str());
    let o = s.run(&["verify", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["index"]["missing"], serde_json::json!([]));
    let o = s.run(&["reindex"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("zip bomb"), "{}", stderr(&o));
}

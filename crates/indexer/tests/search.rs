//! Search over a real archive: the sample decisions, filters, facets,
//! catch-up against rebuild, drift and bad input.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use archive_core::archive::{Archive, ArchiveOptions, DepositFile, DepositRequest, FileSource};
use archive_core::format::FormatPolicy;
use archive_core::model::FileRole;
use archive_core::store::{S3Settings, Store};
use indexer::{
    SearchBackend, SearchRequest, SearchResults, SortOrder, TantivyBackend, catch_up, drift,
    rebuild,
};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/documents")
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_url("kho-data", &S3Settings::default(), dir.path()).unwrap();
        Archive::init(store.clone(), options())
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
        Fixture { dir, store }
    }

    fn index_dir(&self) -> PathBuf {
        self.dir.path().join("kho-index")
    }

    async fn archive(&self) -> Archive {
        Archive::open(self.store.clone(), options()).await.unwrap()
    }

    async fn deposit(&self, metadata: serde_json::Value, filename: &str, bytes: Vec<u8>) -> String {
        let mut a = Archive::open_writer(self.store.clone(), options(), "test")
            .await
            .unwrap();
        let r = a
            .deposit(DepositRequest {
                metadata,
                files: vec![DepositFile {
                    filename: filename.into(),
                    role: FileRole::Main,
                    source: FileSource::Bytes(bytes.into()),
                }],
            })
            .await
            .unwrap();
        a.close().await.unwrap();
        r.record_id.to_string()
    }

    /// Deposits the five sample decisions; returns their ids by file name.
    async fn deposit_samples(&self) -> Vec<(String, String)> {
        let list: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(
            &std::fs::read_to_string(samples_dir().join("metadata.json")).unwrap(),
        )
        .unwrap();
        let mut ids = Vec::new();
        for mut entry in list {
            let file = entry.remove("file").unwrap();
            let file = file.as_str().unwrap().to_string();
            entry.remove("note");
            let bytes = std::fs::read(samples_dir().join(&file)).unwrap();
            let id = self
                .deposit(serde_json::Value::Object(entry), &file, bytes)
                .await;
            ids.push((file, id));
        }
        ids
    }

    async fn catch_up(&self) {
        let a = self.archive().await;
        catch_up(&a, &self.index_dir()).await.unwrap();
    }

    fn search(&self, request: &SearchRequest) -> SearchResults {
        TantivyBackend::open(&self.index_dir())
            .unwrap()
            .search(request)
            .unwrap()
    }

    fn find(&self, text: &str) -> Vec<String> {
        self.search(&SearchRequest::new(text))
            .hits
            .into_iter()
            .map(|h| h.record_id)
            .collect()
    }
}

fn options() -> ArchiveOptions {
    ArchiveOptions {
        formats: FormatPolicy::Any,
        metadata: archive_core::rules::MetadataPolicy::Free,
        ..ArchiveOptions::default()
    }
}

fn id_of<'a>(ids: &'a [(String, String)], file_prefix: &str) -> &'a str {
    &ids.iter()
        .find(|(f, _)| f.starts_with(file_prefix))
        .unwrap()
        .1
}

#[tokio::test]
async fn samples_are_found_with_and_without_diacritics_in_any_spelling() {
    let f = Fixture::new().await;
    let ids = f.deposit_samples().await;
    f.catch_up().await;
    let all: Vec<&str> = ids.iter().map(|(_, id)| id.as_str()).collect();
    for query in [
        "văn bản điện tử",
        "van ban dien tu",
        "VĂN BẢN ĐIỆN TỬ",
        // NFD
        "va\u{306}n ba\u{309}n đie\u{302}\u{323}n tu\u{31B}\u{309}",
        // legacy TCVN3 text read as windows-1252
        "v\u{a8}n b\u{b6}n \u{ae}i\u{d6}n t\u{f6}",
    ] {
        let found = f.find(query);
        for id in &all {
            assert!(
                found.contains(&id.to_string()),
                "{query:?} misses {id}: {found:?}"
            );
        }
    }
    // Old and new tone placement find the same records.
    assert_eq!(f.find("quản lý hòa"), f.find("quản lý hoà"));
    assert_eq!(f.find("thủy"), f.find("thuỷ"));
}

#[tokio::test]
async fn document_numbers_are_found_in_any_spelling() {
    let f = Fixture::new().await;
    let ids = f.deposit_samples().await;
    f.catch_up().await;
    let nam_dinh = id_of(&ids, "nam-dinh");
    for query in [
        "05/2016/QĐ-UBND",
        "5/2016/qd-ubnd",
        "Số: 05/2016/QĐ-UBND",
        "05 / 2016 / QĐ – UBND",
    ] {
        assert_eq!(
            f.find(query).first().map(String::as_str),
            Some(nam_dinh),
            "{query}"
        );
    }
    let tay_ninh = id_of(&ids, "tay-ninh");
    assert_eq!(
        f.find("07/2016").first().map(String::as_str),
        Some(tay_ninh)
    );
}

#[tokio::test]
async fn phrases_rank_and_snippets_highlight_the_original_text() {
    let f = Fixture::new().await;
    let ids = f.deposit_samples().await;
    f.catch_up().await;
    let r = f.search(&SearchRequest::new("chữ ký số"));
    assert_eq!(r.hits[0].record_id, id_of(&ids, "tay-ninh"));
    let r = f.search(&SearchRequest::new("\"chu ky so\""));
    assert!(
        r.hits
            .iter()
            .any(|h| h.record_id == id_of(&ids, "tay-ninh"))
    );
    let s = r.hits[0].snippet.clone().unwrap();
    let marked: Vec<&str> = s.highlights.iter().map(|&(a, b)| &s.text[a..b]).collect();
    assert!(
        marked.iter().any(|w| w.to_lowercase() == "chữ"),
        "{marked:?}"
    );
    assert!(
        marked.iter().any(|w| w.to_lowercase() == "ký"),
        "{marked:?}"
    );
}

#[tokio::test]
async fn filters_and_facets() {
    let f = Fixture::new().await;
    let ids = f.deposit_samples().await;
    f.catch_up().await;
    let mut r = SearchRequest::new("văn bản");
    r.filters.from = Some(time::macros::date!(2016 - 01 - 01));
    let found: Vec<String> = f.search(&r).hits.into_iter().map(|h| h.record_id).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&id_of(&ids, "nam-dinh").to_string()));
    assert!(found.contains(&id_of(&ids, "nghe-an").to_string()));

    let mut r = SearchRequest::new("văn bản");
    r.filters.agency = Some("nghe an".into());
    let found = f.search(&r);
    assert_eq!(found.total, 1);
    assert_eq!(found.hits[0].record_id, id_of(&ids, "nghe-an"));

    let mut r = SearchRequest::new("van ban");
    r.filters.doc_type = Some("quyet dinh".into());
    r.filters.kind = Some("Outgoing".into());
    let res = f.search(&r);
    assert_eq!(res.total, 5);
    let facets = res.facets.unwrap();
    assert_eq!(facets.doc_type.len(), 1);
    assert_eq!(facets.doc_type[0].value, "Quyết định");
    assert_eq!(facets.doc_type[0].count, 5);
    let years: Vec<(&str, u64)> = facets
        .year
        .iter()
        .map(|y| (y.value.as_str(), y.count))
        .collect();
    assert_eq!(years, [("2018", 1), ("2016", 1), ("2015", 1)]);
    assert_eq!(facets.agency.len(), 5);

    let mut r = SearchRequest::new("văn bản");
    r.filters.doc_type = Some("Công văn".into());
    assert_eq!(f.search(&r).total, 0);

    let mut r = SearchRequest::new("văn bản");
    r.sort = SortOrder::Date;
    let dates: Vec<Option<String>> = f.search(&r).hits.into_iter().map(|h| h.issued_on).collect();
    assert_eq!(
        dates[..3],
        [
            Some("2018-02-05".into()),
            Some("2016-03-16".into()),
            Some("2015-04-10".into())
        ]
    );
}

#[tokio::test]
async fn reindex_gives_the_same_results_as_incremental_catch_up() {
    let f = Fixture::new().await;
    let list = f.deposit_samples().await;
    // Incremental: one catch-up after each of three more deposits.
    f.catch_up().await;
    for i in 0..3 {
        f.deposit(
            serde_json::json!({"summary": format!("Công văn số {i} về lưu trữ hồ sơ điện tử")}),
            "cv.txt",
            format!("Nội dung công văn {i}: lưu trữ văn bản điện tử").into_bytes(),
        )
        .await;
        f.catch_up().await;
    }
    let queries = [
        "văn bản điện tử",
        "luu tru",
        "05/2016/QĐ-UBND",
        "\"hồ sơ điện tử\"",
        "chữ ký số",
    ];
    let incremental: Vec<Vec<(String, String)>> = queries
        .iter()
        .map(|q| ranked(&f.search(&SearchRequest::new(*q))))
        .collect();
    std::fs::remove_dir_all(f.index_dir()).unwrap();
    let a = f.archive().await;
    let report = rebuild(&a, &f.index_dir()).await.unwrap();
    assert_eq!(report.indexed, list.len() + 3);
    let rebuilt: Vec<Vec<(String, String)>> = queries
        .iter()
        .map(|q| ranked(&f.search(&SearchRequest::new(*q))))
        .collect();
    assert_eq!(incremental, rebuilt);
    assert!(drift(&a, &f.index_dir()).await.unwrap().is_clean());
}

fn ranked(r: &SearchResults) -> Vec<(String, String)> {
    r.hits
        .iter()
        .map(|h| (h.record_id.clone(), format!("{:.4}", h.score)))
        .collect()
}

#[tokio::test]
async fn drift_is_reported_when_the_index_is_behind() {
    let f = Fixture::new().await;
    f.deposit_samples().await;
    let a = f.archive().await;
    let d = drift(&a, &f.index_dir()).await.unwrap();
    assert!(!d.present);
    assert_eq!(d.missing.len(), 5);
    f.catch_up().await;
    let id = f
        .deposit(
            serde_json::json!({"summary": "mới"}),
            "a.txt",
            b"noi dung".to_vec(),
        )
        .await;
    let a = f.archive().await;
    let d = drift(&a, &f.index_dir()).await.unwrap();
    assert!(!d.is_clean());
    assert_eq!(d.missing, [id]);
    assert_eq!(d.lag, 1);
    f.catch_up().await;
    let a = f.archive().await;
    assert!(drift(&a, &f.index_dir()).await.unwrap().is_clean());
}

#[tokio::test]
async fn an_index_of_another_store_is_rebuilt() {
    let f = Fixture::new().await;
    f.deposit_samples().await;
    f.catch_up().await;
    let other = Fixture::new().await;
    other
        .deposit(serde_json::json!({}), "x.txt", b"chi mot ban ghi".to_vec())
        .await;
    let a = other.archive().await;
    let report = catch_up(&a, &f.index_dir()).await.unwrap();
    assert!(report.rebuilt);
    assert_eq!(report.indexed, 1);
    assert!(drift(&a, &f.index_dir()).await.unwrap().is_clean());
}

#[tokio::test]
async fn hostile_files_are_stored_and_reported_not_fatal() {
    let f = Fixture::new().await;
    // A zip bomb named .docx: 200 MiB of zeros in a few hundred KiB.
    let bomb = {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            w.write_all(&zeros).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let bomb_id = f.deposit(serde_json::json!({}), "bomb.docx", bomb).await;
    let junk: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let junk_id = f.deposit(serde_json::json!({}), "junk.txt", junk).await;
    let bad_utf8 = f
        .deposit(
            serde_json::json!({}),
            "bad.txt",
            [
                "Quyết định về hồ sơ điện tử ".as_bytes(),
                b"\xff\xfe \xC3\x28 \xE1\xBB",
                " lưu trữ hồ sơ".as_bytes(),
            ]
            .concat(),
        )
        .await;
    // A malformed PDF is refused at deposit by the signature check (its signatures
    // cannot be read); the extractor still has to survive one, e.g. from a store
    // written before that check existed.
    let bad_pdf = b"%PDF-1.7\n1 0 obj <<>> garbage".to_vec();
    let mut a = Archive::open_writer(f.store.clone(), options(), "test")
        .await
        .unwrap();
    let refused = a
        .deposit(DepositRequest {
            metadata: serde_json::json!({}),
            files: vec![DepositFile {
                filename: "bad.pdf".into(),
                role: FileRole::Main,
                source: FileSource::Bytes(bad_pdf.clone().into()),
            }],
        })
        .await;
    assert!(
        matches!(&refused, Err(archive_core::ArchiveError::Refused(m)) if m.contains("signature")),
        "{refused:?}"
    );
    a.close().await.unwrap();
    let x = indexer::extract::extract("application/pdf", "bad.pdf", bad_pdf, &Default::default());
    assert!(
        !x.notes.is_empty(),
        "the extractor says what it could not read: {x:?}"
    );
    let a = f.archive().await;
    let report = catch_up(&a, &f.index_dir()).await.unwrap();
    assert_eq!(report.indexed, 3);
    let noted: Vec<&str> = report
        .files_with_notes
        .iter()
        .map(|s| s.record_id.as_str())
        .collect();
    assert!(noted.contains(&bomb_id.as_str()), "{report:?}");
    assert!(noted.contains(&junk_id.as_str()), "{report:?}");
    let d = drift(&a, &f.index_dir()).await.unwrap();
    assert!(d.is_clean(), "{d:?}");
    assert!(f.find("hồ sơ").contains(&bad_utf8));
}

#[tokio::test]
async fn bad_queries_give_a_clear_error_or_an_empty_result() {
    let f = Fixture::new().await;
    f.deposit_samples().await;
    f.catch_up().await;
    let b = TantivyBackend::open(&f.index_dir()).unwrap();
    for text in ["", "   "] {
        let e = b.search(&SearchRequest::new(text)).unwrap_err();
        assert!(e.to_string().contains("empty query"), "{e}");
    }
    let e = b
        .search(&SearchRequest::new("văn ".repeat(2_600)))
        .unwrap_err();
    assert!(e.to_string().contains("too long"), "{e}");
    for text in [
        "?!.,;:",
        "\"",
        "\"\"",
        "\"văn bản",
        "văn bản\"",
        "((AND OR NOT))",
        "+-&&||!(){}[]^\"~*?:\\/",
        "\u{0}\u{1}\u{FFFD}",
    ] {
        let r = b.search(&SearchRequest::new(text)).unwrap();
        assert!(r.hits.len() <= 5, "{text}");
    }
    assert!(
        !b.search(&SearchRequest::new("\"văn bản"))
            .unwrap()
            .hits
            .is_empty()
    );
}

//! `kho import register|edxml`, `kho export register` and `kho report`:
//! round trips, the edXML sample, secrecy refusals and bad inputs that store
//! nothing.

mod common;
use std::path::PathBuf;

use common::*;

const SAMPLE: &str = include_str!("../../records/data/edxml_sample.xml");
const CP1258_REGISTER: &[u8] = include_bytes!("data/register_windows1258.csv");

fn signed_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../signatures/tests/fixtures/generated")
}

/// A store with the default policies (archival formats, records-law
/// metadata) and the signature fixtures' trust anchors.
fn setup() -> Scratch {
    let s = Scratch::new();
    let f = signed_fixtures();
    std::fs::write(
        s.path().join("kho.toml"),
        format!(
            "[signatures]\ntrust_anchors = [{:?}]\nintermediates = [{:?}]\n",
            f.join("trust/root.pem").display().to_string(),
            f.join("trust/intermediate.pem").display().to_string()
        ),
    )
    .expect("config");
    let o = s.run(&["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::create_dir(s.path().join("files")).expect("files dir");
    s
}

fn write_file(s: &Scratch, name: &str, data: &[u8]) {
    std::fs::write(s.path().join("files").join(name), data).expect("write");
}

fn copy_fixture(s: &Scratch, fixture: &str, name: &str) {
    std::fs::copy(
        signed_fixtures().join(fixture),
        s.path().join("files").join(name),
    )
    .expect("copy fixture");
}

fn record_count(s: &Scratch) -> usize {
    let o = s.run(&["list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("list json");
    v.as_array().map_or(0, Vec::len)
}

fn blob_count(s: &Scratch) -> usize {
    objects(s, "blobs").len()
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let mut rows = Vec::new();
    for line in text.lines() {
        // The test registers have no embedded newlines; split quoted cells.
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => cells.push(std::mem::take(&mut cell)),
                other => cell.push(other),
            }
        }
        cells.push(cell);
        rows.push(cells);
    }
    rows
}

const OUTGOING_HEADER: &str = "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Tên loại văn bản,Trích yếu nội dung,Người ký,Nơi nhận văn bản,Số lượng bản,Mức độ khẩn,Độ mật,Ghi chú,Tệp đính kèm";

fn import_outgoing(s: &Scratch, csv: &str) -> std::process::Output {
    std::fs::write(s.path().join("so-di.csv"), csv).expect("csv");
    s.run(&[
        "import",
        "register",
        "so-di.csv",
        "--kind",
        "outgoing",
        "--files",
        "files",
        "--issuer",
        "Ủy ban nhân dân tỉnh Nam Định",
        "--issuer-code",
        "000.00.00.H40",
    ])
}

#[test]
fn register_import_then_export_gives_identical_rows() {
    let s = setup();
    write_file(&s, "qd05.txt", "Quyết định 05".as_bytes());
    write_file(&s, "qd05-phu-luc.txt", "Phụ lục".as_bytes());
    write_file(&s, "cv12.txt", "Công văn 12".as_bytes());
    write_file(&s, "tb03.txt", "Thông báo 3".as_bytes());
    let csv = format!(
        "\u{feff}{OUTGOING_HEADER}
05/QĐ-UBND,15/03/2026,Quyết định,Ban hành Quy định về công tác văn thư,Nguyễn Văn A,Sở Nội vụ; Các huyện,40,Khẩn,,,qd05.txt; qd05-phu-luc.txt
12/UBND-VX,15/03/2026,Công văn,\"Về việc gửi, nhận văn bản điện tử\",Trần Thị B,Sở Thông tin và Truyền thông,3,,Không mật,bản điện tử,cv12.txt
03/TB-UBND,02/04/2026,Thông báo,Thông báo lịch tiếp công dân,Lê Văn C,,,Hỏa tốc,,,tb03.txt
"
    );
    let o = import_outgoing(&s, &csv);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
    assert_eq!(record_count(&s), 3);

    let o = s.run(&[
        "export",
        "register",
        "--kind",
        "outgoing",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "-o",
        "export.csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let exported = std::fs::read(s.path().join("export.csv")).expect("export");
    assert_eq!(csv_rows(&exported), csv_rows(csv.as_bytes()));
    assert!(
        !exported.starts_with(b"\xEF\xBB\xBF"),
        "plain CSV has no BOM"
    );

    // The spreadsheet form holds the same rows, with a BOM and CRLF.
    let o = s.run(&[
        "export",
        "register",
        "--kind",
        "outgoing",
        "--from",
        "01/01/2026",
        "--to",
        "30/06/2026",
        "--xlsx-csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.starts_with(b"\xEF\xBB\xBF"));
    assert!(o.stdout.windows(2).any(|w| w == b"\r\n"));
    assert_eq!(csv_rows(&o.stdout), csv_rows(csv.as_bytes()));

    // A period outside the rows exports the header only.
    let o = s.run(&[
        "export",
        "register",
        "--kind",
        "outgoing",
        "--from",
        "2026-04-01",
        "--to",
        "2026-04-30",
    ]);
    assert_eq!(csv_rows(&o.stdout).len(), 2, "{}", stdout(&o));
}

#[test]
fn incoming_register_round_trips_too() {
    let s = setup();
    write_file(&s, "den101.txt", b"den 101");
    let csv = "Ngày đến,Số đến,Tác giả,\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Tên loại văn bản,Trích yếu nội dung,Đơn vị hoặc người nhận,Mức độ khẩn,Độ mật,Ghi chú,Tệp đính kèm
17/03/2026,101,Bộ Nội vụ,15/BNV-VP,10/03/2026,Công văn,Hướng dẫn quản lý tài liệu điện tử,Phòng Hành chính,Thượng khẩn,,,den101.txt
";
    std::fs::write(s.path().join("so-den.csv"), csv).expect("csv");
    let o = s.run(&[
        "import",
        "register",
        "so-den.csv",
        "--kind",
        "incoming",
        "--files",
        "files",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.run(&[
        "export",
        "register",
        "--kind",
        "incoming",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(csv_rows(&o.stdout), csv_rows(csv.as_bytes()));
}

#[test]
fn windows_1258_register_imports_as_nfc_text() {
    let s = setup();
    write_file(&s, "qd07.txt", b"qd 07");
    std::fs::write(s.path().join("so-di.csv"), CP1258_REGISTER).expect("csv");
    let o = s.run(&[
        "import",
        "register",
        "so-di.csv",
        "--kind",
        "outgoing",
        "--files",
        "files",
        "--issuer",
        "Ủy ban nhân dân tỉnh Nam Định",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let id = report["imported"][0]["record_id"].as_str().expect("id");
    let o = s.run(&["show", id, "--json"]);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).expect("manifest");
    assert_eq!(
        m["metadata"]["summary"],
        "Về việc phê duyệt kế hoạch lưu trữ"
    );
    assert_eq!(m["metadata"]["signer"]["full_name"], "Nguyễn Văn Định");
    assert_eq!(m["metadata"]["doc_type"], "quyet_dinh");
}

/// Runs a register import expected to fail with exit code 2, and checks that
/// nothing was stored. Returns standard error.
fn refused_register(s: &Scratch, csv: &[u8]) -> String {
    let records = record_count(s);
    let blobs = blob_count(s);
    std::fs::write(s.path().join("bad.csv"), csv).expect("csv");
    let o = s.run(&[
        "import",
        "register",
        "bad.csv",
        "--kind",
        "outgoing",
        "--files",
        "files",
        "--issuer",
        "Ủy ban nhân dân tỉnh Nam Định",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(record_count(s), records, "a record was stored");
    assert_eq!(blob_count(s), blobs, "a blob was stored");
    stderr(&o)
}

#[test]
fn register_with_secret_rows_is_refused_for_every_level_and_stores_nothing() {
    let s = setup();
    write_file(&s, "a.txt", b"a");
    for (level, label) in [
        ("Mật", "mat"),
        ("Tối mật", "toi_mat"),
        ("Tuyệt mật", "tuyet_mat"),
    ] {
        let csv = format!(
            "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Độ mật,Tệp đính kèm
01/QĐ-UBND,01/03/2026,Thường,,a.txt
02/QĐ-UBND,02/03/2026,Bí mật,{level},a.txt
"
        );
        let err = refused_register(&s, csv.as_bytes());
        assert!(
            err.contains("line 3")
                && err.contains("field secrecy")
                && err.contains("secret_documents_refused")
                && err.contains(label),
            "{level}: {err}"
        );
    }
}

#[test]
fn register_with_an_impossible_date_names_the_row_and_field() {
    let s = setup();
    write_file(&s, "a.txt", b"a");
    let err = refused_register(
        &s,
        "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Tệp đính kèm
01/QĐ-UBND,01/03/2026,Một,a.txt
02/QĐ-UBND,30/02/2026,Hai,a.txt
"
        .as_bytes(),
    );
    assert!(
        err.contains("line 3") && err.contains("field issued_on") && err.contains("date_format"),
        "{err}"
    );
    assert!(err.contains("nothing was stored"), "{err}");
}

#[test]
fn register_with_wrong_columns_is_refused_naming_them() {
    let s = setup();
    write_file(&s, "a.txt", b"a");
    let err = refused_register(
        &s,
        "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Cột lạ\n01/QĐ-UBND,01/03/2026,Một,x\n"
            .as_bytes(),
    );
    assert!(
        err.contains("Cột lạ") && err.contains("register_columns"),
        "{err}"
    );
    let err = refused_register(&s, "Trích yếu nội dung\nMột\n".as_bytes());
    assert!(
        err.contains("lacks the columns") && err.contains("Số, ký hiệu văn bản"),
        "{err}"
    );
}

#[test]
fn register_mixing_encodings_is_refused_naming_the_lines() {
    let s = setup();
    write_file(&s, "a.txt", b"a");
    write_file(&s, "qd07.txt", b"qd 07");
    let mut csv = CP1258_REGISTER.to_vec();
    csv.extend_from_slice(
        "08/QĐ-UBND,11/03/2026,Quyết định,Về việc khác,Trần Văn Bình,a.txt\n".as_bytes(),
    );
    let err = refused_register(&s, &csv);
    assert!(
        err.contains("mixes encodings") && err.contains("line 3") && err.contains("line 1"),
        "{err}"
    );
}

#[test]
fn register_naming_missing_or_unsafe_files_is_refused_whole() {
    let s = setup();
    write_file(&s, "a.txt", b"a");
    let err = refused_register(
        &s,
        "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Tệp đính kèm
01/QĐ-UBND,01/03/2026,Một,a.txt
02/QĐ-UBND,02/03/2026,Hai,khong-co.txt
03/QĐ-UBND,03/03/2026,Ba,../kho.toml
04/QĐ-UBND,04/03/2026,Bốn,
"
        .as_bytes(),
    );
    for needle in [
        "line 3 field tep_dinh_kem",
        "khong-co.txt",
        "line 4 field tep_dinh_kem",
        "not a plain file name",
        "line 5 field tep_dinh_kem (rule file_required)",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

/// Base64 for the test messages.
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(T[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
        if i % 19 == 18 {
            out.push('\n');
        }
    }
    out
}

/// The sample envelope with an unknown header element, wrapped with its
/// attachment content carried base64 after it.
fn message_with(attachment: &[u8]) -> String {
    SAMPLE
        .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
        .replace(
            "<edXML:SteeringType>0</edXML:SteeringType>",
            "<edXML:SteeringType>0</edXML:SteeringType>\n      <edXML:LegacyBox loai=\"x\">Hộp 12 &amp; 13</edXML:LegacyBox>",
        )
        .replacen(
            "<edXML:edXMLEnvelope",
            "<edXML:edXML xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><edXML:edXMLEnvelope",
            1,
        )
        + &format!(
            "<edXML:AttachmentEncoded><edXML:Attachment>\
             <edXML:ContentId>cid:qd-05-2016-main</edXML:ContentId>\
             <edXML:AttachmentName>05_2016_QD-UBND.pdf</edXML:AttachmentName>\
             <edXML:ContentType>application/pdf</edXML:ContentType>\
             <edXML:ContentTransferEncoded>{}</edXML:ContentTransferEncoded>\
             </edXML:Attachment></edXML:AttachmentEncoded></edXML:edXML>\n",
            base64(attachment)
        )
}

#[test]
fn edxml_message_imports_with_fields_mapped_attachment_intact_and_unknown_elements_kept() {
    let s = setup();
    let pdf = std::fs::read(signed_fixtures().join("01_valid_two_signatures.pdf")).expect("pdf");
    s.write("qd05.edxml", message_with(&pdf).as_bytes());
    let o = s.run(&["import", "edxml", "qd05.edxml", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let id = report["imported"][0]["record_id"]
        .as_str()
        .expect("id")
        .to_owned();

    let o = s.run(&["show", &id, "--json"]);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).expect("manifest");
    let md = &m["metadata"];
    assert_eq!(md["kind"], "incoming");
    assert_eq!(md["doc_number"], "05/2016/QĐ-UBND");
    assert_eq!(md["doc_type"], "quyet_dinh");
    assert_eq!(md["issued_on"], "2016-03-15");
    assert_eq!(md["issuer_code"], "000.00.00.H40");
    assert_eq!(md["issuer"], "Ủy ban nhân dân tỉnh Nam Định");
    assert_eq!(md["signer"]["full_name"], "Nguyễn Văn A");
    assert_eq!(md["signer"]["authority_mark"], "tm");
    assert_eq!(md["page_count"], 3);
    assert!(md.get("urgency").is_none() && md.get("secrecy").is_none());
    let extra = &md["edxml"];
    assert_eq!(extra["MessageHeader/LegacyBox"], "Hộp 12 & 13");
    assert_eq!(
        md["edxml_unknown"]["edXMLEnvelope/edXMLHeader/MessageHeader/LegacyBox"],
        "<edXML:LegacyBox loai=\"x\">Hộp 12 &amp; 13</edXML:LegacyBox>"
    );
    assert_eq!(extra["MessageHeader/OtherInfo/TyperNotation"], "VT");
    assert_eq!(
        extra["TraceHeaderList/Bussiness/BussinessDocReason"],
        "Văn bản mới"
    );
    assert_eq!(m["files"][0]["filename"], "05_2016_QD-UBND.pdf");
    assert_eq!(m["files"][0]["role"], "main");
    assert_eq!(m["signature_reports"][0]["decision"], "accept");

    let o = s.run(&["get", &id, "-o", "back.pdf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(s.path().join("back.pdf")).expect("back"), pdf);
}

#[test]
fn edxml_sample_without_content_keeps_the_message_itself() {
    let s = setup();
    s.write("sample.xml", SAMPLE.as_bytes());
    let o = s.run(&[
        "import",
        "edxml",
        "sample.xml",
        "--kind",
        "outgoing",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let doc = &report["imported"][0];
    assert!(
        doc["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w
                .as_str()
                .is_some_and(|w| w.contains("05_2016_QD-UBND.pdf")))),
        "{doc}"
    );
    let id = doc["record_id"].as_str().expect("id");
    let o = s.run(&["get", id, "-o", "back.xml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(s.path().join("back.xml")).expect("back"),
        SAMPLE.as_bytes()
    );
}

/// Runs an edXML import expected to fail with exit code 2 and store nothing.
fn refused_edxml(s: &Scratch, xml: &[u8], extra: &[&str]) -> String {
    let records = record_count(s);
    let blobs = blob_count(s);
    s.write("bad.edxml", xml);
    let mut args = vec!["import", "edxml", "bad.edxml"];
    args.extend_from_slice(extra);
    let o = s.run(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(record_count(s), records, "a record was stored");
    assert_eq!(blob_count(s), blobs, "a blob was stored");
    stderr(&o)
}

#[test]
fn edxml_secret_message_is_refused_for_every_level_and_stores_nothing() {
    let s = setup();
    for (code, level) in [("2", "mat"), ("3", "toi_mat"), ("4", "tuyet_mat")] {
        let xml = message_with(b"%PDF-1.4 secret")
            .replace("<edXML:Priority>0<", &format!("<edXML:Priority>{code}<"));
        let err = refused_edxml(
            &s,
            xml.as_bytes(),
            &[
                "--priority",
                "2=secrecy:mat",
                "--priority",
                "3=secrecy:toi_mat",
                "--priority",
                "4=urgency:khan,secrecy:tuyet_mat",
            ],
        );
        assert!(
            err.contains("field secrecy")
                && err.contains("secret_documents_refused")
                && err.contains(level),
            "{code}: {err}"
        );
    }
}

#[test]
fn edxml_bad_messages_are_specific_errors_and_store_nothing() {
    let s = setup();
    let full = message_with(b"%PDF-1.4 hello");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            full.as_bytes()[..full.len() - 60].to_vec(),
            "truncated",
        ),
        ("not xml", b"this is not XML at all".to_vec(), "edxml_envelope"),
        (
            "xml bomb",
            br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<edXMLEnvelope><edXMLHeader><MessageHeader><Subject>&lol2;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope>"#
                .to_vec(),
            "DOCTYPE",
        ),
        (
            "bad base64",
            full.replace("JVBERi0xLjQg", "JVBE!!0xLjQg").into_bytes(),
            "not base64",
        ),
    ];
    for (what, bytes, needle) in cases {
        let err = refused_edxml(&s, &bytes, &[]);
        assert!(err.contains(needle), "{what}: {err}");
    }
}

#[test]
fn edxml_attachment_over_the_configured_limit_is_refused() {
    let s = setup();
    let xml = message_with(&[b'%'; 4096]);
    let err = refused_edxml(&s, xml.as_bytes(), &["--max-attachment-size", "1K"]);
    assert!(
        err.contains("larger than the limit of 1024 bytes") && err.contains("attachment_content"),
        "{err}"
    );
    let o = s.run(&[
        "import",
        "edxml",
        "bad.edxml",
        "--max-attachment-size",
        "lots",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--max-attachment-size"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn report_counts_match_the_deposited_records() {
    let s = setup();
    copy_fixture(&s, "01_valid_two_signatures.pdf", "qd01.pdf");
    copy_fixture(&s, "05_untrusted_signer.pdf", "qd02.pdf");
    copy_fixture(&s, "11_unsigned.pdf", "tb03.pdf");
    copy_fixture(&s, "07_timestamped.pdf", "den01.pdf");
    write_file(&s, "den02.txt", b"den 02");
    let o = import_outgoing(
        &s,
        &format!(
            "{OUTGOING_HEADER}
01/QĐ-UBND,05/01/2026,Quyết định,Một,,,,,,,qd01.pdf
02/QĐ-UBND,20/01/2026,Quyết định,Hai,,,,,,,qd02.pdf
03/TB-UBND,03/02/2026,Thông báo,Ba,,,,,,,tb03.pdf
04/TB-UBND,03/08/2026,Thông báo,Ngoài kỳ,,,,,,,tb03.pdf
"
        ),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        s.path().join("so-den.csv"),
        "Ngày đến,Số đến,Tác giả,\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Tệp đính kèm
10/02/2026,1,Bộ Nội vụ,15/BNV-VP,09/02/2026,Đến một,den01.pdf
11/02/2026,2,Bộ Tài chính,16/BTC-VP,09/02/2026,Đến hai,den02.txt
",
    )
    .expect("csv");
    let o = s.run(&[
        "import",
        "register",
        "so-den.csv",
        "--kind",
        "incoming",
        "--files",
        "files",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(record_count(&s), 6);

    let report = |by: &str| -> serde_json::Value {
        let o = s.run(&[
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-06-30",
            "--by",
            by,
            "--json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).expect("report json")
    };
    let by_month = report("month");
    let total = &by_month["total"];
    assert_eq!(total["sent"]["documents"], 3, "{by_month}");
    assert_eq!(total["sent"]["valid_signature"], 1);
    assert_eq!(total["sent"]["without_valid_signature"], 2);
    assert_eq!(total["sent"]["signed_with_warning"], 1);
    assert_eq!(total["received"]["documents"], 2);
    assert_eq!(total["received"]["valid_signature"], 1);
    assert_eq!(total["received"]["without_valid_signature"], 1);
    let months: Vec<(String, u64, u64)> = by_month["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["group"].as_str().unwrap_or("").to_owned(),
                r["sent"]["documents"].as_u64().unwrap_or(0),
                r["received"]["documents"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        months,
        [("2026-01".to_owned(), 2, 0), ("2026-02".to_owned(), 1, 2)]
    );

    let by_type = report("type");
    let types: Vec<&str> = by_type["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["group"].as_str())
        .collect();
    assert_eq!(types, ["(none)", "quyet_dinh", "thong_bao"]);

    let by_agency = report("agency");
    let agencies: Vec<&str> = by_agency["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["group"].as_str())
        .collect();
    assert_eq!(agencies, ["000.00.00.H40", "Bộ Nội vụ", "Bộ Tài chính"]);

    let o = s.run(&[
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--by",
        "month",
        "--csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&o.stdout);
    assert_eq!(rows[0][0], "group");
    assert_eq!(
        rows.last().map(|r| r[..2].to_vec()),
        Some(vec!["total".to_owned(), "3".to_owned()])
    );

    let o = s.run(&["report", "--from", "2026-06-30", "--to", "2026-01-01"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--from"), "{}", stderr(&o));
}

#[test]
fn register_naming_a_tampered_signed_file_is_refused_whole() {
    let s = setup();
    copy_fixture(&s, "01_valid_two_signatures.pdf", "qd01.pdf");
    copy_fixture(&s, "02_tampered_both.pdf", "qd02.pdf");
    let err = refused_register(
        &s,
        "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Tệp đính kèm
01/QĐ-UBND,01/03/2026,Một,qd01.pdf
02/QĐ-UBND,02/03/2026,Hai,qd02.pdf
"
        .as_bytes(),
    );
    assert!(
        err.contains("line 3 field tep_dinh_kem (rule signature_policy)")
            && err.contains("qd02.pdf")
            && !err.contains("line 2"),
        "{err}"
    );
}

//! Entry paths other than JSON: CSV registers and edXML envelopes.

mod common;

use std::collections::BTreeMap;

use records::edxml::{EdxmlError, EdxmlOptions, PriorityMeaning, parse_edxml};
use records::register::{
    RegisterError, RegisterKind, RegisterOptions, export_register, import_register,
};
use records::{DepositError, RecordKind, Refusal, SecretLevel};

const SAMPLE: &str = include_str!("../data/edxml_sample.xml");

fn options() -> RegisterOptions {
    RegisterOptions {
        issuer: Some("Ủy ban nhân dân tỉnh Nam Định".into()),
        issuer_code: Some("H40".into()),
        today: common::today(),
    }
}

const OUTGOING: &str = "\u{feff}\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Tên loại văn bản,Trích yếu nội dung,Người ký,Nơi nhận văn bản,Số lượng bản,Mức độ khẩn,Độ mật,Ghi chú
05/2016/QĐ-UBND,15/03/2016,Quyết định,Ban hành Quy định về công tác văn thư,Nguyễn Văn A,Sở Nội vụ; Các huyện,40,Khẩn,,
12/UBND-VX,02/04/2016,Công văn,\"Về việc gửi, nhận văn bản điện tử\",Trần Thị B,Sở Thông tin và Truyền thông,3,,Không mật,bản điện tử
";

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    let text = csv_text.strip_prefix('\u{feff}').unwrap_or(csv_text);
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("csv").iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn outgoing_register_round_trips_to_identical_rows() {
    let imported = import_register(RegisterKind::Outgoing, OUTGOING, &options()).expect("imports");
    assert_eq!(imported.len(), 2);
    let first = &imported[0].metadata;
    assert_eq!(imported[0].line, 2);
    assert_eq!(first.doc_type.as_deref(), Some("quyet_dinh"));
    assert_eq!(first.urgency.as_deref(), Some("khan"));
    assert_eq!(first.recipients.len(), 2);
    assert_eq!(first.issuer_code.as_deref(), Some("H40"));
    let records: Vec<_> = imported.into_iter().map(|r| r.metadata).collect();
    let exported = export_register(RegisterKind::Outgoing, &records).expect("exports");
    assert_eq!(rows(&exported), rows(OUTGOING));
    let headers = exported.lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        headers,
        OUTGOING
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches('\u{feff}')
    );
}

#[test]
fn incoming_register_round_trips_to_identical_rows() {
    let text = "Ngày đến,Số đến,Tác giả,\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Tên loại văn bản,Trích yếu nội dung,Đơn vị hoặc người nhận,Mức độ khẩn,Độ mật,Ghi chú
17/03/2016,101,Ủy ban nhân dân tỉnh Nam Định,05/2016/QĐ-UBND,15/03/2016,Quyết định,Ban hành Quy định về công tác văn thư,Phòng Hành chính,Hỏa tốc,,
";
    let imported = import_register(RegisterKind::Incoming, text, &options()).expect("imports");
    let m = &imported[0].metadata;
    assert_eq!(m.kind, RecordKind::Incoming);
    assert_eq!(m.arrival_number, Some(101));
    assert_eq!(m.issuer.as_deref(), Some("Ủy ban nhân dân tỉnh Nam Định"));
    let records: Vec<_> = imported.into_iter().map(|r| r.metadata).collect();
    let exported = export_register(RegisterKind::Incoming, &records).expect("exports");
    assert_eq!(rows(&exported), rows(text));
}

#[test]
fn register_with_secret_rows_is_refused_whole_with_every_level_named() {
    let text = "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Độ mật
01/QĐ-UBND,01/03/2016,Một,Mật
02/QĐ-UBND,01/03/2016,Hai,
03/QĐ-UBND,01/03/2016,Ba,Tối mật
04/QĐ-UBND,01/03/2016,Bốn,tuyệt mật
";
    let Err(RegisterError::Rows(failures)) =
        import_register(RegisterKind::Outgoing, text, &options())
    else {
        panic!("expected failing rows");
    };
    let found: Vec<(u64, SecretLevel)> = failures
        .iter()
        .filter_map(|f| match &f.error {
            DepositError::Refused(Refusal::Secret { level, .. }) => Some((f.line, *level)),
            _ => None,
        })
        .collect();
    assert_eq!(
        found,
        [
            (2, SecretLevel::Mat),
            (4, SecretLevel::ToiMat),
            (5, SecretLevel::TuyetMat)
        ]
    );
}

#[test]
fn register_rows_with_problems_are_all_listed_and_nothing_imported() {
    let text = "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung
01/QĐ-UBND,30/02/2016,Một
02/QĐ-UBND,01/03/2016,Hai
12a/QĐ-UBND,01/03/2016,
";
    let Err(RegisterError::Rows(failures)) =
        import_register(RegisterKind::Outgoing, text, &options())
    else {
        panic!("expected failing rows");
    };
    let lines: Vec<u64> = failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [2, 4]);
    let message = RegisterError::Rows(failures).to_string();
    assert!(
        message.contains("line 2") && message.contains("day 30 does not exist"),
        "{message}"
    );
    assert!(
        message.contains("line 4") && message.contains("trích yếu nội dung is missing"),
        "{message}"
    );
}

#[test]
fn register_with_wrong_columns_is_a_specific_error() {
    let unknown = "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Cột lạ\n";
    assert!(matches!(
        import_register(RegisterKind::Outgoing, unknown, &options()),
        Err(RegisterError::UnknownColumns { .. })
    ));
    let missing = "\"Số, ký hiệu văn bản\",Trích yếu nội dung\n";
    let error =
        import_register(RegisterKind::Outgoing, missing, &options()).expect_err("must fail");
    assert_eq!(
        error.to_string(),
        "the register lacks the columns Ngày, tháng văn bản"
    );
    let ragged = "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung\n01/QĐ-UBND,01/03/2016\n";
    assert!(matches!(
        import_register(RegisterKind::Outgoing, ragged, &options()),
        Err(RegisterError::Csv(_))
    ));
    assert!(matches!(
        import_register(RegisterKind::Outgoing, "", &options()),
        Err(RegisterError::Empty | RegisterError::MissingColumns { .. })
    ));
}

fn edxml_options() -> EdxmlOptions {
    EdxmlOptions {
        kind: RecordKind::Outgoing,
        priority: BTreeMap::new(),
        today: common::today(),
    }
}

#[test]
fn edxml_sample_maps_to_record_metadata() {
    let message = parse_edxml(SAMPLE.as_bytes(), &edxml_options()).expect("reads");
    let m = &message.metadata;
    assert_eq!(m.doc_number.as_deref(), Some("05/2016/QĐ-UBND"));
    assert_eq!(m.doc_type.as_deref(), Some("quyet_dinh"));
    assert_eq!(m.issued_on, Some(time::macros::date!(2016 - 03 - 15)));
    assert_eq!(m.issuer_code.as_deref(), Some("000.00.00.H40"));
    assert_eq!(m.issuer.as_deref(), Some("Ủy ban nhân dân tỉnh Nam Định"));
    assert_eq!(m.place.as_deref(), Some("Nam Định"));
    assert_eq!(m.page_count, Some(3));
    assert_eq!(m.copies_issued, Some(40));
    let signer = m.signer.clone().unwrap_or_default();
    assert_eq!(signer.authority_mark.as_deref(), Some("tm"));
    assert_eq!(signer.on_behalf_of.as_deref(), Some("ỦY BAN NHÂN DÂN"));
    assert_eq!(signer.position.as_deref(), Some("Chủ tịch"));
    assert_eq!(signer.full_name.as_deref(), Some("Nguyễn Văn A"));
    assert_eq!(m.recipients.len(), 1);
    assert_eq!(
        m.recipients[0].agency_code.as_deref(),
        Some("000.00.01.H40")
    );
    assert_eq!(m.urgency, None);
    assert_eq!(m.secrecy, None);
    let edxml = &m.extra["edxml"];
    assert_eq!(edxml["MessageHeader/OtherInfo/Priority"], "0");
    assert_eq!(edxml["MessageHeader/OtherInfo/TyperNotation"], "VT");
    assert_eq!(
        edxml["MessageHeader/ToPlaces/Place"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        edxml["TraceHeaderList/Bussiness/BussinessDocReason"],
        "Văn bản mới"
    );
    assert_eq!(message.attachments.len(), 1);
    assert_eq!(
        message.attachments[0].name.as_deref(),
        Some("05_2016_QD-UBND.pdf")
    );
    assert_eq!(
        message.attachments[0].content_type.as_deref(),
        Some("application/pdf")
    );
}

#[test]
fn edxml_secret_priority_is_refused_at_every_level() {
    for (code, secrecy, level) in [
        ("2", "mat", SecretLevel::Mat),
        ("3", "toi_mat", SecretLevel::ToiMat),
        ("4", "tuyet_mat", SecretLevel::TuyetMat),
    ] {
        let mut options = edxml_options();
        options.priority.insert(
            code.to_owned(),
            PriorityMeaning {
                urgency: None,
                secrecy: Some(secrecy.to_owned()),
            },
        );
        let xml = SAMPLE.replace("<edXML:Priority>0<", &format!("<edXML:Priority>{code}<"));
        match parse_edxml(xml.as_bytes(), &options) {
            Err(EdxmlError::Deposit(DepositError::Refused(Refusal::Secret {
                level: found,
                ..
            }))) => {
                assert_eq!(found, level);
            }
            other => panic!("{code}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn edxml_urgency_comes_only_from_the_configured_priority_table() {
    let mut options = edxml_options();
    options.priority.insert(
        "0".into(),
        PriorityMeaning {
            urgency: Some("thuong".into()),
            secrecy: Some("none".into()),
        },
    );
    let message = parse_edxml(SAMPLE.as_bytes(), &options).expect("reads");
    assert_eq!(message.metadata.urgency.as_deref(), Some("thuong"));
    assert_eq!(message.metadata.secrecy.as_deref(), Some("none"));
}

#[test]
fn edxml_with_a_doctype_is_refused_so_no_entity_expands() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<edXMLEnvelope><edXMLHeader><MessageHeader><Subject>&lol2;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope>"#;
    assert!(matches!(
        parse_edxml(bomb.as_bytes(), &edxml_options()),
        Err(EdxmlError::Doctype)
    ));
    let undeclared = "<edXMLEnvelope><edXMLHeader><MessageHeader><Subject>&lol;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope>";
    assert!(matches!(
        parse_edxml(undeclared.as_bytes(), &edxml_options()),
        Err(EdxmlError::Entity(_))
    ));
}

#[test]
fn truncated_or_non_edxml_input_is_a_specific_error() {
    let half = &SAMPLE[..SAMPLE.len() / 2];
    let error = parse_edxml(half.as_bytes(), &edxml_options()).expect_err("must fail");
    assert!(
        matches!(error, EdxmlError::Truncated(_) | EdxmlError::Xml { .. }),
        "{error:?}"
    );
    assert!(matches!(
        parse_edxml("<html><body/></html>".as_bytes(), &edxml_options()),
        Err(EdxmlError::NotEdxml(name)) if name == "html"
    ));
    assert!(matches!(
        parse_edxml("not xml at all".as_bytes(), &edxml_options()),
        Err(EdxmlError::NotEdxml(_) | EdxmlError::Xml { .. })
    ));
    assert!(matches!(
        parse_edxml(
            "<edXMLEnvelope><a></b></edXMLEnvelope>".as_bytes(),
            &edxml_options()
        ),
        Err(EdxmlError::Xml { .. })
    ));
}

#[test]
fn edxml_attachments_after_the_envelope_are_not_read() {
    // A huge attachment after the envelope is never buffered.
    let body = "A".repeat(20 * 1024 * 1024);
    let wrapped = SAMPLE
        .replacen(
            "<edXML:edXMLEnvelope",
            "<edXML xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><edXML:edXMLEnvelope",
            1,
        )
        .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
        + &format!(
            "<edXML:AttachmentEncoded><edXML:Attachment>{body}</edXML:Attachment></edXML:AttachmentEncoded></edXML>"
        );
    let message = parse_edxml(wrapped.as_bytes(), &edxml_options()).expect("reads the header only");
    assert_eq!(message.metadata.page_count, Some(3));
}

#[test]
fn oversized_header_text_is_refused() {
    let big = "x".repeat(records::edxml::MAX_TEXT_BYTES + 1);
    let xml = SAMPLE.replace("<edXML:Subject>", &format!("<edXML:Subject>{big}"));
    assert!(matches!(
        parse_edxml(xml.as_bytes(), &edxml_options()),
        Err(EdxmlError::TooLarge(_))
    ));
    let huge = "y".repeat(records::edxml::MAX_ENVELOPE_BYTES as usize + 10);
    let xml = SAMPLE.replace("<edXML:Subject>", &format!("<edXML:Subject>{huge}"));
    assert!(matches!(
        parse_edxml(xml.as_bytes(), &edxml_options()),
        Err(EdxmlError::TooLarge(_))
    ));
}

#[test]
fn windows_1258_register_decodes_to_nfc_text() {
    // "Quyết định" in windows-1258: ê = 0xEA, combining acute = 0xEC,
    // đ = 0xF0, combining dot below = 0xF2.
    let bytes = b"Trich yeu\nQuy\xea\xect \xf0i\xf2nh\n";
    let text = records::register::decode_register(bytes).expect("decodes");
    assert_eq!(text, "Trich yeu\nQuyết định\n");
    let bom = "\u{feff}Trích yếu\n".as_bytes();
    assert_eq!(
        records::register::decode_register(bom).expect("decodes"),
        "Trích yếu\n"
    );
}

#[test]
fn register_mixing_utf8_and_windows_1258_is_refused_naming_both_lines() {
    let mut bytes = "Số, ký hiệu\nQuyết định\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"Quy\xea\xect \xf0i\xf2nh\n");
    match records::register::decode_register(&bytes) {
        Err(RegisterError::MixedEncodings {
            utf8_line,
            other_line,
        }) => assert_eq!((utf8_line, other_line), (1, 3)),
        other => panic!("expected mixed encodings, got {other:?}"),
    }
}

#[test]
fn register_files_column_lists_files_and_exports_back() {
    let text = "\"Số, ký hiệu văn bản\",\"Ngày, tháng văn bản\",Trích yếu nội dung,Tệp đính kèm
01/QĐ-UBND,01/03/2016,Một,qd01.pdf; phu-luc.pdf
";
    let rows = import_register(RegisterKind::Outgoing, text, &options()).expect("imports");
    assert_eq!(rows[0].files, ["qd01.pdf", "phu-luc.pdf"]);
    let export = records::register::export_register_rows(
        RegisterKind::Outgoing,
        &[records::register::ExportRow {
            metadata: &rows[0].metadata,
            files: &rows[0].files,
        }],
        records::register::ExportOptions {
            files_column: true,
            spreadsheet: true,
        },
    )
    .expect("exports");
    assert!(export.starts_with('\u{feff}'));
    assert!(export.contains("\r\n"));
    assert!(
        export.trim_end().ends_with("qd01.pdf; phu-luc.pdf"),
        "{export}"
    );
}

fn with_attachments(parts: &[(&str, &str)]) -> String {
    let body: String = parts
        .iter()
        .map(|(name, b64)| {
            format!(
                "<Attachment><ContentId>cid:{name}</ContentId><AttachmentName>{name}</AttachmentName>\
                 <ContentType>application/pdf</ContentType>\
                 <edXML:ContentTransferEncoded>{b64}</edXML:ContentTransferEncoded></Attachment>"
            )
        })
        .collect();
    SAMPLE
        .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
        .replacen(
            "<edXML:edXMLEnvelope",
            "<edXML xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><edXML:edXMLEnvelope",
            1,
        )
        + &format!("<AttachmentEncoded>{body}</AttachmentEncoded></edXML>")
}

#[test]
fn edxml_attachments_stream_to_their_exact_bytes() {
    // "%PDF-1.4 hello" and "second", base64 with a line break inside.
    let xml = with_attachments(&[("a.pdf", "JVBERi0xLjQg\naGVsbG8="), ("b.pdf", "c2Vjb25k")]);
    let mut outputs: Vec<Vec<u8>> = vec![Vec::new(), Vec::new()];
    let mut sinks = outputs.iter_mut();
    let found = records::edxml::extract_attachments(xml.as_bytes(), 1024, |_| {
        sinks
            .next()
            .ok_or_else(|| std::io::Error::other("too many"))
    })
    .expect("reads");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].name.as_deref(), Some("a.pdf"));
    assert_eq!(found[0].size, 14);
    assert_eq!(found[1].content_id.as_deref(), Some("cid:b.pdf"));
    assert_eq!(outputs[0], b"%PDF-1.4 hello");
    assert_eq!(outputs[1], b"second");
}

#[test]
fn edxml_attachment_over_the_limit_is_refused() {
    let xml = with_attachments(&[("a.pdf", "JVBERi0xLjQgaGVsbG8=")]);
    let error = records::edxml::extract_attachments(xml.as_bytes(), 10, |_| {
        Ok::<_, std::io::Error>(Vec::new())
    })
    .expect_err("over the limit");
    assert!(
        error
            .to_string()
            .contains("larger than the limit of 10 bytes"),
        "{error}"
    );
}

#[test]
fn edxml_attachment_with_bad_or_cut_base64_is_refused() {
    for bad in ["JVBERi0x!!", "JVBERi0", "JV==QQ=="] {
        let xml = with_attachments(&[("a.pdf", bad)]);
        let result = records::edxml::extract_attachments(xml.as_bytes(), 1024, |_| {
            Ok::<_, std::io::Error>(Vec::new())
        });
        assert!(
            matches!(result, Err(EdxmlError::Attachment { .. })),
            "{bad}: {result:?}"
        );
    }
    let xml = with_attachments(&[("a.pdf", "JVBERi0xLjQgaGVsbG8=")]);
    let cut = &xml[..xml.len() - 40];
    let result = records::edxml::extract_attachments(cut.as_bytes(), 1024, |_| {
        Ok::<_, std::io::Error>(Vec::new())
    });
    assert!(
        matches!(result, Err(EdxmlError::Truncated(_))),
        "{result:?}"
    );
}

#[test]
fn edxml_attachment_reader_refuses_a_doctype() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<edXML><AttachmentEncoded><Attachment><AttachmentName>&lol2;</AttachmentName></Attachment></AttachmentEncoded></edXML>"#;
    let result = records::edxml::extract_attachments(bomb.as_bytes(), 1024, |_| {
        Ok::<_, std::io::Error>(Vec::new())
    });
    assert!(matches!(result, Err(EdxmlError::Doctype)), "{result:?}");
}

#[test]
fn incoming_edxml_keeps_the_senders_copy_count_as_extra() {
    let mut options = edxml_options();
    options.kind = RecordKind::Incoming;
    let message = parse_edxml(SAMPLE.as_bytes(), &options).expect("reads");
    assert_eq!(message.metadata.copies_issued, None);
    assert_eq!(
        message.metadata.extra["edxml"]["MessageHeader/OtherInfo/PromulgationAmount"],
        "40"
    );
}

#[test]
fn edxml_unknown_elements_are_kept_verbatim_with_their_attributes() {
    let xml = SAMPLE
        .replace(
            "<edXML:SteeringType>0</edXML:SteeringType>",
            "<edXML:SteeringType>0</edXML:SteeringType><edXML:LegacyBox loai=\"x\">Hộp 12 &amp; 13<edXML:Shelf so=\"4\"/></edXML:LegacyBox>",
        )
        .replace(
            "</edXML:edXMLBody>",
            "<edXML:Extension kind=\"vendor\"/></edXML:edXMLBody>",
        );
    let message = parse_edxml(xml.as_bytes(), &edxml_options()).expect("reads");
    let unknown = &message.metadata.extra["edxml_unknown"];
    assert_eq!(
        unknown["edXMLEnvelope/edXMLHeader/MessageHeader/LegacyBox"],
        "<edXML:LegacyBox loai=\"x\">Hộp 12 &amp; 13<edXML:Shelf so=\"4\"/></edXML:LegacyBox>"
    );
    assert_eq!(
        unknown["edXMLEnvelope/edXMLBody/Extension"],
        "<edXML:Extension kind=\"vendor\"/>"
    );
    // Elements the reference table describes are not repeated there.
    let plain = parse_edxml(SAMPLE.as_bytes(), &edxml_options()).expect("reads");
    assert!(
        !plain.metadata.extra.contains_key("edxml_unknown"),
        "{:?}",
        plain.metadata.extra.get("edxml_unknown")
    );
}

#[test]
fn edxml_large_attachment_streams_exactly_across_chunk_boundaries() {
    use base64::Engine as _;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let wrapped: String = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| format!("{}\r\n", String::from_utf8_lossy(line)))
        .collect();
    let xml = with_attachments(&[("big.bin", &wrapped)]);
    let mut outputs = [Vec::new()];
    let mut sinks = outputs.iter_mut();
    let found = records::edxml::extract_attachments(xml.as_bytes(), 1 << 20, |_| {
        sinks
            .next()
            .ok_or_else(|| std::io::Error::other("one attachment only"))
    })
    .expect("reads");
    assert_eq!(found[0].size, bytes.len() as u64);
    assert_eq!(outputs[0], bytes);
}

#[test]
fn edxml_oversized_markup_after_the_envelope_is_refused() {
    let comment = format!("<!--{}-->", "x".repeat(2 * 1024 * 1024));
    let xml = with_attachments(&[("a.pdf", "JVBERi0xLjQgaGVsbG8=")]).replace(
        "<AttachmentEncoded>",
        &format!("<AttachmentEncoded>{comment}"),
    );
    let result = records::edxml::extract_attachments(xml.as_bytes(), 1024, |_| {
        Ok::<_, std::io::Error>(Vec::new())
    });
    assert!(matches!(result, Err(EdxmlError::TooLarge(_))), "{result:?}");
}

//! Property: metadata is stored as NFC, trimmed, and normalising is idempotent.

use proptest::prelude::*;
use records::{Recipient, RecordKind, RecordMetadata, Signer};
use unicode_normalization::{UnicodeNormalization, is_nfc};

fn vietnamese_text() -> impl Strategy<Value = String> {
    // Base letters with combining tone and vowel marks, spaces, and the
    // precomposed forms, so that NFD and mixed input are both generated.
    "[ a-zA-ZđĐăâêôơưĂÂÊÔƠƯ\u{300}\u{301}\u{303}\u{309}\u{323}\u{302}\u{306}\u{31b}]{0,30}"
}

proptest! {
    #[test]
    fn normalized_metadata_is_nfc_and_idempotent(
        summary in vietnamese_text(),
        issuer in vietnamese_text(),
        name in vietnamese_text(),
        recipient in vietnamese_text(),
    ) {
        let mut m = RecordMetadata::new(RecordKind::Outgoing);
        m.summary = Some(summary.nfd().collect());
        m.issuer = Some(issuer);
        m.signer = Some(Signer { full_name: Some(name), ..Signer::default() });
        m.recipients = vec![Recipient { agency_code: None, name: Some(recipient) }];
        m.extra.insert("ghi_chu_khac".into(), serde_json::Value::String(summary.nfd().collect()));
        let n = m.normalized();
        let json = serde_json::to_string(&n).expect("serialises");
        prop_assert!(is_nfc(&json), "not NFC: {:?}", json);
        prop_assert_eq!(n.normalized(), n.clone());
        for text in [&n.summary, &n.issuer].into_iter().flatten() {
            prop_assert!(!text.is_empty() && text.trim() == text);
        }
    }
}

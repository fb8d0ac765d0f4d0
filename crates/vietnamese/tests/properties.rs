//! Properties of the pipeline on arbitrary and on Vietnamese-like text.

use proptest::prelude::*;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use vietnamese::{
    canonicalize, decode_bytes, doc_number_key, exact_form, fold_form, forms, is_syllable,
    repair_legacy, syllable_bigrams, words,
};

/// Characters that matter to the pipeline: Vietnamese letters in both
/// cases, ASCII, combining tone and vowel marks, invisible characters,
/// spaces, dash and slash look-alikes, full-width forms, Ð/ð/Ɖ, and the
/// windows-1252 symbols that legacy text turns into.
const ALPHABET: &str = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯQUYÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬ\
    àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ\
    fjwzçüñß²ﬁ0123456789 .,;:/-_()'\"\t\n\u{A0}\u{202F}\u{3000}\u{2028}\
    \u{300}\u{301}\u{303}\u{309}\u{323}\u{302}\u{306}\u{31B}\u{341}\
    \u{AD}\u{200B}\u{200D}\u{2060}\u{FEFF}\u{200F}\
    \u{2010}\u{2013}\u{2014}\u{2212}\u{2044}\u{2215}ＡＱ／－１\
    \u{D0}\u{F0}\u{189}§©®°±µ¶·¸¹º»¼½¾¿×÷æøþ«¬¯´¨ª¤¥¦¢£¡\u{80}\u{8A}\u{9F}€™œ•…";

/// Whole words, some of them legacy mojibake, for text that looks like a
/// real mix.
const WORDS: &[&str] = &[
    "Céng",
    "hoµ",
    "x·",
    "héi",
    "chñ",
    "nghÜa",
    "ViÖt",
    "Nam",
    "Ng\u{AD}êi",
    "lao",
    "®éng",
    "Coäng",
    "hoøa",
    "Ñoäc",
    "laäp",
    "Tiªng",
    "Vi®t",
    "œY",
    "BAN",
    "h°",
    "s½",
    "hòa",
    "hoà",
    "thủy",
    "qúy",
    "gìa",
    "café",
    "m²",
    "Số:",
    "05/2016/QĐ-UBND",
    "ISO",
    "9001:2015",
    "Ð",
    "Điều",
    "5.",
    "Diện",
    "tích",
    "ﬁle",
    "\u{200B}",
    "–",
    "Ｈà",
    "Vie\u{323}\u{302}t",
];

fn vietnamese_like() -> impl Strategy<Value = String> {
    let chars: Vec<char> = ALPHABET.chars().collect();
    prop_oneof![
        prop::collection::vec(prop::sample::select(chars), 0..40)
            .prop_map(|cs| cs.into_iter().collect::<String>()),
        prop::collection::vec(
            (
                prop::sample::select(WORDS),
                prop::sample::select(&[" ", "  ", "\u{A0}", ", ", "\u{200B}", "\n"][..])
            ),
            0..12
        )
        .prop_map(|parts| parts
            .into_iter()
            .flat_map(|(w, s)| [w, s])
            .collect::<String>()),
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), vietnamese_like()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn canonicalize_is_idempotent(text in any_text()) {
        let once = canonicalize(&text);
        prop_assert_eq!(canonicalize(&once), once);
    }

    #[test]
    fn exact_form_is_idempotent_on_its_own_output(text in any_text()) {
        let once = exact_form(&text);
        prop_assert_eq!(exact_form(&once), once);
    }

    #[test]
    fn fold_form_is_idempotent_on_its_own_output(text in any_text()) {
        let once = fold_form(&text);
        prop_assert_eq!(fold_form(&once), once);
    }

    #[test]
    fn fold_form_has_no_combining_marks(text in any_text()) {
        let fold = fold_form(&text);
        let mark = fold.chars().find(|c| c.general_category() == GeneralCategory::NonspacingMark);
        prop_assert_eq!(mark, None, "{:?}", fold);
    }

    #[test]
    fn forms_agree_with_the_single_functions(text in any_text()) {
        let f = forms(&text);
        prop_assert_eq!(&f.canonical, &canonicalize(&text));
        prop_assert_eq!(&f.exact, &exact_form(&text));
        prop_assert_eq!(&f.fold, &fold_form(&text));
        prop_assert_eq!(f.doc_number_key(), doc_number_key(&text));
    }

    #[test]
    fn canonical_text_has_no_invisible_characters_or_double_spaces(text in any_text()) {
        let c = canonicalize(&text);
        prop_assert!(!c.contains("  ") && !c.starts_with(' ') && !c.ends_with(' '));
        let invisible = c.chars().find(|ch| {
            matches!(
                ch,
                '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{D0}' | '\u{F0}' | '\u{189}'
            )
        });
        prop_assert_eq!(invisible, None);
        prop_assert!(!c.chars().any(|ch| ch.is_whitespace() && ch != ' '));
    }

    #[test]
    fn nothing_panics_on_arbitrary_text(text in any_text()) {
        let _ = repair_legacy(&text);
        let _ = doc_number_key(&text);
        let _ = is_syllable(&text);
        let _ = syllable_bigrams(&text);
        let _ = words(&text).count();
    }

    #[test]
    fn decoding_never_panics_and_yields_text(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let d = decode_bytes(&bytes, None);
        let _ = canonicalize(&d.text);
        prop_assert!(bytes.is_empty() || !d.text.is_empty());
    }

    #[test]
    fn a_document_number_key_is_its_own_key(text in any_text()) {
        if let Some(key) = doc_number_key(&text) {
            let again = doc_number_key(&key);
            prop_assert_eq!(again.as_deref(), Some(key.as_str()));
        }
    }
}

//! Behaviour of the legacy detector beyond the shared cases.

use vietnamese::{canonicalize, fold_form, repair_legacy};

#[test]
fn units_after_a_number_are_not_taken_for_viscii() {
    // The reference detector reads a lone `m²` as VISCII `mỗ`.
    assert_eq!(canonicalize("Tổng 25 m²"), "Tổng 25 m²");
    assert_eq!(canonicalize("Độ dày 5 µm"), "Độ dày 5 µm");
    assert_eq!(canonicalize("25 µm"), "25 µm");
    assert_eq!(canonicalize("Nhiệt độ 25°C"), "Nhiệt độ 25°C");
}

#[test]
fn fold_of_a_unit_is_stable() {
    let fold = fold_form("Diện tích 25 m²");
    assert_eq!(fold, "dien tich 25 m²");
    assert_eq!(fold_form(&fold), fold);
}

#[test]
fn soft_hyphen_inside_tcvn3_is_the_letter_u_with_horn() {
    assert_eq!(canonicalize("tr\u{AD}êng häc"), "trường học");
}

#[test]
fn words_with_characters_outside_windows_1252_are_never_repaired() {
    assert_eq!(repair_legacy("Người lao động"), "Người lao động");
}

#[test]
fn latin_1_text_is_kept() {
    for text in ["café crème brûlée", "Müller, São Paulo", "naïve façade"] {
        assert_eq!(repair_legacy(text), text);
    }
}

#[test]
fn a_mojibake_word_next_to_words_that_read_the_same_is_left_alone() {
    // Known limit of the detector (shared README): VISCII `Đồng Tháp`.
    assert_eq!(repair_legacy("Ð°ng Tháp"), "Ð°ng Tháp");
}

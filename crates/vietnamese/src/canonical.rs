//! Canonical text: what is stored for display and snippets.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::legacy::repair_legacy;

/// How a character is treated by the canonical form.
enum Treatment {
    Keep,
    Delete,
    Space,
    Map(char),
}

fn treatment(c: char) -> Treatment {
    match c {
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' => Treatment::Delete,
        c if c.is_whitespace() => Treatment::Space,
        '\u{00D0}' | '\u{0189}' => Treatment::Map('\u{0110}'),
        '\u{00F0}' => Treatment::Map('\u{0111}'),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => Treatment::Map('-'),
        '\u{2044}' | '\u{2215}' | '\u{29F8}' => Treatment::Map('/'),
        '\u{FF01}'..='\u{FF5E}' => Treatment::Map(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
        _ => Treatment::Keep,
    }
}

fn nfc(text: Cow<'_, str>) -> (Cow<'_, str>, bool) {
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => (text, false),
        _ => {
            let composed: String = text.nfc().collect();
            let changed = composed != text;
            (Cow::Owned(composed), changed)
        }
    }
}

/// Step 3 of the pipeline on already repaired text. The flag tells whether
/// anything happened that can change how the legacy detector splits the
/// text into runs (a character deleted, a non-ASCII character mapped, a
/// composition), so that the caller knows whether to run it again.
fn canonical_characters(text: &str) -> (String, bool) {
    let (composed, mut structural) = nfc(Cow::Borrowed(text));
    let mut out = String::with_capacity(composed.len());
    let mut pending_space = false;
    for c in composed.chars() {
        let mapped = match treatment(c) {
            Treatment::Keep => c,
            Treatment::Delete => {
                structural = true;
                continue;
            }
            Treatment::Space => {
                structural |= !c.is_ascii();
                pending_space = true;
                continue;
            }
            Treatment::Map(m) => {
                structural = true;
                m
            }
        };
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(mapped);
    }
    if !structural {
        // Only runs of ASCII white space were collapsed or trimmed, which
        // cannot bring a base letter and a combining mark together.
        return (out, false);
    }
    let (recomposed, _) = nfc(Cow::Owned(out));
    (recomposed.into_owned(), true)
}

/// Passes of repair and canonicalisation before giving up on a fixed point;
/// real text needs one, text whose legacy runs only appear once invisible
/// characters are gone needs two.
const MAX_PASSES: usize = 4;

/// Legacy repair then step 3, repeated while the canonical characters still
/// change what the repair sees, so that the canonical form is a fixed
/// point: `canonicalize(canonicalize(x)) == canonicalize(x)`.
pub(crate) fn canonicalize(text: &str) -> String {
    let repaired = repair_legacy(text);
    let mut again = matches!(repaired, Cow::Owned(_));
    let (mut current, structural) = canonical_characters(&repaired);
    again |= structural;
    let mut passes = 1;
    while again && passes < MAX_PASSES {
        passes += 1;
        let repaired = repair_legacy(&current);
        if matches!(repaired, Cow::Borrowed(_)) {
            break;
        }
        let (next, _) = canonical_characters(&repaired);
        again = next != current;
        current = next;
    }
    current
}

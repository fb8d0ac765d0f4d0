//! Minimal BER/DER tag-length-value walking: finding where a CMS blob ends
//! inside zero-padded `/Contents`, converting BER to DER, and locating the
//! original bytes of signed attributes and certificates.
//!
//! The typed decoding is done by the `der`/`cms`/`x509-cert` crates; this
//! module only handles what those crates cannot: indefinite lengths,
//! constructed strings and raw byte spans.

use crate::error::SignatureError;

/// Deepest nesting accepted when walking BER; real CMS stays far below.
const MAX_DEPTH: usize = 64;

/// One decoded tag-length-value element, pointing into the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The identifier octets.
    pub tag: &'a [u8],
    /// Whether the constructed bit is set.
    pub constructed: bool,
    /// The content octets (for indefinite length: without the end-of-contents).
    pub value: &'a [u8],
    /// The whole encoding, header and end-of-contents included.
    pub raw: &'a [u8],
    /// Whether the length was indefinite.
    pub indefinite: bool,
}

impl Tlv<'_> {
    /// The first identifier octet.
    pub fn tag_byte(&self) -> u8 {
        self.tag.first().copied().unwrap_or(0)
    }
}

fn bad(what: &str) -> SignatureError {
    SignatureError::Asn1(what.to_owned())
}

/// Reads the element at the start of `input`; returns it and the rest.
pub(crate) fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), SignatureError> {
    read_tlv_depth(input, 0)
}

fn read_tlv_depth(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), SignatureError> {
    if depth > MAX_DEPTH {
        return Err(bad("nesting too deep"));
    }
    let first = *input.first().ok_or_else(|| bad("unexpected end of data"))?;
    let mut pos = 1;
    if first & 0x1f == 0x1f {
        loop {
            let b = *input.get(pos).ok_or_else(|| bad("truncated tag"))?;
            pos += 1;
            if b & 0x80 == 0 {
                break;
            }
            if pos > 6 {
                return Err(bad("tag number too large"));
            }
        }
    }
    let tag_end = pos;
    let constructed = first & 0x20 != 0;
    let len_byte = *input.get(pos).ok_or_else(|| bad("truncated length"))?;
    pos += 1;
    if len_byte == 0x80 {
        if !constructed {
            return Err(bad("indefinite length on a primitive element"));
        }
        // Indefinite: children until end-of-contents (00 00).
        let start = pos;
        let mut rest = input.get(pos..).ok_or_else(|| bad("truncated"))?;
        loop {
            if rest.len() >= 2 && rest[0] == 0 && rest[1] == 0 {
                let consumed = input.len() - rest.len();
                let value = &input[start..consumed];
                let raw = &input[..consumed + 2];
                return Ok((
                    Tlv {
                        tag: &input[..tag_end],
                        constructed,
                        value,
                        raw,
                        indefinite: true,
                    },
                    &input[consumed + 2..],
                ));
            }
            let (_, after) = read_tlv_depth(rest, depth + 1)?;
            rest = after;
        }
    }
    let len = if len_byte & 0x80 == 0 {
        usize::from(len_byte)
    } else {
        let n = usize::from(len_byte & 0x7f);
        if n > 8 {
            return Err(bad("length field too long"));
        }
        let bytes = input
            .get(pos..pos + n)
            .ok_or_else(|| bad("truncated length"))?;
        pos += n;
        let mut len: u64 = 0;
        for b in bytes {
            len = (len << 8) | u64::from(*b);
        }
        usize::try_from(len).map_err(|_| bad("length too large"))?
    };
    let end = pos
        .checked_add(len)
        .filter(|end| *end <= input.len())
        .ok_or_else(|| bad("element longer than the data"))?;
    Ok((
        Tlv {
            tag: &input[..tag_end],
            constructed,
            value: &input[pos..end],
            raw: &input[..end],
            indefinite: false,
        },
        &input[end..],
    ))
}

/// The children of a constructed element.
pub(crate) fn children<'a>(tlv: &Tlv<'a>) -> Result<Vec<Tlv<'a>>, SignatureError> {
    let mut out = Vec::new();
    let mut rest = tlv.value;
    while !rest.is_empty() {
        let (child, after) = read_tlv(rest)?;
        out.push(child);
        rest = after;
    }
    Ok(out)
}

/// Length of the leading element of `blob` (BER or DER); padding after it is
/// ignored. This is how the CMS is cut out of zero-padded `/Contents`.
pub(crate) fn leading_element_len(blob: &[u8]) -> Result<usize, SignatureError> {
    let (tlv, _) = read_tlv(blob)?;
    Ok(tlv.raw.len())
}

/// Appends a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Encodes one element with a definite length.
pub(crate) fn encode_tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    out.extend_from_slice(tag);
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// Universal tags whose constructed BER form is a concatenation of primitive
/// segments (OCTET STRING, BIT STRING is left alone, and the string types).
fn is_string_tag(tag: u8) -> bool {
    matches!(tag & 0x1f, 0x04 | 0x0c | 0x13 | 0x14 | 0x16 | 0x1a | 0x1e) && tag & 0xc0 == 0
}

/// Converts a BER encoding to DER as far as lengths and constructed strings
/// go: indefinite lengths become definite, long-form lengths minimal, and
/// constructed OCTET STRINGs and character strings are joined. Elements that
/// are already DER are copied byte for byte, so signatures over them survive.
/// Returns the DER bytes and whether anything changed.
pub(crate) fn ber_to_der(input: &[u8]) -> Result<(Vec<u8>, bool), SignatureError> {
    let (tlv, _) = read_tlv(input)?;
    let mut out = Vec::with_capacity(tlv.raw.len());
    let changed = convert(&tlv, &mut out, 0)?;
    Ok((out, changed))
}

fn convert(tlv: &Tlv<'_>, out: &mut Vec<u8>, depth: usize) -> Result<bool, SignatureError> {
    if depth > MAX_DEPTH {
        return Err(bad("nesting too deep"));
    }
    if !tlv.constructed {
        let mut canon = Vec::new();
        canon.extend_from_slice(tlv.tag);
        push_len(&mut canon, tlv.value.len());
        let header_len = tlv.raw.len() - tlv.value.len();
        let changed = canon.len() != header_len;
        canon.extend_from_slice(tlv.value);
        out.extend_from_slice(&canon);
        return Ok(changed);
    }
    let kids = children(tlv)?;
    if is_string_tag(tlv.tag_byte()) && tlv.tag.len() == 1 {
        // Constructed string: join the segments into one primitive string.
        let mut joined = Vec::new();
        collect_segments(tlv, &mut joined, depth)?;
        out.extend_from_slice(&encode_tlv(&[tlv.tag_byte() & !0x20], &joined));
        return Ok(true);
    }
    let mut inner = Vec::with_capacity(tlv.value.len());
    let mut changed = tlv.indefinite;
    for kid in &kids {
        changed |= convert(kid, &mut inner, depth + 1)?;
    }
    if !changed {
        let header_len = tlv.raw.len() - tlv.value.len();
        let mut canon = Vec::new();
        canon.extend_from_slice(tlv.tag);
        push_len(&mut canon, tlv.value.len());
        if canon.len() == header_len {
            out.extend_from_slice(tlv.raw);
            return Ok(false);
        }
    }
    out.extend_from_slice(&encode_tlv(tlv.tag, &inner));
    Ok(true)
}

fn collect_segments(tlv: &Tlv<'_>, out: &mut Vec<u8>, depth: usize) -> Result<(), SignatureError> {
    if depth > MAX_DEPTH {
        return Err(bad("nesting too deep"));
    }
    if !tlv.constructed {
        out.extend_from_slice(tlv.value);
        return Ok(());
    }
    for kid in children(tlv)? {
        collect_segments(&kid, out, depth + 1)?;
    }
    Ok(())
}

/// Re-encodes a SET OF with its elements in DER order (sorted by their
/// encodings), with the given outer tag.
pub(crate) fn der_sorted_set(tag: u8, elements: &[Tlv<'_>]) -> Vec<u8> {
    let mut encs: Vec<&[u8]> = elements.iter().map(|e| e.raw).collect();
    encs.sort();
    let value: Vec<u8> = encs.concat();
    encode_tlv(&[tag], &value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_length_ignores_zero_padding() {
        let blob = [0x30, 0x03, 0x02, 0x01, 0x00, 0, 0, 0, 0];
        assert_eq!(leading_element_len(&blob).ok(), Some(5));
    }

    #[test]
    fn indefinite_lengths_become_definite() {
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0x00];
        let (der, changed) = ber_to_der(&ber).unwrap_or_default();
        assert!(changed);
        assert_eq!(der, vec![0x30, 0x03, 0x02, 0x01, 0x05]);
    }

    #[test]
    fn constructed_octet_strings_are_joined() {
        let ber = [0x24, 0x80, 0x04, 0x01, 0xaa, 0x04, 0x01, 0xbb, 0x00, 0x00];
        let (der, _) = ber_to_der(&ber).unwrap_or_default();
        assert_eq!(der, vec![0x04, 0x02, 0xaa, 0xbb]);
    }

    #[test]
    fn der_input_is_copied_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x07];
        let (out, changed) = ber_to_der(&der).unwrap_or_default();
        assert!(!changed);
        assert_eq!(out, der.to_vec());
    }

    #[test]
    fn truncated_input_is_an_error() {
        assert!(read_tlv(&[0x30, 0x05, 0x02]).is_err());
        assert!(read_tlv(&[0x30, 0x80, 0x02, 0x01]).is_err());
    }
}

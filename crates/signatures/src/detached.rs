//! Detached CMS signatures over any file (`file.docx` + `file.docx.p7s`).

use std::io::{Read, Seek, SeekFrom};

use base64::Engine as _;

use crate::cms::{Content, check_signed_data};
use crate::digest::digest_ranges;
use crate::error::SignatureError;
use crate::report::{DocumentFacts, SignatureVerdict};
use crate::verdict::{Context, empty_verdict, judge};

/// The signature bytes as DER/BER: PEM and bare base64 are unwrapped.
fn signature_der(sig: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(sig).ok();
    if let Some(text) = text {
        let trimmed = text.trim();
        let body: Option<String> = if trimmed.starts_with("-----BEGIN") {
            Some(
                trimmed
                    .lines()
                    .filter(|l| !l.starts_with("-----"))
                    .flat_map(|l| l.chars())
                    .filter(|c| !c.is_whitespace())
                    .collect(),
            )
        } else if !trimmed.is_empty()
            && trimmed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n ".contains(&b))
        {
            Some(trimmed.chars().filter(|c| !c.is_whitespace()).collect())
        } else {
            None
        };
        if let Some(body) = body
            && let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body.as_bytes())
        {
            return der;
        }
    }
    sig.to_vec()
}

/// Verifies a detached signature over the whole of `content`.
pub(crate) fn verify<R: Read + Seek>(
    mut content: R,
    signature: &[u8],
    ctx: &Context<'_>,
) -> (DocumentFacts, Vec<SignatureVerdict>) {
    let mut facts = DocumentFacts {
        size: 0,
        readable: false,
        malformed: None,
        malformed_detail: None,
        revisions: Vec::new(),
        warnings: Vec::new(),
    };
    let size = match content.seek(SeekFrom::End(0)) {
        Ok(s) => s,
        Err(e) => {
            facts.malformed = Some("content not readable".to_owned());
            facts.malformed_detail = Some(e.to_string());
            return (facts, Vec::new());
        }
    };
    facts.size = size;
    let der = signature_der(signature);
    let mut digest_fn = |alg| digest_ranges(&mut content, &[(0, size)], alg);
    let check = check_signed_data(&der, Content::Detached(&mut digest_fn), ctx.extra);
    if let Err(e) = &check
        && !matches!(e, SignatureError::Unsupported(_))
    {
        facts.malformed = Some("detached signature is not a readable CMS".to_owned());
        facts.malformed_detail = Some(e.to_string());
        return (facts, Vec::new());
    }
    facts.readable = true;
    let mut v = empty_verdict();
    v.byte_range_ok = true;
    v.covers_whole_file = true;
    judge(&mut v, check, None, ctx);
    (facts, vec![v])
}

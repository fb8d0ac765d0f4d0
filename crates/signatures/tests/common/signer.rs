//! A small CMS signer and PDF writer for tests that need signatures the
//! shared fixtures do not have (large files, many fields, odd algorithms).
//! The key and self-signed certificate are in `tests/data/`; they are
//! compiled in (`include_bytes!`, relative to this file) so that other
//! crates of the workspace (the `kho-bench signatures` benchmark) can reuse
//! this module with `#[path]`.

#![allow(dead_code)]

use der::Encode;
use der::asn1::ObjectIdentifier;
use rsa::Pkcs1v15Sign;
use rsa::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use der::Decode;

pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";

const SIGNER_KEY: &[u8] = include_bytes!("../data/signer.key.der");
const SIGNER_CERT: &[u8] = include_bytes!("../data/signer.cert.der");
const WEAK_KEY: &[u8] = include_bytes!("../data/weak-rsa1024.key.der");
const WEAK_CERT: &[u8] = include_bytes!("../data/weak-rsa1024.cert.der");

/// A DER element with a definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

pub fn oid(dotted: &str) -> Vec<u8> {
    ObjectIdentifier::new(dotted)
        .unwrap_or_else(|e| panic!("{dotted}: {e}"))
        .to_der()
        .unwrap_or_default()
}

fn alg(dotted: &str) -> Vec<u8> {
    seq(&[&oid(dotted), &[0x05, 0x00]])
}

/// Which signing-certificate attribute to add to the signed attributes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SigningCertificate {
    /// `signingCertificate` (ESS, RFC 2634): ESSCertID with a SHA-1 hash.
    V1,
    /// `signingCertificateV2` (RFC 5035): ESSCertIDv2, SHA-256 by default.
    V2,
}

/// Which RFC 3161 signature time-stamp to add as an unsigned attribute.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SignatureTimestamp {
    /// Imprint = SHA-256 of the signature value, as RFC 3161 asks.
    OverTheSignature,
    /// Imprint over other bytes: the token does not belong to the signature.
    WrongImprint,
}

/// How to sign.
#[derive(Clone)]
pub struct SignOptions {
    /// Signature algorithm OID written in the SignerInfo.
    pub signature_oid: String,
    /// UTCTime text of the signing-time attribute.
    pub signing_time: String,
    /// Write the signed attributes in reverse DER order (the signature is
    /// still over the DER SET OF, as CMS requires).
    pub attributes_out_of_order: bool,
    /// Add a signing-certificate attribute.
    pub signing_certificate: Option<SigningCertificate>,
    /// Make the signing-certificate attribute hash another certificate.
    pub signing_certificate_of_other: bool,
    /// Add a signature time-stamp token (issued by the signer itself).
    pub timestamp: Option<SignatureTimestamp>,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            signature_oid: SHA256_WITH_RSA.into(),
            signing_time: "270101000000Z".into(),
            attributes_out_of_order: false,
            signing_certificate: None,
            signing_certificate_of_other: false,
            timestamp: None,
        }
    }
}

/// The test signer: RSA 2048 key and self-signed certificate.
pub struct Signer {
    key: rsa::PrivateKey,
    pub cert: Vec<u8>,
}

impl Signer {
    /// The RSA 2048 test signer.
    pub fn load() -> Self {
        Self::from_der(SIGNER_KEY, SIGNER_CERT)
    }

    /// A signer with a 1024-bit RSA key (too weak for new signatures).
    pub fn weak() -> Self {
        Self::from_der(WEAK_KEY, WEAK_CERT)
    }

    fn from_der(key_der: &[u8], cert: &[u8]) -> Self {
        let key =
            rsa::PrivateKey::from_pkcs8_der(key_der).unwrap_or_else(|e| panic!("signer key: {e}"));
        Signer {
            key,
            cert: cert.to_vec(),
        }
    }

    /// A detached CMS SignedData (DER) over content with SHA-256 digest
    /// `content_digest`.
    pub fn sign_digest(&self, content_digest: &[u8], opts: &SignOptions) -> Vec<u8> {
        self.sign_content(content_digest, None, opts)
    }

    /// An RFC 3161 time-stamp token whose imprint is `imprint` (SHA-256),
    /// issued by the test signer (which is not a time-stamping authority).
    pub fn time_stamp_token(&self, imprint: &[u8]) -> Vec<u8> {
        let tst_info = seq(&[
            &[0x02, 0x01, 0x01],
            &oid("1.2.3.4.1"),
            &seq(&[&alg(SHA256), &tlv(0x04, imprint)]),
            &[0x02, 0x01, 0x2a],
            &tlv(0x18, b"20270101000000.5Z"),
        ]);
        let digest = Sha256::digest(&tst_info);
        self.sign_content(&digest, Some(&tst_info), &SignOptions::default())
    }

    fn sign_content(
        &self,
        content_digest: &[u8],
        tst_info: Option<&[u8]>,
        opts: &SignOptions,
    ) -> Vec<u8> {
        let content_type = if tst_info.is_some() {
            "1.2.840.113549.1.9.16.1.4"
        } else {
            "1.2.840.113549.1.7.1"
        };
        let cert = Certificate::from_der(&self.cert).unwrap_or_else(|e| panic!("cert: {e}"));
        let issuer = cert.tbs_certificate().issuer().to_der().unwrap_or_default();
        let serial = cert
            .tbs_certificate()
            .serial_number()
            .to_der()
            .unwrap_or_default();
        let mut attrs = vec![
            seq(&[&oid("1.2.840.113549.1.9.3"), &tlv(0x31, &oid(content_type))]),
            seq(&[
                &oid("1.2.840.113549.1.9.4"),
                &tlv(0x31, &tlv(0x04, content_digest)),
            ]),
            seq(&[
                &oid("1.2.840.113549.1.9.5"),
                &tlv(0x31, &tlv(0x17, opts.signing_time.as_bytes())),
            ]),
        ];
        if let Some(version) = opts.signing_certificate {
            let named: &[u8] = if opts.signing_certificate_of_other {
                WEAK_CERT
            } else {
                &self.cert
            };
            let attr = match version {
                // SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID }
                // ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1) }
                SigningCertificate::V1 => seq(&[
                    &oid("1.2.840.113549.1.9.16.2.12"),
                    &tlv(
                        0x31,
                        &seq(&[&seq(&[&seq(&[&tlv(0x04, &sha1::Sha1::digest(named))])])]),
                    ),
                ]),
                // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256
                // (left out, as DER requires), certHash OCTET STRING }
                SigningCertificate::V2 => seq(&[
                    &oid("1.2.840.113549.1.9.16.2.47"),
                    &tlv(
                        0x31,
                        &seq(&[&seq(&[&seq(&[&tlv(0x04, &Sha256::digest(named))])])]),
                    ),
                ]),
            };
            attrs.push(attr);
        }
        attrs.sort();
        let to_sign = tlv(0x31, &attrs.concat());
        if opts.attributes_out_of_order {
            attrs.reverse();
        }
        let attrs = attrs.concat();
        let hashed = Sha256::digest(&to_sign);
        let signature = self
            .key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &hashed)
            .unwrap_or_else(|e| panic!("signing: {e}"));
        let unsigned = match opts.timestamp {
            None => Vec::new(),
            Some(kind) => {
                let imprint = match kind {
                    SignatureTimestamp::OverTheSignature => Sha256::digest(&signature),
                    SignatureTimestamp::WrongImprint => Sha256::digest(b"other bytes"),
                };
                let token = self.time_stamp_token(&imprint);
                // unsignedAttrs [1] IMPLICIT SET OF Attribute:
                // id-aa-signatureTimeStampToken, SET { ContentInfo }.
                tlv(
                    0xa1,
                    &seq(&[&oid("1.2.840.113549.1.9.16.2.14"), &tlv(0x31, &token)]),
                )
            }
        };
        let signer_info = seq(&[
            &[0x02, 0x01, 0x01],
            &seq(&[&issuer, &serial]),
            &alg(SHA256),
            &tlv(0xa0, &attrs),
            &alg(&opts.signature_oid),
            &tlv(0x04, &signature),
            &unsigned,
        ]);
        let signed_data = seq(&[
            &[0x02, 0x01, 0x01],
            &tlv(0x31, &alg(SHA256)),
            &match tst_info {
                Some(tst) => seq(&[&oid(content_type), &tlv(0xa0, &tlv(0x04, tst))]),
                None => seq(&[&oid(content_type)]),
            },
            &tlv(0xa0, &self.cert),
            &tlv(0x31, &signer_info),
        ]);
        seq(&[&oid("1.2.840.113549.1.7.2"), &tlv(0xa0, &signed_data)])
    }
}

/// What the test PDF looks like.
pub struct PdfSpec {
    /// Bytes of filler in the page content stream.
    pub filler: usize,
    /// Number of signature fields (only the first is really signed).
    pub fields: usize,
    /// `/SubFilter` of every signature.
    pub subfilter: String,
    /// Reserved bytes for each CMS.
    pub reserved: usize,
    pub sign: SignOptions,
    /// Compressed object stream and cross-reference stream.
    pub xref_stream: bool,
}

impl Default for PdfSpec {
    fn default() -> Self {
        PdfSpec {
            filler: 1000,
            fields: 1,
            subfilter: "adbe.pkcs7.detached".into(),
            reserved: 4096,
            sign: SignOptions::default(),
            xref_stream: false,
        }
    }
}

const BR_PLACEHOLDER: &[u8] = b"[0 0000000000 0000000000 0000000000]";

/// Where an object was written.
#[derive(Clone, Copy)]
enum Location {
    Offset(usize),
    InStream { stream: usize, index: usize },
}

/// Deflates `data` (zlib format).
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// A one-page PDF with `spec.fields` signature fields; the first signature
/// is a real one over the whole file (other fields stay zero-filled).
/// With `spec.xref_stream`, the catalog, pages and widgets go into a
/// compressed object stream and the cross-reference is a compressed,
/// PNG-predicted stream.
pub fn signed_pdf(signer: &Signer, spec: &PdfSpec) -> Vec<u8> {
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut locations: std::collections::BTreeMap<usize, Location> = Default::default();
    let n = spec.fields;
    // Objects: 1 catalog, 2 pages, 3 page, 4 content, then per field i:
    // widget 5+2i, signature 6+2i; then the object stream and the
    // cross-reference stream when used.
    let widget = |i: usize| 5 + 2 * i;
    let sig = |i: usize| 6 + 2 * i;
    let objstm_num = 5 + 2 * n;
    let xref_num = objstm_num + 1;
    let refs: String = (0..n).map(|i| format!("{} 0 R ", widget(i))).collect();
    let push = |out: &mut Vec<u8>,
                locations: &mut std::collections::BTreeMap<usize, Location>,
                body: &[u8],
                num: usize| {
        locations.insert(num, Location::Offset(out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    let mut small: Vec<(usize, Vec<u8>)> = vec![
        (
            1,
            format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [{refs}] /SigFlags 3 >> >>")
                .into_bytes(),
        ),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec()),
        (
            3,
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [{refs}] >>")
                .into_bytes(),
        ),
    ];
    for i in 0..n {
        small.push((
            widget(i),
            format!(
                "<< /FT /Sig /T (Signature{}) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V {} 0 R >>",
                i + 1,
                sig(i)
            )
            .into_bytes(),
        ));
    }
    if !spec.xref_stream {
        for (num, body) in &small {
            push(&mut out, &mut locations, body, *num);
        }
    }
    let mut content = b"BT /F1 12 Tf 72 770 Td (Kho test document) Tj ET\n".to_vec();
    let mut x: u32 = 2_463_534_242;
    content.extend((0..spec.filler).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b'a' + (x % 26) as u8
    }));
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(&content);
    stream.extend_from_slice(b"\nendstream");
    push(&mut out, &mut locations, &stream, 4);
    let mut placeholders = Vec::new();
    for i in 0..n {
        let mut body = format!(
            "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /{} /M (D:20270101000000Z) /ByteRange ",
            spec.subfilter
        )
        .into_bytes();
        let header = format!("{} 0 obj\n", sig(i)).len();
        let br_at = out.len() + header + body.len();
        body.extend_from_slice(BR_PLACEHOLDER);
        body.extend_from_slice(b" /Contents ");
        let contents_at = out.len() + header + body.len();
        body.push(b'<');
        body.extend(std::iter::repeat_n(b'0', spec.reserved * 2));
        body.push(b'>');
        body.extend_from_slice(b" >>");
        placeholders.push((br_at, contents_at));
        push(&mut out, &mut locations, &body, sig(i));
    }
    if spec.xref_stream {
        let mut header = String::new();
        let mut objects = Vec::new();
        for (index, (num, body)) in small.iter().enumerate() {
            header.push_str(&format!("{num} {} ", objects.len()));
            objects.extend_from_slice(body);
            objects.push(b'\n');
            locations.insert(
                *num,
                Location::InStream {
                    stream: objstm_num,
                    index,
                },
            );
        }
        let mut data = header.clone().into_bytes();
        data.extend_from_slice(&objects);
        let packed = deflate(&data);
        let mut body = format!(
            "<< /Type /ObjStm /N {} /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
            small.len(),
            header.len(),
            packed.len()
        )
        .into_bytes();
        body.extend_from_slice(&packed);
        body.extend_from_slice(b"\nendstream");
        push(&mut out, &mut locations, &body, objstm_num);

        let xref_at = out.len();
        locations.insert(xref_num, Location::Offset(xref_at));
        // Rows of /W [1 4 2], PNG "Up" predicted.
        let mut rows = Vec::new();
        let mut prev = [0u8; 7];
        for num in 0..=xref_num {
            let mut row = [0u8; 7];
            match locations.get(&num) {
                None => row[5..7].copy_from_slice(&0xffffu16.to_be_bytes()),
                Some(Location::Offset(off)) => {
                    row[0] = 1;
                    row[1..5].copy_from_slice(&(*off as u32).to_be_bytes());
                }
                Some(Location::InStream { stream, index }) => {
                    row[0] = 2;
                    row[1..5].copy_from_slice(&(*stream as u32).to_be_bytes());
                    row[5..7].copy_from_slice(&(*index as u16).to_be_bytes());
                }
            }
            rows.push(2u8);
            rows.extend(row.iter().zip(prev.iter()).map(|(a, b)| a.wrapping_sub(*b)));
            prev = row;
        }
        let packed = deflate(&rows);
        let mut body = format!(
            "<< /Type /XRef /Size {} /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length {} >>\nstream\n",
            xref_num + 1,
            packed.len()
        )
        .into_bytes();
        body.extend_from_slice(&packed);
        body.extend_from_slice(b"\nendstream");
        push(&mut out, &mut locations, &body, xref_num);
        out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    } else {
        let xref_at = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", locations.len() + 1).as_bytes(),
        );
        for loc in locations.values() {
            if let Location::Offset(off) = loc {
                out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
            }
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
                locations.len() + 1
            )
            .as_bytes(),
        );
    }
    let len = out.len();
    for &(br_at, contents_at) in &placeholders {
        let gap_end = contents_at + spec.reserved * 2 + 2;
        let br = format!(
            "[0 {:010} {:010} {:010}]",
            contents_at,
            gap_end,
            len - gap_end
        );
        out[br_at..br_at + BR_PLACEHOLDER.len()].copy_from_slice(br.as_bytes());
    }
    if let Some(&(_, contents_at)) = placeholders.first() {
        let gap_end = contents_at + spec.reserved * 2 + 2;
        let mut h = Sha256::new();
        h.update(&out[..contents_at]);
        h.update(&out[gap_end..]);
        let digest = h.finalize();
        let cms = if spec.subfilter == "ETSI.RFC3161" {
            signer.time_stamp_token(&digest)
        } else {
            signer.sign_digest(&digest, &spec.sign)
        };
        assert!(cms.len() <= spec.reserved, "CMS does not fit");
        let hex: String = cms.iter().map(|b| format!("{b:02x}")).collect();
        out[contents_at + 1..contents_at + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    }
    out
}

/// Options that trust the test signer's self-signed certificate.
pub fn options_trusting(signer: &Signer) -> signatures::VerifyOptions {
    let mut anchors = signatures::TrustAnchors::new();
    anchors
        .add_der(&signer.cert)
        .unwrap_or_else(|e| panic!("anchor: {e}"));
    signatures::VerifyOptions::new(anchors)
}

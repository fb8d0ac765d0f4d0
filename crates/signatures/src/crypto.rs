//! Public-key signature checks: RSA PKCS#1 v1.5 and PSS, ECDSA on P-256 and
//! P-384, over a message the caller gives (signed attributes, a
//! to-be-signed certificate).

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use ecdsa::signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::digest::DigestAlgorithm;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA1_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const SHA224_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.14");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");
const ECDSA_SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.1");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const CURVE_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const CURVE_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");

/// Outcome of checking one signature value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigCheck {
    /// The signature verifies; carries the digest used and the key description.
    Valid {
        /// Digest algorithm the signature was computed with.
        digest: DigestAlgorithm,
        /// Key description, e.g. "RSA 2048" or "ECDSA P-256".
        key: KeyDescription,
    },
    /// The signature does not verify.
    Invalid(String),
    /// The algorithm or key type is not supported.
    Unsupported(String),
}

/// What kind of key signed, for reports and weak-key warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyDescription {
    /// "RSA" or "ECDSA P-256" / "ECDSA P-384".
    pub kind: String,
    /// Key size in bits (modulus size for RSA).
    pub bits: usize,
}

impl KeyDescription {
    pub(crate) fn is_weak(&self) -> bool {
        self.kind == "RSA" && self.bits < 2048
    }

    pub(crate) fn label(&self) -> String {
        if self.kind == "RSA" {
            format!("RSA {}", self.bits)
        } else {
            self.kind.clone()
        }
    }
}

enum Scheme {
    Pkcs1(DigestAlgorithm),
    Pss {
        digest: DigestAlgorithm,
        salt: usize,
    },
    Ecdsa(DigestAlgorithm),
}

fn scheme_of(
    alg: &AlgorithmIdentifierOwned,
    fallback: Option<DigestAlgorithm>,
) -> Result<Scheme, String> {
    let need_fallback =
        || fallback.ok_or_else(|| "no digest algorithm for the signature".to_owned());
    Ok(match alg.oid {
        RSA_ENCRYPTION => Scheme::Pkcs1(need_fallback()?),
        SHA1_WITH_RSA => Scheme::Pkcs1(DigestAlgorithm::Sha1),
        SHA224_WITH_RSA => Scheme::Pkcs1(DigestAlgorithm::Sha224),
        SHA256_WITH_RSA => Scheme::Pkcs1(DigestAlgorithm::Sha256),
        SHA384_WITH_RSA => Scheme::Pkcs1(DigestAlgorithm::Sha384),
        SHA512_WITH_RSA => Scheme::Pkcs1(DigestAlgorithm::Sha512),
        RSASSA_PSS => pss_scheme(alg)?,
        EC_PUBLIC_KEY => Scheme::Ecdsa(need_fallback()?),
        ECDSA_SHA1 => Scheme::Ecdsa(DigestAlgorithm::Sha1),
        ECDSA_SHA224 => Scheme::Ecdsa(DigestAlgorithm::Sha224),
        ECDSA_SHA256 => Scheme::Ecdsa(DigestAlgorithm::Sha256),
        ECDSA_SHA384 => Scheme::Ecdsa(DigestAlgorithm::Sha384),
        ECDSA_SHA512 => Scheme::Ecdsa(DigestAlgorithm::Sha512),
        other => return Err(format!("signature algorithm {other}")),
    })
}

fn pss_scheme(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, String> {
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| "RSASSA-PSS without parameters".to_owned())?;
    let der = params
        .to_der()
        .map_err(|e| format!("RSASSA-PSS parameters: {e}"))?;
    let pss = rsa::pkcs1::RsaPssParams::<der::Any>::from_der(&der)
        .map_err(|e| format!("RSASSA-PSS parameters: {e}"))?;
    let digest = DigestAlgorithm::from_oid(&pss.hash.oid)
        .ok_or_else(|| format!("RSASSA-PSS hash {}", pss.hash.oid))?;
    if pss.mask_gen.oid != MGF1 {
        return Err(format!("RSASSA-PSS mask generation {}", pss.mask_gen.oid));
    }
    let mgf_hash = pss
        .mask_gen
        .parameters
        .as_ref()
        .and_then(|p| DigestAlgorithm::from_oid(&p.oid))
        .unwrap_or(DigestAlgorithm::Sha1);
    if mgf_hash != digest {
        return Err("RSASSA-PSS with a mask generation hash other than the message hash".into());
    }
    Ok(Scheme::Pss {
        digest,
        salt: usize::from(pss.salt_len),
    })
}

/// What a signature is computed over.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Message<'a> {
    /// The bytes themselves; hashed here with the signature's digest.
    Bytes(&'a [u8]),
    /// A digest already computed with the given algorithm.
    Digest(DigestAlgorithm, &'a [u8]),
}

/// Checks `signature` over `message` with the key in `spki`.
///
/// `fallback` is the digest to use when the signature algorithm does not
/// name one (`rsaEncryption`, `id-ecPublicKey`), as some signing tools write.
pub(crate) fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    fallback: Option<DigestAlgorithm>,
    message: Message<'_>,
    signature: &[u8],
) -> SigCheck {
    let scheme = match scheme_of(alg, fallback) {
        Ok(s) => s,
        Err(e) => return SigCheck::Unsupported(e),
    };
    let scheme_digest = match &scheme {
        Scheme::Pkcs1(d) | Scheme::Pss { digest: d, .. } | Scheme::Ecdsa(d) => *d,
    };
    let hashed = match message {
        Message::Bytes(bytes) => scheme_digest.digest(bytes),
        Message::Digest(alg, digest) if alg == scheme_digest => digest.to_vec(),
        Message::Digest(alg, _) => {
            return SigCheck::Unsupported(format!(
                "signature algorithm uses {} but the content digest is {}",
                scheme_digest.name(),
                alg.name()
            ));
        }
    };
    match scheme {
        Scheme::Pkcs1(digest) | Scheme::Pss { digest, .. } => {
            if spki.algorithm.oid != RSA_ENCRYPTION && spki.algorithm.oid != RSASSA_PSS {
                return SigCheck::Invalid(
                    "RSA signature but the certificate key is not RSA".into(),
                );
            }
            let key_bytes = spki.subject_public_key.raw_bytes();
            let pkcs1 = match rsa::pkcs1::RsaPublicKeyRef::from_der(key_bytes) {
                Ok(k) => k,
                Err(e) => return SigCheck::Invalid(format!("malformed RSA public key: {e}")),
            };
            let key = match rsa::PublicKey::try_from(pkcs1) {
                Ok(k) => k,
                Err(e) => {
                    return SigCheck::Unsupported(format!(
                        "RSA public key outside the supported sizes (1024 to 8192 bits): {e}"
                    ));
                }
            };
            let bits = rsa::traits::PublicKeyParts::size(&key) * 8;
            let ok = match scheme {
                Scheme::Pss { salt, .. } => rsa_pss(&key, digest, salt, &hashed, signature),
                _ => rsa_pkcs1(&key, digest, &hashed, signature),
            };
            if ok {
                SigCheck::Valid {
                    digest,
                    key: KeyDescription {
                        kind: "RSA".into(),
                        bits,
                    },
                }
            } else {
                SigCheck::Invalid("RSA signature value does not match".into())
            }
        }
        Scheme::Ecdsa(digest) => {
            if spki.algorithm.oid != EC_PUBLIC_KEY {
                return SigCheck::Invalid(
                    "ECDSA signature but the certificate key is not EC".into(),
                );
            }
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            let point = spki.subject_public_key.raw_bytes();
            let (ok, kind, bits) = match curve {
                Some(CURVE_P256) => (ecdsa_p256(point, &hashed, signature), "ECDSA P-256", 256),
                Some(CURVE_P384) => (ecdsa_p384(point, &hashed, signature), "ECDSA P-384", 384),
                Some(other) => return SigCheck::Unsupported(format!("elliptic curve {other}")),
                None => return SigCheck::Unsupported("elliptic curve not named".into()),
            };
            match ok {
                Ok(()) => SigCheck::Valid {
                    digest,
                    key: KeyDescription {
                        kind: kind.into(),
                        bits,
                    },
                },
                Err(e) => SigCheck::Invalid(e),
            }
        }
    }
}

fn rsa_pkcs1(key: &rsa::PublicKey, digest: DigestAlgorithm, hashed: &[u8], sig: &[u8]) -> bool {
    use rsa::Pkcs1v15Sign;
    let scheme = match digest {
        DigestAlgorithm::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        DigestAlgorithm::Sha224 => Pkcs1v15Sign::new::<sha2::Sha224>(),
        DigestAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        DigestAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        DigestAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
    };
    key.verify(scheme, hashed, sig).is_ok()
}

fn rsa_pss(
    key: &rsa::PublicKey,
    digest: DigestAlgorithm,
    salt: usize,
    hashed: &[u8],
    sig: &[u8],
) -> bool {
    use rsa::Pss;
    match digest {
        DigestAlgorithm::Sha1 => key.verify(Pss::<sha1::Sha1>::new_with_salt(salt), hashed, sig),
        DigestAlgorithm::Sha224 => {
            key.verify(Pss::<sha2::Sha224>::new_with_salt(salt), hashed, sig)
        }
        DigestAlgorithm::Sha256 => {
            key.verify(Pss::<sha2::Sha256>::new_with_salt(salt), hashed, sig)
        }
        DigestAlgorithm::Sha384 => {
            key.verify(Pss::<sha2::Sha384>::new_with_salt(salt), hashed, sig)
        }
        DigestAlgorithm::Sha512 => {
            key.verify(Pss::<sha2::Sha512>::new_with_salt(salt), hashed, sig)
        }
    }
    .is_ok()
}

fn ecdsa_p256(point: &[u8], hashed: &[u8], sig: &[u8]) -> Result<(), String> {
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
        .map_err(|_| "malformed P-256 public key".to_owned())?;
    let sig = p256::ecdsa::Signature::from_der(sig)
        .map_err(|_| "malformed ECDSA signature value".to_owned())?;
    key.verify_prehash(hashed, &sig)
        .map_err(|_| "ECDSA signature value does not match".to_owned())
}

fn ecdsa_p384(point: &[u8], hashed: &[u8], sig: &[u8]) -> Result<(), String> {
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
        .map_err(|_| "malformed P-384 public key".to_owned())?;
    let sig = p384::ecdsa::Signature::from_der(sig)
        .map_err(|_| "malformed ECDSA signature value".to_owned())?;
    key.verify_prehash(hashed, &sig)
        .map_err(|_| "ECDSA signature value does not match".to_owned())
}

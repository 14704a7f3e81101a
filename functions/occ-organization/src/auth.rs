//! OCC signs each delivery: HMAC over the exact raw body bytes with the key
//! shown (base64) in the OCC admin, sent base64-encoded in a header.

use std::str::FromStr;

use aws_lc_rs::hmac;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::http::HeaderMap;
use webhook_shared::authenticate::secret::{SecretValue, UnusableSecret, WebhookKeys};

/// Current OCC releases: always HMAC-SHA512.
pub const SHA512_HEADER: &str = "x-oracle-cc-webhook-signature-sha512";
/// Older releases (SHA-1) and some documentation (SHA-256, SHA-512).
pub const SIGNATURE_HEADER: &str = "x-oracle-cc-webhook-signature";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    const ALL: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];

    /// The digest a legacy-header signature was made with, from its length.
    fn from_signature_len(len: usize) -> Option<Self> {
        Algorithm::ALL
            .into_iter()
            .find(|algorithm| algorithm.hmac().digest_algorithm().output_len() == len)
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Algorithm::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::Sha256 => hmac::HMAC_SHA256,
            Algorithm::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

/// The digests a deployment accepts (`OCC_SIGNATURE_ALGORITHMS`), by
/// [`Algorithm`] (as index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Algorithms([bool; 3]);

impl Algorithms {
    pub const ALL: Algorithms = Algorithms([true; 3]);

    pub fn allows(self, algorithm: Algorithm) -> bool {
        self.0[algorithm as usize]
    }
}

impl FromStr for Algorithms {
    type Err = String;

    /// A comma-separated list from `sha512,sha256,sha1`.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let mut allowed = [false; 3];
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let algorithm = match name.to_ascii_lowercase().as_str() {
                "sha1" => Algorithm::Sha1,
                "sha256" => Algorithm::Sha256,
                "sha512" => Algorithm::Sha512,
                other => {
                    return Err(format!(
                        "unknown digest {other:?}; use sha512, sha256, sha1"
                    ))
                }
            };
            allowed[algorithm as usize] = true;
        }
        if !allowed.contains(&true) {
            return Err("name at least one of sha512, sha256, sha1".into());
        }
        Ok(Algorithms(allowed))
    }
}

/// The decoded keys (current, and previous during rotation), as HMAC keys.
pub struct HmacKeys {
    keys: Vec<Vec<u8>>,
    texts: Vec<String>,
}

impl WebhookKeys for HmacKeys {
    /// The secret is the base64 text of the OCC admin; the HMAC key is what it
    /// decodes to (using the text itself as the key is a known mistake).
    fn from_secret(secret: &SecretValue) -> Result<Self, UnusableSecret> {
        let keys = secret
            .accepted()
            .map(|text| {
                let key = STANDARD.decode(text.trim()).map_err(|_| {
                    UnusableSecret(
                        "the OCC webhook key must be the base64 text shown in the OCC admin".into(),
                    )
                })?;
                if key.is_empty() {
                    return Err(UnusableSecret("the OCC webhook key is empty".into()));
                }
                Ok(key)
            })
            .collect::<Result<_, _>>()?;
        Ok(HmacKeys {
            keys,
            texts: secret.accepted().map(str::to_owned).collect(),
        })
    }

    fn secret_texts(&self) -> Vec<&[u8]> {
        self.texts.iter().map(String::as_bytes).collect()
    }
}

impl HmacKeys {
    /// Whether the request carries a valid signature of `body` by an accepted
    /// key, with an accepted digest. The SHA-512 header wins when present.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8], allowed: Algorithms) -> bool {
        let signed = match headers.get(SHA512_HEADER) {
            Some(value) => decode(value.as_bytes()).map(|signature| (signature, Algorithm::Sha512)),
            None => headers.get(SIGNATURE_HEADER).and_then(|value| {
                let signature = decode(value.as_bytes())?;
                let algorithm = Algorithm::from_signature_len(signature.len())?;
                Some((signature, algorithm))
            }),
        };
        let Some((signature, algorithm)) =
            signed.filter(|(_, algorithm)| allowed.allows(*algorithm))
        else {
            return false;
        };
        // Every key is tried, so timing does not tell which one matched;
        // `hmac::verify` compares in constant time.
        self.keys.iter().fold(false, |valid, key| {
            let key = hmac::Key::new(algorithm.hmac(), key);
            hmac::verify(&key, body, &signature).is_ok() | valid
        })
    }
}

fn decode(value: &[u8]) -> Option<Vec<u8>> {
    STANDARD.decode(value.trim_ascii()).ok()
}

#[cfg(test)]
mod tests {
    //! Vectors made once with openssl, independently of this code:
    //!   key=$(printf 'local-dev-occ-hmac-key-0001' | xxd -p | tr -d '\n')
    //!   printf '%s' "$BODY" | openssl dgst -sha512 -mac HMAC -macopt hexkey:$key -binary | base64
    use super::*;
    use lambda_http::http::HeaderValue;

    const KEY_TEXT: &str = "bG9jYWwtZGV2LW9jYy1obWFjLWtleS0wMDAx";
    const BODY: &str = r#"{"organization":{"id":"or-300007","name":"TestAccount"}}"#;
    const SHA512: &str = include_str!("../tests/vectors/sha512.txt");
    const SHA256: &str = include_str!("../tests/vectors/sha256.txt");
    const SHA1: &str = include_str!("../tests/vectors/sha1.txt");
    /// HMAC-SHA512 with the base64 *text* used as the key: must not verify.
    const SHA512_RAW_KEY: &str = include_str!("../tests/vectors/sha512-raw-key.txt");

    fn keys(secret: &str) -> HmacKeys {
        HmacKeys::from_secret(&SecretValue::parse(secret).unwrap()).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value.trim()).unwrap());
        }
        map
    }

    #[test]
    fn sha512_in_either_header() {
        let keys = keys(KEY_TEXT);
        assert!(keys.verify(
            &headers(&[(SHA512_HEADER, SHA512)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
        assert!(keys.verify(
            &headers(&[(SIGNATURE_HEADER, SHA512)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
        // Header names are case-insensitive (HeaderMap lowercases them).
        let mut map = HeaderMap::new();
        map.insert(
            "X-Oracle-CC-WebHook-Signature-SHA512",
            HeaderValue::from_str(SHA512.trim()).unwrap(),
        );
        assert!(keys.verify(&map, BODY.as_bytes(), Algorithms::ALL));
    }

    #[test]
    fn legacy_digests_by_length() {
        let keys = keys(KEY_TEXT);
        assert!(keys.verify(
            &headers(&[(SIGNATURE_HEADER, SHA256)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
        assert!(keys.verify(
            &headers(&[(SIGNATURE_HEADER, SHA1)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
        // A SHA-1 signature in the SHA-512 header is not accepted.
        assert!(!keys.verify(
            &headers(&[(SHA512_HEADER, SHA1)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
    }

    #[test]
    fn allow_list_limits_digests() {
        let keys = keys(KEY_TEXT);
        let only_512: Algorithms = "sha512".parse().unwrap();
        assert!(!keys.verify(
            &headers(&[(SIGNATURE_HEADER, SHA1)]),
            BODY.as_bytes(),
            only_512
        ));
        assert!(!keys.verify(
            &headers(&[(SIGNATURE_HEADER, SHA256)]),
            BODY.as_bytes(),
            only_512
        ));
        assert!(keys.verify(
            &headers(&[(SHA512_HEADER, SHA512)]),
            BODY.as_bytes(),
            only_512
        ));
        let no_512: Algorithms = " SHA1, sha256 ".parse().unwrap();
        assert!(!keys.verify(
            &headers(&[(SHA512_HEADER, SHA512)]),
            BODY.as_bytes(),
            no_512
        ));
        assert!(keys.verify(
            &headers(&[(SIGNATURE_HEADER, SHA1)]),
            BODY.as_bytes(),
            no_512
        ));
        assert!("md5".parse::<Algorithms>().is_err());
        assert!(" , ".parse::<Algorithms>().is_err());
    }

    #[test]
    fn key_used_raw_instead_of_decoded_fails() {
        let keys = keys(KEY_TEXT);
        assert!(!keys.verify(
            &headers(&[(SHA512_HEADER, SHA512_RAW_KEY)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
    }

    #[test]
    fn any_change_to_the_body_fails() {
        let keys = keys(KEY_TEXT);
        let signed = headers(&[(SHA512_HEADER, SHA512)]);
        let changed_byte = BODY.replace("TestAccount", "TestAccounu");
        let reformatted = BODY.replace(":", ": ");
        let trailing_newline = format!("{BODY}\n");
        for body in [
            changed_byte.as_str(),
            reformatted.as_str(),
            trailing_newline.as_str(),
            "",
        ] {
            assert!(
                !keys.verify(&signed, body.as_bytes(), Algorithms::ALL),
                "{body:?}"
            );
        }
    }

    #[test]
    fn missing_or_garbled_signatures_fail() {
        let keys = keys(KEY_TEXT);
        let body = BODY.as_bytes();
        assert!(!keys.verify(&HeaderMap::new(), body, Algorithms::ALL));
        for garbled in ["", "not base64!", "AAAA", &SHA512.trim()[..40]] {
            assert!(
                !keys.verify(&headers(&[(SHA512_HEADER, garbled)]), body, Algorithms::ALL),
                "{garbled}"
            );
            assert!(
                !keys.verify(
                    &headers(&[(SIGNATURE_HEADER, garbled)]),
                    body,
                    Algorithms::ALL
                ),
                "{garbled}"
            );
        }
        // A garbled SHA-512 header is not rescued by a valid legacy one.
        let both = headers(&[(SHA512_HEADER, "garbage"), (SIGNATURE_HEADER, SHA512)]);
        assert!(!keys.verify(&both, body, Algorithms::ALL));
    }

    #[test]
    fn rotation_accepts_the_previous_key() {
        let rotating = keys(&format!(
            r#"{{"current": "{}", "previous": "{KEY_TEXT}"}}"#,
            "bmV3LWtleQ=="
        ));
        assert!(rotating.verify(
            &headers(&[(SHA512_HEADER, SHA512)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
        let other = keys("bmV3LWtleQ==");
        assert!(!other.verify(
            &headers(&[(SHA512_HEADER, SHA512)]),
            BODY.as_bytes(),
            Algorithms::ALL
        ));
    }

    #[test]
    fn keys_that_are_not_base64_are_refused() {
        for secret in [
            "not base64!",
            "=",
            r#"{"current": "bmV3LWtleQ==", "previous": "%%%"}"#,
        ] {
            assert!(
                HmacKeys::from_secret(&SecretValue::parse(secret).unwrap()).is_err(),
                "{secret}"
            );
        }
    }
}

//! Encrypted deliveries. ChargeOver's webhook setting is "secret token or
//! encryption key": with encryption on, the body is base64 text of a 16-byte
//! IV followed by the AES ciphertext of the usual JSON envelope, keyed with
//! the secret's bytes (32: AES-256). The official PHP SDK's example decrypts
//! with mcrypt's `ofb` mode, that is OFB with 8-bit feedback; a current
//! sender may use full-block OFB. Both are tried, with the current and the
//! previous secret; the first that gives a JSON object wins.
//!
//! AES itself is aws-lc's (one block at a time); only the output feedback
//! loop is written here. OFB is a stream mode without integrity: SECURITY.md
//! says what that means.

use std::str::FromStr;

use aws_lc_rs::cipher::{
    EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128, AES_192, AES_256,
};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use webhook_shared::validate::json;

/// `CHARGEOVER_ENCRYPTION`: whether encrypted bodies are expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// A body that is not a JSON object but base64 is decrypted (default).
    Auto,
    /// Only encrypted bodies are accepted.
    Required,
    /// Bodies are never decrypted.
    Off,
}

impl FromStr for Encryption {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Encryption::Auto),
            "required" => Ok(Encryption::Required),
            "off" => Ok(Encryption::Off),
            other => Err(format!("{other:?}: use auto, required or off")),
        }
    }
}

/// The feedback width of OFB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// 8-bit feedback: PHP mcrypt's `ofb` (the SDK's example).
    Byte,
    /// 128-bit feedback: standard OFB.
    Block,
}

const BLOCK: usize = 16;

/// An AES key, its schedule computed once.
pub struct Aes(EncryptingKey);

impl Aes {
    /// The secret's bytes as an AES key: 16, 24 or 32 bytes, else `None`.
    pub fn new(secret: &[u8]) -> Option<Self> {
        let algorithm = match secret.len() {
            16 => &AES_128,
            24 => &AES_192,
            32 => &AES_256,
            _ => return None,
        };
        let key = UnboundCipherKey::new(algorithm, secret).ok()?;
        EncryptingKey::ecb(key).ok().map(Aes)
    }

    /// One block encrypted: the building block of the feedback loop.
    fn encrypt_block(&self, block: &mut [u8; BLOCK]) {
        // ECB on exactly one block cannot fail.
        let _ = self.0.less_safe_encrypt(block, EncryptionContext::None);
    }

    /// XORs the OFB keystream from `iv` into `data`: decrypts (or encrypts,
    /// the same operation).
    pub fn apply(&self, iv: &[u8; BLOCK], data: &mut [u8], feedback: Feedback) {
        let mut register = *iv;
        match feedback {
            Feedback::Byte => {
                // Each byte: encrypt the register, use the output's first byte,
                // shift the register left by one byte and append that output
                // byte (CFB would append the ciphertext byte instead).
                for byte in data.iter_mut() {
                    let mut output = register;
                    self.encrypt_block(&mut output);
                    *byte ^= output[0];
                    register.copy_within(1.., 0);
                    register[BLOCK - 1] = output[0];
                }
            }
            Feedback::Block => {
                for chunk in data.chunks_mut(BLOCK) {
                    self.encrypt_block(&mut register);
                    chunk
                        .iter_mut()
                        .zip(register)
                        .for_each(|(byte, key)| *byte ^= key);
                }
            }
        }
    }
}

/// Whether a body is an encrypted delivery's: not a JSON object, and base64.
pub fn looks_encrypted(body: &[u8]) -> bool {
    let text = body.trim_ascii();
    text.len() > BLOCK
        && text.first() != Some(&b'{')
        && text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b'\n'))
}

/// The plaintext of an encrypted body: base64 of IV ‖ ciphertext, decrypted
/// with the first key and feedback width that give a JSON object. `None`
/// when none does: the body is not authenticated (a wrong key gives noise,
/// which only by chance starts like JSON, and never parses as a whole).
pub fn decrypt(body: &[u8], keys: &[Aes]) -> Option<Vec<u8>> {
    let text: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let sealed = STANDARD.decode(text).ok()?;
    let (iv, ciphertext) = sealed.split_first_chunk::<BLOCK>()?;
    for key in keys {
        for feedback in [Feedback::Byte, Feedback::Block] {
            // Two bytes tell a wrong key or width apart before the whole
            // body is decrypted (OFB-8's output per byte costs a block).
            let mut start = ciphertext[..ciphertext.len().min(2)].to_vec();
            key.apply(iv, &mut start, feedback);
            if !matches!(start.as_slice(), [b'{', second] if *second == b'"' || second.is_ascii_whitespace())
            {
                continue;
            }
            let mut plaintext = ciphertext.to_vec();
            key.apply(iv, &mut plaintext, feedback);
            if matches!(json::parse(&plaintext), Ok(AttributeValue::M(_))) {
                return Some(plaintext);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    //! The SDK's own vector: chargeover/chargeover_php,
    //! `webhooks/example_on_customer_insert_w_aes128.{php,txt}` (MIT), copied
    //! from ../shared/vectors into tests/vectors.
    use super::*;

    const VECTOR: &[u8] =
        include_bytes!("../tests/vectors/chargeover-encrypted-customer-insert.b64");
    const PLAINTEXT: &[u8] =
        include_bytes!("../tests/vectors/chargeover-encrypted-customer-insert.plain.json");
    const VECTOR_KEY: &[u8] = b"KsF52NuytfWnevljo0MXCcbJLEUZDBdg";

    #[test]
    fn decrypts_the_sdk_vector_to_exactly_its_plaintext() {
        let key = Aes::new(VECTOR_KEY).unwrap();
        assert_eq!(decrypt(VECTOR, &[key]).as_deref(), Some(PLAINTEXT));
    }

    #[test]
    fn a_wrong_key_or_a_plain_body_decrypts_to_nothing() {
        let wrong = Aes::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(decrypt(VECTOR, &[wrong]), None);
        assert_eq!(
            decrypt(b"{\"a\": 1}", &[Aes::new(VECTOR_KEY).unwrap()]),
            None
        );
        // The previous key is tried after the current one.
        let keys = [
            Aes::new(b"0123456789abcdef0123456789abcdef").unwrap(),
            Aes::new(VECTOR_KEY).unwrap(),
        ];
        assert_eq!(decrypt(VECTOR, &keys).as_deref(), Some(PLAINTEXT));
    }

    /// NIST SP 800-38A F.4.1: OFB-AES128, the full-block form.
    #[test]
    fn full_block_ofb_matches_nist() {
        let hex = |text: &str| -> Vec<u8> {
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
                .collect()
        };
        let key = Aes::new(&hex("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        let iv: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let mut data = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        key.apply(&iv, &mut data, Feedback::Block);
        assert_eq!(
            data,
            hex("3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed825")
        );
    }

    #[test]
    fn round_trips_with_every_key_size_and_width() {
        let plaintext = br#"{"context_str": "customer", "data": {"n": 12345}}"#;
        for key_len in [16, 24, 32] {
            let secret: Vec<u8> = (0..key_len as u8).map(|i| i.wrapping_mul(7)).collect();
            let key = Aes::new(&secret).unwrap();
            for feedback in [Feedback::Byte, Feedback::Block] {
                let iv = [key_len as u8; 16];
                let mut sealed = plaintext.to_vec();
                key.apply(&iv, &mut sealed, feedback);
                assert_ne!(&sealed[..], &plaintext[..]);
                let body = STANDARD.encode([&iv[..], &sealed].concat());
                assert!(looks_encrypted(body.as_bytes()));
                assert_eq!(
                    decrypt(body.as_bytes(), std::slice::from_ref(&key)).as_deref(),
                    Some(&plaintext[..]),
                    "{key_len} {feedback:?}"
                );
                let mut back = sealed.clone();
                key.apply(&iv, &mut back, feedback);
                assert_eq!(&back[..], &plaintext[..]);
            }
        }
        assert!(Aes::new(b"too short").is_none());
    }

    /// Noise that happens to decrypt to `{"` is still not a delivery.
    #[test]
    fn a_plaintext_that_only_starts_like_json_is_refused() {
        let key = Aes::new(VECTOR_KEY).unwrap();
        let iv = [9u8; 16];
        for plaintext in [
            &b"{\"a\x00\xff garbage"[..],
            b"{ not json",
            b"[\"an array\"]",
        ] {
            let mut sealed = plaintext.to_vec();
            key.apply(&iv, &mut sealed, Feedback::Byte);
            let body = STANDARD.encode([&iv[..], &sealed].concat());
            assert_eq!(
                decrypt(body.as_bytes(), &[Aes::new(VECTOR_KEY).unwrap()]),
                None
            );
        }
    }

    #[test]
    fn modes() {
        assert_eq!("Required".parse::<Encryption>(), Ok(Encryption::Required));
        assert_eq!(" off ".parse::<Encryption>(), Ok(Encryption::Off));
        assert!("sometimes".parse::<Encryption>().is_err());
        assert!(!looks_encrypted(b"  {\"a\": 1}"));
        assert!(!looks_encrypted(b"not base64 at all!"));
    }
}

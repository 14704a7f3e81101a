//! OCC signature check. The input is split at its first NUL byte into a
//! signature header value and a body: that value must verify exactly when it
//! is the base64 HMAC-SHA512 of the body. An input without NUL is a body
//! alone: its real signature must verify and any one-bit change must not.
//! Which header carries the value (SHA-512 or legacy) follows the body's length.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use occ_organization::auth::{Algorithms, HmacKeys, SHA512_HEADER, SIGNATURE_HEADER};
use webhook_shared::authenticate::secret::{SecretValue, WebhookKeys};

/// Base64 of "fuzz-occ-hmac-key".
const KEY_TEXT: &str = "ZnV6ei1vY2MtaG1hYy1rZXk=";

fn hmac512(body: &[u8]) -> Vec<u8> {
    let key = STANDARD.decode(KEY_TEXT).unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA512, &key);
    aws_lc_rs::hmac::sign(&key, body).as_ref().to_vec()
}

fn headers(name: &'static str, value: &[u8]) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    map.insert(name, HeaderValue::from_bytes(value).ok()?);
    Some(map)
}

fuzz_target!(|data: &[u8]| {
    let keys = HmacKeys::from_secret(&SecretValue::parse(KEY_TEXT).unwrap()).unwrap();
    match data.iter().position(|&b| b == 0) {
        Some(at) => {
            let (value, body) = (&data[..at], &data[at + 1..]);
            let name = if body.len() % 2 == 0 {
                SHA512_HEADER
            } else {
                SIGNATURE_HEADER
            };
            let Some(map) = headers(name, value) else {
                return;
            };
            let decoded = STANDARD.decode(value.trim_ascii()).ok();
            let expected = decoded.as_deref() == Some(hmac512(body).as_slice());
            assert_eq!(keys.verify(&map, body, Algorithms::ALL), expected);
        }
        None => {
            let name = if data.len() % 2 == 0 {
                SHA512_HEADER
            } else {
                SIGNATURE_HEADER
            };
            let real = hmac512(data);
            let map = headers(name, STANDARD.encode(&real).as_bytes()).unwrap();
            assert!(
                keys.verify(&map, data, Algorithms::ALL),
                "real signature refused"
            );
            let pick = data
                .iter()
                .fold(0usize, |acc, &b| acc.wrapping_mul(31) ^ usize::from(b));
            let mut wrong = real;
            wrong[pick % 64] ^= 1 << (pick % 8);
            let map = headers(name, STANDARD.encode(&wrong).as_bytes()).unwrap();
            assert!(
                !keys.verify(&map, data, Algorithms::ALL),
                "altered signature accepted"
            );
        }
    }
});

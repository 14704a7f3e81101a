//! ChargeOver token check against a plain oracle. The input is split at its
//! first NUL byte into an `X-ChargeOver-Key` value and a body (no NUL: no
//! header, all body). `TokenKeys::authenticate` must be true exactly when at
//! least one token is present and every present one is the secret; with the
//! secret nowhere in the input, it must never be true.
#![no_main]

use chargeover_main_contact::auth::{BodyToken, TokenKeys};
use libfuzzer_sys::fuzz_target;
use aws_sdk_dynamodb::types::AttributeValue;
use webhook_shared::authenticate::secret::{SecretValue, WebhookKeys};

const SECRET: &str = "fuzz-secret-Zq8d1LmX40pT";

fuzz_target!(|data: &[u8]| {
    let keys = TokenKeys::from_secret(&SecretValue::parse(SECRET).unwrap()).unwrap();
    let (header, body) = match data.iter().position(|&b| b == 0) {
        Some(at) => (Some(&data[..at]), &data[at + 1..]),
        None => (None, data),
    };
    // The body token as the handler reads it.
    let parsed = webhook_shared::validate::json::parse(body);
    let token = match &parsed {
        Ok(AttributeValue::M(members)) => match members.get("security_token") {
            None => BodyToken::Absent,
            Some(AttributeValue::S(token)) => BodyToken::Text(token),
            Some(_) => BodyToken::NotText,
        },
        _ => BodyToken::Absent,
    };
    let expected = match (header, token) {
        (_, BodyToken::NotText) | (None, BodyToken::Absent) => false,
        (header, token) => {
            header.is_none_or(|h| h == SECRET.as_bytes())
                && match token {
                    BodyToken::Text(t) => t == SECRET,
                    _ => true,
                }
        }
    };
    let authenticated = keys.authenticate(header, token, false);
    assert_eq!(authenticated, expected);
    // Without the secret in the input (escapes could spell it), nothing gets in.
    let secret_given = data.windows(SECRET.len()).any(|w| w == SECRET.as_bytes());
    if !secret_given && !body.contains(&b'\\') {
        assert!(!authenticated, "authenticated without the secret");
    }
});

//! ChargeOver sends no signature: the shared secret token comes in the
//! `X-ChargeOver-Key` header and in the body's `security_token`.

use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use webhook_shared::secret::{SecretValue, WebhookKeys};

pub const KEY_HEADER: &str = "x-chargeover-key";

/// The accepted tokens, as SHA-256 digests: comparing digests of equal
/// length in constant time reveals neither a token's bytes nor its length.
pub struct TokenKeys {
    digests: Vec<[u8; 32]>,
    tokens: Vec<String>,
}

impl WebhookKeys for TokenKeys {
    fn from_secret(secret: &SecretValue) -> Result<Self, String> {
        Ok(TokenKeys {
            digests: secret.accepted().map(digest).collect(),
            tokens: secret.accepted().map(str::to_owned).collect(),
        })
    }

    fn secret_texts(&self) -> Vec<&[u8]> {
        self.tokens.iter().map(String::as_bytes).collect()
    }
}

/// The body's `security_token` as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyToken<'a> {
    Absent,
    Text(&'a str),
    /// Present but not a string: cannot match.
    NotText,
}

impl TokenKeys {
    /// At least one token is present, and every one present matches an
    /// accepted secret (current or previous).
    pub fn authenticate(&self, header: Option<&[u8]>, body: BodyToken<'_>) -> bool {
        let body = match body {
            BodyToken::Absent => None,
            BodyToken::Text(token) => Some(token.as_bytes()),
            BodyToken::NotText => return false,
        };
        if header.is_none() && body.is_none() {
            return false;
        }
        [header, body]
            .into_iter()
            .flatten()
            .all(|token| bool::from(self.matches(token)))
    }

    /// Compares against every accepted digest without stopping at a match.
    fn matches(&self, token: &[u8]) -> Choice {
        let given = digest(token);
        self.digests
            .iter()
            .fold(Choice::from(0), |found, accepted| {
                found | accepted.ct_eq(&given)
            })
    }
}

fn digest(token: impl AsRef<[u8]>) -> [u8; 32] {
    Sha256::digest(token.as_ref()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::from_secret(&SecretValue::parse(secret).unwrap()).unwrap()
    }

    #[test]
    fn header_body_or_both() {
        let keys = keys("SFkJ3fy02n17YxNXm96tCGUKVTOAIBsH");
        let good = "SFkJ3fy02n17YxNXm96tCGUKVTOAIBsH";
        assert!(keys.authenticate(Some(good.as_bytes()), BodyToken::Absent));
        assert!(keys.authenticate(None, BodyToken::Text(good)));
        assert!(keys.authenticate(Some(good.as_bytes()), BodyToken::Text(good)));
        assert!(!keys.authenticate(None, BodyToken::Absent));
        assert!(!keys.authenticate(Some(b"wrong"), BodyToken::Text(good)));
        assert!(!keys.authenticate(Some(good.as_bytes()), BodyToken::Text("wrong")));
        assert!(!keys.authenticate(Some(good.as_bytes()), BodyToken::NotText));
        assert!(!keys.authenticate(Some(b""), BodyToken::Absent));
        // A prefix or an extension of the secret is not the secret.
        assert!(!keys.authenticate(Some(&good.as_bytes()[..31]), BodyToken::Absent));
        assert!(!keys.authenticate(Some(format!("{good}x").as_bytes()), BodyToken::Absent));
    }

    #[test]
    fn rotation_accepts_current_and_previous() {
        let keys = keys(r#"{"current": "new-token", "previous": "old-token"}"#);
        assert!(keys.authenticate(Some(b"new-token"), BodyToken::Absent));
        assert!(keys.authenticate(None, BodyToken::Text("old-token")));
        assert!(!keys.authenticate(Some(b"older-token"), BodyToken::Absent));
        assert_eq!(keys.secret_texts(), [b"new-token".as_slice(), b"old-token"]);
    }
}

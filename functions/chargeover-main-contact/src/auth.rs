//! ChargeOver sends no signature: the shared secret token comes in the
//! `X-ChargeOver-Key` header and in the body's `security_token`.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{digest, SHA256};
use webhook_shared::secret::{SecretValue, UnusableSecret, WebhookKeys};

pub const KEY_HEADER: &str = "x-chargeover-key";

/// The accepted tokens, as SHA-256 digests: comparing digests of equal
/// length in constant time reveals neither a token's bytes nor its length.
pub struct TokenKeys {
    digests: Vec<[u8; 32]>,
    tokens: Vec<String>,
}

impl WebhookKeys for TokenKeys {
    fn from_secret(secret: &SecretValue) -> Result<Self, UnusableSecret> {
        Ok(TokenKeys {
            digests: secret.accepted().map(sha256).collect(),
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
    /// Whether `token` is an accepted secret (current or previous). Every
    /// accepted digest is compared, without stopping at a match.
    pub fn matches(&self, token: &[u8]) -> bool {
        let given = sha256(token);
        self.digests.iter().fold(false, |found, accepted| {
            verify_slices_are_equal(accepted, &given).is_ok() | found
        })
    }

    /// At least one token is present, and every one present matches.
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
            .all(|token| self.matches(token))
    }
}

fn sha256(token: impl AsRef<[u8]>) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, token.as_ref()).as_ref());
    out
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

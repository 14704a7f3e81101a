//! ChargeOver sends no signature: the shared secret token comes in the
//! `X-ChargeOver-Key` header and in the body's `security_token`; with
//! encryption on, the same secret is the AES key of the body.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{digest, Digest, SHA256};
use webhook_shared::authenticate::secret::{SecretValue, UnusableSecret, WebhookKeys};

use crate::encryption::Aes;

pub const KEY_HEADER: &str = "x-chargeover-key";

/// The accepted tokens, as SHA-256 digests: comparing digests of equal
/// length in constant time reveals neither a token's bytes nor its length.
/// And the AES keys they make, for encrypted bodies (a token of 16, 24 or 32
/// bytes).
pub struct TokenKeys {
    digests: Vec<Digest>,
    tokens: Vec<String>,
    ciphers: Vec<Aes>,
}

impl WebhookKeys for TokenKeys {
    fn from_secret(secret: &SecretValue) -> Result<Self, UnusableSecret> {
        Ok(TokenKeys {
            digests: secret.accepted().map(sha256).collect(),
            tokens: secret.accepted().map(str::to_owned).collect(),
            ciphers: secret
                .accepted()
                .filter_map(|token| Aes::new(token.as_bytes()))
                .collect(),
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
    /// The AES keys of the accepted tokens (current first); empty when no
    /// token is an AES key's length.
    pub fn ciphers(&self) -> &[Aes] {
        &self.ciphers
    }

    /// Whether `token` is an accepted secret (current or previous). Every
    /// accepted digest is compared, without stopping at a match.
    pub fn matches(&self, token: &[u8]) -> bool {
        let given = sha256(token);
        self.digests.iter().fold(false, |found, accepted| {
            verify_slices_are_equal(accepted.as_ref(), given.as_ref()).is_ok() | found
        })
    }

    /// Every token present matches, and at least one is present unless the
    /// body was `decrypted` with the secret (that is proof enough).
    pub fn authenticate(
        &self,
        header: Option<&[u8]>,
        body: BodyToken<'_>,
        decrypted: bool,
    ) -> bool {
        let body = match body {
            BodyToken::Absent => None,
            BodyToken::Text(token) => Some(token.as_bytes()),
            BodyToken::NotText => return false,
        };
        if header.is_none() && body.is_none() && !decrypted {
            return false;
        }
        [header, body]
            .into_iter()
            .flatten()
            .all(|token| self.matches(token))
    }
}

fn sha256(token: impl AsRef<[u8]>) -> Digest {
    digest(&SHA256, token.as_ref())
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
        assert!(keys.authenticate(Some(good.as_bytes()), BodyToken::Absent, false));
        assert!(keys.authenticate(None, BodyToken::Text(good), false));
        assert!(keys.authenticate(Some(good.as_bytes()), BodyToken::Text(good), false));
        assert!(!keys.authenticate(None, BodyToken::Absent, false));
        assert!(!keys.authenticate(Some(b"wrong"), BodyToken::Text(good), false));
        assert!(!keys.authenticate(Some(good.as_bytes()), BodyToken::Text("wrong"), false));
        assert!(!keys.authenticate(Some(good.as_bytes()), BodyToken::NotText, false));
        assert!(!keys.authenticate(Some(b""), BodyToken::Absent, false));
        // A prefix or an extension of the secret is not the secret.
        assert!(!keys.authenticate(Some(&good.as_bytes()[..31]), BodyToken::Absent, false));
        assert!(!keys.authenticate(
            Some(format!("{good}x").as_bytes()),
            BodyToken::Absent,
            false
        ));
        // A body decrypted with the secret needs no token; one sent must match.
        assert!(keys.authenticate(None, BodyToken::Absent, true));
        assert!(!keys.authenticate(Some(b"wrong"), BodyToken::Absent, true));
        assert!(!keys.authenticate(None, BodyToken::Text("wrong"), true));
    }

    #[test]
    fn rotation_accepts_current_and_previous() {
        let keys = keys(r#"{"current": "new-token", "previous": "old-token"}"#);
        assert!(keys.authenticate(Some(b"new-token"), BodyToken::Absent, false));
        assert!(keys.authenticate(None, BodyToken::Text("old-token"), false));
        assert!(!keys.authenticate(Some(b"older-token"), BodyToken::Absent, false));
        assert_eq!(keys.secret_texts(), [b"new-token".as_slice(), b"old-token"]);
    }
}

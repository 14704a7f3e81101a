//! The delivery's id: neither sender sends one, so it is derived from the raw
//! body. A retry carries the same bytes, hence the same id.

use std::fmt;

use aws_lc_rs::digest::{digest, SHA256};

/// Lowercase hex of the first 16 bytes of SHA-256 over the raw body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventId(String);

impl EventId {
    pub fn of(body: &[u8]) -> Self {
        EventId(hex::encode(&digest(&SHA256, body).as_ref()[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An event id as stored (32 lowercase hex digits), e.g. to replay a
    /// quarantined delivery under its original id.
    pub fn parse(text: &str) -> Option<Self> {
        let valid =
            text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| EventId(text.to_owned()))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_stable_and_truncated_sha256() {
        // printf '' | sha256sum → e3b0c44298fc1c149afbf4c8996fb924 27ae41e4...
        assert_eq!(
            EventId::of(b"").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb924"
        );
        // printf 'abc' | sha256sum → ba7816bf8f01cfea414140de5dae2223 b00361a3...
        assert_eq!(
            EventId::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223"
        );
        assert_eq!(EventId::of(b"{\"a\":1}"), EventId::of(b"{\"a\":1}"));
        assert_ne!(EventId::of(b"{\"a\":1}"), EventId::of(b"{\"a\": 1}"));
        let id = EventId::of(b"abc");
        assert_eq!(EventId::parse(id.as_str()), Some(id));
        for bad in [
            "",
            "BA7816BF8F01CFEA414140DE5DAE2223",
            "ba7816bf8f01cfea414140de5dae222",
            "zz",
        ] {
            assert_eq!(EventId::parse(bad), None, "{bad}");
        }
    }
}

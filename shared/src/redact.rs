//! Secrets never reach storage or logs: `password`, `security_token` and
//! `security_salt` (an encrypted ChargeOver delivery's) are removed from
//! parsed payloads at any depth, and masked in raw bodies kept for quarantine.

use aws_sdk_dynamodb::types::AttributeValue;

/// Member names whose values are secrets, wherever they appear.
pub const SECRET_KEYS: [&str; 3] = ["password", "security_token", "security_salt"];

pub const MASK: &str = "[REDACTED]";

/// Removes every secret member from a parsed payload, at any depth.
pub fn redact(value: &mut AttributeValue) {
    match value {
        AttributeValue::M(members) => {
            for key in SECRET_KEYS {
                members.remove(key);
            }
            members.values_mut().for_each(redact);
        }
        AttributeValue::L(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The raw body as text for a quarantine item: each occurrence of a configured
/// secret replaced by `[REDACTED]`, the values of secret members masked too
/// (best effort, as the body may not be valid JSON), and cut to `limit` bytes.
pub fn mask_raw_body(body: &[u8], secrets: &[&[u8]], limit: usize) -> String {
    let mut masked = body.to_vec();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        masked = replace_all(&masked, secret, MASK.as_bytes());
    }
    for key in SECRET_KEYS {
        masked = mask_member_values(&masked, key);
    }
    let mut text = String::from_utf8_lossy(&masked).into_owned();
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Masks the value after each `"key"` followed by `:`: a string up to its
/// closing quote, or any other scalar up to the next delimiter.
fn mask_member_values(body: &[u8], key: &str) -> Vec<u8> {
    let quoted = format!("\"{key}\"");
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = find(rest, quoted.as_bytes()) {
        let after_key = at + quoted.len();
        out.extend_from_slice(&rest[..after_key]);
        rest = &rest[after_key..];
        let gap = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if rest.get(gap) != Some(&b':') {
            continue;
        }
        let value_at = gap
            + 1
            + rest[gap + 1..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        out.extend_from_slice(&rest[..value_at]);
        rest = &rest[value_at..];
        let value_len = match rest.first() {
            Some(b'"') => string_len(rest),
            Some(b'{' | b'[') | None => 0,
            Some(_) => rest
                .iter()
                .take_while(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                .count(),
        };
        if value_len > 0 {
            out.extend_from_slice(b"\"");
            out.extend_from_slice(MASK.as_bytes());
            out.extend_from_slice(b"\"");
            rest = &rest[value_len..];
        }
    }
    out.extend_from_slice(rest);
    out
}

/// Length of the JSON string starting at `text[0] == '"'`, closing quote
/// included; an unterminated string runs to the end.
fn string_len(text: &[u8]) -> usize {
    let mut escaped = false;
    for (i, &b) in text.iter().enumerate().skip(1) {
        match (escaped, b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return i + 1,
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tests::attr;
    use serde_json::json;

    #[test]
    fn removes_secret_members_at_any_depth() {
        let mut value = attr(json!({
            "security_token": "t", "a": {"password": "p", "b": [{"password": "q", "c": 1}]},
            "keep": "password", "security_salt": "s"
        }));
        redact(&mut value);
        assert_eq!(
            value,
            attr(json!({"a": {"b": [{"c": 1}]}, "keep": "password"}))
        );
    }

    #[test]
    fn masks_secrets_in_raw_bodies() {
        let body = br#"{"security_token" : "s3cr3t", "data": {"user": {"password":"p\"w", "n": 1}}, "x": "s3cr3t-s3cr3t", "y": {"password": 12}"#;
        let masked = mask_raw_body(body, &[b"s3cr3t"], 64 * 1024);
        assert_eq!(
            masked,
            r#"{"security_token" : "[REDACTED]", "data": {"user": {"password":"[REDACTED]", "n": 1}}, "x": "[REDACTED]-[REDACTED]", "y": {"password": "[REDACTED]"}"#
        );
        assert!(!masked.contains("s3cr3t") && !masked.contains("p\\\"w"));
    }

    #[test]
    fn cuts_at_a_character_boundary_and_survives_bad_utf8() {
        let masked = mask_raw_body("ééé".as_bytes(), &[], 3);
        assert_eq!(masked, "é");
        let masked = mask_raw_body(b"\xff\xfe{\"password\":\"x", &[], 100);
        assert_eq!(masked, "\u{fffd}\u{fffd}{\"password\":\"[REDACTED]\"");
    }
}

//! Secrets never reach storage or logs: `password`, `security_token` and
//! `security_salt` (an encrypted ChargeOver delivery's) are removed from
//! parsed payloads at any depth, and masked in raw bodies kept for quarantine.

use aws_sdk_dynamodb::types::AttributeValue;

/// Member names whose values are secrets, wherever they appear.
pub const SECRET_KEYS: [&str; 3] = ["password", "security_token", "security_salt"];

pub const MASK: &str = "[REDACTED]";

/// A parsed body as it may be stored: every secret member removed, and
/// refused (422) if it holds a number DynamoDB cannot store.
pub fn storable(mut payload: AttributeValue) -> Result<AttributeValue, crate::Rejection> {
    redact(&mut payload);
    let unstorable = crate::validate::model::unstorable_numbers(&payload);
    if unstorable.is_empty() {
        Ok(payload)
    } else {
        Err(crate::Rejection::InvalidPayload(unstorable))
    }
}

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

/// The whole raw body as text for a quarantine item: each occurrence of a
/// configured secret replaced by `[REDACTED]`, and the values of secret
/// members masked too (best effort, as the body may not be valid JSON).
/// Bytes that are not UTF-8 become U+FFFD.
pub fn mask_raw_body(body: &[u8], secrets: &[&[u8]]) -> String {
    let mut masked = body.to_vec();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        masked = replace_all(&masked, secret, MASK.as_bytes());
    }
    for key in SECRET_KEYS {
        masked = mask_member_values(&masked, key);
    }
    String::from_utf8_lossy(&masked).into_owned()
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
    use crate::validate::json::tests::attr;
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
        let masked = mask_raw_body(body, &[b"s3cr3t"]);
        assert_eq!(
            masked,
            r#"{"security_token" : "[REDACTED]", "data": {"user": {"password":"[REDACTED]", "n": 1}}, "x": "[REDACTED]-[REDACTED]", "y": {"password": "[REDACTED]"}"#
        );
        assert!(!masked.contains("s3cr3t") && !masked.contains("p\\\"w"));
    }

    #[test]
    fn keeps_the_whole_body_and_survives_bad_utf8() {
        let long = "é".repeat(100_000);
        assert_eq!(mask_raw_body(long.as_bytes(), &[]), long);
        let masked = mask_raw_body(b"\xff\xfe{\"password\":\"x", &[]);
        assert_eq!(masked, "\u{fffd}\u{fffd}{\"password\":\"[REDACTED]\"");
    }
}

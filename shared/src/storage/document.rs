//! Attributes as JSON text: the form of a document kept in S3 (claim check)
//! and of what the admin CLI shows. Members are written in name order, so the
//! same value is always the same bytes (an S3 key derived from the content
//! stays the same on a retry). Numbers are written as DynamoDB holds them (N
//! text, which `crate::validate::json::parse` wrote from JSON), so parsing the text
//! again gives the same attributes.

use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::storage::attribute::{n, s};

/// `value` as compact JSON.
pub fn to_json(value: &AttributeValue) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(text) => string(text, out),
        AttributeValue::N(number) => out.extend_from_slice(number.as_bytes()),
        AttributeValue::Bool(flag) => out.extend_from_slice(if *flag { b"true" } else { b"false" }),
        AttributeValue::Null(_) => out.extend_from_slice(b"null"),
        AttributeValue::L(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        AttributeValue::M(members) => {
            let mut names: Vec<&String> = members.keys().collect();
            names.sort();
            out.push(b'{');
            for (index, name) in names.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                string(name, out);
                out.push(b':');
                write(&members[name], out);
            }
            out.push(b'}');
        }
        // Never written by these functions; shown rather than dropped.
        AttributeValue::B(bytes) => string(&STANDARD.encode(bytes.as_ref()), out),
        AttributeValue::Ss(texts) => list(texts.iter().map(s), out),
        AttributeValue::Ns(numbers) => list(numbers.iter().map(n), out),
        AttributeValue::Bs(blobs) => list(blobs.iter().map(|b| s(STANDARD.encode(b))), out),
        _ => out.extend_from_slice(b"null"),
    }
}

fn list(items: impl Iterator<Item = AttributeValue>, out: &mut Vec<u8>) {
    write(&AttributeValue::L(items.collect()), out);
}

fn string(text: &str, out: &mut Vec<u8>) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::json::parse;

    #[test]
    fn round_trips_through_the_parser() {
        for text in [
            &br#"{"a": [1, -2, 3.5, "x\"y\u00e9\n", null, true, {"b": {}}], "c": 18446744073709551615}"#[..],
            br#"{"big": 1e20, "whole": 413.0, "tiny": 1e-7, "int": -9223372036854775808}"#,
            br#"[]"#,
            br#""text""#,
        ] {
            let value = parse(text).unwrap();
            let json = to_json(&value);
            assert_eq!(parse(&json).unwrap(), value, "{}", String::from_utf8_lossy(&json));
        }
    }

    #[test]
    fn members_in_name_order_so_equal_values_are_equal_bytes() {
        let one = parse(br#"{"b": 1, "a": {"d": 2, "c": 3}}"#).unwrap();
        let two = parse(br#"{"a": {"c": 3, "d": 2}, "b": 1}"#).unwrap();
        assert_eq!(to_json(&one), br#"{"a":{"c":3,"d":2},"b":1}"#);
        assert_eq!(to_json(&one), to_json(&two));
    }
}

//! Reading a body as JSON, strictly: a member named twice is refused rather
//! than resolved silently (which copy wins differs between parsers, so a
//! signed or validated body could be read differently downstream).
//!
//! The body is parsed straight into DynamoDB attributes: that is the form the
//! event record stores, and validation reads it in place, so a delivery is
//! converted once (docs/PERFORMANCE.md).

use std::collections::hash_map::Entry;
use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::storage::attribute::{float_text, Members};

/// Parses `body` into the attribute DynamoDB stores for it: objects as M,
/// arrays as L, strings as S, numbers as N (integers exactly, others in their
/// shortest round-trip form, written out without an exponent, `.0` kept on
/// whole values: `float_text`), booleans as
/// BOOL, null as NULL. Fails on anything `serde_json` refuses (invalid UTF-8,
/// a byte-order mark, trailing data, nesting deeper than 128) and on
/// duplicate member names.
pub fn parse(body: &[u8]) -> Result<AttributeValue, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = StrictVisitor.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

struct StrictVisitor;

impl<'de> DeserializeSeed<'de> for StrictVisitor {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(AttributeValue::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(AttributeValue::N(value.to_string()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(AttributeValue::N(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        if value.is_finite() {
            Ok(AttributeValue::N(float_text(value)))
        } else {
            Err(E::custom("number out of range"))
        }
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(AttributeValue::S(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(AttributeValue::S(value))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(AttributeValue::Null(true))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(StrictVisitor)? {
            items.push(item);
        }
        Ok(AttributeValue::L(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Members are collected first so that the map is built at its final
        // size: growing it member by member hashes every key again at each
        // doubling. A duplicate is therefore reported once the object is
        // read (still a 400).
        let mut received = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            received.push((key, map.next_value_seed(StrictVisitor)?));
        }
        let mut members = Members::with_capacity(received.len());
        for (key, value) in received {
            match members.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(taken) => {
                    let key = taken.key();
                    return Err(de::Error::custom(format_args!("duplicate member {key:?}")));
                }
            }
        }
        Ok(AttributeValue::M(members))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// `value` as a delivery's body is parsed (tests build payloads with `json!`).
    pub(crate) fn attr(value: Value) -> AttributeValue {
        parse(value.to_string().as_bytes()).expect("JSON")
    }

    /// What serde_dynamo (which wrote items before this parser) makes of `text`.
    fn as_serde_dynamo(text: &[u8]) -> AttributeValue {
        let value: Value = serde_json::from_slice(text).unwrap();
        serde_dynamo::to_attribute_value(value).unwrap()
    }

    /// The stored form is the one serde_dynamo wrote before (items written by
    /// earlier versions and by this one read alike), whole floats aside.
    #[test]
    fn same_attributes_as_serde_dynamo() {
        for text in [
            &br#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#[..],
            br#"{"n": [0, -9223372036854775808, 0.1, 4103.5, 1e-7, 1.5e-300], "s": ["", "\u00e9"]}"#,
            b" 7 ",
        ] {
            assert_eq!(parse(text).unwrap(), as_serde_dynamo(text));
        }
    }

    #[test]
    fn whole_floats_keep_their_fraction() {
        assert_eq!(
            parse(b"1e20").unwrap(),
            AttributeValue::N("100000000000000000000.0".into())
        );
        assert_eq!(parse(b"413.0").unwrap(), AttributeValue::N("413.0".into()));
        assert_eq!(parse(b"413").unwrap(), AttributeValue::N("413".into()));
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        for text in [
            &br#"{"a": 1, "a": 2}"#[..],
            br#"{"x": [{"id": 1, "id": 1}]}"#,
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains("duplicate member"), "{error}");
        }
        assert!(parse(br#"{"a": {"a": 1}}"#).is_ok());
    }

    #[test]
    fn refuses_what_json_does_not_allow() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for text in [
            &b"\xef\xbb\xbf{}"[..],
            b"{\"a\": \"\xff\"}",
            b"{} {}",
            b"",
            b"{\"a\": 1e400}",
            b"{\"a\":\x00 1}",
            deep.as_bytes(),
        ] {
            assert!(parse(text).is_err(), "{:?}", String::from_utf8_lossy(text));
        }
        // A NUL escaped inside a string is JSON.
        assert_eq!(
            parse(br#"{"a": "\u0000"}"#).unwrap(),
            as_serde_dynamo(&serde_json::to_vec(&json!({"a": "\u{0}"})).unwrap())
        );
    }
}

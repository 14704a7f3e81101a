//! Reading a body as JSON, strictly: a member named twice is refused rather
//! than resolved silently (which copy wins differs between parsers, so a
//! signed or validated body could be read differently downstream).

use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `body` into a JSON value. Fails on anything `serde_json` refuses
/// (invalid UTF-8, a byte-order mark, trailing data, nesting deeper than 128)
/// and on duplicate member names.
pub fn parse(body: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<StrictValue>(body).map(|strict| strict.0)
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> DeserializeSeed<'de> for StrictVisitor {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Number::from_f64(value)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(StrictVisitor)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate member {key:?}")));
            }
            let value = map.next_value_seed(StrictVisitor)?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_value_as_serde_json() {
        let text = br#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_slice::<Value>(text).unwrap()
        );
        assert_eq!(parse(b" 7 ").unwrap(), json!(7));
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
        assert_eq!(parse(br#"{"a": "\u0000"}"#).unwrap(), json!({"a": "\u{0}"}));
    }
}

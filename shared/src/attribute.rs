//! Values as native DynamoDB attributes (numbers as N, objects as M, lists as
//! L, null as NULL). Built directly rather than through a generic serializer:
//! this runs on every delivery over the whole payload (docs/PERFORMANCE.md).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};

/// The members of an M attribute (and of an item).
pub type Members = HashMap<String, AttributeValue>;

/// How a value is stored.
pub trait ToAttribute {
    fn to_attribute(&self) -> AttributeValue;
}

impl ToAttribute for Value {
    fn to_attribute(&self) -> AttributeValue {
        match self {
            Value::Null => AttributeValue::Null(true),
            Value::Bool(flag) => AttributeValue::Bool(*flag),
            Value::Number(number) => number.to_attribute(),
            Value::String(text) => text.to_attribute(),
            Value::Array(items) => list(items),
            Value::Object(members) => AttributeValue::M(object_members(members)),
        }
    }
}

impl ToAttribute for Number {
    /// Integers exactly; other numbers in their shortest round-trip form.
    fn to_attribute(&self) -> AttributeValue {
        let text = match (self.as_u64(), self.as_i64()) {
            (Some(unsigned), _) => unsigned.to_string(),
            (None, Some(signed)) => signed.to_string(),
            // Without serde_json's arbitrary precision every number is an f64 here.
            (None, None) => float_text(self.as_f64().unwrap_or_default()),
        };
        AttributeValue::N(text)
    }
}

/// The N text of a JSON number written with a fraction or an exponent: its
/// shortest round-trip form without an exponent, and `.0` on a whole value so
/// that `413.0` stays apart from the integer `413` (ids and flags must be
/// integers; DynamoDB stores both as the same number).
pub fn float_text(value: f64) -> String {
    let mut text = value.to_string();
    if !text.contains('.') {
        text.push_str(".0");
    }
    text
}

impl ToAttribute for String {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::S(self.clone())
    }
}

impl ToAttribute for str {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::S(self.to_owned())
    }
}

impl<T: ToAttribute + ?Sized> ToAttribute for &T {
    fn to_attribute(&self) -> AttributeValue {
        (**self).to_attribute()
    }
}

/// An L attribute of `items`, in order.
pub fn list<T: ToAttribute>(items: &[T]) -> AttributeValue {
    AttributeValue::L(items.iter().map(T::to_attribute).collect())
}

/// A JSON object's members as M members.
pub fn object_members(members: &Map<String, Value>) -> Members {
    let mut converted = Members::with_capacity(members.len());
    for (key, value) in members {
        converted.insert(key.clone(), value.to_attribute());
    }
    converted
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_json_kind() {
        let value = json!({"a": [1, -2, 2.5, 1e20, "x", null, true], "b": {}});
        let AttributeValue::M(members) = value.to_attribute() else {
            panic!("an object is an M")
        };
        assert_eq!(
            members["a"],
            AttributeValue::L(vec![
                AttributeValue::N("1".into()),
                AttributeValue::N("-2".into()),
                AttributeValue::N("2.5".into()),
                AttributeValue::N("100000000000000000000.0".into()),
                AttributeValue::S("x".into()),
                AttributeValue::Null(true),
                AttributeValue::Bool(true),
            ])
        );
        assert_eq!(members["b"], AttributeValue::M(Members::new()));
    }

    /// The stored form is the one serde_dynamo wrote before (items written
    /// by earlier versions and by this one read alike).
    #[test]
    fn same_as_serde_dynamo() {
        let value = json!({"n": [0, 18446744073709551615u64, -9223372036854775808i64, 0.1, 4103.5, 1e-7, 1.5e-300],
                           "s": ["", "é"], "o": {"p": {"q": null}}, "f": false});
        let expected: AttributeValue = serde_dynamo::to_attribute_value(&value).unwrap();
        assert_eq!(value.to_attribute(), expected);
    }

    #[test]
    fn whole_floats_keep_their_fraction() {
        // serde_dynamo writes these as "413" and "1500…0": the same number to
        // DynamoDB, but no longer an integer to the models.
        for (value, text) in [
            (json!(413.0), "413.0"),
            (json!(-0.0), "-0.0"),
            (json!(1e2), "100.0"),
            (json!(1.5e20), "150000000000000000000.0"),
            (json!(3.5), "3.5"),
        ] {
            assert_eq!(value.to_attribute(), AttributeValue::N(text.into()));
        }
    }
}

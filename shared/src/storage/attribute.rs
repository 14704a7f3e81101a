//! Values as native DynamoDB attributes (numbers as N, objects as M, lists as
//! L, null as NULL). Bodies are parsed straight into this form
//! (`crate::validate::json::parse`); the models' stored forms are built with
//! [`ToAttribute`].

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// The members of an M attribute (and of an item).
pub type Members = HashMap<String, AttributeValue>;

/// How a value is stored.
pub trait ToAttribute {
    fn to_attribute(&self) -> AttributeValue;
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

/// An S attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// An N attribute.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_floats_keep_their_fraction() {
        // serde_dynamo writes these as "413" and "1500…0": the same number to
        // DynamoDB, but no longer an integer to the models.
        for (value, text) in [
            (413.0, "413.0"),
            (-0.0, "-0.0"),
            (1e2, "100.0"),
            (1.5e20, "150000000000000000000.0"),
            (3.5, "3.5"),
        ] {
            assert_eq!(float_text(value), text);
        }
    }
}

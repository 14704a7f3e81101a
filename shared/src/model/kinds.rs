//! The value kinds the two senders use, each read as leniently as the sender
//! writes it and stored in one normalised form.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::{civil, tz::TimeZone, Timestamp};
use serde_json::{Map, Number, Value};

use super::field::FieldKind;
use crate::attribute::{list, object_members, ToAttribute};

/// Free text. `""` is a value, not "no value".
impl FieldKind for String {
    const EXPECTED: &'static str = "a string";
    const BLANK_IS_NULL: bool = false;

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(other),
        }
    }
}

/// A secret the schema lists (a token, a password): read for authentication
/// or not at all, removed before typing, and never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret;

impl FieldKind for Secret {
    const EXPECTED: &'static str = "a string";
    const BLANK_IS_NULL: bool = false;
    const STORED: bool = false;

    /// The text is dropped here so that no copy of it outlives parsing.
    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::String(_) => Ok(Secret),
            other => Err(other),
        }
    }
}

impl ToAttribute for Secret {
    /// Never called for a stored model (`STORED` is false); shown masked.
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::S("[REDACTED]".into())
    }
}

/// A numeric id, sent as a JSON number or as a numeric string; stored as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u64);

impl ToAttribute for Id {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::N(self.0.to_string())
    }
}

impl FieldKind for Id {
    const EXPECTED: &'static str = "a non-negative integer (number or numeric string)";

    fn from_json(value: Value) -> Result<Self, Value> {
        let id = match &value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
            _ => None,
        };
        id.map(Id).ok_or(value)
    }
}

/// An amount of money: a JSON number, kept exactly as sent (`3400` stays an integer).
#[derive(Debug, Clone, PartialEq)]
pub struct Money(pub Number);

impl ToAttribute for Money {
    fn to_attribute(&self) -> AttributeValue {
        self.0.to_attribute()
    }
}

impl FieldKind for Money {
    const EXPECTED: &'static str = "a number";

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Number(n) => Ok(Money(n)),
            other => Err(other),
        }
    }
}

/// A boolean, also accepted as `0`/`1` and `"0"`/`"1"`/`"true"`/`"false"`,
/// which PHP-based senders produce; stored as a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl ToAttribute for Flag {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::Bool(self.0)
    }
}

impl FieldKind for Flag {
    const EXPECTED: &'static str = "a boolean";

    fn from_json(value: Value) -> Result<Self, Value> {
        let flag = match &value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_u64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(s) => match s.as_str() {
                "0" | "false" => Some(false),
                "1" | "true" => Some(true),
                _ => None,
            },
            _ => None,
        };
        flag.map(Flag).ok_or(value)
    }
}

/// A list of strings (ChargeOver `tags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags(pub Vec<String>);

impl ToAttribute for Tags {
    fn to_attribute(&self) -> AttributeValue {
        list(&self.0)
    }
}

impl FieldKind for Tags {
    const EXPECTED: &'static str = "an array of strings";

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(Tags(
                items
                    .into_iter()
                    .filter_map(|item| match item {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            )),
            other => Err(other),
        }
    }
}

/// A sender's datetime: `YYYY-MM-DD HH:MM:SS` in the account's zone, or
/// RFC 3339 / ISO 8601 with an offset. The text is stored as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDateTime {
    text: String,
    moment: Moment,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// Carries its own offset.
    Instant(Timestamp),
    /// Wall-clock time in the sender's configured zone.
    Local(civil::DateTime),
}

impl SourceDateTime {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant, reading an offset-less value in `zone`. A wall time that a
    /// DST change makes ambiguous or skips resolves as the zone's rules say
    /// ("compatible": the earlier of two, or shifted forward over a gap).
    pub fn instant(&self, zone: &TimeZone) -> Timestamp {
        match self.moment {
            Moment::Instant(ts) => ts,
            Moment::Local(local) => zone
                .to_ambiguous_zoned(local)
                .compatible()
                .map(|zoned| zoned.timestamp())
                // Only out-of-range years fail; they are rejected at parse time.
                .unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    fn parse(text: &str) -> Option<Moment> {
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Some(Moment::Instant(ts));
        }
        // jiff accepts both the space and the `T` separator here.
        let local = text.parse::<civil::DateTime>().ok()?;
        // Every zone can place it (keeps `instant` infallible).
        (local.year() > 1 && local.year() < 9999).then_some(Moment::Local(local))
    }
}

impl FieldKind for SourceDateTime {
    const EXPECTED: &'static str = "a datetime (YYYY-MM-DD HH:MM:SS or RFC 3339)";

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::String(text) => match Self::parse(&text) {
                Some(moment) => Ok(SourceDateTime { text, moment }),
                None => Err(Value::String(text)),
            },
            other => Err(other),
        }
    }
}

impl ToAttribute for SourceDateTime {
    fn to_attribute(&self) -> AttributeValue {
        self.text.to_attribute()
    }
}

/// A string with a documented set of values; other values are kept (and the
/// caller warns) rather than rejected, since senders add values over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<const N: usize> {
    value: String,
    known: [&'static str; N],
}

impl<const N: usize> ToAttribute for Choice<N> {
    fn to_attribute(&self) -> AttributeValue {
        self.value.to_attribute()
    }
}

/// ChargeOver's `invoice_delivery` / `dunning_delivery`.
pub type DeliveryMethod = Choice<2>;

impl DeliveryMethod {
    pub const KNOWN: [&'static str; 2] = ["print", "email"];
}

impl<const N: usize> Choice<N> {
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn is_known(&self) -> bool {
        self.known.contains(&self.value.as_str())
    }
}

impl FieldKind for DeliveryMethod {
    const EXPECTED: &'static str = "a string";
    const BLANK_IS_NULL: bool = false;

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::String(value) => Ok(Choice {
                value,
                known: Self::KNOWN,
            }),
            other => Err(other),
        }
    }
}

/// OCC's `_actionCode` on sub-entities of a changes-only delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionCode {
    Create,
    Update,
    Delete,
}

impl ToAttribute for ActionCode {
    fn to_attribute(&self) -> AttributeValue {
        self.as_str().to_attribute()
    }
}

impl ActionCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionCode::Create => "CREATE",
            ActionCode::Update => "UPDATE",
            ActionCode::Delete => "DELETE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "CREATE" => Some(ActionCode::Create),
            "UPDATE" => Some(ActionCode::Update),
            "DELETE" => Some(ActionCode::Delete),
            _ => None,
        }
    }
}

impl FieldKind for ActionCode {
    const EXPECTED: &'static str = "one of CREATE, UPDATE, DELETE";
    const BLANK_IS_NULL: bool = false;

    fn from_json(value: Value) -> Result<Self, Value> {
        match &value {
            Value::String(s) => ActionCode::parse(s).ok_or(value),
            _ => Err(value),
        }
    }
}

/// A boolean that a schema documents as a string (OCC's
/// `useAllShippingMethodsFromSite`): either is accepted and kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoolOrText {
    Bool(bool),
    Text(String),
}

impl ToAttribute for BoolOrText {
    fn to_attribute(&self) -> AttributeValue {
        match self {
            BoolOrText::Bool(flag) => AttributeValue::Bool(*flag),
            BoolOrText::Text(text) => text.to_attribute(),
        }
    }
}

impl FieldKind for BoolOrText {
    const EXPECTED: &'static str = "a boolean or a string";
    const BLANK_IS_NULL: bool = false;

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Bool(b) => Ok(BoolOrText::Bool(b)),
            Value::String(s) => Ok(BoolOrText::Text(s)),
            other => Err(other),
        }
    }
}

/// An amount documented as a string that may arrive as a number (OCC's
/// `orderPriceLimit`); kept as sent.
#[derive(Debug, Clone, PartialEq)]
pub enum TextOrNumber {
    Number(Number),
    Text(String),
}

impl ToAttribute for TextOrNumber {
    fn to_attribute(&self) -> AttributeValue {
        match self {
            TextOrNumber::Number(number) => number.to_attribute(),
            TextOrNumber::Text(text) => text.to_attribute(),
        }
    }
}

impl FieldKind for TextOrNumber {
    const EXPECTED: &'static str = "a string or a number";
    const BLANK_IS_NULL: bool = false;

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Number(n) => Ok(TextOrNumber::Number(n)),
            Value::String(s) => Ok(TextOrNumber::Text(s)),
            other => Err(other),
        }
    }
}

/// An array whose items the schema does not describe; kept as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyList(pub Vec<Value>);

impl ToAttribute for AnyList {
    fn to_attribute(&self) -> AttributeValue {
        list(&self.0)
    }
}

impl FieldKind for AnyList {
    const EXPECTED: &'static str = "an array";

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Array(items) => Ok(AnyList(items)),
            other => Err(other),
        }
    }
}

/// An object whose members the schema does not describe; kept as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyObject(pub Map<String, Value>);

impl ToAttribute for AnyObject {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::M(object_members(&self.0))
    }
}

impl FieldKind for AnyObject {
    const EXPECTED: &'static str = "an object";

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Object(members) => Ok(AnyObject(members)),
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Field;
    use serde_json::json;

    fn read<T: FieldKind>(value: Value) -> Field<T> {
        Field::from_json(value)
    }

    #[test]
    fn ids_are_numbers_or_numeric_strings() {
        assert_eq!(read::<Id>(json!(261)), Field::Value(Id(261)));
        assert_eq!(read::<Id>(json!("569")), Field::Value(Id(569)));
        assert_eq!(read::<Id>(json!(0)), Field::Value(Id(0)));
        assert_eq!(read::<Id>(json!("")), Field::Null);
        assert_eq!(read::<Id>(json!(null)), Field::Null);
        for bad in [
            json!(-1),
            json!(1.5),
            json!("12a"),
            json!(" 1"),
            json!(true),
            json!([1]),
        ] {
            assert!(matches!(read::<Id>(bad), Field::Invalid(_)));
        }
        // Larger than u64: not an id.
        assert!(matches!(
            read::<Id>(json!("99999999999999999999999")),
            Field::Invalid(_)
        ));
    }

    #[test]
    fn money_keeps_integers_whole() {
        let Field::Value(Money(n)) = read::<Money>(json!(3400)) else {
            panic!("3400 is money")
        };
        assert_eq!(n.to_string(), "3400");
        assert!(matches!(read::<Money>(json!(4103.5)), Field::Value(_)));
        assert!(matches!(read::<Money>(json!("12.50")), Field::Invalid(_)));
        assert_eq!(read::<Money>(json!("")), Field::Null);
    }

    #[test]
    fn flags_accept_php_forms() {
        for (given, expected) in [
            (json!(true), true),
            (json!(0), false),
            (json!("1"), true),
            (json!("false"), false),
        ] {
            assert_eq!(read::<Flag>(given), Field::Value(Flag(expected)));
        }
        assert!(matches!(read::<Flag>(json!("yes")), Field::Invalid(_)));
        assert!(matches!(read::<Flag>(json!(2)), Field::Invalid(_)));
    }

    #[test]
    fn text_keeps_blank() {
        assert_eq!(read::<String>(json!("")), Field::Value(String::new()));
        assert!(matches!(read::<String>(json!(5)), Field::Invalid(_)));
    }

    #[test]
    fn datetimes_with_and_without_offset() {
        let chicago = TimeZone::get("America/Chicago").unwrap();
        let local = read::<SourceDateTime>(json!("2017-10-05 17:51:22"))
            .into_value()
            .unwrap();
        assert_eq!(local.as_str(), "2017-10-05 17:51:22");
        assert_eq!(local.instant(&chicago).to_string(), "2017-10-05T22:51:22Z");

        let offset = read::<SourceDateTime>(json!("2022-10-25T08:50:45-05:00"))
            .into_value()
            .unwrap();
        assert_eq!(offset.instant(&chicago).to_string(), "2022-10-25T13:50:45Z");
        // The offset wins over the configured zone.
        assert_eq!(
            offset.instant(&TimeZone::UTC).to_string(),
            "2022-10-25T13:50:45Z"
        );
        let utc = read::<SourceDateTime>(json!("2022-10-25T13:50:45Z"))
            .into_value()
            .unwrap();
        assert_eq!(utc.instant(&chicago), offset.instant(&chicago));

        for bad in [
            json!("yesterday"),
            json!("2017-13-05 17:51:22"),
            json!(20171005),
        ] {
            assert!(matches!(read::<SourceDateTime>(bad), Field::Invalid(_)));
        }
        assert_eq!(read::<SourceDateTime>(json!("")), Field::Null);
    }

    #[test]
    fn unknown_choice_values_are_kept() {
        let email = read::<DeliveryMethod>(json!("email")).into_value().unwrap();
        assert!(email.is_known());
        let fax = read::<DeliveryMethod>(json!("fax")).into_value().unwrap();
        assert!(!fax.is_known());
        assert_eq!(fax.to_attribute(), AttributeValue::S("fax".into()));
    }

    #[test]
    fn action_codes_are_strict() {
        assert_eq!(
            read::<ActionCode>(json!("DELETE")),
            Field::Value(ActionCode::Delete)
        );
        for bad in [json!("delete"), json!(""), json!("MERGE"), json!(1)] {
            assert!(matches!(read::<ActionCode>(bad), Field::Invalid(_)));
        }
    }

    #[test]
    fn bool_or_text_keeps_what_was_sent() {
        assert_eq!(
            read::<BoolOrText>(json!(true)),
            Field::Value(BoolOrText::Bool(true))
        );
        assert_eq!(
            read::<BoolOrText>(json!("true")),
            Field::Value(BoolOrText::Text("true".into()))
        );
        assert_eq!(read::<BoolOrText>(json!(null)), Field::Null);
        assert!(matches!(read::<BoolOrText>(json!(1)), Field::Invalid(_)));
    }
}

//! The value kinds the two senders use, each read as leniently as the sender
//! writes it and stored in one normalised form. Kinds borrow from the parsed
//! payload; numbers arrive as N text (see `crate::validate::json::parse`).

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::{civil, tz::TimeZone, Timestamp};

use super::field::FieldKind;
use crate::storage::attribute::{list, Members, ToAttribute};

/// Free text. `""` is a value, not "no value".
pub type Text<'a> = &'a str;

impl<'a> FieldKind<'a> for &'a str {
    const EXPECTED: &'static str = "a string";
    const BLANK_IS_NULL: bool = false;

    fn read(value: &'a AttributeValue) -> Option<Self> {
        value.as_s().ok().map(String::as_str)
    }
}

/// A secret the schema lists (a token, a password): read for authentication
/// or not at all, removed before typing, and never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret;

impl FieldKind<'_> for Secret {
    const EXPECTED: &'static str = "a string";
    const BLANK_IS_NULL: bool = false;
    const STORED: bool = false;

    fn read(value: &AttributeValue) -> Option<Self> {
        value.as_s().ok().map(|_| Secret)
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

impl FieldKind<'_> for Id {
    const EXPECTED: &'static str = "a non-negative integer (number or numeric string)";

    fn read(value: &AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::N(digits) | AttributeValue::S(digits)
                if digits.bytes().all(|b| b.is_ascii_digit()) =>
            {
                digits.parse().ok().map(Id)
            }
            _ => None,
        }
    }
}

/// An amount of money: a JSON number, kept exactly as sent (`3400` stays an integer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Money<'a>(pub &'a str);

impl ToAttribute for Money<'_> {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::N(self.0.to_owned())
    }
}

impl<'a> FieldKind<'a> for Money<'a> {
    const EXPECTED: &'static str = "a number";

    fn read(value: &'a AttributeValue) -> Option<Self> {
        value.as_n().ok().map(|number| Money(number))
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

impl FieldKind<'_> for Flag {
    const EXPECTED: &'static str = "a boolean";

    fn read(value: &AttributeValue) -> Option<Self> {
        let flag = match value {
            AttributeValue::Bool(flag) => *flag,
            AttributeValue::N(number) => match number.as_str() {
                "0" => false,
                "1" => true,
                _ => return None,
            },
            AttributeValue::S(text) => match text.as_str() {
                "0" | "false" => false,
                "1" | "true" => true,
                _ => return None,
            },
            _ => return None,
        };
        Some(Flag(flag))
    }
}

/// A list of strings (ChargeOver `tags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags<'a>(pub Vec<&'a str>);

impl ToAttribute for Tags<'_> {
    fn to_attribute(&self) -> AttributeValue {
        list(&self.0)
    }
}

impl<'a> FieldKind<'a> for Tags<'a> {
    const EXPECTED: &'static str = "an array of strings";

    fn read(value: &'a AttributeValue) -> Option<Self> {
        let items = value.as_l().ok()?;
        let tags = items
            .iter()
            .map(|item| item.as_s().ok().map(String::as_str));
        tags.collect::<Option<_>>().map(Tags)
    }
}

/// A sender's datetime: `YYYY-MM-DD HH:MM:SS` in the account's zone, or
/// RFC 3339 / ISO 8601 with an offset. The text is stored as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDateTime<'a> {
    text: &'a str,
    moment: Moment,
}

/// 0001-01-01T00:00:00Z.
const YEAR_ONE: Timestamp = Timestamp::constant(-62_135_596_800, 0);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// Carries its own offset.
    Instant(Timestamp),
    /// Wall-clock time in the sender's configured zone.
    Local(civil::DateTime),
}

impl SourceDateTime<'_> {
    pub fn as_str(&self) -> &str {
        self.text
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
            // Years before 1 would not print in four digits.
            return (ts >= YEAR_ONE).then_some(Moment::Instant(ts));
        }
        // jiff accepts both the space and the `T` separator here.
        let local = text.parse::<civil::DateTime>().ok()?;
        // Every zone can place it (keeps `instant` infallible).
        (local.year() > 1 && local.year() < 9999).then_some(Moment::Local(local))
    }
}

impl<'a> FieldKind<'a> for SourceDateTime<'a> {
    const EXPECTED: &'static str = "a datetime (YYYY-MM-DD HH:MM:SS or RFC 3339)";

    fn read(value: &'a AttributeValue) -> Option<Self> {
        let text = value.as_s().ok()?;
        let moment = Self::parse(text)?;
        Some(SourceDateTime { text, moment })
    }
}

impl ToAttribute for SourceDateTime<'_> {
    fn to_attribute(&self) -> AttributeValue {
        self.text.to_attribute()
    }
}

/// ChargeOver's `invoice_delivery` / `dunning_delivery`: a string with a
/// documented set of values; other values are kept (and the caller warns)
/// rather than rejected, since senders add values over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryMethod<'a>(pub &'a str);

impl DeliveryMethod<'_> {
    pub const KNOWN: [&'static str; 2] = ["print", "email"];

    pub fn is_known(&self) -> bool {
        Self::KNOWN.contains(&self.0)
    }
}

impl ToAttribute for DeliveryMethod<'_> {
    fn to_attribute(&self) -> AttributeValue {
        self.0.to_attribute()
    }
}

impl<'a> FieldKind<'a> for DeliveryMethod<'a> {
    const EXPECTED: &'static str = "a string";
    const BLANK_IS_NULL: bool = false;

    fn read(value: &'a AttributeValue) -> Option<Self> {
        value.as_s().ok().map(|text| DeliveryMethod(text))
    }
}

/// OCC's `_actionCode` on sub-entities of a changes-only delivery. It may sit
/// in any object, so it is checked wherever it is (`occ::action_code_problems`)
/// rather than as a field of the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionCode {
    Create,
    Update,
    Delete,
}

impl ActionCode {
    /// The member that carries it.
    pub const MEMBER: &'static str = "_actionCode";
    pub const EXPECTED: &'static str = "one of CREATE, UPDATE, DELETE";

    /// The code of an attribute, if it is a valid one.
    pub fn read(value: &AttributeValue) -> Option<Self> {
        match value.as_s().ok()?.as_str() {
            "CREATE" => Some(ActionCode::Create),
            "UPDATE" => Some(ActionCode::Update),
            "DELETE" => Some(ActionCode::Delete),
            _ => None,
        }
    }
}

/// A boolean that a schema documents as a string (OCC's
/// `useAllShippingMethodsFromSite`): either is accepted and kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoolOrText<'a> {
    Bool(bool),
    Text(&'a str),
}

impl ToAttribute for BoolOrText<'_> {
    fn to_attribute(&self) -> AttributeValue {
        match self {
            BoolOrText::Bool(flag) => AttributeValue::Bool(*flag),
            BoolOrText::Text(text) => text.to_attribute(),
        }
    }
}

impl<'a> FieldKind<'a> for BoolOrText<'a> {
    const EXPECTED: &'static str = "a boolean or a string";
    const BLANK_IS_NULL: bool = false;

    fn read(value: &'a AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::Bool(flag) => Some(BoolOrText::Bool(*flag)),
            AttributeValue::S(text) => Some(BoolOrText::Text(text)),
            _ => None,
        }
    }
}

/// An amount documented as a string that may arrive as a number (OCC's
/// `orderPriceLimit`); kept as sent.
#[derive(Debug, Clone, PartialEq)]
pub enum TextOrNumber<'a> {
    Number(&'a str),
    Text(&'a str),
}

impl ToAttribute for TextOrNumber<'_> {
    fn to_attribute(&self) -> AttributeValue {
        match self {
            TextOrNumber::Number(number) => AttributeValue::N((*number).to_owned()),
            TextOrNumber::Text(text) => text.to_attribute(),
        }
    }
}

impl<'a> FieldKind<'a> for TextOrNumber<'a> {
    const EXPECTED: &'static str = "a string or a number";
    const BLANK_IS_NULL: bool = false;

    fn read(value: &'a AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::N(number) => Some(TextOrNumber::Number(number)),
            AttributeValue::S(text) => Some(TextOrNumber::Text(text)),
            _ => None,
        }
    }
}

/// An array whose items the schema does not describe; kept as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyList<'a>(pub &'a [AttributeValue]);

impl ToAttribute for AnyList<'_> {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::L(self.0.to_vec())
    }
}

impl<'a> FieldKind<'a> for AnyList<'a> {
    const EXPECTED: &'static str = "an array";

    fn read(value: &'a AttributeValue) -> Option<Self> {
        value.as_l().ok().map(|items| AnyList(items))
    }
}

/// An object whose members the schema does not describe; kept as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyObject<'a>(pub &'a Members);

impl ToAttribute for AnyObject<'_> {
    fn to_attribute(&self) -> AttributeValue {
        AttributeValue::M(self.0.clone())
    }
}

impl<'a> FieldKind<'a> for AnyObject<'a> {
    const EXPECTED: &'static str = "an object";

    fn read(value: &'a AttributeValue) -> Option<Self> {
        value.as_m().ok().map(AnyObject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::model::Field;
    use serde_json::{json, Value};

    use crate::validate::json::tests::attr;

    /// Reads `value` as parsed (leaked: a test's values live to its end).
    fn read<T: FieldKind<'static>>(value: Value) -> Field<'static, T> {
        Field::read(Box::leak(Box::new(attr(value))))
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
            // Written with a fraction or exponent: not an integer, and above
            // 2^53 a float would be a different id.
            json!(413.0),
            json!(4.13e2),
            json!(9007199254740993.0),
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
        assert!(matches!(read::<Flag>(json!(1.0)), Field::Invalid(_)));
    }

    #[test]
    fn text_keeps_blank() {
        assert_eq!(read::<Text>(json!("")), Field::Value(""));
        assert!(matches!(read::<Text>(json!(5)), Field::Invalid(_)));
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
            json!("-0001-01-01T00:00:00Z"),
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
            ActionCode::read(&AttributeValue::S("DELETE".into())),
            Some(ActionCode::Delete)
        );
        for bad in [json!("delete"), json!(""), json!("MERGE"), json!(1)] {
            assert_eq!(ActionCode::read(&attr(bad)), None);
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
            Field::Value(BoolOrText::Text("true"))
        );
        assert_eq!(read::<BoolOrText>(json!(null)), Field::Null);
        assert!(matches!(read::<BoolOrText>(json!(1)), Field::Invalid(_)));
    }
}

//! Lenient fields: a payload field is absent, null (or blank), a value of the
//! expected kind, or something else. Parsing never fails on a field's type, so
//! validation can report every problem at once instead of the first one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::pointer::{Pointer, Problems};

/// The type a known field must have, and how to read it from JSON leniently.
pub trait FieldKind: Sized {
    /// What the field must be, as said in a problem detail.
    const EXPECTED: &'static str;
    /// Whether `""` means "no value": senders write `""` for empty ids,
    /// numbers and dates. Text keeps `""` as a value.
    const BLANK_IS_NULL: bool = true;

    /// The value, or the JSON given back when it is not of this kind.
    fn from_json(value: Value) -> Result<Self, Value>;

    /// Problems inside a well-typed value (fields of an object, list items).
    fn check_nested(&self, _at: &Pointer<'_>, _problems: &mut Problems) {}
}

/// A known payload field as received.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<T> {
    #[default]
    Absent,
    /// `null`, or `""` for kinds where blank means no value.
    Null,
    Value(T),
    /// Present, but not of the expected kind; kept for the problem report.
    Invalid(Value),
}

impl<T> Field<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(value) => Some(value),
            _ => None,
        }
    }

    pub fn into_value(self) -> Option<T> {
        match self {
            Field::Value(value) => Some(value),
            _ => None,
        }
    }
}

impl<T: FieldKind> Field<T> {
    pub fn from_json(value: Value) -> Self {
        match value {
            Value::Null => Field::Null,
            Value::String(s) if s.is_empty() && T::BLANK_IS_NULL => Field::Null,
            other => match T::from_json(other) {
                Ok(value) => Field::Value(value),
                Err(value) => Field::Invalid(value),
            },
        }
    }

    /// Reports a value of the wrong kind here, and problems nested inside a good one.
    pub fn check(&self, at: &Pointer<'_>, problems: &mut Problems) {
        match self {
            Field::Invalid(_) => problems.push(at, format!("must be {}", T::EXPECTED)),
            Field::Value(value) => value.check_nested(at, problems),
            Field::Absent | Field::Null => {}
        }
    }

    /// As `check`, and reports a missing or null value too.
    pub fn check_required(&self, at: &Pointer<'_>, problems: &mut Problems) {
        match self {
            Field::Absent | Field::Null => {
                problems.push(at, format!("is required and must be {}", T::EXPECTED))
            }
            _ => self.check(at, problems),
        }
    }
}

impl<'de, T: FieldKind> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Field::from_json)
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Absent fields are skipped by the models; should one get here, null.
            Field::Absent | Field::Null => serializer.serialize_none(),
            Field::Value(value) => value.serialize(serializer),
            Field::Invalid(value) => value.serialize(serializer),
        }
    }
}

/// Lists of a known kind; each item is checked, with its index in the pointer.
impl<T: FieldKind> FieldKind for Vec<Field<T>> {
    const EXPECTED: &'static str = "an array";

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Array(items) => Ok(items.into_iter().map(Field::from_json).collect()),
            other => Err(other),
        }
    }

    fn check_nested(&self, at: &Pointer<'_>, problems: &mut Problems) {
        for (index, item) in self.iter().enumerate() {
            item.check(&at.index(index), problems);
        }
    }
}

/// Declares a payload object: every documented field as a lenient `Field`,
/// named exactly as the sender spells it, plus every unknown field kept as
/// received. Generates the type check of every field.
macro_rules! payload_model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $kind:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[allow(non_snake_case)]
        #[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(default, skip_serializing_if = "crate::model::Field::is_absent")]
                pub $field: $crate::model::Field<$kind>,
            )*
            /// Fields the schema does not list, kept and stored as received.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $crate::model::FieldKind for $name {
            const EXPECTED: &'static str = "an object";

            fn from_json(value: serde_json::Value) -> Result<Self, serde_json::Value> {
                match value {
                    // Cannot fail: every field is lenient and unknown ones are kept.
                    serde_json::Value::Object(_) => {
                        serde_json::from_value(value).map_err(|_| serde_json::Value::Null)
                    }
                    other => Err(other),
                }
            }

            fn check_nested(
                &self,
                at: &$crate::model::Pointer<'_>,
                problems: &mut $crate::model::Problems,
            ) {
                $(
                    self.$field.check(
                        &at.key(stringify!($field).trim_start_matches("r#")),
                        problems,
                    );
                )*
            }
        }
    };
}
pub(crate) use payload_model;

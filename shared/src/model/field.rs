//! Lenient fields: a payload field is absent, null (or blank), a value of the
//! expected kind, or something else. Parsing never fails on a field's type, so
//! validation can report every problem at once instead of the first one.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use super::pointer::{Pointer, Problems};
use crate::attribute::ToAttribute;

/// The type a known field must have, how to read it from JSON leniently, and
/// how it is stored.
pub trait FieldKind: Sized + ToAttribute {
    /// What the field must be, as said in a problem detail.
    const EXPECTED: &'static str;
    /// Whether `""` means "no value": senders write `""` for empty ids,
    /// numbers and dates. Text keeps `""` as a value.
    const BLANK_IS_NULL: bool = true;
    /// Whether the field is kept in the stored state (secrets are not).
    const STORED: bool = true;

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

impl<T: ToAttribute> ToAttribute for Field<T> {
    fn to_attribute(&self) -> AttributeValue {
        match self {
            // Absent fields are skipped by the models; should one get here, null.
            Field::Absent | Field::Null => AttributeValue::Null(true),
            Field::Value(value) => value.to_attribute(),
            Field::Invalid(value) => value.to_attribute(),
        }
    }
}

impl<T: ToAttribute> ToAttribute for Vec<Field<T>> {
    fn to_attribute(&self) -> AttributeValue {
        crate::attribute::list(self)
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

/// A field's name as the sender spells it: the identifier, or the name given
/// after `=` where the identifier cannot be that name (`type_ = "type"`).
macro_rules! field_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident = $name:literal) => {
        $name
    };
}
pub(crate) use field_name;

/// Declares a payload object: every documented field as a lenient `Field`,
/// named as the sender spells it, plus every unknown field kept as received.
/// Generates reading from JSON (by moving, one match per member), the type
/// check of every field, and the stored form (an M of every present field).
macro_rules! payload_model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident $(= $rename:literal)? : $kind:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[allow(non_snake_case)]
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $crate::model::Field<$kind>,
            )*
            /// Fields the schema does not list, kept and stored as received.
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $crate::model::FieldKind for $name {
            const EXPECTED: &'static str = "an object";

            fn from_json(value: serde_json::Value) -> Result<Self, serde_json::Value> {
                let serde_json::Value::Object(members) = value else {
                    return Err(value);
                };
                let mut model = Self::default();
                for (key, value) in members {
                    match key.as_str() {
                        $(
                            $crate::model::field_name!($field $(= $rename)?) => {
                                model.$field = $crate::model::Field::from_json(value)
                            }
                        )*
                        _ => {
                            model.extra.insert(key, value);
                        }
                    }
                }
                Ok(model)
            }

            fn check_nested(
                &self,
                at: &$crate::model::Pointer<'_>,
                problems: &mut $crate::model::Problems,
            ) {
                $(
                    self.$field.check(
                        &at.key($crate::model::field_name!($field $(= $rename)?)),
                        problems,
                    );
                )*
            }
        }

        impl $crate::attribute::ToAttribute for $name {
            fn to_attribute(&self) -> aws_sdk_dynamodb::types::AttributeValue {
                aws_sdk_dynamodb::types::AttributeValue::M(self.to_members())
            }
        }

        impl $name {
            /// The stored form: every present field and every unknown one.
            pub fn to_members(&self) -> $crate::attribute::Members {
                use $crate::attribute::ToAttribute;
                let fields = [$( $crate::model::field_name!($field $(= $rename)?) ),*].len();
                let mut members =
                    $crate::attribute::Members::with_capacity(fields + self.extra.len());
                for (key, value) in &self.extra {
                    members.insert(key.clone(), value.to_attribute());
                }
                $(
                    if <$kind as $crate::model::FieldKind>::STORED && !self.$field.is_absent() {
                        members.insert(
                            $crate::model::field_name!($field $(= $rename)?).to_owned(),
                            self.$field.to_attribute(),
                        );
                    }
                )*
                members
            }
        }
    };
}
pub(crate) use payload_model;

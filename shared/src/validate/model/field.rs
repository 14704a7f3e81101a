//! Lenient fields: a payload field is absent, null (or blank), a value of the
//! expected kind, or something else. Reading never fails on a field's type, so
//! validation can report every problem at once instead of the first one.
//!
//! Models borrow from the parsed payload (see `crate::validate::json::parse`): reading
//! one copies nothing; only the stored form is built as new attributes.

use aws_sdk_dynamodb::types::AttributeValue;

use super::pointer::{Pointer, Problems};
use crate::storage::attribute::ToAttribute;

/// The type a known field must have, how to read it leniently from the
/// parsed payload, and how it is stored.
pub trait FieldKind<'a>: Sized + ToAttribute {
    /// What the field must be, as said in a problem detail.
    const EXPECTED: &'static str;
    /// Whether `""` means "no value": senders write `""` for empty ids,
    /// numbers and dates. Text keeps `""` as a value.
    const BLANK_IS_NULL: bool = true;
    /// Whether the field is kept in the stored state (secrets are not).
    const STORED: bool = true;

    /// The value, or `None` when the attribute is not of this kind.
    fn read(value: &'a AttributeValue) -> Option<Self>;

    /// Problems inside a well-typed value (fields of an object, list items).
    fn check_nested(&self, _at: &Pointer<'_>, _problems: &mut Problems) {}
}

/// A known payload field as received.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<'a, T> {
    #[default]
    Absent,
    /// `null`, or `""` for kinds where blank means no value.
    Null,
    Value(T),
    /// Present, but not of the expected kind; kept for the problem report.
    Invalid(&'a AttributeValue),
}

impl<T> Field<'_, T> {
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

impl<'a, T: FieldKind<'a>> Field<'a, T> {
    pub fn read(value: &'a AttributeValue) -> Self {
        match value {
            AttributeValue::Null(_) => Field::Null,
            AttributeValue::S(text) if text.is_empty() && T::BLANK_IS_NULL => Field::Null,
            other => T::read(other).map_or(Field::Invalid(other), Field::Value),
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
        self.check_present(at, problems);
        self.check(at, problems);
    }

    /// Reports a missing or null value (a wrong type is `check`'s to report).
    pub fn check_present(&self, at: &Pointer<'_>, problems: &mut Problems) {
        if matches!(self, Field::Absent | Field::Null) {
            problems.push(at, format!("is required and must be {}", T::EXPECTED))
        }
    }
}

impl<T: ToAttribute> ToAttribute for Field<'_, T> {
    fn to_attribute(&self) -> AttributeValue {
        match self {
            // Absent fields are skipped by the models; should one get here, null.
            Field::Absent | Field::Null => AttributeValue::Null(true),
            Field::Value(value) => value.to_attribute(),
            Field::Invalid(value) => (*value).clone(),
        }
    }
}

impl<T: ToAttribute> ToAttribute for Vec<Field<'_, T>> {
    fn to_attribute(&self) -> AttributeValue {
        crate::storage::attribute::list(self)
    }
}

/// Lists of a known kind; each item is checked, with its index in the pointer.
impl<'a, T: FieldKind<'a>> FieldKind<'a> for Vec<Field<'a, T>> {
    const EXPECTED: &'static str = "an array";

    fn read(value: &'a AttributeValue) -> Option<Self> {
        match value {
            AttributeValue::L(items) => Some(items.iter().map(Field::read).collect()),
            _ => None,
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

/// Declares payload objects, one or several: every documented field as a
/// lenient `Field`, named as the sender spells it, plus every unknown field
/// kept as received. Generates reading (one match per member), the type check
/// of every field, and the stored form (an M of every present field and every
/// unknown one).
macro_rules! payload_model {
    ($( $(#[$meta:meta])* pub struct $name:ident<'a> { $($fields:tt)* } )+) => {
        $(
            $crate::validate::model::payload_model! {
                @one $(#[$meta])* pub struct $name<'a> { $($fields)* }
            }
        )+
    };
    (
        @one
        $(#[$meta:meta])*
        pub struct $name:ident<'a> {
            $( $(#[$field_meta:meta])* $field:ident $(= $rename:literal)? : $kind:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[allow(non_snake_case)]
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name<'a> {
            $(
                $(#[$field_meta])*
                pub $field: $crate::validate::model::Field<'a, $kind>,
            )*
            /// Fields the schema does not list, kept and stored as received.
            pub extra: Vec<(&'a str, &'a aws_sdk_dynamodb::types::AttributeValue)>,
        }

        impl<'a> $crate::validate::model::FieldKind<'a> for $name<'a> {
            const EXPECTED: &'static str = "an object";

            fn read(value: &'a aws_sdk_dynamodb::types::AttributeValue) -> Option<Self> {
                let aws_sdk_dynamodb::types::AttributeValue::M(members) = value else {
                    return None;
                };
                let mut model = Self::default();
                for (key, value) in members {
                    match key.as_str() {
                        $(
                            $crate::validate::model::field_name!($field $(= $rename)?) => {
                                model.$field = $crate::validate::model::Field::read(value)
                            }
                        )*
                        _ => model.extra.push((key, value)),
                    }
                }
                Some(model)
            }

            fn check_nested(
                &self,
                at: &$crate::validate::model::Pointer<'_>,
                problems: &mut $crate::validate::model::Problems,
            ) {
                $(
                    self.$field.check(
                        &at.key($crate::validate::model::field_name!($field $(= $rename)?)),
                        problems,
                    );
                )*
            }
        }

        impl<'a> $crate::storage::attribute::ToAttribute for $name<'a> {
            fn to_attribute(&self) -> aws_sdk_dynamodb::types::AttributeValue {
                aws_sdk_dynamodb::types::AttributeValue::M(self.to_members())
            }
        }

        impl<'a> $name<'a> {
            /// The stored form: every present field and every unknown one.
            pub fn to_members(&self) -> $crate::storage::attribute::Members {
                use $crate::storage::attribute::ToAttribute;
                let fields = [$( $crate::validate::model::field_name!($field $(= $rename)?) ),*].len();
                let mut members =
                    $crate::storage::attribute::Members::with_capacity(fields + self.extra.len());
                for (key, value) in &self.extra {
                    members.insert((*key).to_owned(), (*value).clone());
                }
                $(
                    if <$kind as $crate::validate::model::FieldKind<'a>>::STORED && !self.$field.is_absent() {
                        members.insert(
                            $crate::validate::model::field_name!($field $(= $rename)?).to_owned(),
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

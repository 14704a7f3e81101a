//! Typed models of the two webhook payloads, parsed leniently and validated
//! with every problem reported at once.

mod field;
mod kinds;
mod numbers;
mod pointer;

pub mod chargeover;
pub mod occ;

pub(crate) use field::{field_name, payload_model};
pub use field::{Field, FieldKind};
pub use kinds::{
    ActionCode, AnyList, AnyObject, BoolOrText, DeliveryMethod, Flag, Id, Money, Secret,
    SourceDateTime, Tags, Text, TextOrNumber,
};
pub use numbers::unstorable_numbers;
pub use pointer::{FieldError, Pointer, Problems};

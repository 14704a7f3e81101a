//! Numbers DynamoDB cannot hold: magnitude from 1e126 up, or below 1e-130.
//! Such a delivery can never be stored, so it is refused (422) rather than
//! failing the write and being retried forever.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{FieldError, Pointer, Problems};

/// Each unstorable number with its pointer, sorted (members come in no set
/// order).
pub fn unstorable_numbers(value: &AttributeValue) -> Vec<FieldError> {
    let mut problems = Problems::default();
    walk(value, &Pointer::Root, &mut problems);
    problems.into_sorted()
}

/// Parsed numbers are written out in full, without an exponent, so only a
/// long one can be out of range; short ones are not parsed again.
const SHORTEST_UNSTORABLE: usize = 40;

fn walk(value: &AttributeValue, at: &Pointer<'_>, problems: &mut Problems) {
    match value {
        AttributeValue::N(text) if text.len() >= SHORTEST_UNSTORABLE => {
            let magnitude = text.parse::<f64>().map_or(0.0, f64::abs);
            if magnitude >= 1e126 || (magnitude > 0.0 && magnitude < 1e-130) {
                problems.push(at, "is a number outside the range DynamoDB can store");
            }
        }
        AttributeValue::L(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &at.index(index), problems);
            }
        }
        AttributeValue::M(members) => {
            for (key, member) in members {
                walk(member, &at.key(key), problems);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dynamodb_cannot_hold() {
        let value = crate::validate::json::parse(
            br#"{"ok": [1, -2.5, 1e125, 1e-129, 18446744073709551615, 0.0], "big": 1e126, "tiny": [-1e-131]}"#,
        )
        .unwrap();
        let pointers: Vec<String> = unstorable_numbers(&value)
            .into_iter()
            .map(|e| e.pointer)
            .collect();
        assert_eq!(pointers, ["/big", "/tiny/0"]);
    }
}

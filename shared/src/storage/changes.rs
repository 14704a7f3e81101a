//! An `UpdateItem` expression built change by change, with a placeholder for
//! every attribute name (some, such as `source` and `status`, are reserved
//! words) and every value.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::storage::claim::{Placed, CLAIM_SUFFIX};

#[derive(Debug, Default)]
pub struct Changes {
    set: Vec<String>,
    remove: Vec<String>,
    add: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Changes {
    /// `name = value`.
    pub fn set(&mut self, name: &str, value: AttributeValue) {
        let (name, value) = (self.name(name), self.value(value));
        self.set.push(format!("{name} = {value}"));
    }

    /// `name = value` unless the item already has `name`.
    pub fn set_once(&mut self, name: &str, value: AttributeValue) {
        let (name, value) = (self.name(name), self.value(value));
        self.set
            .push(format!("{name} = if_not_exists({name}, {value})"));
    }

    /// `name = value`, or no `name` at all when there is no value.
    pub fn set_or_remove(&mut self, name: &str, value: Option<AttributeValue>) {
        match value {
            Some(value) => self.set(name, value),
            None => self.remove(name),
        }
    }

    /// Attribute `name` as `placed`: `name` when inline, `name_s3` when
    /// claimed, the other form removed; both removed when there is none.
    pub fn set_placed(&mut self, name: &str, placed: Option<Placed>) {
        let claimed = format!("{name}{CLAIM_SUFFIX}");
        match placed {
            Some(Placed::Inline(value)) => {
                self.set(name, value);
                self.remove(&claimed);
            }
            Some(Placed::Claimed(claim)) => {
                self.set(&claimed, claim.to_attribute());
                self.remove(name);
            }
            None => {
                self.remove(name);
                self.remove(&claimed);
            }
        }
    }

    pub fn remove(&mut self, name: &str) {
        let name = self.name(name);
        self.remove.push(name);
    }

    /// Adds `number` to `name` (from 0 when absent).
    pub fn add(&mut self, name: &str, number: AttributeValue) {
        let (name, number) = (self.name(name), self.value(number));
        self.add.push(format!("{name} {number}"));
    }

    /// The placeholder of `name`, for a condition on the same item.
    pub fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| *n == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_owned());
        placeholder
    }

    /// A placeholder for `value`, for a condition on the same item.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    pub fn expression(&self) -> String {
        let clauses = [
            ("SET", &self.set, ", "),
            ("REMOVE", &self.remove, ", "),
            ("ADD", &self.add, ", "),
        ];
        clauses
            .iter()
            .filter(|(_, parts, _)| !parts.is_empty())
            .map(|(verb, parts, separator)| format!("{verb} {}", parts.join(separator)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The expression and its placeholders: (expression, names, values).
    pub fn into_parts(
        self,
    ) -> (
        String,
        HashMap<String, String>,
        Option<HashMap<String, AttributeValue>>,
    ) {
        let expression = self.expression();
        let values = (!self.values.is_empty()).then_some(self.values);
        (expression, self.names, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::attribute::{n, s};

    #[test]
    fn placeholders_for_every_name_and_value() {
        let mut changes = Changes::default();
        changes.set("source", s("x"));
        changes.set_once("received_at", s("t"));
        changes.set_or_remove("contact", None);
        changes.add("version", n(1));
        let condition_name = changes.name("source");
        let (expression, names, values) = changes.into_parts();
        assert_eq!(
            expression,
            "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) REMOVE #n2 ADD #n3 :v2"
        );
        assert_eq!(condition_name, "#n0");
        assert_eq!(names["#n2"], "contact");
        assert_eq!(values.unwrap()[":v2"], n(1));
    }
}

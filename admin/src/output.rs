//! What a command shows: a human-readable text (tables) and the same data as
//! JSON (`--json`).

use aws_sdk_dynamodb::types::AttributeValue;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use webhook_shared::storage::document::to_json;
use webhook_shared::storage::Item;

#[derive(Debug)]
pub struct Shown {
    pub json: Value,
    pub text: String,
}

impl Shown {
    pub fn print(&self, json: bool) {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&self.json).unwrap_or_default()
            );
        } else {
            println!("{}", self.text);
        }
    }
}

/// An item as JSON, members in name order.
pub fn item_json(item: &Item) -> Value {
    let document = to_json(&AttributeValue::M(item.clone()));
    serde_json::from_slice(&document).unwrap_or(Value::Null)
}

/// A table with these column headers.
pub fn table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.to_vec());
    table
}

/// An attribute's value in a table cell: text as it is, the rest as JSON
/// (documents pretty-printed).
pub fn cell(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Object(_) | Value::Array(_) => {
            serde_json::to_string_pretty(value).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// Every member of an item as a row: name, value.
pub fn attributes_table(item: &Value) -> String {
    let mut table = table(&["attribute", "value"]);
    if let Value::Object(members) = item {
        for (name, value) in members {
            table.add_row(vec![name.clone(), cell(value)]);
        }
    }
    table.to_string()
}

/// A progress bar over `len` steps, `message` after the count (`{elapsed}`
/// allowed); hidden unless `shown`.
pub fn progress(len: usize, shown: bool, message: &str) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let template = format!("{{bar:40}} {{pos}}/{{len}} {message}");
    ProgressBar::new(len as u64).with_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

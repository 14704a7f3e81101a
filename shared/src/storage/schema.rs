//! The one table's definition: the functions' key names, the local stack's
//! `create-table`, and the template test all read it from here. The handle
//! every read and write goes through is `storage::Table`.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

/// The table's shape (its name is configuration: `TABLE_NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDefinition {
    /// String hash key.
    pub partition_key: &'static str,
    /// String range key.
    pub sort_key: &'static str,
    /// Epoch-seconds attribute DynamoDB expires items by.
    pub ttl_attribute: &'static str,
    /// `PAY_PER_REQUEST`: deliveries are bursty and rare.
    pub billing_mode: &'static str,
    /// Stream of every change for downstream consumers.
    pub stream_view_type: &'static str,
}

pub const TABLE: TableDefinition = TableDefinition {
    partition_key: "pk",
    sort_key: "sk",
    ttl_attribute: "expires_at",
    billing_mode: "PAY_PER_REQUEST",
    stream_view_type: "NEW_AND_OLD_IMAGES",
};

/// Key names used when building items.
pub const PK: &str = TABLE.partition_key;
pub const SK: &str = TABLE.sort_key;
pub const TTL: &str = TABLE.ttl_attribute;

impl TableDefinition {
    /// Creates the table as defined (local stack and tests; AWS uses the template),
    /// waits until it is active and turns TTL on.
    pub async fn create(
        &self,
        client: &Client,
        table_name: &str,
    ) -> Result<(), aws_sdk_dynamodb::Error> {
        let key = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
        };
        let string_attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        client
            .create_table()
            .table_name(table_name)
            .key_schema(key(self.partition_key, KeyType::Hash)?)
            .key_schema(key(self.sort_key, KeyType::Range)?)
            .attribute_definitions(string_attribute(self.partition_key)?)
            .attribute_definitions(string_attribute(self.sort_key)?)
            .billing_mode(BillingMode::from(self.billing_mode))
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(self.stream_view_type))
                    .build()?,
            )
            .send()
            .await?;
        client
            .update_time_to_live()
            .table_name(table_name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(self.ttl_attribute)
                    .build()?,
            )
            .send()
            .await?;
        Ok(())
    }
}

//! The one table's definition: the functions' key names, the local stack's
//! `create-table`, and the template test all read it from here. The handle
//! every read and write goes through is `storage::Table`.

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

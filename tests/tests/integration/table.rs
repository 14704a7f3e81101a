//! The table created from the shared definition is what the contract says.

use integration_tests::{fresh_table, local_aws};
use webhook_shared::storage::schema::TABLE;

#[tokio::test]
async fn table_from_the_shared_definition() {
    let aws = local_aws().await;
    let table = fresh_table(&aws).await;
    let description = table
        .client
        .describe_table()
        .table_name(&table.name)
        .send()
        .await
        .expect("describe")
        .table
        .expect("table description");

    let keys: Vec<(String, String)> = description
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("pk".to_owned(), "HASH".to_owned()),
            ("sk".to_owned(), "RANGE".to_owned())
        ]
    );
    for attribute in description.attribute_definitions() {
        assert_eq!(attribute.attribute_type().as_str(), "S");
    }
    assert_eq!(
        description
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str()),
        Some(TABLE.billing_mode)
    );
    let stream = description.stream_specification().expect("stream");
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some(TABLE.stream_view_type)
    );

    let ttl = table
        .client
        .describe_time_to_live()
        .table_name(&table.name)
        .send()
        .await
        .expect("describe ttl")
        .time_to_live_description
        .expect("ttl description");
    assert_eq!(ttl.attribute_name(), Some(TABLE.ttl_attribute));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
}

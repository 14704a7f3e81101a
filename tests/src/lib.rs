//! Helpers for the integration tests: the local moto server (started by
//! `make test` through scripts/with-moto.sh), fresh tables, requests built from
//! API Gateway events, and reading items back.

use std::sync::atomic::{AtomicU32, Ordering};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use webhook_shared::storage::Table;
use webhook_shared::table::TABLE;

/// The moto endpoint. Integration tests never skip: without it they fail.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("MOTO_ENDPOINT is not set: run the integration tests with `make test` (or scripts/with-moto.sh cargo test)")
    })
}

/// SDK settings for the local server (or for `endpoint`, e.g. a closed port).
pub async fn aws_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint)
        .load()
        .await
}

pub async fn local_aws() -> SdkConfig {
    aws_config_for(&moto_endpoint()).await
}

/// A new, empty table made from the shared definition; unique per test.
pub async fn fresh_table(aws: &SdkConfig) -> Table {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "webhooks-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let client = aws_sdk_dynamodb::Client::new(aws);
    TABLE
        .create(&client, &name)
        .await
        .expect("create table on moto");
    Table::new(client, name)
}

/// Every item of the table as JSON, ordered by key.
pub async fn all_items(table: &Table) -> Vec<Value> {
    let output = table
        .client
        .scan()
        .table_name(&table.name)
        .consistent_read(true)
        .send()
        .await
        .expect("scan");
    let mut items: Vec<Value> = output
        .items()
        .iter()
        .map(|item| serde_dynamo::from_item(item.clone()).expect("item as JSON"))
        .collect();
    items.sort_by_key(|item| (item["pk"].to_string(), item["sk"].to_string()));
    items
}

/// The item with this key, if any.
pub async fn item(table: &Table, pk: &str, sk: &str) -> Option<Value> {
    all_items(table)
        .await
        .into_iter()
        .find(|item| item["pk"] == pk && item["sk"] == sk)
}

/// A request as API Gateway (HTTP API, payload 2.0) hands it to the function,
/// read through `lambda_http::request::from_str` like the real runtime does.
pub fn api_request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), json!(value)))
        .collect();
    let event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "tests"},
            "requestId": "tests", "routeKey": format!("{method} {path}"), "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000", "timeEpoch": 1795348800000u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).expect("API Gateway event")
}

/// The sample events of events/, with the status (and outcome) each must get.
pub struct SampleEvent {
    pub name: String,
    pub function: String,
    pub status: u16,
    pub outcome: Option<String>,
    pub request: Request,
}

pub fn sample_events() -> Vec<SampleEvent> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let expected: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is a JSON list");
    expected
        .into_iter()
        .map(|expectation| {
            let name = expectation["event"]
                .as_str()
                .expect("event name")
                .to_owned();
            let text =
                std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("event file");
            SampleEvent {
                request: lambda_http::request::from_str(&text)
                    .expect("event file is an API Gateway event"),
                function: expectation["function"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                status: expectation["status"].as_u64().unwrap_or_default() as u16,
                outcome: expectation["outcome"].as_str().map(str::to_owned),
                name,
            }
        })
        .collect()
}

/// The local development secrets (scripts/local.env).
pub fn local_secret(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/local.env");
    std::fs::read_to_string(path)
        .expect("scripts/local.env")
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")).map(str::to_owned))
        .unwrap_or_else(|| panic!("{name} in scripts/local.env"))
}

/// A response's body as JSON.
pub fn body_json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("JSON body")
}

pub fn content_type(response: &Response<Body>) -> &str {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

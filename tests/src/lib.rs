//! Helpers for the integration tests: the local moto server (started by
//! `make test` through scripts/with-moto.sh, or here), fresh tables, requests built from
//! API Gateway events, and reading items back.

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_lc_rs::hmac;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Credentials, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use webhook_shared::pipeline::Common;
use webhook_shared::storage::document;
use webhook_shared::storage::schema::{TableDefinition, TABLE};
use webhook_shared::storage::Table;
use webhook_shared::storage::{Bucket, Item, Store};

/// The moto endpoint: `MOTO_ENDPOINT` when set (`make test` starts one for
/// all test binaries), else a server this test process starts from `.venv/`
/// and takes along when it ends. Integration tests never skip: without moto
/// they fail.
pub fn moto_endpoint() -> String {
    static STARTED: OnceLock<Moto> = OnceLock::new();
    match std::env::var("MOTO_ENDPOINT") {
        Ok(endpoint) => endpoint,
        Err(_) => STARTED.get_or_init(Moto::start).endpoint.clone(),
    }
}

/// A moto server started by this process. It exits when its standard input
/// closes: the pipe is held here (in `server`) until the process ends,
/// however it ends.
struct Moto {
    endpoint: String,
    _server: Child,
}

impl Moto {
    fn start() -> Moto {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root");
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "moto is not installed ({} is missing): run `make tools` once, then `cargo test` again",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(python)
            .arg(root.join("scripts/moto_server.py"))
            .args(["--until-stdin-closes", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            // moto reads MOTO_PORT itself; the port is given above.
            .env_remove("MOTO_PORT")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        for _ in 0..600 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Moto {
                    endpoint: format!("http://127.0.0.1:{port}"),
                    _server: child,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moto exited at start ({status}): run `make tools` to reinstall it");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto did not listen on port {port} within a minute");
    }
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
    let table = Table::new(aws_sdk_dynamodb::Client::new(aws), name);
    create_table(&table, &TABLE)
        .await
        .expect("create table on moto");
    table
}

/// Creates `table` as `definition` says and turns TTL on: the tests' tables
/// and the local stack's (on AWS the template creates it).
pub async fn create_table(
    table: &Table,
    definition: &TableDefinition,
) -> Result<(), aws_sdk_dynamodb::Error> {
    let (client, table_name) = (&table.client, &table.name);
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
        .key_schema(key(definition.partition_key, KeyType::Hash)?)
        .key_schema(key(definition.sort_key, KeyType::Range)?)
        .attribute_definitions(string_attribute(definition.partition_key)?)
        .attribute_definitions(string_attribute(definition.sort_key)?)
        .billing_mode(BillingMode::from(definition.billing_mode))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(definition.stream_view_type))
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
                .attribute_name(definition.ttl_attribute)
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}

/// A new, empty table and bucket; unique per test.
pub async fn fresh_store(aws: &SdkConfig) -> Store {
    Store {
        table: fresh_table(aws).await,
        bucket: fresh_bucket(aws).await,
    }
}

/// A new, empty bucket on moto; unique per test.
pub async fn fresh_bucket(aws: &SdkConfig) -> Bucket {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "payloads-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let client = aws_sdk_s3::Client::new(aws);
    client
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("create bucket on moto");
    Bucket {
        client: client.into(),
        name,
    }
}

/// A bucket at a closed port: a delivery that should make no S3 call fails
/// (503) if it makes one.
pub async fn unreachable_bucket() -> Bucket {
    let aws = aws_config_for("http://127.0.0.1:9").await;
    Bucket {
        client: aws_sdk_s3::Client::new(&aws).into(),
        name: "unreachable".into(),
    }
}

/// A table and bucket at a closed port: every call fails to connect.
pub async fn unreachable_store() -> Store {
    let aws = aws_config_for("http://127.0.0.1:9").await;
    Store {
        table: Table::new(aws_sdk_dynamodb::Client::new(&aws), "unreachable"),
        bucket: unreachable_bucket().await,
    }
}

/// Every item of the table as stored (claims as `<attribute>_s3`), all pages.
pub async fn raw_items(table: &Table) -> Vec<Item> {
    table.scan().await.expect("scan")
}

/// Items as JSON, ordered by key.
fn as_json(items: Vec<Item>) -> Vec<Value> {
    let mut items: Vec<Value> = items
        .into_iter()
        .map(|item| {
            serde_json::from_slice(&document::to_json(&AttributeValue::M(item)))
                .expect("item as JSON")
        })
        .collect();
    items.sort_by_key(|item| (item["pk"].to_string(), item["sk"].to_string()));
    items
}

/// Every item of the table as JSON, ordered by key (claims as `<attribute>_s3`).
pub async fn all_items(table: &Table) -> Vec<Value> {
    as_json(raw_items(table).await)
}

/// Every item as JSON with each `<attribute>_s3` read from the bucket in its
/// place, as readers of the table do; ordered by key.
pub async fn resolved_items(store: &Store) -> Vec<Value> {
    let mut items = raw_items(&store.table).await;
    for item in &mut items {
        store.bucket.resolve(item).await.expect("claims resolve");
    }
    as_json(items)
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
    api_request_bytes(method, path, headers, body.as_bytes())
}

/// [`api_request`] for any bytes: a body that is not UTF-8 arrives
/// base64-encoded, as API Gateway sends it.
pub fn api_request_bytes(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Request {
    let (body, base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (STANDARD.encode(body), true),
    };
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
        "isBase64Encoded": base64
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

pub use aws_lc_rs::hmac::{HMAC_SHA256, HMAC_SHA512};

/// A signature as OCC sends it: base64 of the HMAC of `body` with `key`.
pub fn hmac_base64(algorithm: hmac::Algorithm, key: &[u8], body: &[u8]) -> String {
    STANDARD.encode(hmac::sign(&hmac::Key::new(algorithm, key), body))
}

/// The IAM actions the SDK clients built by [`recording_clients`] were
/// called for. A `TransactWriteItems` is authorised as its items' actions
/// (there is no IAM action of that name), so each of its items counts as the
/// action it is: `PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`.
#[derive(Debug, Clone, Default)]
pub struct CalledActions(Arc<Mutex<BTreeSet<String>>>);

impl CalledActions {
    pub fn taken(&self) -> BTreeSet<String> {
        std::mem::take(&mut self.0.lock().expect("lock"))
    }

    fn record(&self, action: String) {
        self.0.lock().expect("lock").insert(action);
    }
}

/// Records into [`CalledActions`] with the service's IAM prefix.
#[derive(Debug)]
struct Recorder {
    prefix: &'static str,
    actions: CalledActions,
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "CalledActions"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|metadata| metadata.name().to_owned())
            .unwrap_or_default();
        let transaction = context.input().downcast_ref::<TransactWriteItemsInput>();
        match transaction {
            Some(input) => {
                for item in input.transact_items() {
                    let action = if item.put().is_some() {
                        "PutItem"
                    } else if item.update().is_some() {
                        "UpdateItem"
                    } else if item.delete().is_some() {
                        "DeleteItem"
                    } else {
                        "ConditionCheckItem"
                    };
                    self.actions.record(format!("{}:{action}", self.prefix));
                }
            }
            None => self.actions.record(format!("{}:{operation}", self.prefix)),
        }
        Ok(())
    }
}

/// DynamoDB, Secrets Manager and S3 clients for `aws` that record every
/// action they are called for into `actions`.
pub fn recording_clients(
    aws: &SdkConfig,
    actions: &CalledActions,
) -> (
    aws_sdk_dynamodb::Client,
    aws_sdk_secretsmanager::Client,
    aws_sdk_s3::Client,
) {
    let recorder = |prefix| Recorder {
        prefix,
        actions: actions.clone(),
    };
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(aws)
        .interceptor(recorder("dynamodb"))
        .build();
    let secrets = aws_sdk_secretsmanager::config::Builder::from(aws)
        .interceptor(recorder("secretsmanager"))
        .build();
    let s3 = aws_sdk_s3::config::Builder::from(aws)
        .interceptor(recorder("s3"))
        .build();
    (
        aws_sdk_dynamodb::Client::from_conf(dynamodb),
        aws_sdk_secretsmanager::Client::from_conf(secrets),
        aws_sdk_s3::Client::from_conf(s3),
    )
}

/// The body of a cancelled `TransactWriteItems` exactly as DynamoDB sends it
/// (HTTP 400, awsJson1.0): a reason per item, in request order; `None`
/// carries no message. Captured from DynamoDB in boto/boto3#2657 and
/// pynamodb/PynamoDB#1144; the messages are the documented ones.
pub fn transaction_canceled(codes: &[&str]) -> String {
    let reasons: Vec<Value> = codes
        .iter()
        .map(|code| match *code {
            "None" => json!({"Code": "None"}),
            code => json!({"Code": code, "Message": reason_message(code)}),
        })
        .collect();
    json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "CancellationReasons": reasons,
        "Message": format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    })
    .to_string()
}

fn reason_message(code: &str) -> &'static str {
    match code {
        "ConditionalCheckFailed" => "The conditional request failed",
        "TransactionConflict" => "Transaction is ongoing for the item",
        "ThrottlingError" => "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly.",
        "ProvisionedThroughputExceeded" => "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
        "ItemCollectionSizeLimitExceeded" => "Collection size exceeded",
        "ValidationError" => "Item size to update has exceeded the maximum allowed size",
        _ => "",
    }
}

/// The body of a DynamoDB error of `error_type` (HTTP 400 unless a server error).
pub fn dynamodb_error(error_type: &str, message: &str) -> String {
    json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{error_type}"), "message": message})
        .to_string()
}

/// Every value of the metrics' `Outcome` dimension: a delivery's outcome, or
/// the problem it was refused with (one of each kind of refusal).
pub fn metric_outcomes() -> impl Iterator<Item = &'static str> {
    use webhook_shared::{Outcome, Rejection};
    let refusals = [
        Rejection::MethodNotAllowed,
        Rejection::PayloadTooLarge { limit: 1 },
        Rejection::UnsupportedMediaType,
        Rejection::Unauthorized,
        Rejection::MalformedJson(String::new()),
        Rejection::InvalidPayload(Vec::new()),
        Rejection::StorageUnavailable,
    ];
    let outcomes = [Outcome::Applied, Outcome::Duplicate, Outcome::Stale].map(Outcome::as_str);
    let slugs = refusals.map(|refusal| refusal.slug());
    outcomes.into_iter().chain(slugs)
}

/// Metrics into a buffer nobody reads (tests that look at them make their own).
pub fn test_metrics() -> webhook_shared::operate::metrics::Metrics {
    webhook_shared::operate::metrics::Metrics::new(
        webhook_shared::operate::metrics::DEFAULT_NAMESPACE,
        "test",
        webhook_shared::operate::metrics::Sink::Memory(Default::default()),
    )
}

/// What every receiver holds, on `store` with `keys`, as deployed by default
/// (1 MiB bodies, events kept), its metrics into a buffer nobody reads.
pub fn test_common<K: webhook_shared::authenticate::secret::WebhookKeys>(
    store: Store,
    keys: webhook_shared::authenticate::secret::SecretStore<K>,
) -> Common<Store, K> {
    Common {
        store,
        keys,
        max_body_bytes: webhook_shared::operate::config::DEFAULT_MAX_BODY_BYTES,
        retention_days: None,
        metrics: test_metrics(),
    }
}

/// The ChargeOver function's receiver on `store`, with `secret`, as deployed
/// by default (America/Chicago, 1 MiB bodies, events kept).
pub fn chargeover_receiver(
    store: &Store,
    secret: &str,
) -> chargeover_main_contact::Receiver<Store> {
    use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
    chargeover_main_contact::Receiver {
        common: test_common(
            store.clone(),
            SecretStore::fixed(
                chargeover_main_contact::auth::TokenKeys::from_secret(
                    &SecretValue::parse(secret).expect("secret"),
                )
                .expect("keys"),
            ),
        ),
        timezone: jiff::tz::TimeZone::get(chargeover_main_contact::config::DEFAULT_TIMEZONE)
            .expect("zone"),
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    }
}

/// The OCC function's receiver on `store`, with the base64 key `key_text`,
/// as deployed by default (every digest, 1 MiB bodies, events kept).
pub fn occ_receiver(store: &Store, key_text: &str) -> occ_organization::Receiver<Store> {
    use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
    occ_organization::Receiver {
        common: test_common(
            store.clone(),
            SecretStore::fixed(
                occ_organization::auth::HmacKeys::from_secret(
                    &SecretValue::parse(key_text).expect("secret"),
                )
                .expect("keys"),
            ),
        ),
        algorithms: occ_organization::auth::Algorithms::ALL,
    }
}

//! What DynamoDB answers that a local server does not produce (throttling,
//! server errors, every reason of a cancelled transaction), injected with the
//! SDK's own test tooling answering exactly as DynamoDB does, wire bodies
//! included, so the SDK parses and classifies them as in production.

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chargeover_main_contact::auth::TokenKeys;
use integration_tests::{
    api_request, body_json, dynamodb_error, hmac_base64, test_common, transaction_canceled,
    HMAC_SHA512,
};
use jiff::tz::TimeZone;
use lambda_http::{Context, Request, RequestExt};
use occ_organization::auth::{Algorithms, HmacKeys};
use serde_json::Value;
use tokio::time::Instant;
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Table;
use webhook_shared::storage::{Bucket, Store};

const SECRET: &str = "fault-test-secret";
const OCC_KEY: &[u8] = b"fault-test-occ-key";

/// A client answering with `rules` in order, with the SDK's standard retries
/// (3 attempts) as in production, here without the wait.
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules, |config| {
        config.retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
    })
}

/// A store on the mocked DynamoDB; any S3 call fails (none is expected).
fn store(client: Client) -> Store {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_sdk_s3::config::Credentials::for_tests())
            .build(),
    );
    Store {
        table: Table::new(client, "webhooks"),
        bucket: Bucket {
            client: s3.into(),
            name: "unreachable".into(),
        },
    }
}

fn chargeover(client: Client) -> chargeover_main_contact::Receiver<Store> {
    chargeover_main_contact::Receiver {
        common: test_common(
            store(client),
            SecretStore::fixed(
                TokenKeys::from_secret(&SecretValue::parse(SECRET).unwrap()).unwrap(),
            ),
        ),
        timezone: TimeZone::UTC,
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    }
}

fn occ(client: Client) -> occ_organization::Receiver<Store> {
    let key = base64_text(OCC_KEY);
    occ_organization::Receiver {
        common: test_common(
            store(client),
            SecretStore::fixed(HmacKeys::from_secret(&SecretValue::parse(&key).unwrap()).unwrap()),
        ),
        algorithms: Algorithms::ALL,
    }
}

fn base64_text(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn chargeover_request() -> Request {
    let body = serde_json::json!({
        "context_str": "customer", "context_id": 7, "event": "super",
        "data": {"customer": {"customer_id": 7, "mod_datetime": "2024-01-01 00:00:00"}}
    })
    .to_string();
    api_request(
        "POST",
        "/chargeover/customer/main-contact",
        &[
            ("content-type", "application/json"),
            ("x-chargeover-key", SECRET),
        ],
        &body,
    )
}

fn occ_request() -> Request {
    let body = r#"{"organization": {"id": "or-1", "name": "Acme"}}"#;
    let signature = hmac_base64(HMAC_SHA512, OCC_KEY, body.as_bytes());
    api_request(
        "POST",
        "/occ/organization",
        &[
            ("content-type", "application/json"),
            ("x-oracle-cc-webhook-signature-sha512", &signature),
        ],
        body,
    )
}

/// `request` as Lambda hands it over, due `time` from now.
fn due_in(request: Request, time: Duration) -> Request {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let mut context = Context::default();
    context.deadline = (now + time).as_millis() as u64;
    request.with_lambda_context(context)
}

/// Status and body of an answer.
fn answer(response: lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = body_json(&response);
    (status, body)
}

fn cancelled(codes: &[&str]) -> Rule {
    mock!(Client::transact_write_items)
        .sequence()
        .http_status(400, Some(transaction_canceled(codes)))
        .build()
}

fn transact_ok() -> Rule {
    mock!(Client::transact_write_items).then_output(|| TransactWriteItemsOutput::builder().build())
}

fn put_ok() -> Rule {
    mock!(Client::put_item).then_output(|| PutItemOutput::builder().build())
}

/// Fails three writes with an HTTP error response as DynamoDB sends it (so
/// the SDK classifies and retries it as it would in production), then succeeds.
fn failing_then_ok(status: u16, error_type: &str) -> Rule {
    let body = dynamodb_error(error_type, "injected");
    mock!(Client::transact_write_items)
        .sequence()
        .http_status(status, Some(body))
        .times(3)
        .output(|| TransactWriteItemsOutput::builder().build())
        .build()
}

async fn status_then_retry(rule: Rule) {
    let receiver = chargeover(client(&[&rule]));
    let (status, problem) =
        answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
    assert_eq!(status, 503);
    assert_eq!(problem["status"], 503);
    // The SDK tried three times within the delivery; then the sender retries it.
    let calls_after_failure = rule.num_calls();
    assert_eq!(calls_after_failure, 3);
    let (status, body) =
        answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
    assert_eq!((status, body["outcome"].as_str()), (200, Some("applied")));
    assert_eq!(
        rule.num_calls(),
        calls_after_failure + 1,
        "one write for the retried delivery"
    );
}

#[tokio::test]
async fn throttling_answers_503_then_the_retry_applies() {
    status_then_retry(failing_then_ok(400, "ThrottlingException")).await;
}

#[tokio::test]
async fn provisioned_throughput_exceeded_answers_503() {
    status_then_retry(failing_then_ok(
        400,
        "ProvisionedThroughputExceededException",
    ))
    .await;
}

#[tokio::test]
async fn server_errors_answer_503() {
    status_then_retry(failing_then_ok(500, "InternalServerError")).await;
}

/// A transaction held by another one, or throttled, is tried again (the SDK
/// does not retry a cancellation itself) and applies.
#[tokio::test]
async fn conflicts_and_throttled_transactions_are_tried_again() {
    for codes in [
        ["None", "TransactionConflict"],
        ["TransactionConflict", "None"],
        ["None", "ThrottlingError"],
        ["None", "ProvisionedThroughputExceeded"],
    ] {
        let busy = cancelled(&codes);
        let ok = transact_ok();
        let receiver = chargeover(client(&[&busy, &ok]));
        let (status, body) =
            answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
        assert_eq!(
            (status, body["outcome"].as_str()),
            (200, Some("applied")),
            "{codes:?}"
        );
        assert_eq!((busy.num_calls(), ok.num_calls()), (1, 1), "{codes:?}");
    }
}

/// Throttled without end: the retries stop while the invocation still has
/// time to answer 503 (the sender retries), not at the Lambda timeout.
/// Tokio's clock is paused (it moves only when every task waits), so the
/// time measured is the retries' own, whatever the machine's speed.
#[tokio::test(start_paused = true)]
async fn retries_end_before_the_invocation_deadline() {
    let throttled = mock!(Client::transact_write_items)
        .sequence()
        .http_status(
            400,
            Some(transaction_canceled(&["None", "ThrottlingError"])),
        )
        .repeatedly()
        .build();
    let receiver = chargeover(client(&[&throttled]));
    let budget = Duration::from_secs(3);
    let started = Instant::now();
    let request = due_in(chargeover_request(), budget);
    let (status, _) = answer(chargeover_main_contact::handle(request, &receiver).await);
    let took = started.elapsed();
    assert_eq!(status, 503);
    assert!(took < budget, "answered after the deadline: {took:?}");
    assert!(
        throttled.num_calls() > 2,
        "tried {} times",
        throttled.num_calls()
    );

    // The same for OCC, whose retries also read the state again.
    let read = mock!(Client::get_item)
        .sequence()
        .output(|| GetItemOutput::builder().build())
        .repeatedly()
        .build();
    let any_order = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&read, &throttled]);
    let receiver = occ(any_order);
    let started = Instant::now();
    let (status, _) =
        answer(occ_organization::handle(due_in(occ_request(), budget), &receiver).await);
    assert_eq!(status, 503);
    assert!(started.elapsed() < budget);
}

#[tokio::test]
async fn failed_conditions_are_duplicate_or_stale() {
    // The event exists: a duplicate, whatever the state's condition says.
    let duplicate = cancelled(&["ConditionalCheckFailed", "ConditionalCheckFailed"]);
    let receiver = chargeover(client(&[&duplicate]));
    let (status, body) =
        answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
    assert_eq!((status, body["outcome"].as_str()), (200, Some("duplicate")));

    // Newer state is stored: the event alone is recorded, as stale.
    let newer = cancelled(&["None", "ConditionalCheckFailed"]);
    let event = put_ok();
    let receiver = chargeover(client(&[&newer, &event]));
    let (status, body) =
        answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
    assert_eq!((status, body["outcome"].as_str()), (200, Some("stale")));
    assert_eq!(event.num_calls(), 1);

    // The stale event's write may meet a transaction in progress: tried again.
    let conflict = mock!(Client::put_item)
        .sequence()
        .http_status(
            400,
            Some(dynamodb_error(
                "TransactionConflictException",
                "Transaction is ongoing for the item",
            )),
        )
        .build();
    let newer = cancelled(&["None", "ConditionalCheckFailed"]);
    let event = put_ok();
    let receiver = chargeover(client(&[&newer, &conflict, &event]));
    let (status, body) =
        answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
    assert_eq!((status, body["outcome"].as_str()), (200, Some("stale")));
    assert_eq!((conflict.num_calls(), event.num_calls()), (1, 1));
}

/// A validation error on an item cannot pass by retrying: refused with 422
/// and quarantined. A reason DynamoDB may add later is a 503.
#[tokio::test]
async fn validation_errors_are_quarantined_and_unknown_reasons_retried_by_the_sender() {
    let invalid = cancelled(&["None", "ValidationError"]);
    let quarantine = mock!(Client::update_item).then_output(|| UpdateItemOutput::builder().build());
    let receiver = chargeover(client(&[&invalid, &quarantine]));
    let (status, problem) =
        answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
    assert_eq!(status, 422);
    // DynamoDB's own words stay in the log; the sender gets a fixed detail.
    assert_eq!(
        problem["errors"][0]["detail"],
        "cannot be stored: DynamoDB refused the item"
    );
    assert_eq!(quarantine.num_calls(), 1, "quarantined");

    let unknown = cancelled(&["None", "ItemCollectionSizeLimitExceeded"]);
    let receiver = chargeover(client(&[&unknown]));
    let (status, _) =
        answer(chargeover_main_contact::handle(chargeover_request(), &receiver).await);
    assert_eq!(status, 503);
}

/// OCC: the state moved on between its read and its write: read, merge and
/// write again.
#[tokio::test]
async fn occ_reads_again_when_the_state_moved_on() {
    let stored = |version: &str| {
        let version = version.to_owned();
        move || {
            GetItemOutput::builder()
                .item("version", AttributeValue::N(version.clone()))
                .item("organization", AttributeValue::M(Default::default()))
                .build()
        }
    };
    let first_read = mock!(Client::get_item).then_output(stored("1"));
    let moved_on = cancelled(&["None", "ConditionalCheckFailed"]);
    let second_read = mock!(Client::get_item).then_output(stored("2"));
    let ok = transact_ok();
    let receiver = occ(client(&[&first_read, &moved_on, &second_read, &ok]));
    let (status, body) = answer(occ_organization::handle(occ_request(), &receiver).await);
    assert_eq!((status, body["outcome"].as_str()), (200, Some("applied")));
    assert_eq!(
        [
            first_read.num_calls(),
            moved_on.num_calls(),
            second_read.num_calls(),
            ok.num_calls()
        ],
        [1, 1, 1, 1]
    );
}

/// OCC: a stored state whose version cannot be read is corrupt: 503, never
/// overwritten, never retried in a loop.
#[tokio::test]
async fn occ_corrupt_version_is_a_503_without_a_write() {
    for version in [
        AttributeValue::N("1.5".into()),
        AttributeValue::S("3".into()),
        AttributeValue::N("0".into()),
    ] {
        let version_text = format!("{version:?}");
        let read = mock!(Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .item("version", version.clone())
                .item("organization", AttributeValue::M(Default::default()))
                .build()
        });
        let write = transact_ok();
        let receiver = occ(client(&[&read, &write]));
        let (status, _) = answer(occ_organization::handle(occ_request(), &receiver).await);
        assert_eq!(status, 503, "{version_text}");
        assert_eq!(
            (read.num_calls(), write.num_calls()),
            (1, 0),
            "{version_text}"
        );
    }
}

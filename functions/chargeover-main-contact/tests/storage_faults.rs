//! Storage faults a local server cannot produce (throttling, server errors),
//! injected with the SDK's own test tooling: the delivery answers 503 and the
//! sender's retry then applies exactly once.

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chargeover_main_contact::auth::TokenKeys;
use chargeover_main_contact::{handle, Receiver};
use jiff::tz::TimeZone;
use lambda_http::http::StatusCode;
use webhook_shared::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Table;

const SECRET: &str = "fault-test-secret";

fn receiver(client: Client) -> Receiver<Table> {
    Receiver {
        store: Table::new(client, "webhooks"),
        keys: SecretStore::fixed(
            TokenKeys::from_secret(&SecretValue::parse(SECRET).unwrap()).unwrap(),
        ),
        timezone: TimeZone::UTC,
        max_body_bytes: 1024 * 1024,
        retention_days: None,
    }
}

fn request() -> lambda_http::Request {
    let body = serde_json::json!({
        "context_str": "customer", "context_id": 7, "event": "super",
        "data": {"customer": {"customer_id": 7, "mod_datetime": "2024-01-01 00:00:00"}}
    })
    .to_string();
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/json")
        .header("x-chargeover-key", SECRET)
        .body(lambda_http::Body::from(body))
        .unwrap()
}

/// Fails three writes with an HTTP error response as DynamoDB sends it (so
/// the SDK classifies and retries it as it would in production), then succeeds.
fn failing_then_ok(status: u16, error_type: &str) -> Rule {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{error_type}","message":"injected"}}"#
    );
    mock!(Client::transact_write_items)
        .sequence()
        .http_status(status, Some(body))
        .times(3)
        .output(|| TransactWriteItemsOutput::builder().build())
        .build()
}

async fn status_then_retry(rule: Rule) {
    // As in production: the SDK's standard retries (3 attempts), here without the wait.
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule], |config| {
        config.retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
    });
    let receiver = receiver(client);
    let first = handle(request(), &receiver).await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.headers()["content-type"], "application/problem+json");
    // The SDK tried three times within the delivery; then the sender retries it.
    let calls_after_failure = rule.num_calls();
    assert_eq!(calls_after_failure, 3);
    let retried = handle(request(), &receiver).await;
    assert_eq!(retried.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(retried.body().as_ref()).unwrap();
    assert_eq!(body["outcome"], "applied");
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

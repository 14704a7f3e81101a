//! Every delivery writes one Embedded Metric Format line: for every outcome
//! a delivery can have, the line is valid against AWS's published EMF JSON
//! schema (vendored in tests/fixtures, draft-07) and carries every value its
//! directives name.

use std::sync::{Arc, Mutex};

use chargeover_main_contact::auth::TokenKeys;
use integration_tests::{api_request, fresh_store, local_aws, unreachable_store};
use serde_json::{json, Value};
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::operate::metrics::{Metrics, Sink};
use webhook_shared::pipeline::Common;
use webhook_shared::storage::Store;

const SECRET: &str = "metrics-test-secret";
const PATH: &str = "/chargeover/customer/main-contact";

fn receiver(
    store: &Store,
    buffer: &Arc<Mutex<Vec<u8>>>,
) -> chargeover_main_contact::Receiver<Store> {
    chargeover_main_contact::Receiver {
        common: Common {
            store: store.clone(),
            keys: SecretStore::fixed(
                TokenKeys::from_secret(&SecretValue::parse(SECRET).unwrap()).unwrap(),
            ),
            max_body_bytes: 4096,
            retention_days: None,
            metrics: Metrics::new(
                "WebhookReceiversTest",
                "chargeover-main-contact",
                Sink::Memory(buffer.clone()),
            ),
        },
        timezone: jiff::tz::TimeZone::UTC,
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    }
}

fn change(modified: &str) -> String {
    json!({"context_str": "customer", "context_id": 9, "event": "super",
           "data": {"customer": {"customer_id": 9, "mod_datetime": modified}}})
    .to_string()
}

/// The EMF schema, compiled as draft-07 (the only draft it is valid in).
fn emf_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = format!("{}/fixtures/emf-schema.json", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V7);
    compiler.add_resource("emf-schema.json", schema).unwrap();
    let index = compiler.compile("emf-schema.json", &mut schemas).unwrap();
    (schemas, index)
}

#[tokio::test]
async fn every_outcome_writes_one_valid_emf_line() {
    let store = fresh_store(&local_aws().await).await;
    let down = unreachable_store().await;
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let up = receiver(&store, &buffer);
    let broken = receiver(&down, &buffer);
    let json = [
        ("content-type", "application/json"),
        ("x-chargeover-key", SECRET),
    ];
    let cases: Vec<(
        &str,
        &chargeover_main_contact::Receiver<Store>,
        lambda_http::Request,
    )> = vec![
        (
            "applied",
            &up,
            api_request("POST", PATH, &json, &change("2024-01-02 00:00:00")),
        ),
        (
            "duplicate",
            &up,
            api_request("POST", PATH, &json, &change("2024-01-02 00:00:00")),
        ),
        (
            "stale",
            &up,
            api_request("POST", PATH, &json, &change("2024-01-01 00:00:00")),
        ),
        (
            "method-not-allowed",
            &up,
            api_request("GET", PATH, &json, ""),
        ),
        (
            "payload-too-large",
            &up,
            api_request("POST", PATH, &json, &"x".repeat(5000)),
        ),
        (
            "unsupported-media-type",
            &up,
            api_request("POST", PATH, &[("content-type", "text/csv")], "{}"),
        ),
        (
            "unauthorized",
            &up,
            api_request(
                "POST",
                PATH,
                &[
                    ("content-type", "application/json"),
                    ("x-chargeover-key", "no"),
                ],
                "{}",
            ),
        ),
        ("malformed-json", &up, api_request("POST", PATH, &json, "{")),
        (
            "invalid-payload",
            &up,
            api_request("POST", PATH, &json, r#"{"event": "other"}"#),
        ),
        (
            "storage-unavailable",
            &broken,
            api_request("POST", PATH, &json, &change("2024-01-03 00:00:00")),
        ),
    ];
    let expected: Vec<&str> = integration_tests::metric_outcomes().collect();
    assert_eq!(
        cases
            .iter()
            .map(|(outcome, _, _)| *outcome)
            .collect::<Vec<_>>(),
        expected,
        "a case for every outcome the code names"
    );

    let (schemas, index) = emf_schema();
    for (outcome, receiver, request) in cases {
        buffer.lock().unwrap().clear();
        chargeover_main_contact::handle(request, receiver).await;
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "{outcome}: one line");
        assert!(text.ends_with('\n'));
        let line: Value = serde_json::from_str(&text).unwrap();
        if let Err(error) = schemas.validate(&line, index) {
            panic!("{outcome}: not EMF: {error}\n{line}");
        }
        assert_eq!(line["Outcome"], outcome);
        assert_eq!(line["Function"], "chargeover-main-contact");
        let quarantined = ["malformed-json", "invalid-payload"].contains(&outcome);
        assert_eq!(line["Quarantined"], u8::from(quarantined), "{outcome}");
        // What the schema cannot say: every dimension a directive names is a
        // text member of the line, every metric a number member.
        for directive in line["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Namespace"], "WebhookReceiversTest");
            for dimension in directive["Dimensions"][0].as_array().unwrap() {
                assert!(
                    line[dimension.as_str().unwrap()].is_string(),
                    "{outcome}: {dimension}"
                );
            }
            for metric in directive["Metrics"].as_array().unwrap() {
                assert!(
                    line[metric["Name"].as_str().unwrap()].is_number(),
                    "{outcome}: {metric}"
                );
            }
        }
    }
}

#[test]
fn an_invalid_document_is_refused_by_the_schema() {
    let (schemas, index) = emf_schema();
    let wrong_unit = json!({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [
        {"Namespace": "N", "Dimensions": [["Function"]], "Metrics": [{"Name": "Latency", "Unit": "Nanoseconds"}]}]},
        "Function": "f", "Latency": 1});
    assert!(schemas.validate(&wrong_unit, index).is_err());
}

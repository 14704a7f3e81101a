//! `webhook-admin` run as an operator runs it, against moto: the binary,
//! its arguments, its output and its exit code.

use std::process::Command;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::{
    all_items, api_request, body_json, chargeover_receiver, fresh_store, hmac_base64, local_aws,
    moto_endpoint, occ_receiver, resolved_items, HMAC_SHA512,
};
use serde_json::{json, Value};
use webhook_shared::storage::Store;
use webhook_shared::EventId;

const KEY_TEXT: &str = "YWRtaW4tdGVzdC1rZXk=";
const CO_SECRET: &str = "admin-test-secret";

mod recovery;
mod standin;

/// The CLI on `store` with `args`, as an operator's shell runs it.
fn admin_command(store: &Store, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_webhook-admin"));
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", moto_endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("TABLE_NAME", &store.table.name)
        .env("PAYLOAD_BUCKET", &store.bucket.name)
        .env_remove("WEBHOOK_STACK");
    for setting in [
        "CHARGEOVER_API_URL",
        "CHARGEOVER_API_SECRET_ID",
        "OCC_ADMIN_URL",
        "OCC_ADMIN_SECRET_ID",
        "EVENT_RETENTION_DAYS",
    ] {
        command.env_remove(setting);
    }
    command
}

/// Runs the CLI on `store` with `args`: (exit code, stdout, stderr).
fn admin(store: &Store, args: &[&str]) -> (i32, String, String) {
    let output = admin_command(store, args)
        .output()
        .expect("run webhook-admin");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The CLI's `--json` answer.
fn admin_json(store: &Store, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = admin(store, &all);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

fn occ(store: &Store) -> occ_organization::Receiver<Store> {
    occ_receiver(store, KEY_TEXT)
}

fn chargeover(store: &Store) -> chargeover_main_contact::Receiver<Store> {
    chargeover_receiver(store, CO_SECRET)
}

async fn post_occ(store: &Store, body: &str) -> (u16, Value) {
    let key = STANDARD.decode(KEY_TEXT).unwrap();
    let signature = hmac_base64(HMAC_SHA512, &key, body.as_bytes());
    let headers = [
        ("content-type", "application/json"),
        ("x-oracle-cc-webhook-signature-sha512", signature.as_str()),
    ];
    let response = occ_organization::handle(
        api_request("POST", "/occ/organization", &headers, body),
        &occ(store),
    )
    .await;
    (response.status().as_u16(), body_json(&response))
}

async fn post_chargeover(store: &Store, body: &str) -> (u16, Value) {
    let headers = [
        ("content-type", "application/json"),
        ("x-chargeover-key", CO_SECRET),
    ];
    let request = api_request("POST", "/chargeover/customer/main-contact", &headers, body);
    let response = chargeover_main_contact::handle(request, &chargeover(store)).await;
    (response.status().as_u16(), body_json(&response))
}

/// A quarantine item as the version before this one wrote it: keyed
/// `<received_at>#<event_id>`, no attempts, the body inline.
async fn legacy_quarantine(store: &Store, pk: &str, body: &str, received_at: &str) -> String {
    let event_id = EventId::of(body.as_bytes()).to_string();
    let problem = json!({"type": "urn:webhook-receivers:problem:invalid-payload", "title": "Invalid payload",
        "status": 422, "detail": "the payload does not match the webhook's schema",
        "errors": [{"pointer": "/organization/parentOrganization/_actionCode", "detail": "must be one of CREATE, UPDATE, DELETE"}]});
    store
        .table
        .client
        .put_item()
        .table_name(&store.table.name)
        .item("pk", AttributeValue::S(pk.into()))
        .item("sk", AttributeValue::S(format!("{received_at}#{event_id}")))
        .item("event_id", AttributeValue::S(event_id.clone()))
        .item("received_at", AttributeValue::S(received_at.into()))
        .item("status", AttributeValue::N("422".into()))
        .item("problem", AttributeValue::S(problem.to_string()))
        .item("body", AttributeValue::S(body.into()))
        .send()
        .await
        .unwrap();
    event_id
}

#[tokio::test]
async fn replay_applies_a_legacy_quarantine_item_once_then_the_retry_is_a_duplicate() {
    let store = fresh_store(&local_aws().await).await;
    // Valid now (say, the model learned a field); refused by the older version.
    let body =
        r#"{"organization": {"id": "or-replay", "name": "Replayed", "customThing": {"a": 1}}}"#;
    let event_id =
        legacy_quarantine(&store, "OCC#REJECTED", body, "2026-11-01T10:00:00.000Z").await;

    let dry = admin_json(&store, &["quarantine", "replay", "--dry-run", &event_id]);
    assert_eq!(dry[0]["replay"], "valid (dry run: nothing written)");
    assert_eq!(
        all_items(&store.table).await.len(),
        1,
        "a dry run writes nothing"
    );

    let replayed = admin_json(&store, &["quarantine", "replay", &event_id]);
    assert_eq!(replayed[0]["replay"], "applied");
    let items = all_items(&store.table).await;
    let state = items
        .iter()
        .find(|i| i["sk"] == "ORGANIZATION")
        .expect("state");
    assert_eq!(state["organization"]["name"], "Replayed");
    assert_eq!(state["event_id"], event_id.as_str());
    assert_eq!(state["received_at"], "2026-11-01T10:00:00.000Z");
    let event = items
        .iter()
        .find(|i| i["sk"] == format!("EVENT#{event_id}"))
        .expect("event record");
    assert_eq!(event["outcome"], "applied");
    let quarantined = items.iter().find(|i| i["pk"] == "OCC#REJECTED").unwrap();
    assert_eq!(quarantined["replay_outcome"], "applied");
    assert!(quarantined["replayed_at"].is_string());

    // Again: nothing more changes.
    let before = all_items(&store.table).await;
    let again = admin_json(&store, &["quarantine", "replay", &event_id]);
    assert_eq!(again[0]["replay"], "already replayed (applied)");
    assert_eq!(all_items(&store.table).await, before);

    // The sender's retry of the original bytes: a duplicate.
    let (status, answer) = post_occ(&store, body).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("duplicate"))
    );
    assert_eq!(all_items(&store.table).await, before);

    // Listed only with --all once replayed.
    assert_eq!(admin_json(&store, &["quarantine", "list"]), json!([]));
    assert_eq!(
        admin_json(&store, &["quarantine", "list", "--all"])[0]["replay_outcome"],
        "applied"
    );
}

/// A ChargeOver delivery replayed keeps the source header it came with.
#[tokio::test]
async fn a_replayed_chargeover_delivery_keeps_its_source() {
    let store = fresh_store(&local_aws().await).await;
    let body = json!({"context_str": "customer", "context_id": 5, "event": "super",
                      "data": {"customer": {"customer_id": 5, "company": "Replayed"}}})
    .to_string();
    let event_id = EventId::of(body.as_bytes()).to_string();
    store
        .table
        .client
        .put_item()
        .table_name(&store.table.name)
        .item("pk", AttributeValue::S("CHARGEOVER#REJECTED".into()))
        .item("sk", AttributeValue::S(format!("QUARANTINE#{event_id}")))
        .item("event_id", AttributeValue::S(event_id.clone()))
        .item(
            "received_at",
            AttributeValue::S("2026-11-02T10:00:00.000Z".into()),
        )
        .item("status", AttributeValue::N("422".into()))
        .item("body", AttributeValue::S(body))
        .item("source", AttributeValue::S("example.chargeover.com".into()))
        .send()
        .await
        .unwrap();
    let replayed = admin_json(&store, &["quarantine", "replay", &event_id]);
    assert_eq!(replayed[0]["replay"], "applied");
    let state = admin_json(&store, &["state", "chargeover", "5"]);
    assert_eq!(state["source"], "example.chargeover.com");
    assert_eq!(state["customer"]["company"], "Replayed");
}

#[tokio::test]
async fn a_body_still_invalid_records_its_problem_and_nothing_else() {
    let store = fresh_store(&local_aws().await).await;
    let (status, _) = post_occ(&store, r#"{"organization": {"id": 7}}"#).await;
    assert_eq!(status, 422);
    let event_id = all_items(&store.table).await[0]["event_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, stdout, _) = admin(&store, &["quarantine", "replay", &event_id]);
    assert_eq!(code, 4, "{stdout}");
    assert!(stdout.contains("refused"), "{stdout}");
    let items = all_items(&store.table).await;
    assert_eq!(items.len(), 1, "nothing else written");
    let problem: Value =
        serde_json::from_str(items[0]["replay_outcome"].as_str().unwrap()).unwrap();
    assert_eq!(problem["errors"][0]["pointer"], "/organization/id");
    // Still listed: a failed replay is not a repair.
    assert_eq!(
        admin_json(&store, &["quarantine", "list"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn state_and_history_of_a_customer_with_a_stale_delivery() {
    let store = fresh_store(&local_aws().await).await;
    let change = |user: u64, modified: &str| {
        json!({"context_str": "customer", "context_id": 413, "event": "super",
               "data": {"customer": {"customer_id": 413, "superuser_id": user, "mod_datetime": modified},
                        "user": {"user_id": user, "customer_id": 413}}})
        .to_string()
    };
    for (user, modified, outcome) in [
        (770, "2024-01-02 10:00:00", "applied"),
        (771, "2024-01-03 10:00:00", "applied"),
        (772, "2024-01-01 10:00:00", "stale"),
    ] {
        let (_, answer) = post_chargeover(&store, &change(user, modified)).await;
        assert_eq!(answer["outcome"], outcome);
    }
    let state = admin_json(&store, &["state", "chargeover", "413"]);
    assert_eq!(state["superuser_id"], 771);
    assert_eq!(state["version"], 2);
    let (code, text, _) = admin(&store, &["state", "chargeover", "413"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("source_modified_at") && text.contains("771"),
        "{text}"
    );

    let history = admin_json(&store, &["history", "chargeover", "413"]);
    let outcomes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["applied", "applied", "stale"],
        "in received order"
    );
    assert_eq!(history[2]["payload"]["data"]["user"]["user_id"], 772);
    let (code, text, _) = admin(&store, &["history", "chargeover", "413"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("3 deliveries") && text.contains("stale"),
        "{text}"
    );

    let (code, _, stderr) = admin(&store, &["state", "chargeover", "414"]);
    assert_eq!(code, 3, "{stderr}");
}

#[tokio::test]
async fn state_of_an_organization_stored_in_s3_is_resolved() {
    let store = fresh_store(&local_aws().await).await;
    let large = "d".repeat(500_000);
    let body =
        json!({"organization": {"id": "or-s3", "name": "Large", "description": large}}).to_string();
    assert_eq!(post_occ(&store, &body).await.0, 200);
    assert!(all_items(&store.table).await[1]["organization_s3"].is_object());
    let state = admin_json(&store, &["state", "occ", "or-s3"]);
    assert_eq!(
        state["organization"]["description"].as_str().unwrap().len(),
        500_000
    );
    assert!(state.get("organization_s3").is_none());
    let (code, text, _) = admin(&store, &["state", "occ", "or-s3"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("Large"),
        "the table shows the resolved document"
    );
    assert_eq!(
        resolved_items(&store).await[1]["organization"]["name"],
        "Large"
    );
}

#[tokio::test]
async fn quarantine_list_orders_and_filters() {
    let store = fresh_store(&local_aws().await).await;
    let old = legacy_quarantine(
        &store,
        "OCC#REJECTED",
        r#"{"organization": {}}"#,
        "2020-01-01T00:00:00.000Z",
    )
    .await;
    let (status, _) = post_chargeover(&store, "{").await;
    assert_eq!(status, 400);
    let (status, _) = post_occ(&store, r#"{"organization": {"id": 1}}"#).await;
    assert_eq!(status, 422);

    let all = admin_json(&store, &["quarantine", "list"]);
    let listed: Vec<(&str, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["source"].as_str().unwrap(),
                q["received_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(
        listed[0],
        ("occ", "2020-01-01T00:00:00.000Z"),
        "oldest first"
    );
    assert!(listed[1].1 <= listed[2].1);

    let occ_only = admin_json(&store, &["quarantine", "list", "--source", "occ"]);
    assert!(occ_only
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["source"] == "occ"));
    assert_eq!(occ_only.as_array().unwrap().len(), 2);

    let recent = admin_json(&store, &["quarantine", "list", "--since", "1h"]);
    assert_eq!(recent.as_array().unwrap().len(), 2, "the 2020 one is older");
    assert!(recent
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["event_id"] != old.as_str()));

    let shown = admin_json(&store, &["quarantine", "show", &old]);
    assert_eq!(
        shown["problem"]["errors"][0]["pointer"],
        "/organization/parentOrganization/_actionCode"
    );
    let (code, text, _) = admin(&store, &["quarantine", "list"]);
    assert_eq!(code, 0);
    assert!(text.contains("3 quarantined deliveries"), "{text}");
    let (code, _, _) = admin(
        &store,
        &["quarantine", "show", "0123456789abcdef0123456789abcdef"],
    );
    assert_eq!(code, 3);
}

#[test]
fn every_command_has_an_example_in_its_help() {
    for command in [
        &["state"][..],
        &["history"],
        &["quarantine", "list"],
        &["quarantine", "show"],
        &["quarantine", "replay"],
        &["occ", "failed", "list"],
        &["occ", "failed", "resend"],
        &["reconcile", "chargeover"],
        &["reconcile", "occ"],
        &["gc"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let output = Command::new(env!("CARGO_BIN_EXE_webhook-admin"))
            .args(&args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{command:?}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains("webhook-admin --stack"),
            "{command:?}: {help}"
        );
    }
}

/// Every stack output and parameter the CLI reads with `--stack` is one the
/// template defines.
#[test]
fn the_stack_names_the_cli_reads_are_the_templates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let template: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for name in webhook_admin::target::STACK_NAMES {
        let defined = ["Outputs", "Parameters"]
            .iter()
            .any(|section| template[section].get(name).is_some());
        assert!(defined, "{name} is neither an output nor a parameter");
    }
}

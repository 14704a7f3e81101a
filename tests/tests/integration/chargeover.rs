//! The ChargeOver function end to end: real handler, real SDK client, moto.

use aws_sdk_dynamodb::types::AttributeValue;
use chargeover_main_contact::auth::TokenKeys;
use chargeover_main_contact::{handle, Receiver};
use integration_tests::{
    all_items, api_request, body_json, content_type, fresh_store, item, local_aws, resolved_items,
    test_common, unreachable_store,
};
use jiff::tz::TimeZone;
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use webhook_shared::authenticate::secret::SecretLocation;
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Store;

const SECRET: &str = "SFkJ3fy02n17YxNXm96tCGUKVTOAIBsH";
const PATH: &str = "/chargeover/customer/main-contact";
const PK: &str = "CHARGEOVER#CUSTOMER#413";

fn receiver(store: &Store, secret: &str) -> Receiver<Store> {
    let keys = TokenKeys::from_secret(&SecretValue::parse(secret).unwrap()).unwrap();
    Receiver {
        common: test_common(store.clone(), SecretStore::fixed(keys)),
        timezone: TimeZone::get("America/Chicago").unwrap(),
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A delivery for customer 413 whose main contact is `user_id`, modified at `modified`.
fn delivery(user_id: u64, modified: &str) -> Value {
    let mut customer = fixture("chargeover-customer.json");
    let mut user = fixture("chargeover-user.json");
    customer["superuser_id"] = json!(user_id);
    customer["mod_datetime"] = json!(modified);
    user["user_id"] = json!(user_id);
    user["email"] = json!(format!("user{user_id}@example.com"));
    json!({"context_str": "customer", "context_id": 413, "event": "super",
           "data": {"customer": customer, "user": user}, "security_token": SECRET})
}

async fn post(receiver: &Receiver<Store>, headers: &[(&str, &str)], body: &str) -> Response<Body> {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    handle(api_request("POST", PATH, &all, body), receiver).await
}

async fn post_with_key(receiver: &Receiver<Store>, body: &Value) -> Response<Body> {
    post(
        receiver,
        &[
            ("x-chargeover-key", SECRET),
            ("x-chargeover-source", "example.chargeover.com"),
        ],
        &body.to_string(),
    )
    .await
}

fn assert_no_secrets(items: &[Value]) {
    let text = serde_json::to_string(items).unwrap();
    // Quarantined bodies keep the member names, with their values masked.
    for secret in [SECRET, "never-stored-password"] {
        assert!(!text.contains(secret), "{secret} stored");
    }
}

#[tokio::test]
async fn first_delivery_duplicate_newer_and_stale() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET);

    // First delivery: applied, version 1.
    let first = delivery(770, "2017-10-05 17:51:22");
    let response = post_with_key(&receiver, &first).await;
    assert_eq!(response.status(), 200);
    let answer = body_json(&response);
    assert_eq!(answer["outcome"], "applied");
    let first_id = answer["event_id"].as_str().unwrap().to_owned();
    assert_eq!(first_id.len(), 32);

    let state = item(&store.table, PK, "MAIN_CONTACT").await.unwrap();
    let mut expected_customer = first["data"]["customer"].clone();
    // Normalised: blank ids become null; everything else as sent.
    expected_customer["parent_customer_id"] = Value::Null;
    let mut expected_contact = first["data"]["user"].clone();
    expected_contact.as_object_mut().unwrap().remove("password");
    assert_eq!(
        state,
        json!({
            "pk": PK, "sk": "MAIN_CONTACT", "customer_id": 413,
            "customer": expected_customer, "contact": expected_contact,
            "superuser_id": 770, "source_modified_at": "2017-10-05T22:51:22.000000000Z",
            "source": "example.chargeover.com", "event_id": first_id,
            "received_at": state["received_at"], "version": 1
        })
    );
    let received_at = state["received_at"].as_str().unwrap();
    assert!(
        received_at.ends_with('Z') && received_at.len() == 24,
        "{received_at}"
    );

    let event = item(&store.table, PK, &format!("EVENT#{first_id}"))
        .await
        .unwrap();
    let mut expected_payload = first.clone();
    expected_payload
        .as_object_mut()
        .unwrap()
        .remove("security_token");
    expected_payload["data"]["user"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    assert_eq!(
        event,
        json!({"pk": PK, "sk": format!("EVENT#{first_id}"), "event_id": first_id,
               "received_at": event["received_at"], "outcome": "applied", "payload": expected_payload})
    );

    // The same bytes again: duplicate, nothing changes.
    let before = all_items(&store.table).await;
    let response = post_with_key(&receiver, &first).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_json(&response),
        json!({"outcome": "duplicate", "event_id": first_id})
    );
    assert_eq!(all_items(&store.table).await, before);

    // A newer change: applied, version 2, contact replaced.
    let newer = delivery(771, "2017-10-06 09:00:00");
    let response = post_with_key(&receiver, &newer).await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    let state = item(&store.table, PK, "MAIN_CONTACT").await.unwrap();
    assert_eq!(state["version"], 2);
    assert_eq!(state["superuser_id"], 771);
    assert_eq!(state["contact"]["user_id"], 771);
    assert_eq!(state["contact"]["email"], "user771@example.com");
    assert_eq!(
        state["source_modified_at"],
        "2017-10-06T14:00:00.000000000Z"
    );

    // An older one, late: stale. Its event is recorded; the state stays.
    let late = delivery(769, "2017-10-05 20:00:00");
    let response = post_with_key(&receiver, &late).await;
    assert_eq!(response.status(), 200);
    let answer = body_json(&response);
    assert_eq!(answer["outcome"], "stale");
    assert_eq!(item(&store.table, PK, "MAIN_CONTACT").await.unwrap(), state);
    let stale_event = item(
        &store.table,
        PK,
        &format!("EVENT#{}", answer["event_id"].as_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(stale_event["outcome"], "stale");
    // Delivered again: duplicate.
    assert_eq!(
        body_json(&post_with_key(&receiver, &late).await)["outcome"],
        "duplicate"
    );

    let items = all_items(&store.table).await;
    assert_eq!(items.len(), 4, "state + three events");
    assert_no_secrets(&items);
    let text = serde_json::to_string(&items).unwrap();
    assert!(!text.contains("security_token") && !text.contains("\"password\""));
}

#[tokio::test]
async fn offset_datetimes_order_against_local_ones() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET);
    // 17:51:22 Chicago (CDT) is 22:51:22Z; 17:00:00-05:00 is 22:00:00Z: older.
    post_with_key(&receiver, &delivery(770, "2017-10-05 17:51:22")).await;
    let response = post_with_key(&receiver, &delivery(771, "2017-10-05T17:00:00-05:00")).await;
    assert_eq!(body_json(&response)["outcome"], "stale");
    let response = post_with_key(&receiver, &delivery(772, "2017-10-05T23:00:00Z")).await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    // No datetime: applies in arrival order and leaves no source time.
    let mut undated = delivery(773, "");
    undated["data"]["customer"]["mod_datetime"] = Value::Null;
    assert_eq!(
        body_json(&post_with_key(&receiver, &undated).await)["outcome"],
        "applied"
    );
    let state = item(&store.table, PK, "MAIN_CONTACT").await.unwrap();
    assert_eq!(state["version"], 3);
    assert!(state.get("source_modified_at").is_none());
}

/// Fractional seconds order deliveries: half a second older is stale.
#[tokio::test]
async fn fractional_seconds_order_deliveries() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET);
    let outcome = |response: Response<Body>| body_json(&response)["outcome"].clone();
    let newer = delivery(770, "2022-10-25T13:50:45.75Z");
    assert_eq!(outcome(post_with_key(&receiver, &newer).await), "applied");
    let state = item(&store.table, PK, "MAIN_CONTACT").await.unwrap();
    assert_eq!(
        state["source_modified_at"],
        "2022-10-25T13:50:45.750000000Z"
    );

    let half_a_second_older = delivery(771, "2022-10-25T08:50:45.25-05:00");
    assert_eq!(
        outcome(post_with_key(&receiver, &half_a_second_older).await),
        "stale"
    );
    let same_instant = delivery(772, "2022-10-25T08:50:45.750-05:00");
    assert_eq!(
        outcome(post_with_key(&receiver, &same_instant).await),
        "applied"
    );
    let later = delivery(773, "2022-10-25T13:50:45.7500001Z");
    assert_eq!(outcome(post_with_key(&receiver, &later).await), "applied");
}

/// Earlier versions stored whole seconds (`...:45Z`); a delivery within that
/// second is not known to be older, so it applies, and one from an earlier
/// second is still stale.
#[tokio::test]
async fn whole_seconds_stored_by_earlier_versions_still_order() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET);
    let outcome = |response: Response<Body>| body_json(&response)["outcome"].clone();
    let legacy = |time: &str| {
        store
            .table
            .client
            .put_item()
            .table_name(&store.table.name)
            .item("pk", AttributeValue::S(PK.into()))
            .item("sk", AttributeValue::S("MAIN_CONTACT".into()))
            .item("version", AttributeValue::N("4".into()))
            .item("source_modified_at", AttributeValue::S(time.into()))
            .send()
    };
    legacy("2022-10-25T13:50:45Z").await.unwrap();
    let earlier_second = delivery(770, "2022-10-25T13:50:44.9Z");
    assert_eq!(
        outcome(post_with_key(&receiver, &earlier_second).await),
        "stale"
    );
    let same_second = delivery(771, "2022-10-25T13:50:45.2Z");
    assert_eq!(
        outcome(post_with_key(&receiver, &same_second).await),
        "applied"
    );
    let state = item(&store.table, PK, "MAIN_CONTACT").await.unwrap();
    assert_eq!(state["version"], 5);
    assert_eq!(
        state["source_modified_at"],
        "2022-10-25T13:50:45.200000000Z"
    );
}

#[tokio::test]
async fn no_contact_and_no_superuser() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET);
    post_with_key(&receiver, &delivery(770, "2017-10-05 17:51:22")).await;
    let mut without = delivery(0, "2017-10-07 10:00:00");
    without["data"].as_object_mut().unwrap().remove("user");
    let response = post(
        &receiver,
        &[("x-chargeover-key", SECRET)],
        &without.to_string(),
    )
    .await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    let state = item(&store.table, PK, "MAIN_CONTACT").await.unwrap();
    for gone in ["contact", "superuser_id", "source"] {
        assert!(state.get(gone).is_none(), "{gone} removed");
    }
    assert_eq!(state["customer"]["superuser_id"], 0);
}

#[tokio::test]
async fn token_in_header_body_both_wrong_or_absent() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET);
    let with_token = delivery(770, "2017-10-05 17:51:22");
    let mut without_token = with_token.clone();
    without_token
        .as_object_mut()
        .unwrap()
        .remove("security_token");
    let mut wrong_token = with_token.clone();
    wrong_token["security_token"] = json!("wrong");

    let unauthorized: [(&[(&str, &str)], &Value); 5] = [
        (&[], &without_token),
        (&[("x-chargeover-key", "wrong")], &without_token),
        (&[("x-chargeover-key", "wrong")], &with_token),
        (&[("x-chargeover-key", SECRET)], &wrong_token),
        (&[], &wrong_token),
    ];
    for (headers, body) in unauthorized {
        let response = post(&receiver, headers, &body.to_string()).await;
        assert_eq!(response.status(), 401);
        assert_eq!(content_type(&response), "application/problem+json");
        let problem = body_json(&response);
        assert_eq!(problem["detail"], "the request could not be authenticated");
    }
    assert!(
        all_items(&store.table).await.is_empty(),
        "unauthenticated requests are never stored"
    );

    // Header only, body only, both: accepted.
    let header_only = post(
        &receiver,
        &[("X-ChargeOver-Key", SECRET)],
        &without_token.to_string(),
    )
    .await;
    assert_eq!(body_json(&header_only)["outcome"], "applied");
    let body_only = delivery(771, "2017-10-06 00:00:00");
    assert_eq!(
        body_json(&post(&receiver, &[], &body_only.to_string()).await)["outcome"],
        "applied"
    );
    let both = delivery(772, "2017-10-07 00:00:00");
    assert_eq!(
        body_json(&post_with_key(&receiver, &both).await)["outcome"],
        "applied"
    );
}

#[tokio::test]
async fn rotation_accepts_the_previous_secret_from_secrets_manager() {
    let aws = local_aws().await;
    let store = fresh_store(&aws).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let name = format!("chargeover-rotation-{}", std::process::id());
    secrets
        .create_secret()
        .name(&name)
        .secret_string(json!({"current": "new-secret", "previous": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let keys =
        SecretStore::<TokenKeys>::load(&SecretLocation::SecretsManager { secret_id: name }, || {
            secrets.clone()
        })
        .await
        .unwrap();
    let mut receiver = receiver(&store, "unused");
    receiver.common.keys = keys;

    let old = delivery(770, "2017-10-05 17:51:22");
    assert_eq!(post_with_key(&receiver, &old).await.status(), 200);
    let mut new = delivery(771, "2017-10-06 17:51:22");
    new["security_token"] = json!("new-secret");
    assert_eq!(
        post(
            &receiver,
            &[("x-chargeover-key", "new-secret")],
            &new.to_string()
        )
        .await
        .status(),
        200
    );
    let mut neither = delivery(772, "2017-10-07 17:51:22");
    neither["security_token"] = json!("older-secret");
    assert_eq!(
        post(&receiver, &[], &neither.to_string()).await.status(),
        401
    );
}

#[tokio::test]
async fn refuses_to_start_when_the_secret_cannot_be_read() {
    let aws = local_aws().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let missing = SecretLocation::SecretsManager {
        secret_id: "no-such-secret".into(),
    };
    let error = SecretStore::<TokenKeys>::load(&missing, || secrets)
        .await
        .err()
        .unwrap();
    assert!(
        error
            .to_string()
            .contains("could not be read from Secrets Manager"),
        "{error}"
    );
}

#[tokio::test]
async fn request_problems_and_quarantine() {
    let store = fresh_store(&local_aws().await).await;
    let mut receiver = receiver(&store, SECRET);
    receiver.common.max_body_bytes = 64 * 1024;
    let valid = delivery(770, "2017-10-05 17:51:22").to_string();

    // 405, 413, 415: checked before anything else, never stored.
    let get = handle(
        api_request("GET", PATH, &[("x-chargeover-key", SECRET)], ""),
        &receiver,
    )
    .await;
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(64 * 1024));
    assert_eq!(
        post(&receiver, &[("x-chargeover-key", SECRET)], &huge)
            .await
            .status(),
        413
    );
    let form = handle(
        api_request(
            "POST",
            PATH,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-chargeover-key", SECRET),
            ],
            &valid,
        ),
        &receiver,
    )
    .await;
    assert_eq!(form.status(), 415);
    for response in [&get, &form] {
        assert_eq!(content_type(response), "application/problem+json");
    }
    assert!(all_items(&store.table).await.is_empty());

    // 400: malformed JSON, authenticated by the header; quarantined, secret masked.
    let truncated = &valid[..valid.len() - 10];
    let response = post(&receiver, &[("x-chargeover-key", SECRET)], truncated).await;
    assert_eq!(response.status(), 400);
    let problem = body_json(&response);
    assert_eq!(
        problem["type"],
        "urn:webhook-receivers:problem:malformed-json"
    );
    assert_eq!(problem["status"], 400);
    assert_eq!(problem["errors"][0]["pointer"], "");

    // 422: every offending field named by its pointer.
    let mut invalid = delivery(770, "not a date");
    invalid["context_id"] = json!(414);
    invalid["data"]["customer"]["total"] = json!("3400");
    let response = post(
        &receiver,
        &[("x-chargeover-key", SECRET)],
        &invalid.to_string(),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(content_type(&response), "application/problem+json");
    let problem = body_json(&response);
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/data/customer/mod_datetime",
            "/data/customer/total",
            "/data/customer/customer_id"
        ]
    );
    assert_eq!(problem["title"], "Invalid payload");

    // Both are quarantined, with the secret masked, and nothing else stored.
    let items = all_items(&store.table).await;
    assert_eq!(items.len(), 2);
    let statuses: Vec<u64> = items
        .iter()
        .map(|i| i["status"].as_u64().unwrap())
        .collect();
    assert!(statuses.contains(&400) && statuses.contains(&422));
    for quarantined in &items {
        assert_eq!(quarantined["pk"], "CHARGEOVER#REJECTED");
        let sk = quarantined["sk"].as_str().unwrap();
        assert_eq!(
            sk,
            format!("QUARANTINE#{}", quarantined["event_id"].as_str().unwrap())
        );
        assert_eq!(quarantined["attempts"], 1);
        assert_eq!(quarantined["last_received_at"], quarantined["received_at"]);
        let body = quarantined["body"].as_str().unwrap();
        assert!(body.contains("\"security_token\":\"[REDACTED]\""), "{body}");
        let problem: Value =
            serde_json::from_str(quarantined["problem"].as_str().unwrap()).unwrap();
        assert_eq!(problem["status"], quarantined["status"]);
    }
    assert_no_secrets(&items);
}

#[tokio::test]
async fn storage_down_answers_503_and_writes_nothing() {
    // Nothing listens on port 9 of loopback: every call fails to connect.
    let unreachable = unreachable_store().await;
    let receiver = receiver(&unreachable, SECRET);
    let response = post_with_key(&receiver, &delivery(770, "2017-10-05 17:51:22")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(content_type(&response), "application/problem+json");
    assert_eq!(response.headers()["retry-after"], "5");

    // A quarantine that cannot be written asks for a retry too.
    let response = post(&receiver, &[("x-chargeover-key", SECRET)], "{").await;
    assert_eq!(response.status(), 503);

    // Once storage is back, the retried delivery applies exactly once.
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver_on(&store);
    let retried = delivery(770, "2017-10-05 17:51:22");
    assert_eq!(
        body_json(&post_with_key(&receiver, &retried).await)["outcome"],
        "applied"
    );
    assert_eq!(
        body_json(&post_with_key(&receiver, &retried).await)["outcome"],
        "duplicate"
    );
    assert_eq!(all_items(&store.table).await.len(), 2);
}

fn receiver_on(store: &Store) -> Receiver<Store> {
    receiver(store, SECRET)
}

#[tokio::test]
async fn a_delivery_too_large_for_an_item_lands_through_s3() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET);
    // Within MAX_BODY_BYTES (1 MiB) but over DynamoDB's 400 KB item limit.
    let mut huge = delivery(770, "2017-10-05 17:51:22");
    huge["data"]["customer"]["custom_21"] = json!("x".repeat(600 * 1024));
    let response = post_with_key(&receiver, &huge).await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    // The sender's retry: the same bytes, a duplicate.
    let retry = post_with_key(&receiver, &huge).await;
    assert_eq!(body_json(&retry)["outcome"], "duplicate");

    let raw = all_items(&store.table).await;
    assert_eq!(raw.len(), 2, "the event and the state");
    let event_id = body_json(&response)["event_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = raw
        .iter()
        .find(|item| item["sk"] != "MAIN_CONTACT")
        .unwrap();
    assert!(event.get("payload").is_none() && event["payload_s3"]["key"].is_string());
    let state = raw
        .iter()
        .find(|item| item["sk"] == "MAIN_CONTACT")
        .unwrap();
    assert!(state.get("customer").is_none() && state["customer_s3"]["bytes"].is_u64());
    assert_eq!(
        state["contact"]["user_id"], 770,
        "small enough to stay inline"
    );

    // Resolved, everything is as sent (redacted).
    let resolved = resolved_items(&store).await;
    let state = resolved
        .iter()
        .find(|item| item["sk"] == "MAIN_CONTACT")
        .unwrap();
    assert_eq!(
        state["customer"]["custom_21"],
        huge["data"]["customer"]["custom_21"]
    );
    let event = resolved
        .iter()
        .find(|item| item["sk"] == format!("EVENT#{event_id}"))
        .unwrap();
    let mut payload = huge.clone();
    payload.as_object_mut().unwrap().remove("security_token");
    payload["data"]["user"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    assert_eq!(event["payload"], payload);
}

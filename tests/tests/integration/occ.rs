//! The OCC function end to end: real handler, real SDK client, moto.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::{
    all_items, api_request, body_json, content_type, fresh_store, hmac_base64, item, local_aws,
    test_metrics, unreachable_store, HMAC_SHA512,
};
use lambda_http::{Body, Response};
use occ_organization::auth::{Algorithms, HmacKeys};
use occ_organization::{handle, Receiver};
use serde_json::{json, Value};
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::pipeline::Common;
use webhook_shared::storage::Store;

/// The key as the OCC admin shows it (base64 of "integration-test-key").
const KEY_TEXT: &str = "aW50ZWdyYXRpb24tdGVzdC1rZXk=";
const PATH: &str = "/occ/organization";
const PK: &str = "OCC#ORGANIZATION#or-300007";

fn receiver(store: &Store) -> Receiver<Store> {
    let keys = HmacKeys::from_secret(&SecretValue::parse(KEY_TEXT).unwrap()).unwrap();
    Receiver {
        common: Common {
            store: store.clone(),
            keys: SecretStore::fixed(keys),
            max_body_bytes: 64 * 1024,
            retention_days: Some(7),
            metrics: test_metrics(),
        },
        algorithms: Algorithms::ALL,
    }
}

fn sign(body: &str) -> String {
    let key = STANDARD.decode(KEY_TEXT).unwrap();
    hmac_base64(HMAC_SHA512, &key, body.as_bytes())
}

async fn post(receiver: &Receiver<Store>, body: &str) -> Response<Body> {
    let signature = sign(body);
    let headers = [
        ("content-type", "application/json"),
        ("x-oracle-cc-webhook-signature-sha512", signature.as_str()),
    ];
    handle(api_request("POST", PATH, &headers, body), receiver).await
}

async fn post_json(receiver: &Receiver<Store>, body: &Value) -> Value {
    let response = post(receiver, &body.to_string()).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    body_json(&response)
}

fn seed() -> Value {
    let path = format!(
        "{}/../shared/fixtures/occ-organization-seed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn state(store: &Store) -> Value {
    item(&store.table, PK, "ORGANIZATION")
        .await
        .expect("state item")
}

#[tokio::test]
async fn create_full_update_changes_only_null_and_duplicate() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store);

    // Create: the seed example, stored as sent.
    let answer = post_json(&receiver, &seed()).await;
    assert_eq!(answer["outcome"], "applied");
    let event_id = answer["event_id"].as_str().unwrap().to_owned();
    let created = state(&store).await;
    assert_eq!(
        created,
        json!({"pk": PK, "sk": "ORGANIZATION", "organization_id": "or-300007",
               "organization": seed()["organization"], "event_id": event_id,
               "received_at": created["received_at"], "version": 1})
    );
    let event = item(&store.table, PK, &format!("EVENT#{event_id}"))
        .await
        .unwrap();
    assert_eq!(event["outcome"], "applied");
    assert_eq!(event["payload"], seed());
    assert!(
        event["expires_at"].as_i64().unwrap() > 1_700_000_000,
        "retention sets a TTL"
    );

    // The same bytes again: duplicate, nothing changes.
    let before = all_items(&store.table).await;
    let answer = post_json(&receiver, &seed()).await;
    assert_eq!(
        answer,
        json!({"outcome": "duplicate", "event_id": event_id})
    );
    assert_eq!(all_items(&store.table).await, before);

    // A full update replaces what it carries.
    let mut full = seed();
    full["organization"]["name"] = json!("Renamed");
    full["organization"]["relativeRoles"] =
        json!([{"function": "admin", "repositoryId": "400001"}]);
    post_json(&receiver, &full).await;
    let updated = state(&store).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["organization"], full["organization"]);

    // Changes only: add, update and delete items, change one scalar, leave the rest.
    let changes = json!({"organization": {
        "id": "or-300007",
        "description": "Changed",
        "relativeRoles": [
            {"_actionCode": "UPDATE", "function": "superAdmin", "repositoryId": "400001"},
            {"_actionCode": "CREATE", "function": "buyer", "repositoryId": "400009"}
        ],
        "secondaryAddresses": [
            {"address": {"_actionCode": "CREATE", "repositoryId": "a1", "city": "Austin",
                         "types": [{"_actionCode": "CREATE", "id": "SHIPPING", "repositoryId": "t1"}]},
             "addressType": "HQ"},
            {"address": {"_actionCode": "CREATE", "repositoryId": "a2", "city": "Dallas"}, "addressType": "Depot"}
        ]
    }});
    post_json(&receiver, &changes).await;
    let second = json!({"organization": {
        "id": "or-300007",
        "relativeRoles": [{"_actionCode": "DELETE", "repositoryId": "400001"}],
        "secondaryAddresses": [
            {"address": {"_actionCode": "UPDATE", "repositoryId": "a1", "city": "Round Rock"}},
            {"address": {"_actionCode": "DELETE", "repositoryId": "a2"}}
        ]
    }});
    post_json(&receiver, &second).await;
    let merged = state(&store).await;
    assert_eq!(merged["version"], 4);
    let organization = &merged["organization"];
    assert_eq!(organization["description"], "Changed");
    assert_eq!(organization["name"], "Renamed");
    assert_eq!(organization["dunsNumber"], "123456789");
    assert_eq!(
        organization["relativeRoles"],
        json!([{"function": "buyer", "repositoryId": "400009"}])
    );
    assert_eq!(
        organization["secondaryAddresses"],
        json!([{"address": {"repositoryId": "a1", "city": "Round Rock",
                            "types": [{"id": "SHIPPING", "repositoryId": "t1"}]},
                "addressType": "HQ"}])
    );
    assert!(!merged.to_string().contains("_actionCode"));

    // An explicit null clears a property.
    post_json(
        &receiver,
        &json!({"organization": {"id": "or-300007", "description": null}}),
    )
    .await;
    assert_eq!(
        state(&store).await["organization"]["description"],
        Value::Null
    );

    // Each applied delivery left its event.
    let events = all_items(&store.table)
        .await
        .into_iter()
        .filter(|i| i["sk"].as_str().unwrap().starts_with("EVENT#"))
        .count();
    assert_eq!(events, 5);
}

#[tokio::test]
async fn truncated_property_is_kept_until_a_full_delivery() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store);
    let addresses =
        json!([{"address": {"repositoryId": "a1", "city": "Austin"}, "addressType": "HQ"}]);
    post_json(
        &receiver,
        &json!({"organization": {"id": "or-300007", "secondaryAddresses": addresses}}),
    )
    .await;

    post_json(&receiver, &json!({"organization": {"id": "or-300007", "name": "X", "secondaryAddressesIsTruncated": true}})).await;
    let truncated = state(&store).await;
    assert_eq!(truncated["organization"]["secondaryAddresses"], addresses);
    assert_eq!(
        truncated["truncated_properties"],
        json!(["secondaryAddresses"])
    );
    assert!(truncated["organization"]
        .get("secondaryAddressesIsTruncated")
        .is_none());

    post_json(
        &receiver,
        &json!({"organization": {"id": "or-300007", "secondaryAddresses": []}}),
    )
    .await;
    let full = state(&store).await;
    assert_eq!(full["organization"]["secondaryAddresses"], json!([]));
    assert!(full.get("truncated_properties").is_none());
}

#[tokio::test]
async fn concurrent_changes_only_deliveries_both_land() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store);
    post_json(&receiver, &seed()).await;

    let roles = json!({"organization": {"id": "or-300007",
        "relativeRoles": [{"_actionCode": "CREATE", "function": "auditor", "repositoryId": "400100"}]}});
    let addresses = json!({"organization": {"id": "or-300007", "name": "Concurrent",
        "secondaryAddresses": [{"address": {"_actionCode": "CREATE", "repositoryId": "a9", "city": "Waco"}}]}});
    let (first, second) = tokio::join!(
        post_json(&receiver, &roles),
        post_json(&receiver, &addresses)
    );
    assert_eq!(
        (first["outcome"].as_str(), second["outcome"].as_str()),
        (Some("applied"), Some("applied"))
    );

    let merged = state(&store).await;
    assert_eq!(merged["version"], 3);
    let organization = &merged["organization"];
    assert_eq!(organization["relativeRoles"].as_array().unwrap().len(), 6);
    assert!(organization["relativeRoles"].to_string().contains("400100"));
    assert_eq!(
        organization["secondaryAddresses"],
        json!([{"address": {"repositoryId": "a9", "city": "Waco"}}])
    );
    assert_eq!(organization["name"], "Concurrent");
}

#[tokio::test]
async fn request_problems_and_quarantine() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store);
    let valid = seed().to_string();

    let get = handle(api_request("GET", PATH, &[], ""), &receiver).await;
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let huge = format!(
        "{{\"organization\": {{\"id\": \"{}\"}}}}",
        "x".repeat(64 * 1024)
    );
    assert_eq!(post(&receiver, &huge).await.status(), 413);
    let text = handle(
        api_request("POST", PATH, &[("content-type", "text/plain")], &valid),
        &receiver,
    )
    .await;
    assert_eq!(text.status(), 415);

    // Unsigned, wrongly signed, or signed for other bytes: 401, nothing stored.
    let unsigned = handle(
        api_request(
            "POST",
            PATH,
            &[("content-type", "application/json")],
            &valid,
        ),
        &receiver,
    )
    .await;
    assert_eq!(unsigned.status(), 401);
    let other_signature = sign("{}");
    let wrong = handle(
        api_request(
            "POST",
            PATH,
            &[
                ("content-type", "application/json"),
                ("x-oracle-cc-webhook-signature-sha512", &other_signature),
            ],
            &valid,
        ),
        &receiver,
    )
    .await;
    assert_eq!(wrong.status(), 401);
    for response in [&get, &text, &unsigned, &wrong] {
        assert_eq!(content_type(response), "application/problem+json");
    }
    assert!(all_items(&store.table).await.is_empty());

    // Signed but malformed: 400. Signed but invalid: 422 with every pointer.
    let malformed = &valid[..valid.len() - 5];
    let response = post(&receiver, malformed).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        body_json(&response)["type"],
        "urn:webhook-receivers:problem:malformed-json"
    );
    let invalid = json!({"organization": {"id": "", "active": "sometimes",
        "relativeRoles": [{"_actionCode": "REMOVE", "repositoryId": "1"}]}});
    let response = post(&receiver, &invalid.to_string()).await;
    assert_eq!(response.status(), 422);
    let pointers: Vec<String> = body_json(&response)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        pointers,
        [
            "/organization/active",
            "/organization/id",
            "/organization/relativeRoles/0/_actionCode"
        ]
    );

    let items = all_items(&store.table).await;
    assert_eq!(items.len(), 2, "both quarantined, nothing else");
    for quarantined in &items {
        assert_eq!(quarantined["pk"], "OCC#REJECTED");
        assert!(quarantined["expires_at"].is_i64());
        assert!(!quarantined["body"].as_str().unwrap().contains(KEY_TEXT));
    }
}

#[tokio::test]
async fn storage_down_answers_503_and_writes_nothing() {
    let unreachable = unreachable_store().await;
    let response = post(&receiver(&unreachable), &seed().to_string()).await;
    assert_eq!(response.status(), 503);
    assert_eq!(content_type(&response), "application/problem+json");

    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store);
    assert_eq!(post_json(&receiver, &seed()).await["outcome"], "applied");
    assert_eq!(post_json(&receiver, &seed()).await["outcome"], "duplicate");
}

//! Nothing lost at any size: deliveries and merged states too large for a
//! DynamoDB item go to S3 (claim check), quarantined bodies are kept whole,
//! a refused delivery the sender retries is one quarantine item, and
//! deliveries of normal size never call S3. Against moto (DynamoDB and S3).

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::{
    all_items, api_request, body_json, chargeover_receiver, fresh_store, hmac_base64, local_aws,
    occ_receiver, raw_items, resolved_items, HMAC_SHA512,
};
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use webhook_shared::storage::{Bucket, Claim, Store};

const KEY_TEXT: &str = "bGFyZ2UtZG9jdW1lbnRzLWtleQ==";
const CO_SECRET: &str = "large-documents-secret";
const MIB: usize = 1024 * 1024;

fn occ(store: &Store) -> occ_organization::Receiver<Store> {
    occ_receiver(store, KEY_TEXT)
}

fn chargeover(store: &Store) -> chargeover_main_contact::Receiver<Store> {
    chargeover_receiver(store, CO_SECRET)
}

async fn post_occ(receiver: &occ_organization::Receiver<Store>, body: &str) -> Response<Body> {
    let key = STANDARD.decode(KEY_TEXT).unwrap();
    let signature = hmac_base64(HMAC_SHA512, &key, body.as_bytes());
    let headers = [
        ("content-type", "application/json"),
        ("x-oracle-cc-webhook-signature-sha512", signature.as_str()),
    ];
    occ_organization::handle(
        api_request("POST", "/occ/organization", &headers, body),
        receiver,
    )
    .await
}

async fn post_chargeover(
    receiver: &chargeover_main_contact::Receiver<Store>,
    body: &str,
) -> Response<Body> {
    let headers = [
        ("content-type", "application/json"),
        ("x-chargeover-key", CO_SECRET),
    ];
    let path = "/chargeover/customer/main-contact";
    chargeover_main_contact::handle(api_request("POST", path, &headers, body), receiver).await
}

/// `count` secondary addresses, numbered from `from`, of about 290 bytes each.
fn addresses(from: usize, count: usize, action: Option<&str>) -> Vec<Value> {
    (from..from + count)
        .map(|n| {
            let mut address = json!({"repositoryId": format!("addr-{n:05}"), "address1": format!("{n} Main Street"),
                "address2": "Suite 100", "city": "Austin", "companyName": "Acme Corporation International",
                "country": "US", "externalAddressId": format!("ext-{n:05}"), "phoneNumber": "+1 512 555 0100",
                "postalCode": "78701", "state": "TX"});
            if let Some(action) = action {
                address["_actionCode"] = json!(action);
            }
            json!({"address": address, "addressType": "Branch"})
        })
        .collect()
}

fn state_of<'a>(items: &'a [Value], id: &str) -> &'a Value {
    items
        .iter()
        .find(|item| item["pk"] == format!("OCC#ORGANIZATION#{id}") && item["sk"] == "ORGANIZATION")
        .expect("the state item")
}

#[tokio::test]
async fn a_600_kb_organization_is_applied_through_s3() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = occ(&store);
    let body = json!({"organization": {"id": "or-big", "name": "Big",
        "secondaryAddresses": addresses(0, 2_100, None)}})
    .to_string();
    assert!(
        body.len() > 600 * 1024 && body.len() < MIB,
        "{}",
        body.len()
    );
    let response = post_occ(&receiver, &body).await;
    assert_eq!(body_json(&response)["outcome"], "applied");

    let raw = all_items(&store.table).await;
    let state = state_of(&raw, "or-big");
    assert!(state.get("organization").is_none());
    assert!(state["organization_s3"]["key"]
        .as_str()
        .unwrap()
        .starts_with("occ/state/"));
    let event = raw
        .iter()
        .find(|item| item["sk"] != "ORGANIZATION")
        .unwrap();
    assert!(event["payload_s3"]["key"]
        .as_str()
        .unwrap()
        .starts_with("occ/events/"));

    let resolved = resolved_items(&store).await;
    let sent: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        state_of(&resolved, "or-big")["organization"],
        sent["organization"]
    );
    let event = resolved
        .iter()
        .find(|item| item["sk"] != "ORGANIZATION")
        .unwrap();
    assert_eq!(event["payload"], sent);

    // The sender's retry is a duplicate.
    let retry = post_occ(&receiver, &body).await;
    assert_eq!(body_json(&retry)["outcome"], "duplicate");
}

/// An organization that grows by changes-only deliveries past the item limit
/// keeps every change; the documents a new state replaces are deleted.
#[tokio::test]
async fn thirty_changes_only_deliveries_grow_an_organization_past_the_item_limit() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = occ(&store);
    for delivery in 0..30 {
        let body = json!({"organization": {"id": "or-grow",
            "secondaryAddresses": addresses(delivery * 85, 85, Some("CREATE"))}})
        .to_string();
        assert!(body.len() > 24 * 1024, "{}", body.len());
        let response = post_occ(&receiver, &body).await;
        assert_eq!(
            body_json(&response)["outcome"],
            "applied",
            "delivery {delivery}"
        );
    }
    let resolved = resolved_items(&store).await;
    let organization = &state_of(&resolved, "or-grow")["organization"];
    let ids: Vec<&str> = organization["secondaryAddresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["address"]["repositoryId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 30 * 85);
    let expected: Vec<String> = (0..30 * 85).map(|n| format!("addr-{n:05}")).collect();
    assert_eq!(ids, expected);
    let state = state_of(&resolved, "or-grow");
    assert_eq!(state["version"], 30);

    // Only the current state document is left under the state prefix.
    let objects = store
        .bucket
        .client
        .list_objects_v2()
        .bucket(&store.bucket.name)
        .prefix("occ/state/")
        .send()
        .await
        .unwrap();
    let raw = all_items(&store.table).await;
    let current = state_of(&raw, "or-grow")["organization_s3"]["key"].clone();
    let keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, [current.as_str().unwrap()]);
}

/// A refused delivery is kept whole, however large, with its secrets masked.
#[tokio::test]
async fn a_900_kb_malformed_body_is_quarantined_whole() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = chargeover(&store);
    let body = format!(
        r#"{{"security_token": "{CO_SECRET}", "data": {{"notes": "{}", "broken": }}"#,
        "n".repeat(900 * 1024)
    );
    let response = post_chargeover(&receiver, &body).await;
    assert_eq!(response.status(), 400);

    let raw = raw_items(&store.table).await;
    assert_eq!(raw.len(), 1);
    let claim = Claim::from_attribute(&raw[0]["body_s3"]).expect("the body in S3");
    assert!(claim.key.starts_with("chargeover/quarantine/"));
    let masked = body.replace(CO_SECRET, "[REDACTED]");
    assert_eq!(claim.bytes, masked.len() as u64);
    let sha256: String = digest(&SHA256, masked.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(claim.sha256, sha256);
    let resolved = resolved_items(&store).await;
    assert_eq!(resolved[0]["body"], masked.as_str());
    assert!(!masked.contains(CO_SECRET));
}

/// The sender retrying a refused delivery adds to its one quarantine item.
#[tokio::test]
async fn a_refused_delivery_sent_three_times_is_one_quarantine_item() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = occ(&store);
    let body = r#"{"organization": {"id": 300007}}"#;
    for _ in 0..3 {
        assert_eq!(post_occ(&receiver, body).await.status(), 422);
    }
    let items = all_items(&store.table).await;
    assert_eq!(items.len(), 1);
    let quarantined = &items[0];
    assert_eq!(quarantined["pk"], "OCC#REJECTED");
    assert_eq!(
        quarantined["sk"],
        format!("QUARANTINE#{}", quarantined["event_id"].as_str().unwrap())
    );
    assert_eq!(quarantined["attempts"], 3);
    assert!(quarantined["last_received_at"].as_str() >= quarantined["received_at"].as_str());
    assert_eq!(quarantined["status"], 422);
    assert_eq!(quarantined["body"], body);
}

/// S3 failing while a large delivery is written: 503, and no item refers to
/// an object that does not exist; the sender's retry then applies once.
#[tokio::test]
async fn an_s3_failure_during_a_large_write_answers_503_then_the_retry_applies() {
    let aws = local_aws().await;
    let store = fresh_store(&aws).await;
    let broken = Store {
        table: store.table.clone(),
        bucket: Bucket {
            client: store.bucket.client.clone(),
            name: "no-such-bucket".into(),
        },
    };
    let body =
        json!({"organization": {"id": "or-s3", "secondaryAddresses": addresses(0, 2_100, None)}})
            .to_string();
    let response = post_occ(&occ(&broken), &body).await;
    assert_eq!(response.status(), 503);
    assert!(all_items(&store.table).await.is_empty(), "nothing written");

    let response = post_occ(&occ(&store), &body).await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    let retry = post_occ(&occ(&store), &body).await;
    assert_eq!(body_json(&retry)["outcome"], "duplicate");
    assert_eq!(
        resolved_items(&store).await.len(),
        2,
        "every reference resolves"
    );
}

/// Deliveries of normal size make no S3 call: with a bucket nobody answers
/// for, they still apply (a call would fail them with 503).
#[tokio::test]
async fn normal_deliveries_make_no_s3_call() {
    let aws = local_aws().await;
    let working = fresh_store(&aws).await;
    let store = Store {
        table: working.table.clone(),
        bucket: integration_tests::unreachable_bucket().await,
    };
    let organization =
        json!({"organization": {"id": "or-1", "secondaryAddresses": addresses(0, 50, None)}});
    let response = post_occ(&occ(&store), &organization.to_string()).await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    let update = json!({"organization": {"id": "or-1", "name": "Renamed"}});
    let response = post_occ(&occ(&store), &update.to_string()).await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    let change = json!({"context_str": "customer", "context_id": 5, "event": "super",
        "data": {"customer": {"customer_id": 5, "company": "Small"}}});
    let response = post_chargeover(&chargeover(&store), &change.to_string()).await;
    assert_eq!(body_json(&response)["outcome"], "applied");
    assert_eq!(
        post_chargeover(&chargeover(&store), "{").await.status(),
        400
    );
    assert_eq!(
        all_items(&store.table).await.len(),
        6,
        "three events, two states, one quarantine"
    );
}

//! Encrypted ChargeOver deliveries end to end, against moto: base64 of IV ‖
//! AES-OFB ciphertext keyed with the webhook secret, in the 8-bit feedback
//! of the official SDK's example and in full-block OFB.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chargeover_main_contact::encryption::{Aes, Encryption, Feedback};
use chargeover_main_contact::Receiver;
use integration_tests::{
    all_items, api_request, body_json, chargeover_receiver, fresh_store, local_aws,
};
use lambda_http::{Body, Response};
use serde_json::{json, Value};
use webhook_shared::storage::Store;

/// 32 characters: an AES-256 key as ChargeOver's secrets are.
const SECRET: &str = "Enc7rypt3dW3bh00kS3cr3tK3y0f32ch";
const PATH: &str = "/chargeover/customer/main-contact";
const VECTOR: &str = include_str!("../../../functions/chargeover-main-contact/tests/vectors/chargeover-encrypted-customer-insert.b64");
const VECTOR_KEY: &str = "KsF52NuytfWnevljo0MXCcbJLEUZDBdg";

fn delivery() -> Value {
    json!({"context_str": "customer", "context_id": 413, "event": "super",
           "data": {"customer": {"customer_id": 413, "company": "Acme", "superuser_id": 770,
                                 "mod_datetime": "2024-05-01 12:00:00"},
                    "user": {"user_id": 770, "customer_id": 413, "email": "a@example.com"}},
           "security_salt": "OgeExyt61BuZSmzUCI9V4dqP7WFcGlMj"})
}

/// `plaintext` encrypted as ChargeOver sends it: base64(IV ‖ ciphertext).
fn encrypt(plaintext: &str, key: &str, feedback: Feedback) -> String {
    let iv: [u8; 16] = *b"0123456789abcdef";
    let mut sealed = plaintext.as_bytes().to_vec();
    Aes::new(key.as_bytes())
        .unwrap()
        .apply(&iv, &mut sealed, feedback);
    STANDARD.encode([&iv[..], &sealed].concat())
}

fn receiver(store: &Store, secret: &str, encryption: Encryption) -> Receiver<Store> {
    Receiver {
        encryption,
        ..chargeover_receiver(store, secret)
    }
}

async fn post(receiver: &Receiver<Store>, headers: &[(&str, &str)], body: &str) -> Response<Body> {
    chargeover_main_contact::handle(api_request("POST", PATH, headers, body), receiver).await
}

const TEXT: (&str, &str) = ("content-type", "text/plain");
const JSON: (&str, &str) = ("content-type", "application/json");

/// The state without what differs between two deliveries (their ids, times).
async fn state(store: &Store) -> Value {
    let items = all_items(&store.table).await;
    let mut state = items
        .into_iter()
        .find(|item| item["sk"] == "MAIN_CONTACT")
        .expect("state");
    for varying in ["event_id", "received_at"] {
        state.as_object_mut().unwrap().remove(varying);
    }
    state
}

#[tokio::test]
async fn an_encrypted_delivery_lands_as_the_same_delivery_sent_plain() {
    let aws = local_aws().await;
    let plain_store = fresh_store(&aws).await;
    let plain = delivery().to_string();
    let response = post(
        &receiver(&plain_store, SECRET, Encryption::Auto),
        &[JSON, ("x-chargeover-key", SECRET)],
        &plain,
    )
    .await;
    assert_eq!(body_json(&response)["outcome"], "applied");

    for feedback in [Feedback::Byte, Feedback::Block] {
        let store = fresh_store(&aws).await;
        let receiver = receiver(&store, SECRET, Encryption::Auto);
        let body = encrypt(&plain, SECRET, feedback);
        let response = post(&receiver, &[TEXT], &body).await;
        assert_eq!(body_json(&response)["outcome"], "applied", "{feedback:?}");
        assert_eq!(
            state(&store).await,
            state(&plain_store).await,
            "{feedback:?}"
        );
        // The event id is the encrypted bytes': the retry is a duplicate.
        let retry = post(&receiver, &[TEXT], &body).await;
        assert_eq!(body_json(&retry)["outcome"], "duplicate");
        let event = all_items(&store.table)
            .await
            .into_iter()
            .find(|i| i["sk"] != "MAIN_CONTACT")
            .unwrap();
        assert!(
            event["payload"].get("security_salt").is_none(),
            "removed like security_token"
        );
        // With the header too, and as application/octet-stream.
        let other = encrypt(&plain.replace("Acme", "Acme Inc"), SECRET, feedback);
        let response = post(
            &receiver,
            &[
                ("content-type", "application/octet-stream"),
                ("x-chargeover-key", SECRET),
            ],
            &other,
        )
        .await;
        assert_eq!(body_json(&response)["outcome"], "applied");
    }
}

#[tokio::test]
async fn wrong_keys_and_wrong_headers_are_refused_and_nothing_is_stored() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, SECRET, Encryption::Auto);
    let plain = delivery().to_string();
    let wrong_key = encrypt(&plain, "AnotherKeyOf32CharactersAltogeth", Feedback::Byte);
    assert_eq!(post(&receiver, &[TEXT], &wrong_key).await.status(), 401);
    let right = encrypt(&plain, SECRET, Feedback::Byte);
    let wrong_header = post(
        &receiver,
        &[TEXT, ("x-chargeover-key", "not-the-secret")],
        &right,
    )
    .await;
    assert_eq!(wrong_header.status(), 401);
    // Base64 that is not a ciphertext of a JSON object.
    let garbage = STANDARD.encode([7u8; 64]);
    assert_eq!(post(&receiver, &[TEXT], &garbage).await.status(), 401);
    assert!(all_items(&store.table).await.is_empty());
}

/// The official SDK's vector (a customer/insert event, under its own key):
/// it decrypts, then is refused for its event and kept decrypted, without
/// its `security_salt`.
#[tokio::test]
async fn the_sdk_vector_is_quarantined_decrypted() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = receiver(&store, VECTOR_KEY, Encryption::Auto);
    let response = post(&receiver, &[TEXT], VECTOR).await;
    assert_eq!(response.status(), 422);
    let problem = body_json(&response);
    assert!(problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["pointer"] == "/event"));
    let items = all_items(&store.table).await;
    assert_eq!(items.len(), 1);
    let body = items[0]["body"].as_str().unwrap();
    assert!(
        body.starts_with(r#"{"context_str":"customer""#),
        "decrypted: {body}"
    );
    assert!(body.contains(r#""security_salt":"[REDACTED]""#), "{body}");
    assert!(!body.contains("OgeExyt61BuZSmzUCI9V4dqP7WFcGlMj") && !body.contains(VECTOR.trim()));
}

#[tokio::test]
async fn required_and_off() {
    let store = fresh_store(&local_aws().await).await;
    let plain = delivery().to_string();
    let encrypted = encrypt(&plain, SECRET, Feedback::Byte);

    let required = receiver(&store, SECRET, Encryption::Required);
    let response = post(&required, &[JSON, ("x-chargeover-key", SECRET)], &plain).await;
    assert_eq!(response.status(), 401, "a plain body is not accepted");
    assert_eq!(
        body_json(&post(&required, &[TEXT], &encrypted).await)["outcome"],
        "applied"
    );

    let off = receiver(&store, SECRET, Encryption::Off);
    assert_eq!(
        post(&off, &[TEXT], &encrypted).await.status(),
        415,
        "only JSON"
    );
    let response = post(&off, &[JSON, ("x-chargeover-key", SECRET)], &encrypted).await;
    assert_eq!(response.status(), 400, "not decrypted: malformed JSON");
    let response = post(
        &off,
        &[JSON, ("x-chargeover-key", SECRET)],
        &plain.replace("Acme", "Plain"),
    )
    .await;
    assert_eq!(body_json(&response)["outcome"], "applied");
}

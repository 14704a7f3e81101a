//! Security properties of both functions:
//! - logs: deliveries of every kind (accepted, duplicate, wrong token or
//!   signature, malformed, invalid, storage down) are run with every log line
//!   captured; no secret, token, signature, Authorization value, password or
//!   personal field may appear, while the event ids and outcomes must;
//! - comparison: near-miss credentials (first or last byte wrong, too short,
//!   too long) are refused. Timing is not asserted (too noisy to test):
//!   ChargeOver compares SHA-256 digests with aws-lc's constant-time
//!   comparison, OCC verifies with aws-lc's `hmac::verify`.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chargeover_main_contact::auth::{BodyToken, TokenKeys};
use integration_tests::{
    api_request, body_json, fresh_store, hmac_base64, local_aws, test_common, unreachable_store,
    HMAC_SHA256, HMAC_SHA512,
};
use jiff::tz::TimeZone;
use lambda_http::http::{HeaderMap, HeaderValue};
use occ_organization::auth::{Algorithms, HmacKeys, SHA512_HEADER, SIGNATURE_HEADER};
use serde_json::{json, Value};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Store;
use webhook_shared::EventId;

const CO_SECRET: &str = "SFkJ3fy02n17YxNXm96tCGUKVTOAIBsH";
const CO_PREVIOUS: &str = "previous-chargeover-token-4Hq";
const CO_WRONG: &str = "wrong-chargeover-token-Pz7";
const CO_PATH: &str = "/chargeover/customer/main-contact";
/// Base64 of "security-test-occ-key", and that key.
const OCC_KEY_TEXT: &str = "c2VjdXJpdHktdGVzdC1vY2Mta2V5";
const OCC_KEY: &str = "security-test-occ-key";
const OCC_PATH: &str = "/occ/organization";
const BEARER: &str = "xyz-bearer-5fd1c0ffee";
const PASSWORD: &str = "never-stored-password";

/// Every log line, as the fmt subscriber writes it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn chargeover_receiver(store: &Store) -> chargeover_main_contact::Receiver<Store> {
    let secret = json!({"current": CO_SECRET, "previous": CO_PREVIOUS}).to_string();
    let keys = TokenKeys::from_secret(&SecretValue::parse(&secret).unwrap()).unwrap();
    chargeover_main_contact::Receiver {
        common: test_common(store.clone(), SecretStore::fixed(keys)),
        timezone: TimeZone::get("America/Chicago").unwrap(),
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    }
}

fn occ_receiver(store: &Store) -> occ_organization::Receiver<Store> {
    let keys = HmacKeys::from_secret(&SecretValue::parse(OCC_KEY_TEXT).unwrap()).unwrap();
    occ_organization::Receiver {
        common: test_common(store.clone(), SecretStore::fixed(keys)),
        algorithms: Algorithms::ALL,
    }
}

fn sign512(body: &[u8]) -> String {
    hmac_base64(HMAC_SHA512, OCC_KEY.as_bytes(), body)
}

fn sign256(body: &[u8]) -> String {
    hmac_base64(HMAC_SHA256, OCC_KEY.as_bytes(), body)
}

/// One delivery to send: its headers, body, and the answer it must get.
struct Sent {
    headers: Vec<(String, String)>,
    body: String,
    status: u16,
}

fn sent(headers: &[(&str, &str)], body: &str, status: u16) -> Sent {
    let mut all = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("authorization".to_owned(), format!("Bearer {BEARER}")),
        ("cookie".to_owned(), format!("session={BEARER}")),
    ];
    all.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    Sent {
        headers: all,
        body: body.to_owned(),
        status,
    }
}

impl Sent {
    fn headers(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

/// Tests that run a handler take turns: tracing caches per call site whether
/// anyone listens, and a handler logging on another thread while the capture
/// starts can leave a line uncaptured.
static HANDLERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn logs_carry_no_secrets_but_every_delivery() {
    let _turn = HANDLERS.lock().await;
    let captured = Captured::default();
    let writer = captured.clone();
    // Our crates at every level; the SDK and runtime at the deployed default (INFO).
    let targets = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("webhook_shared", LevelFilter::TRACE)
        .with_target("chargeover_main_contact", LevelFilter::TRACE)
        .with_target("occ_organization", LevelFilter::TRACE);
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_filter(targets);
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));

    let aws = local_aws().await;
    let store = fresh_store(&aws).await;
    let down = unreachable_store().await;

    // ChargeOver: every kind of delivery.
    let mut customer = fixture("chargeover-customer.json");
    customer["invoice_delivery"] = json!("fax");
    let valid = json!({"context_str": "customer", "context_id": 413, "event": "super",
        "data": {"customer": customer, "user": fixture("chargeover-user.json")},
        "security_token": CO_SECRET});
    let mut previous = valid.clone();
    previous["security_token"] = json!(CO_PREVIOUS);
    previous["data"]["customer"]["mod_datetime"] = json!("2017-10-06 08:00:00");
    let mut wrong_body_token = valid.clone();
    wrong_body_token["security_token"] = json!(CO_WRONG);
    let mut invalid = valid.clone();
    invalid["context_str"] = json!("invoice");
    invalid["data"]["customer"]["customer_id"] = json!("jane@example.com");
    let text = valid.to_string();
    let truncated = &text[..text.len() - 40];
    let key = ("x-chargeover-key", CO_SECRET);
    let source = ("x-chargeover-source", "example.chargeover.com");
    let chargeover = [
        sent(&[key, source], &text, 200),
        sent(&[key, source], &text, 200),
        sent(
            &[("x-chargeover-key", CO_PREVIOUS)],
            &previous.to_string(),
            200,
        ),
        sent(&[("x-chargeover-key", CO_WRONG)], &text, 401),
        sent(&[], &wrong_body_token.to_string(), 401),
        sent(&[key], &wrong_body_token.to_string(), 401),
        sent(&[key], truncated, 400),
        sent(&[key], &invalid.to_string(), 422),
    ];
    let receiver = chargeover_receiver(&store);
    let mut event_ids = Vec::new();
    for delivery in &chargeover {
        let request = api_request("POST", CO_PATH, &delivery.headers(), &delivery.body);
        let response = chargeover_main_contact::handle(request, &receiver).await;
        assert_eq!(response.status(), delivery.status, "{}", delivery.body);
        event_ids.push(EventId::of(delivery.body.as_bytes()).to_string());
    }
    let receiver_down = chargeover_receiver(&down);
    for delivery in [sent(&[key], &text, 503), sent(&[key], truncated, 503)] {
        let request = api_request("POST", CO_PATH, &delivery.headers(), &delivery.body);
        let response = chargeover_main_contact::handle(request, &receiver_down).await;
        assert_eq!(response.status(), delivery.status);
    }

    // OCC: every kind of delivery, signatures in both headers.
    let mut organization = fixture("occ-organization-seed.json");
    organization["organization"]["contactEmail"] = json!("buyer@example.org");
    organization["organization"]["password"] = json!(PASSWORD);
    let full = organization.to_string();
    let changes = json!({"organization": {"id": "or-300007", "name": "Renamed",
        "billingAddress": {"phoneNumber": "555-0199", "companyName": "Acme"}}})
    .to_string();
    let malformed = &full[..full.len() - 3];
    let invalid =
        json!({"organization": {"id": "or-300007", "active": "buyer@example.org"}}).to_string();
    let mut signatures = Vec::new();
    let mut signed = |body: &str, header: &'static str, signature: String, status: u16| {
        signatures.push(signature.clone());
        let headers = [(header, signature.as_str())];
        sent(&headers, body, status)
    };
    let occ = [
        signed(&full, SHA512_HEADER, sign512(full.as_bytes()), 200),
        signed(&full, SHA512_HEADER, sign512(full.as_bytes()), 200),
        signed(&changes, SIGNATURE_HEADER, sign256(changes.as_bytes()), 200),
        signed(&full, SHA512_HEADER, sign512(changes.as_bytes()), 401),
        signed(&full, SIGNATURE_HEADER, sign256(b"other"), 401),
        signed(malformed, SHA512_HEADER, sign512(malformed.as_bytes()), 400),
        signed(&invalid, SHA512_HEADER, sign512(invalid.as_bytes()), 422),
    ];
    let receiver = occ_receiver(&store);
    for delivery in &occ {
        let request = api_request("POST", OCC_PATH, &delivery.headers(), &delivery.body);
        let response = occ_organization::handle(request, &receiver).await;
        assert_eq!(response.status(), delivery.status, "{}", delivery.body);
        event_ids.push(EventId::of(delivery.body.as_bytes()).to_string());
    }
    let receiver_down = occ_receiver(&down);
    let request = api_request("POST", OCC_PATH, &occ[0].headers(), &occ[0].body);
    assert_eq!(
        occ_organization::handle(request, &receiver_down)
            .await
            .status(),
        503
    );

    let logs = captured.text();
    // Capture works: one line per delivery, with its event id and outcome.
    for event_id in &event_ids {
        assert!(
            logs.contains(event_id.as_str()),
            "event {event_id} logged:\n{logs}"
        );
    }
    for expected in [
        "applied",
        "duplicate",
        "unauthorized",
        "malformed-json",
        "invalid-payload",
        "storage-unavailable",
        "413",
        "or-300007",
        "chargeover delivery",
        "occ delivery",
        "value outside the documented set kept",
    ] {
        assert!(logs.contains(expected), "{expected:?} in the logs:\n{logs}");
    }
    let lines = logs
        .lines()
        .filter(|line| line.contains(" delivery "))
        .count();
    assert_eq!(lines, chargeover.len() + 2 + occ.len() + 1, "{logs}");

    // And nothing that must stay out of them.
    let mut forbidden: Vec<String> = vec![
        CO_SECRET.into(),
        CO_PREVIOUS.into(),
        CO_WRONG.into(),
        OCC_KEY_TEXT.into(),
        OCC_KEY.into(),
        BEARER.into(),
        PASSWORD.into(),
        "jane@example.com".into(),
        "support@example.com".into(),
        "buyer@example.org".into(),
        "Jane Doe".into(),
        "555-0100".into(),
        "555-0199".into(),
        "72 E Blue Grass Road".into(),
        "security_token".into(),
        "authorization".into(),
        "x-chargeover-key".into(),
        "x-oracle-cc-webhook-signature".into(),
    ];
    forbidden.extend(signatures);
    for value in &forbidden {
        assert!(
            !logs.to_lowercase().contains(&value.to_lowercase()),
            "{value:?} in the logs:\n{logs}"
        );
    }
}

// --------------------------------------------------------- comparison of secrets

fn token_keys() -> TokenKeys {
    TokenKeys::from_secret(&SecretValue::parse(CO_SECRET).unwrap()).unwrap()
}

/// The secret with its byte at `index` changed.
fn changed_at(secret: &str, index: usize) -> Vec<u8> {
    let mut bytes = secret.as_bytes().to_vec();
    bytes[index] = if bytes[index] == b'x' { b'y' } else { b'x' };
    bytes
}

#[test]
fn chargeover_near_miss_tokens_are_refused() {
    let keys = token_keys();
    let last = CO_SECRET.len() - 1;
    assert!(keys.authenticate(Some(CO_SECRET.as_bytes()), BodyToken::Absent, false));
    assert!(keys.authenticate(None, BodyToken::Text(CO_SECRET), false));

    let first_wrong = changed_at(CO_SECRET, 0);
    let last_wrong = changed_at(CO_SECRET, last);
    let shorter = &CO_SECRET.as_bytes()[..last];
    let without_first = &CO_SECRET.as_bytes()[1..];
    let longer = format!("{CO_SECRET}H").into_bytes();
    let doubled = CO_SECRET.repeat(2).into_bytes();
    let padded = format!("{CO_SECRET}\0").into_bytes();
    let near_misses: [&[u8]; 9] = [
        &first_wrong,
        &last_wrong,
        shorter,
        without_first,
        &longer,
        &doubled,
        &padded,
        b"",
        b"S",
    ];
    for token in near_misses {
        let shown = String::from_utf8_lossy(token);
        assert!(
            !keys.authenticate(Some(token), BodyToken::Absent, false),
            "header {shown:?}"
        );
        if let Ok(text) = std::str::from_utf8(token) {
            assert!(
                !keys.authenticate(None, BodyToken::Text(text), false),
                "body {shown:?}"
            );
            // A right token beside a near miss does not rescue it.
            assert!(!keys.authenticate(Some(CO_SECRET.as_bytes()), BodyToken::Text(text), false));
        }
        assert!(!keys.authenticate(Some(token), BodyToken::Text(CO_SECRET), false));
    }
}

#[test]
fn occ_near_miss_signatures_are_refused() {
    let keys = HmacKeys::from_secret(&SecretValue::parse(OCC_KEY_TEXT).unwrap()).unwrap();
    let body = br#"{"organization":{"id":"or-1"}}"#;
    let headers = |name: &'static str, signature: &[u8]| {
        let mut map = HeaderMap::new();
        map.insert(
            name,
            HeaderValue::from_str(&STANDARD.encode(signature)).unwrap(),
        );
        map
    };
    for (name, signature) in [
        (SHA512_HEADER, sign512(body)),
        (SIGNATURE_HEADER, sign512(body)),
        (SIGNATURE_HEADER, sign256(body)),
    ] {
        let real = STANDARD.decode(&signature).unwrap();
        assert!(keys.verify(&headers(name, &real), body, Algorithms::ALL));
        let last = real.len() - 1;
        let mut first_wrong = real.clone();
        first_wrong[0] ^= 0x80;
        let mut last_wrong = real.clone();
        last_wrong[last] ^= 0x01;
        let near_misses: [&[u8]; 6] = [
            &first_wrong,
            &last_wrong,
            &real[..last],
            &real[1..],
            &[real.as_slice(), &[0]].concat(),
            &[],
        ];
        for wrong in near_misses {
            assert!(
                !keys.verify(&headers(name, wrong), body, Algorithms::ALL),
                "{name}: {} bytes",
                wrong.len()
            );
        }
    }
}

#[tokio::test]
async fn near_misses_are_refused_end_to_end() {
    let _turn = HANDLERS.lock().await;
    let store = fresh_store(&local_aws().await).await;
    let receiver = chargeover_receiver(&store);
    let body = json!({"context_str": "customer", "context_id": 413, "event": "super",
        "data": {"customer": {"customer_id": 413}}})
    .to_string();
    let last = CO_SECRET.len() - 1;
    for token in [
        String::from_utf8(changed_at(CO_SECRET, 0)).unwrap(),
        String::from_utf8(changed_at(CO_SECRET, last)).unwrap(),
        CO_SECRET[..last].to_owned(),
        format!("{CO_SECRET}H"),
    ] {
        let request = api_request(
            "POST",
            CO_PATH,
            &[
                ("content-type", "application/json"),
                ("x-chargeover-key", &token),
            ],
            &body,
        );
        let response = chargeover_main_contact::handle(request, &receiver).await;
        assert_eq!(response.status(), 401, "{token}");
        assert_eq!(
            body_json(&response)["detail"],
            "the request could not be authenticated"
        );
    }

    let receiver = occ_receiver(&store);
    let body = json!({"organization": {"id": "or-1"}}).to_string();
    let real = STANDARD.decode(sign512(body.as_bytes())).unwrap();
    let mut first_wrong = real.clone();
    first_wrong[0] ^= 1;
    let mut last_wrong = real.clone();
    last_wrong[63] ^= 1;
    for wrong in [
        first_wrong,
        last_wrong,
        real[..63].to_vec(),
        [real.as_slice(), &[1]].concat(),
    ] {
        let signature = STANDARD.encode(&wrong);
        let request = api_request(
            "POST",
            OCC_PATH,
            &[
                ("content-type", "application/json"),
                ("x-oracle-cc-webhook-signature-sha512", &signature),
            ],
            &body,
        );
        let response = occ_organization::handle(request, &receiver).await;
        assert_eq!(response.status(), 401, "{} bytes", wrong.len());
    }
    assert!(integration_tests::all_items(&store.table).await.is_empty());
}

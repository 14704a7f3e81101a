//! Properties of both handlers over generated requests, against an in-memory
//! store (no moto needed):
//! - arbitrary bytes and header sets never panic, never get a 2xx without
//!   valid credentials, store nothing then, and get a status from the set below;
//! - with a valid credential, an arbitrary JSON body (or a valid payload with
//!   one field replaced or added with an arbitrary value, or any bytes) never
//!   panics and gets a status from that set; a 200 is recorded, a 400/422
//!   quarantined, a 503 only when the store is down, a 401 only for a wrong
//!   or missing ChargeOver body token.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chargeover_main_contact::auth::TokenKeys;
use chargeover_main_contact::encryption::looks_encrypted;
use integration_tests::{hmac_base64, test_metrics, HMAC_SHA512};
use jiff::tz::TimeZone;
use lambda_http::http::{HeaderName, HeaderValue};
use lambda_http::{Body, Request};
use occ_organization::auth::{Algorithms, HmacKeys};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Map, Value};
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::pipeline::Common;
use webhook_shared::receive::deadline::Deadline;
use webhook_shared::storage::{QuarantineItem, QuarantineStore, Records, StoreError};
use webhook_shared::Outcome;

const ALLOWED: [u16; 8] = [200, 400, 401, 405, 413, 415, 422, 503];
const CO_SECRET: &str = "property-chargeover-token-Xw93kq";
/// Base64 of "property-occ-key".
const OCC_KEY_TEXT: &str = "cHJvcGVydHktb2NjLWtleQ==";
const MAX_BODY_BYTES: usize = 16 * 1024;
const CASES: u32 = 256;

/// Records what the handlers write; fails every write when `down`.
#[derive(Default)]
struct MemoryStore {
    events: Mutex<Vec<String>>,
    quarantined: Mutex<Vec<(String, u16)>>,
    down: bool,
}

impl MemoryStore {
    fn down() -> Self {
        MemoryStore {
            down: true,
            ..MemoryStore::default()
        }
    }

    fn record_event(&self, event_id: String) -> Result<Outcome, StoreError> {
        if self.down {
            return Err(StoreError::Unavailable("the store is down".into()));
        }
        let mut events = self.events.lock().unwrap();
        if events.contains(&event_id) {
            return Ok(Outcome::Duplicate);
        }
        events.push(event_id);
        Ok(Outcome::Applied)
    }

    fn stored_nothing(&self) -> bool {
        self.events.lock().unwrap().is_empty() && self.quarantined.lock().unwrap().is_empty()
    }

    fn has_event(&self, event_id: &str) -> bool {
        self.events.lock().unwrap().iter().any(|id| id == event_id)
    }

    fn has_quarantined(&self, event_id: &str, status: u16) -> bool {
        self.quarantined
            .lock()
            .unwrap()
            .iter()
            .any(|(id, s)| id == event_id && *s == status)
    }
}

impl Records<chargeover_main_contact::store::Delivery<'_>> for MemoryStore {
    async fn record(
        &self,
        delivery: &chargeover_main_contact::store::Delivery<'_>,
        _deadline: &Deadline,
    ) -> Result<Outcome, StoreError> {
        assert!(delivery.state.customer_id > 0);
        self.record_event(delivery.receipt.event_id.to_string())
    }
}

impl Records<occ_organization::store::Delivery<'_>> for MemoryStore {
    async fn record(
        &self,
        delivery: &occ_organization::store::Delivery<'_>,
        _deadline: &Deadline,
    ) -> Result<Outcome, StoreError> {
        assert!(!delivery.organization_id.is_empty());
        self.record_event(delivery.receipt.event_id.to_string())
    }
}

impl QuarantineStore for MemoryStore {
    async fn quarantine(&self, item: &QuarantineItem<'_>) -> Result<(), StoreError> {
        if self.down {
            return Err(StoreError::Unavailable("the store is down".into()));
        }
        self.quarantined.lock().unwrap().push((
            item.receipt.event_id.to_string(),
            item.rejection.status().as_u16(),
        ));
        Ok(())
    }
}

fn chargeover_receiver(store: MemoryStore) -> chargeover_main_contact::Receiver<MemoryStore> {
    let keys = TokenKeys::from_secret(&SecretValue::parse(CO_SECRET).unwrap()).unwrap();
    chargeover_main_contact::Receiver {
        common: Common {
            store,
            keys: SecretStore::fixed(keys),
            max_body_bytes: MAX_BODY_BYTES,
            retention_days: None,
            metrics: test_metrics(),
        },
        timezone: TimeZone::get("America/Chicago").unwrap(),
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    }
}

fn occ_receiver(store: MemoryStore) -> occ_organization::Receiver<MemoryStore> {
    let keys = HmacKeys::from_secret(&SecretValue::parse(OCC_KEY_TEXT).unwrap()).unwrap();
    occ_organization::Receiver {
        common: Common {
            store,
            keys: SecretStore::fixed(keys),
            max_body_bytes: MAX_BODY_BYTES,
            retention_days: None,
            metrics: test_metrics(),
        },
        algorithms: Algorithms::ALL,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A runner with its seed shown: the test harness prints it with a failing
/// test's output, and `PROPTEST_SEED=<hex> cargo test -p integration-tests
/// --test integration properties` replays that run.
fn runner() -> TestRunner {
    let seed = match std::env::var("PROPTEST_SEED") {
        Ok(hex) => seed_from_hex(&hex),
        Err(_) => random_seed(),
    };
    let hex: String = seed.iter().map(|byte| format!("{byte:02x}")).collect();
    println!("property test seed: PROPTEST_SEED={hex}");
    TestRunner::new_with_rng(
        Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

fn seed_from_hex(hex: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .filter_map(|at| hex.get(at..at + 2))
        .filter_map(|pair| u8::from_str_radix(pair, 16).ok())
        .collect();
    bytes
        .try_into()
        .expect("PROPTEST_SEED is 64 hex digits, as printed by a run")
}

/// 32 random bytes from the standard library's per-process hash keys.
fn random_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_mut(8) {
        let word = RandomState::new().build_hasher().finish();
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    seed
}

// ------------------------------------------------------------------ generators

/// A request as generated: method, headers (raw bytes, kept when valid), body.
#[derive(Debug, Clone)]
struct Generated {
    method: &'static str,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    /// Whether the body arrives as text (when UTF-8) or as binary.
    as_text: bool,
}

impl Generated {
    fn request(&self, path: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method(self.method)
            .uri(path);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value),
            ) {
                builder = builder.header(name, value);
            }
        }
        let body = match (self.body.is_empty(), std::str::from_utf8(&self.body)) {
            (true, _) => Body::Empty,
            (false, Ok(text)) if self.as_text => Body::Text(text.to_owned()),
            _ => Body::Binary(self.body.clone()),
        };
        builder.body(body).expect("request")
    }
}

const NAMES: &[&str] = &[
    "context_str",
    "context_id",
    "event",
    "user_id",
    "data",
    "customer",
    "user",
    "customer_id",
    "superuser_id",
    "mod_datetime",
    "total",
    "tags",
    "no_taxes",
    "security_token",
    "password",
    "organization",
    "id",
    "repositoryId",
    "relativeRoles",
    "_actionCode",
    "secondaryAddresses",
    "address",
    "types",
    "active",
    "secondaryAddressesIsTruncated",
    "__proto__",
    "constructor",
];

const WORDS: &[&str] = &[
    "customer",
    "super",
    "CREATE",
    "UPDATE",
    "DELETE",
    "true",
    "1",
    "2017-10-05 17:51:22",
    "2017-10-05T17:51:22Z",
    "or-1",
    "",
];

const HEADER_NAMES: &[&str] = &[
    "content-type",
    "Content-Type",
    "x-chargeover-key",
    "X-ChargeOver-Key",
    "x-chargeover-source",
    "authorization",
    "x-oracle-cc-webhook-signature-sha512",
    "X-Oracle-CC-WebHook-Signature",
    "content-length",
];

const OTHER_METHODS: &[&str] = &["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(NAMES).prop_map(str::to_owned),
        1 => "[a-zA-Z_]{0,12}",
        1 => any::<String>(),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (0u64..10_000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        "[0-9]{0,22}".prop_map(Value::from),
        proptest::sample::select(WORDS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((arb_key(), inner), 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A small valid ChargeOver delivery, without its token.
fn chargeover_base() -> Value {
    json!({"context_str": "customer", "context_id": 413, "event": "super",
        "data": {"customer": {"customer_id": 413, "superuser_id": 770, "company": "Acme",
                              "mod_datetime": "2017-10-05 17:51:22", "total": 3400,
                              "no_taxes": false, "tags": ["vip"]},
                 "user": {"user_id": 770, "customer_id": 413, "email": "a@example.com"}}})
}

fn occ_base() -> Value {
    fixture("occ-organization-seed.json")
}

const CHARGEOVER_POINTERS: &[&str] = &[
    "/context_str",
    "/context_id",
    "/event",
    "/user_id",
    "/data",
    "/data/user_id",
    "/data/customer",
    "/data/customer/customer_id",
    "/data/customer/superuser_id",
    "/data/customer/mod_datetime",
    "/data/customer/total",
    "/data/customer/tags",
    "/data/customer/no_taxes",
    "/data/customer/invoice_delivery",
    "/data/user",
    "/data/user/customer_id",
    "/data/user/email",
];

const OCC_POINTERS: &[&str] = &[
    "/organization",
    "/organization/id",
    "/organization/active",
    "/organization/name",
    "/organization/relativeRoles",
    "/organization/relativeRoles/0",
    "/organization/relativeRoles/0/repositoryId",
    "/organization/relativeRoles/0/_actionCode",
    "/organization/secondaryAddresses",
    "/organization/secondaryAddressesIsTruncated",
    "/organization/parentOrganization",
    "/organization/contract",
    "/organization/orderPriceLimit",
    "/organization/useAllShippingMethodsFromSite",
];

/// `base` with the member at `pointer` replaced (or added) by `value`.
fn replaced(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    match base.pointer_mut(parent) {
        Some(Value::Object(members)) => {
            members.insert(last.to_owned(), value);
        }
        Some(Value::Array(items)) => {
            if let Some(item) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *item = value;
            }
        }
        _ => {}
    }
    base
}

/// JSON bodies: arbitrary values, or a valid payload with one field replaced.
fn arb_json_body(base: Value, pointers: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => arb_json(),
        3 => (proptest::sample::select(pointers), arb_json())
            .prop_map(move |(pointer, value)| replaced(base.clone(), pointer, value)),
    ]
}

/// Bodies sent with a valid credential: mostly JSON (arbitrary, the valid
/// payload with a field replaced, or with an unknown member `extra_at`
/// added), sometimes any bytes.
fn arb_authenticated_body(
    base: Value,
    pointers: &'static [&'static str],
    extra_at: &'static str,
) -> impl Strategy<Value = Vec<u8>> {
    let extended = base.clone();
    prop_oneof![
        6 => arb_json_body(base, pointers).prop_map(|value| value.to_string().into_bytes()),
        2 => arb_json().prop_map(move |value| {
            replaced(extended.clone(), extra_at, value)
                .to_string()
                .into_bytes()
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..400),
    ]
}

/// A POST of `body` (binary when not UTF-8) with these headers.
fn post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = match std::str::from_utf8(body) {
        Ok(text) => Body::Text(text.to_owned()),
        Err(_) => Body::Binary(body.to_vec()),
    };
    builder.body(body).expect("request")
}

/// Any bytes, arbitrary JSON, or a near-valid payload.
fn arb_body(base: Value, pointers: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        arb_json_body(base, pointers).prop_map(|value| value.to_string().into_bytes()),
        // Near the size limit, either side.
        (MAX_BODY_BYTES - 8..MAX_BODY_BYTES + 8).prop_map(|len| vec![b' '; len]),
    ]
}

fn arb_header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"application/json".to_vec()),
        Just(b"application/json; charset=utf-8".to_vec()),
        Just(b"text/plain".to_vec()),
        "[ -~]{0,40}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..80),
        // Base64 of 20, 32 or 64 random bytes: the shape of a signature.
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 20),
            proptest::collection::vec(any::<u8>(), 32),
            proptest::collection::vec(any::<u8>(), 64),
        ]
        .prop_map(|bytes| STANDARD.encode(bytes).into_bytes()),
    ]
}

fn arb_header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(HEADER_NAMES).prop_map(str::to_owned),
        "[a-z][a-z0-9-]{0,20}",
        any::<String>(),
    ]
}

fn arb_request(base: Value, pointers: &'static [&'static str]) -> impl Strategy<Value = Generated> {
    (
        prop_oneof![
            8 => Just("POST"),
            1 => proptest::sample::select(OTHER_METHODS),
        ],
        any::<bool>(),
        proptest::collection::vec((arb_header_name(), arb_header_value()), 0..8),
        arb_body(base, pointers),
        any::<bool>(),
    )
        .prop_map(|(method, json_type, mut headers, body, as_text)| {
            if json_type {
                headers.insert(0, ("content-type".into(), b"application/json".to_vec()));
            }
            Generated {
                method,
                headers,
                body,
                as_text,
            }
        })
}

/// Never the secret, so never a valid credential.
fn lacks_secrets(generated: &Generated) -> bool {
    let contains = |haystack: &[u8], needle: &str| {
        haystack
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    !contains(&generated.body, CO_SECRET)
        && generated
            .headers
            .iter()
            .all(|(_, value)| !contains(value, CO_SECRET))
}

// ------------------------------------------------------------------ properties

#[test]
fn chargeover_without_credentials_never_succeeds() {
    let runtime = runtime();
    let receiver = chargeover_receiver(MemoryStore::default());
    runner()
        .run(
            &arb_request(chargeover_base(), CHARGEOVER_POINTERS),
            |generated| {
                prop_assume!(lacks_secrets(&generated));
                let response = runtime.block_on(chargeover_main_contact::handle(
                    generated.request("/chargeover"),
                    &receiver,
                ));
                let status = response.status().as_u16();
                prop_assert!(ALLOWED.contains(&status), "status {status}");
                prop_assert!(
                    !response.status().is_success(),
                    "{status} without credentials"
                );
                prop_assert!(
                    receiver.common.store.stored_nothing(),
                    "stored without credentials"
                );
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn occ_without_credentials_never_succeeds() {
    let runtime = runtime();
    let receiver = occ_receiver(MemoryStore::default());
    runner()
        .run(&arb_request(occ_base(), OCC_POINTERS), |generated| {
            let response = runtime.block_on(occ_organization::handle(
                generated.request("/occ"),
                &receiver,
            ));
            let status = response.status().as_u16();
            prop_assert!(ALLOWED.contains(&status), "status {status}");
            prop_assert!(
                !response.status().is_success(),
                "{status} without credentials"
            );
            prop_assert!(
                receiver.common.store.stored_nothing(),
                "stored without credentials"
            );
            Ok(())
        })
        .unwrap();
}

/// The answer to an authenticated JSON body is in the set, and what it says
/// happened did: 200 recorded, 400/422 quarantined.
fn check_authenticated(store: &MemoryStore, body: &[u8], status: u16) -> Result<(), TestCaseError> {
    let event_id = webhook_shared::EventId::of(body).to_string();
    prop_assert!(ALLOWED.contains(&status), "status {status}");
    prop_assert_ne!(status, 413);
    match status {
        200 => prop_assert!(store.has_event(&event_id), "200 but not recorded"),
        400 | 422 => prop_assert!(
            store.has_quarantined(&event_id, status),
            "{status} but not quarantined"
        ),
        503 => prop_assert!(store.down, "503 with the store up"),
        _ => {}
    }
    Ok(())
}

#[test]
fn chargeover_valid_token_any_body() {
    let runtime = runtime();
    let up = chargeover_receiver(MemoryStore::default());
    let down = chargeover_receiver(MemoryStore::down());
    let strategy = (
        arb_authenticated_body(chargeover_base(), CHARGEOVER_POINTERS, "/extra"),
        proptest::bool::weighted(0.15),
        0u8..4,
    );
    runner()
        .run(&strategy, |(body, store_down, token)| {
            let mut body = body;
            // The token in the header (0), in the body (1), or both (2, 3).
            if token > 0 {
                if let Ok(Value::Object(mut members)) = serde_json::from_slice::<Value>(&body) {
                    members.insert("security_token".into(), json!(CO_SECRET));
                    body = Value::Object(members).to_string().into_bytes();
                }
            }
            prop_assume!(body.len() <= MAX_BODY_BYTES);
            let mut headers = vec![("content-type", "application/json")];
            if token != 1 {
                headers.push(("x-chargeover-key", CO_SECRET));
            }
            let receiver = if store_down { &down } else { &up };
            let request = post("/chargeover", &headers, &body);
            let response = runtime.block_on(chargeover_main_contact::handle(request, receiver));
            let status = response.status().as_u16();
            check_authenticated(&receiver.common.store, &body, status)?;
            // 401 exactly when the body carries another token, or no token
            // is sent at all (a body that does not parse carries none), or
            // the body is base64 rather than JSON (read as an encrypted
            // delivery, which this one cannot decrypt).
            let body_token = match webhook_shared::validate::json::parse(&body) {
                Ok(AttributeValue::M(members)) => members.get("security_token").cloned(),
                _ => None,
            };
            let refused = looks_encrypted(&body)
                || match body_token {
                    Some(AttributeValue::S(given)) => given != CO_SECRET,
                    Some(_) => true,
                    None => token == 1,
                };
            prop_assert_eq!(status == 401, refused, "status {}", status);
            Ok(())
        })
        .unwrap();
}

#[test]
fn occ_valid_signature_any_body() {
    let runtime = runtime();
    let up = occ_receiver(MemoryStore::default());
    let down = occ_receiver(MemoryStore::down());
    let key = STANDARD.decode(OCC_KEY_TEXT).unwrap();
    let strategy = (
        arb_authenticated_body(occ_base(), OCC_POINTERS, "/organization/extra"),
        proptest::bool::weighted(0.15),
    );
    runner()
        .run(&strategy, |(body, store_down)| {
            prop_assume!(body.len() <= MAX_BODY_BYTES);
            let signature = hmac_base64(HMAC_SHA512, &key, &body);
            let receiver = if store_down { &down } else { &up };
            let request = post(
                "/occ",
                &[
                    ("content-type", "application/json"),
                    ("x-oracle-cc-webhook-signature-sha512", &signature),
                ],
                &body,
            );
            let response = runtime.block_on(occ_organization::handle(request, receiver));
            let status = response.status().as_u16();
            check_authenticated(&receiver.common.store, &body, status)?;
            prop_assert_ne!(status, 401, "a valid signature is accepted");
            Ok(())
        })
        .unwrap();
}

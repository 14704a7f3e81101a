//! Bad input, end to end: hundreds of crafted bodies per function, made from a
//! valid delivery, through the real handlers and SDK against moto. Each case
//! names the exact status it must get; every authenticated 400/422 must be
//! quarantined (and nothing else stored), every unauthenticated one stores
//! nothing, and none is answered 200.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::{
    all_items, api_request, body_json, content_type, fresh_store, hmac_base64, local_aws,
    resolved_items, test_metrics, HMAC_SHA256, HMAC_SHA512,
};
use jiff::tz::TimeZone;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Store;
use webhook_shared::validate::model::chargeover::MainContactChange;
use webhook_shared::validate::model::occ::OrganizationChange;
use webhook_shared::EventId;

const CO_SECRET: &str = "SFkJ3fy02n17YxNXm96tCGUKVTOAIBsH";
const CO_PATH: &str = "/chargeover/customer/main-contact";
/// Base64 of "bad-input-test-key", as the OCC admin shows it.
const OCC_KEY_TEXT: &str = "YmFkLWlucHV0LXRlc3Qta2V5";
const OCC_PATH: &str = "/occ/organization";
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A long string that still fits the body limit.
const LONG: usize = 100 * 1024;

/// One crafted request and the answer it must get.
struct Case {
    name: String,
    method: &'static str,
    /// Besides `content-type` (unless `content_type` overrides it).
    headers: Vec<(String, String)>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    /// A pointer a 422's `errors` must name.
    pointer: Option<String>,
}

impl Case {
    fn new(name: impl Into<String>, body: impl Into<Vec<u8>>, status: u16) -> Self {
        Case {
            name: name.into(),
            method: "POST",
            headers: Vec::new(),
            content_type: Some("application/json"),
            body: body.into(),
            status,
            pointer: None,
        }
    }

    fn at(mut self, pointer: &str) -> Self {
        self.pointer = Some(pointer.to_owned());
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Authenticated and refused for its content: must be quarantined.
    fn quarantined(&self) -> bool {
        matches!(self.status, 400 | 422)
    }

    fn request(&self, path: &str) -> Request {
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        if let Some(content_type) = self.content_type {
            headers.push(("content-type", content_type));
        }
        request(self.method, path, &headers, &self.body)
    }
}

/// An API Gateway (payload 2.0) request; bodies that are not UTF-8 arrive
/// base64-encoded, as API Gateway sends them.
/// `value` as the function parses a body.
fn attribute(value: &Value) -> aws_sdk_dynamodb::types::AttributeValue {
    webhook_shared::validate::json::parse(value.to_string().as_bytes()).expect("JSON")
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    if let Ok(text) = std::str::from_utf8(body) {
        return api_request(method, path, headers, text);
    }
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), json!(value)))
        .collect();
    let event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "tests"},
            "requestId": "tests", "routeKey": format!("{method} {path}"), "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000", "timeEpoch": 1795348800000u64
        },
        "body": STANDARD.encode(body),
        "isBase64Encoded": true
    });
    lambda_http::request::from_str(&event.to_string()).expect("API Gateway event")
}

// ---------------------------------------------------------------- JSON surgery

/// Sets (or adds) the member or item at `pointer`.
fn set(value: &mut Value, pointer: &str, new: Value) {
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer below the root");
    match value.pointer_mut(parent) {
        Some(Value::Object(members)) => {
            members.insert(last.to_owned(), new);
        }
        Some(Value::Array(items)) => items[last.parse::<usize>().expect("an index")] = new,
        _ => panic!("no object or array at {parent}"),
    }
}

fn remove(value: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer below the root");
    match value.pointer_mut(parent) {
        Some(Value::Object(members)) => {
            members.remove(last);
        }
        _ => panic!("no object at {parent}"),
    }
}

fn with(base: &Value, pointer: &str, new: Value) -> Value {
    let mut value = base.clone();
    set(&mut value, pointer, new);
    value
}

fn without(base: &Value, pointer: &str) -> Value {
    let mut value = base.clone();
    remove(&mut value, pointer);
    value
}

/// The body with `raw` (any text, JSON or not) as the value at `pointer`.
fn with_raw(base: &Value, pointer: &str, raw: &str) -> Vec<u8> {
    const MARK: &str = "@@raw-value@@";
    let text = with(base, pointer, json!(MARK)).to_string();
    let quoted = format!("\"{MARK}\"");
    assert_eq!(text.matches(&quoted).count(), 1);
    text.replacen(&quoted, raw, 1).into_bytes()
}

/// The body's text with the first `from` replaced by `to`.
fn edited(base: &Value, from: &str, to: &str) -> Vec<u8> {
    let text = base.to_string();
    assert!(text.contains(from), "{from} in the base body");
    text.replacen(from, to, 1).into_bytes()
}

fn bytes_replaced(base: &Value, from: &str, to: &[u8]) -> Vec<u8> {
    let text = base.to_string();
    let at = text
        .find(from)
        .unwrap_or_else(|| panic!("{from} in the base body"));
    let mut out = text.as_bytes()[..at].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&text.as_bytes()[at + from.len()..]);
    out
}

fn nested_arrays(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn nested_objects(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// The bodies every function gets: valid JSON text made malformed (400).
fn malformed_bodies(base: &Value, string_at: &str, number_at: &str) -> Vec<(String, Vec<u8>)> {
    let text = base.to_string();
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut bodies: Vec<(String, Vec<u8>)> = vec![
        ("empty body".into(), Vec::new()),
        ("whitespace only".into(), b" \n\t ".to_vec()),
        ("lone bracket".into(), b"[".to_vec()),
        ("closing brace".into(), b"}".to_vec()),
        ("bare word".into(), b"customer".to_vec()),
        (
            "UTF-8 BOM".into(),
            [b"\xef\xbb\xbf".as_slice(), bytes].concat(),
        ),
        (
            "UTF-16 BOM".into(),
            [b"\xfe\xff".as_slice(), bytes].concat(),
        ),
        (
            "UTF-16LE text".into(),
            text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ),
        ("NUL first".into(), [b"\0".as_slice(), bytes].concat()),
        ("NUL last".into(), [bytes, b"\0".as_slice()].concat()),
        (
            "NUL after colon".into(),
            text.replacen(':', ":\0", 1).into_bytes(),
        ),
        (
            "NUL between members".into(),
            text.replacen(',', "\0,", 1).into_bytes(),
        ),
        ("trailing object".into(), format!("{text}{{}}").into_bytes()),
        ("trailing word".into(), format!("{text} x").into_bytes()),
        ("trailing comma".into(), format!("{text},").into_bytes()),
        ("trailing bracket".into(), format!("{text}]").into_bytes()),
        ("two bodies".into(), format!("{text}\n{text}").into_bytes()),
        (
            "trailing comma in object".into(),
            text.replacen('}', ",}", 1).into_bytes(),
        ),
        ("comment".into(), format!("/* c */{text}").into_bytes()),
        (
            "single quotes".into(),
            text.replacen('"', "'", 2).into_bytes(),
        ),
        (
            "unquoted key".into(),
            format!("{{a:1,{}", &text[1..]).into_bytes(),
        ),
        (
            "deep arrays 129".into(),
            with_raw(base, "/deep", &nested_arrays(129)),
        ),
        (
            "deep arrays 200".into(),
            with_raw(base, "/deep", &nested_arrays(200)),
        ),
        (
            "deep arrays 5000".into(),
            with_raw(base, "/deep", &nested_arrays(5000)),
        ),
        (
            "deep objects 200".into(),
            with_raw(base, "/deep", &nested_objects(200)),
        ),
        ("deep whole body".into(), nested_arrays(1000).into_bytes()),
        ("number 1e400".into(), with_raw(base, number_at, "1e400")),
        ("number -1e400".into(), with_raw(base, number_at, "-1e400")),
        (
            "number 1e999999".into(),
            with_raw(base, "/extra_number", "1e999999"),
        ),
        (
            "number of 100 KB digits".into(),
            with_raw(base, "/extra_number", &"9".repeat(LONG)),
        ),
        ("NaN".into(), with_raw(base, number_at, "NaN")),
        ("Infinity".into(), with_raw(base, number_at, "Infinity")),
        ("-Infinity".into(), with_raw(base, number_at, "-Infinity")),
        ("leading zero".into(), with_raw(base, number_at, "0123")),
        ("plus sign".into(), with_raw(base, number_at, "+1")),
        ("bare fraction".into(), with_raw(base, number_at, ".5")),
        ("dangling point".into(), with_raw(base, number_at, "1.")),
        ("hex number".into(), with_raw(base, number_at, "0x10")),
        (
            "lone surrogate escape".into(),
            with_raw(base, string_at, "\"\\ud800\""),
        ),
        (
            "invalid escape".into(),
            with_raw(base, string_at, "\"\\x41\""),
        ),
        (
            "raw tab in string".into(),
            with_raw(base, string_at, "\"a\tb\""),
        ),
        (
            "raw NUL in string".into(),
            with_raw(base, string_at, "\"a\0b\""),
        ),
        (
            "raw newline in string".into(),
            with_raw(base, string_at, "\"a\nb\""),
        ),
        (
            "unterminated 100 KB string".into(),
            format!("{{\"x\": \"{}", "x".repeat(LONG)).into_bytes(),
        ),
        ("100 KB string, then truncated".into(), {
            let long = with(base, "/long", json!("y".repeat(LONG))).to_string();
            long.as_bytes()[..long.len() - 3].to_vec()
        }),
    ];
    for (label, bad) in [
        ("invalid byte FF", b"\xff".as_slice()),
        ("invalid sequence C3 28", b"\xc3\x28"),
        ("overlong C0 AF", b"\xc0\xaf"),
        ("encoded surrogate", b"\xed\xa0\x80"),
        ("cut multi-byte", b"\xe2\x82"),
        ("latin-1 e9", b"caf\xe9"),
    ] {
        let raw = [b"\"a ".as_slice(), bad, b" b\""].concat();
        let marked = with(base, string_at, json!("@@utf8@@")).to_string();
        let at = marked.find("\"@@utf8@@\"").expect("marker");
        let body = [
            &marked.as_bytes()[..at],
            raw.as_slice(),
            &marked.as_bytes()[at + "\"@@utf8@@\"".len()..],
        ]
        .concat();
        bodies.push((format!("invalid UTF-8: {label}"), body));
    }
    for offset in [
        1,
        2,
        17,
        len / 4,
        len / 3,
        len / 2,
        len * 3 / 4,
        len - 2,
        len - 1,
    ] {
        bodies.push((format!("truncated at {offset}"), bytes[..offset].to_vec()));
    }
    bodies
}

/// Numbers DynamoDB cannot store, at `number_at` and elsewhere (422).
fn unstorable_numbers(base: &Value, number_at: &str) -> Vec<(String, Value)> {
    [
        (number_at.to_owned(), json!(1e126)),
        (number_at.to_owned(), json!(-1e300)),
        ("/extra_number".to_owned(), json!(1e-131)),
        ("/extra_number".to_owned(), json!(-1.5e200)),
        ("/extra_list".to_owned(), json!([1, 2, 1e130])),
    ]
    .into_iter()
    .map(|(pointer, number)| {
        let expected = if pointer == "/extra_list" {
            "/extra_list/2".to_owned()
        } else {
            pointer.clone()
        };
        (expected, with(base, &pointer, number))
    })
    .collect()
}

/// Runs every case; panics listing every case that got another answer.
async fn run<F>(cases: &[Case], mut send: F)
where
    F: AsyncFnMut(&Case) -> Response<Body>,
{
    let mut failures = Vec::new();
    for case in cases {
        let response = send(case).await;
        let status = response.status().as_u16();
        if status != case.status {
            failures.push(format!(
                "{}: expected {}, got {status}: {:?}",
                case.name,
                case.status,
                String::from_utf8_lossy(response.body().as_ref())
            ));
            continue;
        }
        if content_type(&response) != "application/problem+json" {
            failures.push(format!("{}: not a problem body", case.name));
            continue;
        }
        if let Some(pointer) = &case.pointer {
            let problem = body_json(&response);
            let pointers: Vec<&str> = problem["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| e["pointer"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            if !pointers.contains(&pointer.as_str()) {
                failures.push(format!(
                    "{}: {pointer} not among the errors {pointers:?}",
                    case.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Exactly one quarantine item per authenticated rejected case, with its
/// status and without secrets; nothing else stored.
async fn assert_quarantine(store: &Store, cases: &[Case], pk: &str, secrets: &[&str]) {
    let expected: HashMap<String, (u16, &str)> = cases
        .iter()
        .filter(|case| case.quarantined())
        .map(|case| {
            (
                EventId::of(&case.body).to_string(),
                (case.status, case.name.as_str()),
            )
        })
        .collect();
    assert_eq!(
        expected.len(),
        cases.iter().filter(|case| case.quarantined()).count(),
        "quarantined bodies are distinct"
    );
    let items = resolved_items(store).await;
    let others: Vec<&Value> = items.iter().filter(|item| item["pk"] != pk).collect();
    assert!(others.is_empty(), "stored outside quarantine: {others:?}");
    assert_eq!(items.len(), expected.len(), "one quarantine item per case");
    for item in &items {
        let event_id = item["event_id"].as_str().expect("event_id");
        let (status, name) = expected
            .get(event_id)
            .unwrap_or_else(|| panic!("quarantine item of no case: {event_id}"));
        assert_eq!(item["status"], *status, "{name}");
        let body = item["body"].as_str().expect("body");
        for secret in secrets {
            assert!(!body.contains(secret), "{name}: secret kept in quarantine");
        }
    }
}

fn assert_distinct(cases: &[Case]) {
    let mut seen = HashSet::new();
    for case in cases {
        assert!(seen.insert(&case.name), "case name {} twice", case.name);
    }
}

fn count_by_status(cases: &[Case]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for case in cases {
        *counts.entry(case.status).or_default() += 1;
    }
    counts
}

// ------------------------------------------------------------------ ChargeOver

fn fixture(name: &str) -> Value {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn chargeover_base() -> Value {
    json!({"context_str": "customer", "context_id": 413, "event": "super",
           "data": {"customer": fixture("chargeover-customer.json"),
                    "user": fixture("chargeover-user.json")},
           "security_token": CO_SECRET})
}

fn chargeover_receiver(store: &Store) -> chargeover_main_contact::Receiver<Store> {
    use chargeover_main_contact::auth::TokenKeys;
    let keys = TokenKeys::from_secret(&SecretValue::parse(CO_SECRET).unwrap()).unwrap();
    chargeover_main_contact::Receiver {
        store: store.clone(),
        keys: SecretStore::fixed(keys),
        timezone: TimeZone::get("America/Chicago").unwrap(),
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
        max_body_bytes: MAX_BODY_BYTES,
        retention_days: None,
        metrics: test_metrics(),
    }
}

/// Every id of the model: a number or a numeric string, nothing else.
const CHARGEOVER_IDS: &[&str] = &[
    "/context_id",
    "/user_id",
    "/data/user_id",
    "/data/customer/customer_id",
    "/data/customer/parent_customer_id",
    "/data/customer/superuser_id",
    "/data/customer/language_id",
    "/data/customer/currency_id",
    "/data/customer/class_id",
    "/data/customer/admin_id",
    "/data/customer/campaign_id",
    "/data/customer/brand_id",
    "/data/customer/terms_id",
    "/data/customer/terms_days",
    "/data/customer/customer_status_id",
    "/data/customer/default_creditcard_id",
    "/data/customer/default_ach_id",
    "/data/user/user_id",
    "/data/user/user_type_id",
    "/data/user/customer_id",
];

/// Not ids: non-numeric or signed strings, booleans, arrays, objects,
/// negative, fractional and out-of-range numbers.
fn bad_ids() -> Vec<Value> {
    vec![
        json!("abc"),
        json!("12a"),
        json!(" 1"),
        json!("-5"),
        json!("1e3"),
        json!("\u{661}\u{662}"),
        json!("99999999999999999999"),
        json!(true),
        json!([413]),
        json!({"id": 413}),
        json!(-1),
        json!(1.5),
        json!(1e20),
    ]
}

fn chargeover_cases() -> Vec<Case> {
    let base = chargeover_base();
    let key = |case: Case| case.header("x-chargeover-key", CO_SECRET);
    let mut cases = Vec::new();

    // Ids of every kind of wrong.
    for pointer in CHARGEOVER_IDS {
        for (n, bad) in bad_ids().into_iter().enumerate() {
            cases.push(
                key(Case::new(
                    format!("id {pointer} bad #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
        let digits = format!("\"{}\"", "7".repeat(LONG));
        cases.push(
            key(Case::new(
                format!("id {pointer} as 100 KB of digits"),
                with_raw(&base, pointer, &digits),
                422,
            ))
            .at(pointer),
        );
    }
    // Numbers as strings and strings as numbers in the other typed fields.
    let typed: Vec<(&str, Vec<Value>)> = vec![
        (
            "/data/customer/total",
            vec![json!("3400"), json!(true), json!([1])],
        ),
        ("/data/customer/balance", vec![json!("4103.50"), json!({})]),
        ("/data/customer/paid", vec![json!("0")]),
        ("/data/customer/mrr", vec![json!("0.00")]),
        ("/data/customer/arr", vec![json!(false)]),
        (
            "/data/customer/no_taxes",
            vec![json!("yes"), json!(2), json!("TRUE")],
        ),
        ("/data/customer/no_dunning", vec![json!(-1), json!([true])]),
        ("/data/customer/no_latefees", vec![json!("no")]),
        ("/data/customer/no_procfees", vec![json!(0.5)]),
        (
            "/data/customer/company",
            vec![json!(12345), json!(true), json!(["Acme"])],
        ),
        ("/data/customer/superuser_email", vec![json!(1)]),
        ("/data/customer/bill_city", vec![json!({"city": "x"})]),
        ("/data/customer/token", vec![json!(42)]),
        ("/data/customer/custom_1", vec![json!(1)]),
        (
            "/data/customer/invoice_delivery",
            vec![json!(1), json!(["email"])],
        ),
        (
            "/data/customer/tags",
            vec![json!("vip"), json!([1]), json!([["a"]]), json!({"0": "a"})],
        ),
        (
            "/data/customer/mod_datetime",
            vec![
                json!(20171005),
                json!("yesterday"),
                json!("2017-13-05 17:51:22"),
                json!("2017-10-05 25:00:00"),
                json!(true),
            ],
        ),
        ("/data/customer/write_datetime", vec![json!("05/10/2017")]),
        ("/data/user/mod_datetime", vec![json!(1507243882)]),
        ("/data/user/email", vec![json!(5)]),
        ("/data/user/first_name", vec![json!(false)]),
        (
            "/context_str",
            vec![json!(1), json!("invoice"), json!("Customer")],
        ),
        ("/event", vec![json!(0), json!("update"), json!("SUPER")]),
    ];
    for (pointer, values) in typed {
        for (n, bad) in values.into_iter().enumerate() {
            cases.push(
                key(Case::new(
                    format!("typed {pointer} #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    // Wrong top-level types: not an object at all.
    for (n, top) in [
        json!([]),
        json!([base.clone()]),
        json!("customer"),
        json!(413),
        json!(true),
        json!(null),
        json!(0.5),
        json!(""),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(key(Case::new(format!("top level #{n}"), top.to_string(), 422)).at(""));
    }
    cases.push(
        key(Case::new(
            "100 KB of whitespace, then an array",
            format!("{}[]", " ".repeat(LONG)),
            422,
        ))
        .at(""),
    );
    // Required structure broken.
    let structural: Vec<(&str, Value, &str)> = vec![
        (
            "context_id 0",
            with(&base, "/context_id", json!(0)),
            "/context_id",
        ),
        (
            "context_id not the customer's",
            with(&base, "/context_id", json!(414)),
            "/data/customer/customer_id",
        ),
        (
            "context_id missing",
            without(&base, "/context_id"),
            "/context_id",
        ),
        (
            "context_id null",
            with(&base, "/context_id", json!(null)),
            "/context_id",
        ),
        (
            "context_id blank",
            with(&base, "/context_id", json!("")),
            "/context_id",
        ),
        (
            "context_str missing",
            without(&base, "/context_str"),
            "/context_str",
        ),
        ("event missing", without(&base, "/event"), "/event"),
        ("data missing", without(&base, "/data"), "/data"),
        ("data null", with(&base, "/data", json!(null)), "/data"),
        ("data array", with(&base, "/data", json!([])), "/data"),
        ("data string", with(&base, "/data", json!("x")), "/data"),
        (
            "customer missing",
            without(&base, "/data/customer"),
            "/data/customer",
        ),
        (
            "customer null",
            with(&base, "/data/customer", json!(null)),
            "/data/customer",
        ),
        (
            "customer array",
            with(&base, "/data/customer", json!([])),
            "/data/customer",
        ),
        (
            "customer number",
            with(&base, "/data/customer", json!(413)),
            "/data/customer",
        ),
        (
            "customer_id missing",
            without(&base, "/data/customer/customer_id"),
            "/data/customer/customer_id",
        ),
        (
            "customer_id null",
            with(&base, "/data/customer/customer_id", json!(null)),
            "/data/customer/customer_id",
        ),
        (
            "customer_id blank",
            with(&base, "/data/customer/customer_id", json!("")),
            "/data/customer/customer_id",
        ),
        (
            "user string",
            with(&base, "/data/user", json!("x")),
            "/data/user",
        ),
        (
            "user array",
            with(&base, "/data/user", json!([])),
            "/data/user",
        ),
        (
            "user of another customer",
            with(&base, "/data/user/customer_id", json!(999)),
            "/data/user/customer_id",
        ),
    ];
    for (name, body, pointer) in structural {
        cases.push(key(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    // Extra top-level fields, `__proto__`-style keys: kept when alone, but
    // they do not rescue a broken field.
    let mut extras = base.clone();
    for (name, value) in [
        ("extra_top", json!({"nested": [1, 2, {"x": null}]})),
        ("custom_99", json!("x")),
        ("zzz", json!([true, false])),
    ] {
        set(&mut extras, &format!("/{name}"), value);
    }
    let broken_with_extras: Vec<(&str, Value, &str)> = vec![
        (
            "extras + context_str",
            with(&extras, "/context_str", json!("invoice")),
            "/context_str",
        ),
        (
            "extras + event missing",
            without(&extras, "/event"),
            "/event",
        ),
        (
            "extras + customer_id missing",
            without(&extras, "/data/customer/customer_id"),
            "/data/customer/customer_id",
        ),
        (
            "extras + customer null",
            with(&extras, "/data/customer", json!(null)),
            "/data/customer",
        ),
        (
            "extras + total text",
            with(&extras, "/data/customer/total", json!("1")),
            "/data/customer/total",
        ),
        (
            "__proto__ + context_id",
            with(
                &with(&base, "/__proto__", json!({"isAdmin": true})),
                "/context_id",
                json!("x"),
            ),
            "/context_id",
        ),
        (
            "constructor.prototype + event",
            with(
                &with(&base, "/constructor", json!({"prototype": {"polluted": 1}})),
                "/event",
                json!("x"),
            ),
            "/event",
        ),
        (
            "customer __proto__ + customer_id",
            with(
                &with(&base, "/data/customer/__proto__", json!({"customer_id": 1})),
                "/data/customer/customer_id",
                json!("abc"),
            ),
            "/data/customer/customer_id",
        ),
        (
            "user __proto__ + user of another customer",
            with(
                &with(&base, "/data/user/__proto__", json!(null)),
                "/data/user/customer_id",
                json!(999),
            ),
            "/data/user/customer_id",
        ),
        (
            "prototype + total text",
            with(
                &with(&base, "/prototype", json!([])),
                "/data/customer/total",
                json!("12"),
            ),
            "/data/customer/total",
        ),
        (
            "100 KB company + context_str",
            with(
                &with(&base, "/data/customer/company", json!("c".repeat(LONG))),
                "/context_str",
                json!("x"),
            ),
            "/context_str",
        ),
        (
            "100 KB member name + event",
            with(
                &with(&base, &format!("/{}", "k".repeat(LONG)), json!(1)),
                "/event",
                json!("x"),
            ),
            "/event",
        ),
        (
            "deep but parseable id",
            with(
                &base,
                "/data/customer/customer_id",
                serde_json::from_str(&nested_arrays(100)).unwrap(),
            ),
            "/data/customer/customer_id",
        ),
    ];
    for (name, body, pointer) in broken_with_extras {
        cases.push(key(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    for (n, (pointer, body)) in unstorable_numbers(&base, "/data/customer/total")
        .into_iter()
        .enumerate()
    {
        cases.push(
            key(Case::new(
                format!("unstorable number #{n}"),
                body.to_string(),
                422,
            ))
            .at(&pointer),
        );
    }
    // Malformed: only the header can authenticate it.
    for (name, body) in malformed_bodies(&base, "/data/customer/company", "/data/customer/total") {
        cases.push(key(Case::new(format!("malformed: {name}"), body, 400)));
    }
    // Duplicate member names, at every depth (400).
    let duplicates: Vec<(&str, Vec<u8>)> = vec![
        (
            "duplicate context_id",
            edited(&base, "{", "{\"context_id\":413,"),
        ),
        (
            "duplicate security_token",
            edited(
                &base,
                "{",
                &format!("{{\"security_token\":\"{CO_SECRET}\","),
            ),
        ),
        ("duplicate data", edited(&base, "{", "{\"data\":{},")),
        (
            "duplicate event, other value",
            edited(&base, "{", "{\"event\":\"other\","),
        ),
        (
            "duplicate customer_id",
            edited(
                &base,
                "\"customer_id\":413",
                "\"customer_id\":413,\"customer_id\":413",
            ),
        ),
        (
            "duplicate user_id",
            edited(&base, "\"user_id\":770", "\"user_id\":770,\"user_id\":771"),
        ),
        (
            "duplicate escaped name",
            edited(&base, "{", "{\"\\u0063ontext_id\":413,"),
        ),
        (
            "duplicate in unknown object",
            with_raw(&base, "/extra", "{\"k\":1,\"k\":1}"),
        ),
        (
            "duplicate in array item",
            with_raw(&base, "/extra", "[{\"a\":1},{\"b\":1,\"b\":2}]"),
        ),
        (
            "duplicate __proto__",
            with_raw(&base, "/extra", "{\"__proto__\":1,\"__proto__\":{}}"),
        ),
    ];
    for (name, body) in duplicates {
        cases.push(key(Case::new(name, body, 400)));
    }
    let invalid_utf8_token = bytes_replaced(&base, CO_SECRET, b"\xff\xfe");
    cases.push(key(Case::new(
        "invalid UTF-8 in security_token",
        invalid_utf8_token,
        400,
    )));

    // Unauthenticated: 401 and nothing stored, whatever the body.
    let mut no_token = base.clone();
    remove(&mut no_token, "/security_token");
    let unauthenticated: Vec<Case> = vec![
        Case::new("no token anywhere", no_token.to_string(), 401),
        Case::new("wrong header, no body token", no_token.to_string(), 401)
            .header("x-chargeover-key", "wrong"),
        Case::new("wrong header, right body token", base.to_string(), 401)
            .header("x-chargeover-key", "wrong"),
        Case::new("empty header", no_token.to_string(), 401).header("x-chargeover-key", ""),
        Case::new("header of the secret's prefix", no_token.to_string(), 401)
            .header("x-chargeover-key", &CO_SECRET[..31]),
        Case::new("header of the secret, extended", no_token.to_string(), 401)
            .header("x-chargeover-key", &format!("{CO_SECRET}x")),
        Case::new(
            "header of the secret, lowercased",
            no_token.to_string(),
            401,
        )
        .header("x-chargeover-key", &CO_SECRET.to_lowercase()),
        key(Case::new(
            "right header, wrong body token",
            with(&base, "/security_token", json!("wrong")).to_string(),
            401,
        )),
        key(Case::new(
            "right header, numeric body token",
            with(&base, "/security_token", json!(12345)).to_string(),
            401,
        )),
        key(Case::new(
            "right header, null body token",
            with(&base, "/security_token", json!(null)).to_string(),
            401,
        )),
        key(Case::new(
            "right header, body token as array",
            with(&base, "/security_token", json!([CO_SECRET])).to_string(),
            401,
        )),
        Case::new(
            "body token only, malformed body",
            &base.to_string().as_bytes()[..200],
            401,
        ),
        Case::new(
            "body token only, duplicate member",
            edited(&base, "{", "{\"event\":\"super\","),
            401,
        ),
        Case::new(
            "body token only, BOM",
            [b"\xef\xbb\xbf".as_slice(), base.to_string().as_bytes()].concat(),
            401,
        ),
        Case::new(
            "nested token only",
            with(&no_token, "/data/security_token", json!(CO_SECRET)).to_string(),
            401,
        ),
        Case::new(
            "token under another name",
            with(&no_token, "/securityToken", json!(CO_SECRET)).to_string(),
            401,
        ),
        Case::new(
            "wrong event, wrong header",
            with(&base, "/event", json!("x")).to_string(),
            401,
        )
        .header("x-chargeover-key", "wrong"),
        Case::new("token in Authorization instead", no_token.to_string(), 401)
            .header("authorization", &format!("Bearer {CO_SECRET}")),
    ];
    cases.extend(unauthenticated);
    cases.extend(request_problems(&base, key));
    cases
}

/// 405, 413, 415: refused before authentication, never stored.
fn request_problems(base: &Value, authenticate: impl Fn(Case) -> Case) -> Vec<Case> {
    let valid = base.to_string();
    let mut cases = Vec::new();
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let mut case = authenticate(Case::new(format!("method {method}"), valid.clone(), 405));
        case.method = method;
        cases.push(case);
    }
    for (n, content_type) in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
        Some("text/json"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut case = authenticate(Case::new(
            format!("content type #{n} {content_type:?}"),
            valid.clone(),
            415,
        ));
        case.content_type = content_type;
        cases.push(case);
    }
    let oversized = with(base, "/pad", json!("p".repeat(MAX_BODY_BYTES))).to_string();
    cases.push(authenticate(Case::new(
        "body over the limit",
        oversized,
        413,
    )));
    cases
}

#[tokio::test]
async fn chargeover_crafted_bodies() {
    let base = chargeover_base();
    assert!(
        MainContactChange::read(&attribute(&without(&base, "/security_token"))).is_ok(),
        "the base payload is valid"
    );
    let store = fresh_store(&local_aws().await).await;
    let receiver = chargeover_receiver(&store);
    let cases = chargeover_cases();
    assert_distinct(&cases);
    let counts = count_by_status(&cases);
    assert!(
        cases.len() >= 100 && counts[&400] >= 40 && counts[&422] >= 100,
        "{counts:?}"
    );

    run(&cases, async |case: &Case| {
        chargeover_main_contact::handle(case.request(CO_PATH), &receiver).await
    })
    .await;
    assert_quarantine(
        &store,
        &cases,
        "CHARGEOVER#REJECTED",
        &[CO_SECRET, "never-stored-password"],
    )
    .await;
}

// ------------------------------------------------------------------------ OCC

fn occ_base() -> Value {
    let path = format!(
        "{}/../shared/fixtures/occ-organization-seed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut base: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let contract = json!({"repositoryId": "c1", "catalog": {"repositoryId": "cat1"},
        "priceListGroup": {"repositoryId": "plg1"}, "terms": {"repositoryId": "t1", "terms": "Net 30"}});
    for (name, value) in [
        ("repositoryId", json!("or-300007")),
        ("externalOrganizationId", json!("ext-300007")),
        (
            "parentOrganization",
            json!({"id": "or-1", "repositoryId": "or-1", "name": "Parent",
            "active": true, "externalOrganizationId": "ext-1"}),
        ),
        (
            "ancestorOrganizations",
            json!([{"id": "or-1", "repositoryId": "or-1", "name": "Parent"}]),
        ),
        (
            "members",
            json!([{"customerContactId": "cc1", "repositoryId": "u1"}]),
        ),
        (
            "secondaryMembers",
            json!([{"customerContactId": "cc2", "repositoryId": "u2"}]),
        ),
        (
            "secondaryAddresses",
            json!([{"address": {"repositoryId": "a1", "city": "Austin",
            "externalAddressId": "xa1",
            "types": [{"id": "SHIPPING", "repositoryId": "t1", "displayName": "Shipping"}]},
            "addressType": "HQ"}]),
        ),
        (
            "shippingMethods",
            json!([{"id": "sm1", "displayName": "Ground"}]),
        ),
        (
            "derivedShippingMethods",
            json!([{"id": "sm2", "displayName": "Air"}]),
        ),
        (
            "siteOrganizationProperties",
            json!([{"properties": {"approvalRequired": false,
            "shippingMethods": [{"id": "sm3"}], "contract": {"repositoryId": "c2"}},
            "site": {"siteId": "siteUS"}}]),
        ),
        ("contract", contract),
        (
            "billingAddress",
            json!({"repositoryId": "ba1", "city": "Austin", "externalAddressId": "xb1"}),
        ),
        ("orderPriceLimit", json!(2500)),
    ] {
        base["organization"][name] = value;
    }
    base
}

fn occ_receiver(store: &Store) -> occ_organization::Receiver<Store> {
    use occ_organization::auth::{Algorithms, HmacKeys};
    let keys = HmacKeys::from_secret(&SecretValue::parse(OCC_KEY_TEXT).unwrap()).unwrap();
    occ_organization::Receiver {
        store: store.clone(),
        keys: SecretStore::fixed(keys),
        algorithms: Algorithms::ALL,
        max_body_bytes: MAX_BODY_BYTES,
        retention_days: None,
        metrics: test_metrics(),
    }
}

fn occ_key() -> Vec<u8> {
    STANDARD.decode(OCC_KEY_TEXT).unwrap()
}

fn sign512(body: &[u8]) -> String {
    hmac_base64(HMAC_SHA512, &occ_key(), body)
}

fn sign256(body: &[u8]) -> String {
    hmac_base64(HMAC_SHA256, &occ_key(), body)
}

fn signed(case: Case) -> Case {
    let signature = sign512(&case.body);
    case.header("x-oracle-cc-webhook-signature-sha512", &signature)
}

/// Every OCC id (all strings in the model).
const OCC_IDS: &[&str] = &[
    "/organization/id",
    "/organization/repositoryId",
    "/organization/externalOrganizationId",
    "/organization/uniqueId",
    "/organization/derivedUniqueId",
    "/organization/parentOrganization/id",
    "/organization/parentOrganization/repositoryId",
    "/organization/parentOrganization/externalOrganizationId",
    "/organization/ancestorOrganizations/0/id",
    "/organization/ancestorOrganizations/0/repositoryId",
    "/organization/members/0/repositoryId",
    "/organization/members/0/customerContactId",
    "/organization/secondaryMembers/0/repositoryId",
    "/organization/relativeRoles/0/repositoryId",
    "/organization/secondaryAddresses/0/address/repositoryId",
    "/organization/secondaryAddresses/0/address/externalAddressId",
    "/organization/secondaryAddresses/0/address/types/0/id",
    "/organization/secondaryAddresses/0/address/types/0/repositoryId",
    "/organization/shippingMethods/0/id",
    "/organization/derivedShippingMethods/0/id",
    "/organization/siteOrganizationProperties/0/site/siteId",
    "/organization/siteOrganizationProperties/0/properties/shippingMethods/0/id",
    "/organization/siteOrganizationProperties/0/properties/contract/repositoryId",
    "/organization/contract/repositoryId",
    "/organization/contract/catalog/repositoryId",
    "/organization/contract/priceListGroup/repositoryId",
    "/organization/contract/terms/repositoryId",
    "/organization/billingAddress/repositoryId",
    "/organization/billingAddress/externalAddressId",
];

/// Where `_actionCode` may sit.
const OCC_ACTION_CODES: &[&str] = &[
    "/organization/relativeRoles/0/_actionCode",
    "/organization/members/0/_actionCode",
    "/organization/secondaryMembers/0/_actionCode",
    "/organization/secondaryAddresses/0/address/_actionCode",
    "/organization/secondaryAddresses/0/address/types/0/_actionCode",
    "/organization/shippingMethods/0/_actionCode",
    "/organization/siteOrganizationProperties/0/properties/_actionCode",
    "/organization/parentOrganization/_actionCode",
    "/organization/ancestorOrganizations/0/_actionCode",
];

fn occ_cases() -> Vec<Case> {
    let base = occ_base();
    let mut cases = Vec::new();

    // Ids are strings: numbers (numbers as ids), booleans, arrays, objects are not.
    for pointer in OCC_IDS {
        for (n, bad) in [
            json!(300007),
            json!(0),
            json!(-1),
            json!(4.5),
            json!(1e20),
            json!(true),
            json!([]),
            json!(["or-1"]),
            json!({}),
            json!({"id": "or-1"}),
        ]
        .into_iter()
        .enumerate()
        {
            cases.push(
                signed(Case::new(
                    format!("id {pointer} bad #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    for pointer in OCC_ACTION_CODES {
        for (n, bad) in [
            json!("create"),
            json!("MERGE"),
            json!(""),
            json!(1),
            json!(["CREATE"]),
        ]
        .into_iter()
        .enumerate()
        {
            cases.push(
                signed(Case::new(
                    format!("action {pointer} bad #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    let typed: Vec<(&str, Vec<Value>)> = vec![
        (
            "/organization/active",
            vec![json!("sometimes"), json!(2), json!("yes")],
        ),
        ("/organization/approvalRequired", vec![json!("no")]),
        (
            "/organization/secondaryAddressesIsTruncated",
            vec![json!("maybe"), json!([])],
        ),
        ("/organization/useExternalApprovalWebhook", vec![json!({})]),
        (
            "/organization/useAllShippingMethodsFromSite",
            vec![json!(1), json!([])],
        ),
        (
            "/organization/orderPriceLimit",
            vec![json!(true), json!({"amount": 1})],
        ),
        ("/organization/name", vec![json!(5), json!(false)]),
        ("/organization/description", vec![json!(true)]),
        ("/organization/type", vec![json!(1)]),
        ("/organization/customerType", vec![json!([])]),
        ("/organization/members", vec![json!({}), json!("u1")]),
        (
            "/organization/relativeRoles",
            vec![json!("admin"), json!(5)],
        ),
        ("/organization/relativeRoles/0", vec![json!(5), json!("r1")]),
        ("/organization/secondaryAddresses", vec![json!({})]),
        ("/organization/shippingMethods", vec![json!(5)]),
        ("/organization/ancestorOrganizations", vec![json!("or-1")]),
        ("/organization/paymentMethods", vec![json!("card")]),
        ("/organization/allSecondaryAddresses", vec![json!([])]),
        ("/organization/contract", vec![json!("c1")]),
        ("/organization/contract/terms", vec![json!(30)]),
        ("/organization/contract/terms/terms", vec![json!(30)]),
        ("/organization/billingAddress", vec![json!([])]),
        ("/organization/parentOrganization", vec![json!("or-1")]),
        (
            "/organization/siteOrganizationProperties/0/site",
            vec![json!("siteUS")],
        ),
    ];
    for (pointer, values) in typed {
        for (n, bad) in values.into_iter().enumerate() {
            cases.push(
                signed(Case::new(
                    format!("typed {pointer} #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    for (n, top) in [
        json!([]),
        json!([base.clone()]),
        json!("organization"),
        json!(300007),
        json!(true),
        json!(null),
        json!(-0.5),
        json!(""),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(signed(Case::new(format!("top level #{n}"), top.to_string(), 422)).at(""));
    }
    let structural: Vec<(&str, Value, &str)> = vec![
        ("empty object", json!({}), "/organization"),
        (
            "organization null",
            json!({"organization": null}),
            "/organization",
        ),
        (
            "organization array",
            json!({"organization": [base["organization"].clone()]}),
            "/organization",
        ),
        (
            "organization string",
            json!({"organization": "or-300007"}),
            "/organization",
        ),
        (
            "organization misspelt",
            json!({"Organization": base["organization"].clone()}),
            "/organization",
        ),
        (
            "id missing",
            without(&base, "/organization/id"),
            "/organization/id",
        ),
        (
            "id empty",
            with(&base, "/organization/id", json!("")),
            "/organization/id",
        ),
        (
            "id null",
            with(&base, "/organization/id", json!(null)),
            "/organization/id",
        ),
    ];
    for (name, body, pointer) in structural {
        cases.push(signed(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    let mut extras = base.clone();
    for (name, value) in [("extra_top", json!({"a": [1]})), ("zzz", json!(null))] {
        set(&mut extras, &format!("/{name}"), value);
    }
    set(
        &mut extras,
        "/organization/unknownProperty",
        json!({"x": 1}),
    );
    let broken_with_extras: Vec<(&str, Value, &str)> = vec![
        (
            "extras + id missing",
            without(&extras, "/organization/id"),
            "/organization/id",
        ),
        (
            "extras + active",
            with(&extras, "/organization/active", json!("x")),
            "/organization/active",
        ),
        (
            "extras + action code",
            with(
                &extras,
                "/organization/relativeRoles/0/_actionCode",
                json!("UPSERT"),
            ),
            "/organization/relativeRoles/0/_actionCode",
        ),
        (
            "__proto__ + id",
            with(
                &with(&base, "/__proto__", json!({"polluted": true})),
                "/organization/id",
                json!(1),
            ),
            "/organization/id",
        ),
        (
            "organization __proto__ + name",
            with(
                &with(&base, "/organization/__proto__", json!({"id": "x"})),
                "/organization/name",
                json!(1),
            ),
            "/organization/name",
        ),
        (
            "constructor.prototype + action code",
            with(
                &with(&base, "/constructor", json!({"prototype": {"x": 1}})),
                "/organization/members/0/_actionCode",
                json!("x"),
            ),
            "/organization/members/0/_actionCode",
        ),
        (
            "role __proto__ + repositoryId",
            with(
                &with(&base, "/organization/relativeRoles/0/__proto__", json!([])),
                "/organization/relativeRoles/0/repositoryId",
                json!(1),
            ),
            "/organization/relativeRoles/0/repositoryId",
        ),
        (
            "100 KB name + active",
            with(
                &with(&base, "/organization/name", json!("n".repeat(LONG))),
                "/organization/active",
                json!("x"),
            ),
            "/organization/active",
        ),
        (
            "100 KB member name + id",
            with(
                &with(
                    &base,
                    &format!("/organization/{}", "k".repeat(LONG)),
                    json!(1),
                ),
                "/organization/id",
                json!(""),
            ),
            "/organization/id",
        ),
        (
            "100 KB id number string list",
            with(&base, "/organization/id", json!(["9".repeat(LONG)])),
            "/organization/id",
        ),
        (
            "deep but parseable id",
            with(
                &base,
                "/organization/id",
                serde_json::from_str(&nested_arrays(100)).unwrap(),
            ),
            "/organization/id",
        ),
    ];
    for (name, body, pointer) in broken_with_extras {
        cases.push(signed(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    for (n, (pointer, body)) in unstorable_numbers(&base, "/organization/orderPriceLimit")
        .into_iter()
        .enumerate()
    {
        cases.push(
            signed(Case::new(
                format!("unstorable number #{n}"),
                body.to_string(),
                422,
            ))
            .at(&pointer),
        );
    }
    for (name, body) in
        malformed_bodies(&base, "/organization/name", "/organization/orderPriceLimit")
    {
        cases.push(signed(Case::new(format!("malformed: {name}"), body, 400)));
    }
    let duplicates: Vec<(&str, Vec<u8>)> = vec![
        (
            "duplicate organization",
            edited(&base, "{", "{\"organization\":{\"id\":\"or-1\"},"),
        ),
        (
            "duplicate id",
            edited(
                &base,
                "\"id\":\"or-300007\"",
                "\"id\":\"or-300007\",\"id\":\"or-300007\"",
            ),
        ),
        (
            "duplicate id, other value",
            edited(
                &base,
                "\"id\":\"or-300007\"",
                "\"id\":\"or-300007\",\"id\":\"or-666\"",
            ),
        ),
        (
            "duplicate escaped id",
            edited(
                &base,
                "\"id\":\"or-300007\"",
                "\"id\":\"or-300007\",\"\\u0069d\":\"or-300007\"",
            ),
        ),
        (
            "duplicate repositoryId in role",
            edited(
                &base,
                "\"repositoryId\":\"400001\"",
                "\"repositoryId\":\"400001\",\"repositoryId\":\"400009\"",
            ),
        ),
        (
            "duplicate in allSecondaryAddresses",
            edited(
                &base,
                "\"allSecondaryAddresses\":{}",
                "\"allSecondaryAddresses\":{\"a\":1,\"a\":1}",
            ),
        ),
        (
            "duplicate _actionCode",
            with_raw(
                &base,
                "/organization/relativeRoles/0",
                "{\"_actionCode\":\"CREATE\",\"_actionCode\":\"DELETE\",\"repositoryId\":\"1\"}",
            ),
        ),
        (
            "duplicate __proto__",
            with_raw(&base, "/extra", "{\"__proto__\":1,\"__proto__\":{}}"),
        ),
    ];
    for (name, body) in duplicates {
        cases.push(signed(Case::new(name, body, 400)));
    }

    // Unauthenticated: whatever the body, 401 and nothing stored.
    let valid = base.to_string();
    let good = sign512(valid.as_bytes());
    let good_bytes = STANDARD.decode(&good).unwrap();
    let flipped = |index: usize| {
        let mut bytes = good_bytes.clone();
        bytes[index] ^= 0x01;
        STANDARD.encode(bytes)
    };
    let other_key = hmac_base64(HMAC_SHA512, b"another key", valid.as_bytes());
    // The key text used as the key, undecoded: a known mistake.
    let raw_key = hmac_base64(HMAC_SHA512, OCC_KEY_TEXT.as_bytes(), valid.as_bytes());
    let sha512 = "x-oracle-cc-webhook-signature-sha512";
    let legacy = "x-oracle-cc-webhook-signature";
    let unsigned = |name: &str, body: &[u8]| Case::new(name, body, 401);
    let unauthenticated: Vec<Case> = vec![
        unsigned("no signature", valid.as_bytes()),
        unsigned("signature of a different body", valid.as_bytes()).header(sha512, &sign512(b"{}")),
        unsigned("signature of the body plus newline", valid.as_bytes())
            .header(sha512, &sign512(format!("{valid}\n").as_bytes())),
        unsigned("signature by another key", valid.as_bytes()).header(sha512, &other_key),
        unsigned("signature with the undecoded key", valid.as_bytes()).header(sha512, &raw_key),
        unsigned("signature, first byte flipped", valid.as_bytes()).header(sha512, &flipped(0)),
        unsigned("signature, last byte flipped", valid.as_bytes()).header(sha512, &flipped(63)),
        unsigned("signature cut short", valid.as_bytes())
            .header(sha512, &STANDARD.encode(&good_bytes[..63])),
        unsigned("signature extended", valid.as_bytes()).header(
            sha512,
            &STANDARD.encode([good_bytes.as_slice(), b"\0"].concat()),
        ),
        unsigned("signature not base64", valid.as_bytes()).header(sha512, "!!not-base64!!"),
        unsigned("signature empty", valid.as_bytes()).header(sha512, ""),
        unsigned("signature as hex", valid.as_bytes()).header(
            sha512,
            &good_bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        ),
        unsigned("SHA-256 signature in the SHA-512 header", valid.as_bytes())
            .header(sha512, &sign256(valid.as_bytes())),
        unsigned("legacy header of 16 bytes", valid.as_bytes())
            .header(legacy, &STANDARD.encode([7u8; 16])),
        unsigned("legacy header of another body", valid.as_bytes()).header(legacy, &sign256(b"{}")),
        unsigned(
            "garbled SHA-512 header beside a valid legacy one",
            valid.as_bytes(),
        )
        .header(sha512, "garbage")
        .header(legacy, &good),
        unsigned("signature in another header", valid.as_bytes()).header("x-signature", &good),
        unsigned("signature as Authorization", valid.as_bytes())
            .header("authorization", &format!("Bearer {good}")),
        unsigned("malformed, unsigned", &valid.as_bytes()[..100]),
        unsigned(
            "malformed, signed for the full body",
            &valid.as_bytes()[..100],
        )
        .header(sha512, &good),
        unsigned(
            "invalid payload, signature of the valid one",
            with(&base, "/organization/id", json!(1))
                .to_string()
                .as_bytes(),
        )
        .header(sha512, &good),
        unsigned("empty body, signature of the valid one", b"").header(sha512, &good),
    ];
    cases.extend(unauthenticated);
    cases.extend(request_problems(&base, signed));
    cases
}

#[tokio::test]
async fn occ_crafted_bodies() {
    let base = occ_base();
    assert!(
        OrganizationChange::read(&attribute(&base)).is_ok(),
        "the base payload is valid"
    );
    let store = fresh_store(&local_aws().await).await;
    let receiver = occ_receiver(&store);
    let cases = occ_cases();
    assert_distinct(&cases);
    let counts = count_by_status(&cases);
    assert!(
        cases.len() >= 100 && counts[&400] >= 40 && counts[&422] >= 100,
        "{counts:?}"
    );

    run(&cases, async |case: &Case| {
        occ_organization::handle(case.request(OCC_PATH), &receiver).await
    })
    .await;
    assert_quarantine(&store, &cases, "OCC#REJECTED", &[OCC_KEY_TEXT]).await;
}

// ------------------------------------------------------------ oversized headers

/// 200 headers and a 64 KB header value: handled, with the usual answer.
fn many_headers(base: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut headers = base;
    headers.extend((0..200).map(|i| (format!("x-filler-{i:03}"), format!("value-{i}"))));
    headers.push(("x-huge".into(), "h".repeat(64 * 1024)));
    headers
}

fn borrowed(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn oversized_headers_are_handled() {
    let aws = local_aws().await;
    let json_type = ("content-type".to_owned(), "application/json".to_owned());

    let store = fresh_store(&aws).await;
    let receiver = chargeover_receiver(&store);
    let body = without(&chargeover_base(), "/security_token").to_string();
    let post = async |headers: Vec<(String, String)>| {
        let headers = many_headers(headers);
        chargeover_main_contact::handle(
            request("POST", CO_PATH, &borrowed(&headers), body.as_bytes()),
            &receiver,
        )
        .await
        .status()
    };
    let huge_key = ("x-chargeover-key".to_owned(), "k".repeat(64 * 1024));
    let key = ("x-chargeover-key".to_owned(), CO_SECRET.to_owned());
    assert_eq!(post(vec![json_type.clone(), huge_key]).await, 401);
    assert_eq!(post(vec![json_type.clone()]).await, 401);
    assert_eq!(post(vec![json_type.clone(), key]).await, 200);
    assert_eq!(all_items(&store).await.len(), 2, "state and one event");

    let store = fresh_store(&aws).await;
    let receiver = occ_receiver(&store);
    let body = occ_base().to_string();
    let post = async |headers: Vec<(String, String)>| {
        let headers = many_headers(headers);
        occ_organization::handle(
            request("POST", OCC_PATH, &borrowed(&headers), body.as_bytes()),
            &receiver,
        )
        .await
        .status()
    };
    let sha512 = "x-oracle-cc-webhook-signature-sha512".to_owned();
    let huge_signature = STANDARD.encode(vec![0u8; 48 * 1024]);
    assert_eq!(
        post(vec![
            json_type.clone(),
            (sha512.clone(), huge_signature.clone())
        ])
        .await,
        401
    );
    assert_eq!(
        post(vec![
            json_type.clone(),
            ("x-oracle-cc-webhook-signature".into(), huge_signature)
        ])
        .await,
        401
    );
    assert_eq!(
        post(vec![
            json_type.clone(),
            (sha512.clone(), "s".repeat(64 * 1024))
        ])
        .await,
        401
    );
    assert_eq!(
        post(vec![json_type.clone(), (sha512, sign512(body.as_bytes()))]).await,
        200
    );
    assert_eq!(all_items(&store).await.len(), 2, "state and one event");
}

#[tokio::test]
async fn occ_signature_of_a_different_body_is_refused() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = occ_receiver(&store);
    let body = occ_base().to_string();
    let mut other = occ_base();
    other["organization"]["name"] = json!("Another name");
    let signature = sign512(other.to_string().as_bytes());
    let response = occ_organization::handle(
        api_request(
            "POST",
            OCC_PATH,
            &[
                ("content-type", "application/json"),
                ("x-oracle-cc-webhook-signature-sha512", &signature),
            ],
            &body,
        ),
        &receiver,
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        body_json(&response)["detail"],
        "the request could not be authenticated"
    );
    assert!(all_items(&store).await.is_empty());
}

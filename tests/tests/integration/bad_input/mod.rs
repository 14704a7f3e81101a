//! Bad input, end to end: hundreds of crafted bodies per function, made from a
//! valid delivery, through the real handlers and SDK against moto. Each case
//! names the exact status it must get; every authenticated 400/422 must be
//! quarantined (and nothing else stored), every unauthenticated one stores
//! nothing, and none is answered 200.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::{
    all_items, api_request, api_request_bytes, body_json, content_type, fresh_store, hmac_base64,
    local_aws, resolved_items, test_metrics, HMAC_SHA256, HMAC_SHA512,
};
use jiff::tz::TimeZone;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Store;
use webhook_shared::validate::model::chargeover::MainContactChange;
use webhook_shared::validate::model::occ::OrganizationChange;
use webhook_shared::EventId;

mod chargeover;
mod headers;
mod occ;

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
        api_request_bytes(self.method, path, &headers, &self.body)
    }
}

/// `value` as the function parses a body.
fn attribute(value: &Value) -> aws_sdk_dynamodb::types::AttributeValue {
    webhook_shared::validate::json::parse(value.to_string().as_bytes()).expect("JSON")
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

fn fixture(name: &str) -> Value {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
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

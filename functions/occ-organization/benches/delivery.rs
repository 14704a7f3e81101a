//! Per-delivery CPU cost of the OCC function without the network: the raw
//! body of a full organization (the seed document with 50 secondary addresses
//! and 20 members), signed with HMAC-SHA512, to the verified, validated,
//! merged DynamoDB transaction, next to plain `serde_json` parsing of the
//! same bytes, so the overhead over parsing shows as a ratio:
//!
//!   occ/serde_json_parse          serde_json::from_slice::<Value>(body)
//!   occ/accept_and_build_write    Receipt (SHA-256 event id) + accept + merge/transaction
//!
//! The stored state is the same organization (a realistic full update) at
//! version 1. `occ_steps/*` break the work into its parts (see
//! docs/PERFORMANCE.md). Run: `cargo bench -p occ-organization --bench delivery`.

/// The function's allocator (see main.rs): the baseline parse uses it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use jiff::Timestamp;
use lambda_http::Request;
use occ_organization::auth::{Algorithms, HmacKeys};
use occ_organization::handler::{read, verify};
use occ_organization::merge::{merge, MergedOrganization};
use occ_organization::store::{transaction, Claims, Delivery};
use serde_json::{json, Value};
use webhook_shared::authenticate::secret::{SecretValue, WebhookKeys};
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::receive::request::raw_body;
use webhook_shared::validate::json;
use webhook_shared::validate::model::occ::OrganizationChange;
use webhook_shared::validate::redact::redact;
use webhook_shared::Rejection;

const SEED: &str = include_str!("../../../shared/fixtures/occ-organization-seed.json");
const LOCAL_ENV: &str = include_str!("../../../scripts/local.env");
const TABLE: &str = "webhooks";
const ADDRESSES: usize = 50;
const MEMBERS: usize = 20;

fn local_secret(name: &str) -> &'static str {
    LOCAL_ENV
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{name} missing from scripts/local.env"))
}

/// The seed organization with `ADDRESSES` secondary addresses and `MEMBERS`
/// members, as OCC sends it (compact JSON).
fn full_organization_body() -> String {
    let mut event: Value = serde_json::from_str(SEED).unwrap();
    let organization = event["organization"].as_object_mut().unwrap();
    let addresses: Vec<Value> = (1..=ADDRESSES)
        .map(|i| {
            json!({
                "address": {
                    "repositoryId": format!("a{i}"),
                    "address1": format!("{} Congress Avenue", 100 + i),
                    "address2": format!("Suite {}", 200 + i),
                    "address3": "",
                    "city": "Austin",
                    "state": "TX",
                    "postalCode": format!("787{:02}", i % 100),
                    "country": "US",
                    "companyName": "TestAccount",
                    "phoneNumber": format!("512-555-{:04}", 1000 + i),
                    "externalAddressId": format!("ext-a{i}"),
                    "types": [{"id": "SHIPPING", "displayName": "Shipping", "repositoryId": "t1"}]
                },
                "addressType": if i % 2 == 0 { "Office" } else { "Home" }
            })
        })
        .collect();
    let members: Vec<Value> = (1..=MEMBERS)
        .map(|i| json!({"customerContactId": format!("cc-{i}"), "repositoryId": format!("u{}", 500000 + i)}))
        .collect();
    organization.insert("secondaryAddresses".into(), Value::Array(addresses));
    organization.insert("members".into(), Value::Array(members));
    serde_json::to_string(&event).unwrap()
}

/// API Gateway HTTP API (2.0) event carrying `body`, signed as OCC signs.
fn signed_event(body: &str, key_text: &str) -> String {
    let key = STANDARD.decode(key_text).unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA512, &key);
    let signature = STANDARD.encode(aws_lc_rs::hmac::sign(&key, body.as_bytes()));
    let path = "/occ/organization";
    json!({
        "version": "2.0",
        "routeKey": format!("POST {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "user-agent": "Oracle Commerce Cloud",
            "x-oracle-cc-webhook-signature-sha512": signature
        },
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "Oracle Commerce Cloud"},
            "requestId": "bench", "routeKey": format!("POST {path}"), "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000", "timeEpoch": 1795348800000u64
        },
        "body": body,
        "isBase64Encoded": false
    })
    .to_string()
}

struct Fixture {
    request: Request,
    keys: HmacKeys,
    /// The stored state: the same organization, merged once (version 1).
    stored: MergedOrganization,
}

/// Everything a delivery costs before any I/O: verify the signature over the
/// raw bytes (before parsing), parse, redact, validate, and build the
/// organization's stored form.
fn accept<'a>(
    request: &Request,
    body: &[u8],
    keys: &HmacKeys,
    algorithms: Algorithms,
    receipt: &'a Receipt,
) -> Result<Delivery<'a>, Rejection> {
    verify(request, body, keys, algorithms)?;
    read(body, receipt)
}

fn fixture() -> Fixture {
    let key_text = local_secret("LOCAL_OCC_SECRET");
    let event = signed_event(&full_organization_body(), key_text);
    let request = lambda_http::request::from_str(&event).expect("an API Gateway v2 event");
    let keys = HmacKeys::from_secret(&SecretValue::parse(key_text).unwrap()).unwrap();
    let body = raw_body(&request);
    let receipt = Receipt::new(body, Timestamp::now(), None);
    // The whole path must succeed, or the bench measures a rejection.
    let delivery = accept(&request, body, &keys, Algorithms::ALL, &receipt)
        .expect("the signed organization is accepted");
    assert_eq!(delivery.organization_id, "or-300007");
    let organization = &delivery.organization;
    assert_eq!(
        organization["secondaryAddresses"].as_l().unwrap().len(),
        ADDRESSES
    );
    assert_eq!(organization["members"].as_l().unwrap().len(), MEMBERS);
    let stored = merge(MergedOrganization::default(), delivery.organization.clone());
    assert_eq!(
        transaction(
            TABLE,
            &delivery,
            merge(stored.clone(), delivery.organization.clone()),
            1,
            &Claims::default()
        )
        .unwrap()
        .len(),
        2
    );
    Fixture {
        request,
        keys,
        stored,
    }
}

fn delivery(c: &mut Criterion) {
    let f = fixture();
    let body = raw_body(&f.request);
    eprintln!("occ body: {} bytes", body.len());

    let mut group = c.benchmark_group("occ");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("serde_json_parse", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap())
    });
    // The stored state is moved into the merge; its clone is set-up, not timed
    // (in the function it is the GetItem answer, merged as read).
    // One input per iteration: batches of large inputs would measure memory pressure.
    group.bench_function("accept_and_build_write", |b| {
        b.iter_batched(
            || f.stored.clone(),
            |stored| {
                let body = black_box(body);
                let receipt = Receipt::new(body, Timestamp::now(), None);
                let delivery =
                    accept(&f.request, body, &f.keys, Algorithms::ALL, &receipt).unwrap();
                transaction(
                    TABLE,
                    &delivery,
                    merge(stored, delivery.organization.clone()),
                    1,
                    &Claims::default(),
                )
                .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// The parts of `accept_and_build_write`, in the order the function runs them.
fn steps(c: &mut Criterion) {
    let f = fixture();
    let body = raw_body(&f.request);
    let parsed = json::parse(body).unwrap();
    let mut redacted = parsed.clone();
    redact(&mut redacted);
    let change = OrganizationChange::read(&redacted).unwrap();
    let receipt = Receipt::new(body, Timestamp::now(), None);

    let mut group = c.benchmark_group("occ_steps");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("receipt_event_id_sha256", |b| {
        b.iter(|| Receipt::new(black_box(body), Timestamp::now(), None))
    });
    group.bench_function("verify_hmac_sha512", |b| {
        b.iter(|| {
            assert!(f
                .keys
                .verify(f.request.headers(), black_box(body), Algorithms::ALL))
        })
    });
    group.bench_function("parse_to_attributes", |b| {
        b.iter(|| json::parse(black_box(body)).unwrap())
    });
    group.bench_function("redact", |b| {
        b.iter_batched(
            || parsed.clone(),
            |mut value| {
                redact(&mut value);
                value
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("validate", |b| {
        b.iter(|| OrganizationChange::read(black_box(&redacted)).unwrap())
    });
    group.bench_function("organization_to_members", |b| {
        b.iter(|| black_box(&change.organization).to_members())
    });
    group.bench_function("accept_only", |b| {
        b.iter(|| {
            accept(
                &f.request,
                black_box(body),
                &f.keys,
                Algorithms::ALL,
                &receipt,
            )
            .unwrap()
        })
    });
    group.bench_function("merge_only", |b| {
        b.iter_batched(
            || (f.stored.clone(), change.organization.to_members()),
            |(stored, incoming)| merge(stored, incoming),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("transaction_only", |b| {
        b.iter_batched(
            || {
                let delivery =
                    accept(&f.request, body, &f.keys, Algorithms::ALL, &receipt).unwrap();
                (f.stored.clone(), delivery)
            },
            |(stored, delivery)| {
                transaction(
                    TABLE,
                    &delivery,
                    merge(stored, delivery.organization.clone()),
                    1,
                    &Claims::default(),
                )
                .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("clone_stored_state", |b| {
        b.iter(|| black_box(&f.stored).clone())
    });
    group.finish();
}

criterion_group!(benches, delivery, steps);
criterion_main!(benches);

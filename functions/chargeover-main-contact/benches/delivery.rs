//! Per-delivery CPU cost of the ChargeOver function without the network: the
//! raw body of a full "main contact changed" delivery (customer + user) to the
//! authenticated, validated DynamoDB transaction, next to plain `serde_json`
//! parsing of the same bytes, so the overhead over parsing shows as a ratio:
//!
//!   chargeover/serde_json_parse          serde_json::from_slice::<Value>(body)
//!   chargeover/accept_and_build_write    Receipt (SHA-256 event id) + accept + transaction
//!                                        (parse, authenticate, redact, validate, stored forms)
//!
//! `chargeover_steps/*` break `accept_and_build_write` into its parts, and
//! time the metrics line the handler writes beside it (see
//! docs/PERFORMANCE.md). Run: `cargo bench -p chargeover-main-contact --bench delivery`.

/// The function's allocator (see main.rs): the baseline parse uses it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chargeover_main_contact::auth::{BodyToken, TokenKeys, KEY_HEADER};
use chargeover_main_contact::encryption::Encryption;
use chargeover_main_contact::handler::{accept, open};
use chargeover_main_contact::store::{transaction, Claims};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use lambda_http::Request;
use serde_json::Value;
use webhook_shared::authenticate::secret::{SecretValue, WebhookKeys};
use webhook_shared::operate::metrics::{Metrics, Sink};
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::receive::request::raw_body;
use webhook_shared::storage::attribute::ToAttribute;
use webhook_shared::validate::json;
use webhook_shared::validate::model::chargeover::MainContactChange;
use webhook_shared::validate::redact::redact;

/// The sample API Gateway HTTP API (2.0) event of a valid delivery, signed
/// with the local development secret (`make events` writes it).
const EVENT: &str = include_str!("../../../events/chargeover-valid.json");
const LOCAL_ENV: &str = include_str!("../../../scripts/local.env");
const TABLE: &str = "webhooks";

fn local_secret(name: &str) -> &'static str {
    LOCAL_ENV
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{name} missing from scripts/local.env"))
}

struct Fixture {
    request: Request,
    keys: TokenKeys,
    timezone: TimeZone,
}

fn fixture() -> Fixture {
    let request = lambda_http::request::from_str(EVENT).expect("an API Gateway v2 event");
    let secret = local_secret("LOCAL_CHARGEOVER_SECRET");
    let keys = TokenKeys::from_secret(&SecretValue::parse(secret).unwrap()).unwrap();
    let timezone = TimeZone::get("America/Chicago").unwrap();
    // The whole path must succeed, or the bench measures a rejection.
    let f = Fixture {
        request,
        keys,
        timezone,
    };
    let body = raw_body(&f.request);
    let receipt = Receipt::new(body, Timestamp::now(), None);
    let opened = open(&f.request, body, &f.keys, Encryption::Auto).unwrap();
    let delivery = accept(
        &f.request,
        opened.body(body),
        &opened,
        &f.keys,
        &f.timezone,
        &receipt,
    )
    .expect("the sample delivery is accepted");
    assert_eq!(delivery.state.customer_id, 413);
    assert!(
        delivery.state.contact.is_some(),
        "the sample carries a user"
    );
    assert_eq!(
        transaction(TABLE, &delivery, &Claims::default())
            .unwrap()
            .len(),
        2
    );
    f
}

fn delivery(c: &mut Criterion) {
    let f = fixture();
    let body = raw_body(&f.request);

    let mut group = c.benchmark_group("chargeover");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("serde_json_parse", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap())
    });
    group.bench_function("accept_and_build_write", |b| {
        b.iter(|| {
            let body = black_box(body);
            let receipt = Receipt::new(body, Timestamp::now(), None);
            let opened = open(&f.request, body, &f.keys, Encryption::Auto).unwrap();
            let delivery = accept(
                &f.request,
                opened.body(body),
                &opened,
                &f.keys,
                &f.timezone,
                &receipt,
            )
            .unwrap();
            transaction(TABLE, &delivery, &Claims::default()).unwrap()
        })
    });
    group.finish();
}

/// The parts of `accept_and_build_write`, in the order the handler runs them.
fn steps(c: &mut Criterion) {
    let f = fixture();
    let body = raw_body(&f.request);
    let parsed = json::parse(body).unwrap();
    let mut redacted = parsed.clone();
    redact(&mut redacted);
    let change = MainContactChange::read(&redacted).unwrap();
    let receipt = Receipt::new(body, Timestamp::now(), None);

    let mut group = c.benchmark_group("chargeover_steps");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("receipt_event_id_sha256", |b| {
        b.iter(|| Receipt::new(black_box(body), Timestamp::now(), None))
    });
    group.bench_function("parse_to_attributes", |b| {
        b.iter(|| json::parse(black_box(body)).unwrap())
    });
    // Not part of `accept_and_build_write`: the handler writes it after the
    // answer is decided. Its cost beside the delivery's (issue 15).
    group.bench_function("emf_metrics_line", |b| {
        let metrics = Metrics::new("WebhookReceivers", "chargeover-main-contact", Sink::Stdout);
        let latency = Duration::from_micros(1500);
        b.iter(|| metrics.line(black_box("applied"), false, latency))
    });
    group.bench_function("authenticate_tokens", |b| {
        let AttributeValue::M(members) = &parsed else {
            unreachable!()
        };
        let token = members["security_token"].as_s().unwrap();
        let header = f.request.headers().get(KEY_HEADER).map(|v| v.as_bytes());
        b.iter(|| {
            f.keys
                .authenticate(black_box(header), BodyToken::Text(token), false)
        })
    });
    group.bench_function("redact", |b| {
        b.iter_batched(
            || parsed.clone(),
            |mut value| {
                redact(&mut value);
                value
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("validate", |b| {
        b.iter(|| MainContactChange::read(black_box(&redacted)).unwrap())
    });
    group.bench_function("stored_forms", |b| {
        b.iter(|| {
            let change = black_box(&change);
            (
                change.customer.to_attribute(),
                change.contact.as_ref().map(ToAttribute::to_attribute),
            )
        })
    });
    group.bench_function("source_modified_at", |b| {
        let modified = change.modified().unwrap();
        b.iter(|| chargeover_main_contact::ordering::order_key(black_box(modified), &f.timezone))
    });
    group.bench_function("accept_only", |b| {
        b.iter(|| {
            let opened = open(&f.request, black_box(body), &f.keys, Encryption::Auto).unwrap();
            accept(
                &f.request,
                opened.body(black_box(body)),
                &opened,
                &f.keys,
                &f.timezone,
                &receipt,
            )
            .unwrap()
        })
    });
    group.bench_function("transaction_only", |b| {
        let opened = open(&f.request, body, &f.keys, Encryption::Auto).unwrap();
        let delivery = accept(
            &f.request,
            opened.body(body),
            &opened,
            &f.keys,
            &f.timezone,
            &receipt,
        )
        .unwrap();
        b.iter(|| transaction(TABLE, black_box(&delivery), &Claims::default()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, delivery, steps);
criterion_main!(benches);

//! One delivery, start to finish: checks, authentication, validation, write,
//! answer, and one log line.

use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::{tz::TimeZone, Timestamp};
use lambda_http::{Body, Request, Response};
use webhook_shared::attribute::ToAttribute;
use webhook_shared::deadline::Deadline;
use webhook_shared::json;
use webhook_shared::model::chargeover::MainContactChange;
use webhook_shared::model::unstorable_numbers;
use webhook_shared::receipt::Receipt;
use webhook_shared::redact::redact;
use webhook_shared::request::{header_str, preflight};
use webhook_shared::response::respond;
use webhook_shared::secret::{SecretStore, WebhookKeys};
use webhook_shared::storage::{quarantine_refused, written, QuarantineStore};
use webhook_shared::{Outcome, Rejection};

use crate::auth::{BodyToken, TokenKeys, KEY_HEADER};
use crate::store::{Delivery, MainContactState, MainContactStore, REJECTED_PK};

pub const SOURCE_HEADER: &str = "x-chargeover-source";

/// Everything a delivery needs, built once at start-up.
pub struct Receiver<S> {
    pub store: S,
    pub keys: SecretStore<TokenKeys>,
    pub timezone: TimeZone,
    pub max_body_bytes: usize,
    pub retention_days: Option<u32>,
}

/// What the log line of a delivery says.
#[derive(Default)]
struct Report {
    event_id: Option<String>,
    customer_id: Option<u64>,
}

pub async fn handle<S>(request: Request, receiver: &Receiver<S>) -> Response<Body>
where
    S: MainContactStore + QuarantineStore,
{
    let started = Instant::now();
    let mut report = Report::default();
    let result = process(&request, receiver, &mut report).await;
    let (response, outcome) = respond(result, report.event_id.as_deref());
    tracing::info!(
        event_id = report.event_id.as_deref(),
        customer_id = report.customer_id,
        outcome,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "chargeover delivery"
    );
    response
}

async fn process<S>(
    request: &Request,
    receiver: &Receiver<S>,
    report: &mut Report,
) -> Result<Outcome, Rejection>
where
    S: MainContactStore + QuarantineStore,
{
    let deadline = Deadline::of(request);
    let body = preflight(request, receiver.max_body_bytes)?;
    let receipt = Receipt::new(body, Timestamp::now(), receiver.retention_days);
    report.event_id = Some(receipt.event_id.to_string());
    let keys = receiver.keys.keys().await;

    let result = match accept(request, body, &keys, &receiver.timezone, &receipt) {
        Ok(delivery) => {
            report.customer_id = Some(delivery.state.customer_id);
            for (field, value) in &delivery.unknown_choices {
                tracing::warn!(event_id = %receipt.event_id, field, value, "value outside the documented set kept");
            }
            written(receiver.store.record(&delivery, &deadline).await, &receipt)
        }
        Err(rejection) => Err(rejection),
    };
    let texts = keys.secret_texts();
    quarantine_refused(result, &receiver.store, REJECTED_PK, &receipt, body, &texts).await
}

/// Everything a delivery costs before any I/O: authenticate, parse, redact,
/// validate, and build the stored forms. `body` is the request's raw body.
pub fn accept<'a>(
    request: &'a Request,
    body: &[u8],
    keys: &TokenKeys,
    timezone: &TimeZone,
    receipt: &'a Receipt,
) -> Result<Delivery<'a>, Rejection> {
    // A header token decides before the body is read: a wrong one is refused
    // without parsing what its sender posted.
    let header_token = request
        .headers()
        .get(KEY_HEADER)
        .map(|value| value.as_bytes());
    if header_token.is_some_and(|token| !keys.matches(token)) {
        return Err(Rejection::Unauthorized);
    }
    // The token may sit in the body too: every one present must match.
    let parsed = json::parse(body);
    if !keys.authenticate(header_token, body_token(&parsed)) {
        return Err(Rejection::Unauthorized);
    }
    let mut payload = parsed.map_err(|e| Rejection::MalformedJson(e.to_string()))?;
    redact(&mut payload);
    let unstorable = unstorable_numbers(&payload);
    if !unstorable.is_empty() {
        return Err(Rejection::InvalidPayload(unstorable));
    }
    let change = MainContactChange::read(&payload).map_err(Rejection::InvalidPayload)?;
    let state = MainContactState {
        customer_id: change.customer_id,
        customer: change.customer.to_attribute(),
        contact: change.contact.as_ref().map(ToAttribute::to_attribute),
        superuser_id: change.superuser_id,
        source_modified_at: change
            .modified()
            .map(|modified| modified.sortable_utc(timezone)),
        source: header_str(request, SOURCE_HEADER),
    };
    let unknown_choices = change
        .unknown_choices()
        .map(|(field, value)| (field, value.to_owned()))
        .collect();
    Ok(Delivery {
        receipt,
        state,
        payload,
        unknown_choices,
    })
}

/// The body's `security_token`, if the body is an object that has one.
fn body_token(parsed: &Result<AttributeValue, serde_json::Error>) -> BodyToken<'_> {
    match parsed {
        Ok(AttributeValue::M(members)) => match members.get("security_token") {
            None => BodyToken::Absent,
            Some(AttributeValue::S(token)) => BodyToken::Text(token),
            Some(_) => BodyToken::NotText,
        },
        _ => BodyToken::Absent,
    }
}

//! One delivery, start to finish: checks, authentication, validation, write,
//! answer, and one log line.

use std::borrow::Cow;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::{tz::TimeZone, Timestamp};
use lambda_http::{Body, Request, Response};
use webhook_shared::attribute::ToAttribute;
use webhook_shared::aws_wait;
use webhook_shared::deadline::Deadline;
use webhook_shared::json;
use webhook_shared::metrics::Metrics;
use webhook_shared::model::chargeover::MainContactChange;
use webhook_shared::receipt::Receipt;
use webhook_shared::redact::storable;
use webhook_shared::request::{has_content_type, header_str, preflight, JSON};
use webhook_shared::response::respond;
use webhook_shared::secret::{SecretStore, WebhookKeys};
use webhook_shared::storage::{quarantine_refused, within, written, QuarantineStore, Refusal};
use webhook_shared::{Outcome, Rejection};

use crate::auth::{BodyToken, TokenKeys, KEY_HEADER};
use crate::encryption::{decrypt, looks_encrypted, Encryption};
use crate::store::{Delivery, MainContactState, MainContactStore, QUARANTINE};

pub const SOURCE_HEADER: &str = "x-chargeover-source";

/// Everything a delivery needs, built once at start-up.
pub struct Receiver<S> {
    pub store: S,
    pub keys: SecretStore<TokenKeys>,
    pub timezone: TimeZone,
    pub encryption: Encryption,
    pub max_body_bytes: usize,
    pub retention_days: Option<u32>,
    pub metrics: Metrics,
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
    let (result, waited) = aws_wait::measured(process(&request, receiver, &mut report)).await;
    let quarantined = matches!(&result, Err(rejection) if rejection.is_quarantined());
    let (response, outcome) = respond(result, report.event_id.as_deref());
    let latency = started.elapsed();
    tracing::info!(
        event_id = report.event_id.as_deref(),
        customer_id = report.customer_id,
        outcome,
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        aws_wait_ms = waited.as_secs_f64() * 1000.0,
        "chargeover delivery"
    );
    receiver.metrics.delivery(outcome, quarantined, latency);
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
    let content_types = match receiver.encryption {
        Encryption::Off => &[JSON][..],
        Encryption::Auto | Encryption::Required => {
            &[JSON, "text/plain", "application/octet-stream"]
        }
    };
    let raw = preflight(request, receiver.max_body_bytes, content_types)?;
    // The event id is the raw (maybe encrypted) body's: a retry is the same bytes.
    let receipt = Receipt::new(raw, Timestamp::now(), receiver.retention_days);
    report.event_id = Some(receipt.event_id.to_string());
    let keys = receiver.keys.keys().await;

    let opened = open(request, raw, &keys, receiver.encryption)?;
    let result = match accept(request, &opened, &keys, &receiver.timezone, &receipt) {
        Ok(delivery) => {
            report.customer_id = Some(delivery.state.customer_id);
            for (field, value) in &delivery.unknown_choices {
                tracing::warn!(event_id = %receipt.event_id, field, value, "value outside the documented set kept");
            }
            let recorded = within(&deadline, receiver.store.record(&delivery, &deadline));
            written(recorded.await, &receipt)
        }
        Err(rejection) => Err(rejection),
    };
    let texts = keys.secret_texts();
    let refusal = Refusal {
        receipt: &receipt,
        body: &opened.body,
        secret_texts: &texts,
        source: header_str(request, SOURCE_HEADER),
    };
    quarantine_refused(result, &receiver.store, QUARANTINE, refusal, &deadline).await
}

/// A body ready to read: decrypted if it came encrypted (with the secret,
/// which authenticates it).
pub struct Opened<'b> {
    pub body: Cow<'b, [u8]>,
    pub decrypted: bool,
}

/// Checks the header token first (a wrong one is refused before the body is
/// read or decrypted), then decrypts an encrypted body. 401 when the header
/// is wrong or the body does not decrypt; 415 for a plain body sent as
/// anything but JSON.
pub fn open<'b>(
    request: &Request,
    raw: &'b [u8],
    keys: &TokenKeys,
    encryption: Encryption,
) -> Result<Opened<'b>, Rejection> {
    let header = request
        .headers()
        .get(KEY_HEADER)
        .map(|value| value.as_bytes());
    if header.is_some_and(|token| !keys.matches(token)) {
        return Err(Rejection::Unauthorized);
    }
    let encrypted = match encryption {
        Encryption::Off => false,
        Encryption::Auto => looks_encrypted(raw),
        Encryption::Required => true,
    };
    if encrypted {
        let body = decrypt(raw, keys.ciphers()).ok_or(Rejection::Unauthorized)?;
        return Ok(Opened {
            body: Cow::Owned(body),
            decrypted: true,
        });
    }
    if !has_content_type(request, JSON) {
        return Err(Rejection::UnsupportedMediaType);
    }
    Ok(Opened {
        body: Cow::Borrowed(raw),
        decrypted: false,
    })
}

/// Everything a delivery costs before any I/O once its body is open:
/// authenticate, parse, redact, validate, and build the stored forms.
pub fn accept<'a>(
    request: &'a Request,
    opened: &Opened<'_>,
    keys: &TokenKeys,
    timezone: &TimeZone,
    receipt: &'a Receipt,
) -> Result<Delivery<'a>, Rejection> {
    // The token may sit in the body too: every one present must match.
    let parsed = json::parse(&opened.body);
    let header = request
        .headers()
        .get(KEY_HEADER)
        .map(|value| value.as_bytes());
    if !keys.authenticate(header, body_token(&parsed), opened.decrypted) {
        return Err(Rejection::Unauthorized);
    }
    let payload = parsed.map_err(|e| Rejection::MalformedJson(e.to_string()))?;
    let source = header_str(request, SOURCE_HEADER);
    delivery(payload, timezone, receipt, source)
}

/// An authenticated body, parsed, made a delivery: secrets removed, checked
/// against the model, stored forms built. What a replay of a quarantined
/// delivery runs too (`webhook-admin`).
pub fn delivery<'a>(
    payload: AttributeValue,
    timezone: &TimeZone,
    receipt: &'a Receipt,
    source: Option<&'a str>,
) -> Result<Delivery<'a>, Rejection> {
    let payload = storable(payload)?;
    let change = MainContactChange::read(&payload).map_err(Rejection::InvalidPayload)?;
    let state = MainContactState {
        customer_id: change.customer_id,
        customer: change.customer.to_attribute(),
        contact: change.contact.as_ref().map(ToAttribute::to_attribute),
        superuser_id: change.superuser_id,
        source_modified_at: change
            .modified()
            .map(|modified| modified.sortable_utc(timezone)),
        source,
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

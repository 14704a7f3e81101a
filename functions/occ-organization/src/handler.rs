//! One delivery, start to finish: checks, signature, validation, merge and
//! write, answer, and one log line.

use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use lambda_http::{Body, Request, Response};
use webhook_shared::aws_wait;
use webhook_shared::deadline::Deadline;
use webhook_shared::json;
use webhook_shared::metrics::Metrics;
use webhook_shared::model::occ::OrganizationChange;
use webhook_shared::receipt::Receipt;
use webhook_shared::redact::storable;
use webhook_shared::request::{preflight, JSON};
use webhook_shared::response::respond;
use webhook_shared::secret::{SecretStore, WebhookKeys};
use webhook_shared::storage::{quarantine_refused, within, written, QuarantineStore, Refusal};
use webhook_shared::{Outcome, Rejection};

use crate::auth::{Algorithms, HmacKeys};
use crate::store::{Delivery, OrganizationStore, QUARANTINE};

/// Everything a delivery needs, built once at start-up.
pub struct Receiver<S> {
    pub store: S,
    pub keys: SecretStore<HmacKeys>,
    pub algorithms: Algorithms,
    pub max_body_bytes: usize,
    pub retention_days: Option<u32>,
    pub metrics: Metrics,
}

/// What the log line of a delivery says.
#[derive(Default)]
struct Report {
    event_id: Option<String>,
    organization_id: Option<String>,
}

pub async fn handle<S>(request: Request, receiver: &Receiver<S>) -> Response<Body>
where
    S: OrganizationStore + QuarantineStore,
{
    let started = Instant::now();
    let mut report = Report::default();
    let (result, waited) = aws_wait::measured(process(&request, receiver, &mut report)).await;
    let quarantined = matches!(&result, Err(rejection) if rejection.is_quarantined());
    let (response, outcome) = respond(result, report.event_id.as_deref());
    let latency = started.elapsed();
    tracing::info!(
        event_id = report.event_id.as_deref(),
        organization_id = report.organization_id.as_deref(),
        outcome,
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        aws_wait_ms = waited.as_secs_f64() * 1000.0,
        "occ delivery"
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
    S: OrganizationStore + QuarantineStore,
{
    let deadline = Deadline::of(request);
    let body = preflight(request, receiver.max_body_bytes, &[JSON])?;
    let receipt = Receipt::new(body, Timestamp::now(), receiver.retention_days);
    report.event_id = Some(receipt.event_id.to_string());
    let keys = receiver.keys.keys().await;

    let result = match accept(request, body, &keys, receiver.algorithms, &receipt) {
        Ok(delivery) => {
            report.organization_id = Some(delivery.organization_id.clone());
            let recorded = within(&deadline, receiver.store.record(&delivery, &deadline));
            written(recorded.await, &receipt)
        }
        Err(rejection) => Err(rejection),
    };
    let texts = keys.secret_texts();
    let refusal = Refusal {
        receipt: &receipt,
        body,
        secret_texts: &texts,
        source: None,
    };
    quarantine_refused(result, &receiver.store, QUARANTINE, refusal, &deadline).await
}

/// Everything a delivery costs before any I/O: verify the signature over the
/// raw bytes (before parsing), parse, redact, validate, and build the
/// organization's stored form.
pub fn accept<'a>(
    request: &Request,
    body: &[u8],
    keys: &HmacKeys,
    algorithms: Algorithms,
    receipt: &'a Receipt,
) -> Result<Delivery<'a>, Rejection> {
    if !keys.verify(request.headers(), body, algorithms) {
        return Err(Rejection::Unauthorized);
    }
    let payload = json::parse(body).map_err(|e| Rejection::MalformedJson(e.to_string()))?;
    delivery(payload, receipt)
}

/// An authenticated body, parsed, made a delivery: secrets removed, checked
/// against the model, the organization's stored form built. What a replay of
/// a quarantined delivery runs too (`webhook-admin`).
pub fn delivery(payload: AttributeValue, receipt: &Receipt) -> Result<Delivery<'_>, Rejection> {
    let payload = storable(payload)?;
    let change = OrganizationChange::read(&payload).map_err(Rejection::InvalidPayload)?;
    let organization_id = change.organization_id.to_owned();
    let organization = change.organization.to_members();
    Ok(Delivery {
        receipt,
        organization_id,
        organization,
        payload,
    })
}

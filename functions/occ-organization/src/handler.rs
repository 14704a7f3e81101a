//! One delivery, start to finish: checks, signature, validation, merge and
//! write, answer, and one log line.

use std::time::Instant;

use jiff::Timestamp;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use webhook_shared::model::occ::OrganizationChange;
use webhook_shared::redact::redact;
use webhook_shared::request::preflight;
use webhook_shared::response::respond;
use webhook_shared::secret::{SecretStore, WebhookKeys};
use webhook_shared::storage::{encode, quarantine, QuarantineStore, Receipt};
use webhook_shared::{Outcome, Rejection};

use crate::auth::{Algorithms, HmacKeys};
use crate::store::{Delivery, OrganizationStore, REJECTED_PK};

/// Everything a delivery needs, built once at start-up.
pub struct Receiver<S> {
    pub store: S,
    pub keys: SecretStore<HmacKeys>,
    pub algorithms: Algorithms,
    pub max_body_bytes: usize,
    pub retention_days: Option<u32>,
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
    let result = process(&request, receiver, &mut report).await;
    let (response, outcome) = respond(result, report.event_id.as_deref());
    tracing::info!(
        event_id = report.event_id.as_deref(),
        organization_id = report.organization_id.as_deref(),
        outcome,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "occ delivery"
    );
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
    let body = preflight(request, receiver.max_body_bytes)?;
    let receipt = Receipt::new(body, Timestamp::now(), receiver.retention_days);
    report.event_id = Some(receipt.event_id.to_string());

    // The signature covers the exact bytes received: checked before parsing.
    let keys = receiver.keys.keys().await;
    if !keys.verify(request.headers(), body, receiver.algorithms) {
        return Err(Rejection::Unauthorized);
    }

    let (change, payload) = match validate(body) {
        Ok(valid) => valid,
        Err(rejection) => {
            let texts = keys.secret_texts();
            return Err(quarantine(
                &receiver.store,
                REJECTED_PK,
                &receipt,
                rejection,
                body,
                &texts,
            )
            .await);
        }
    };
    report.organization_id = Some(change.organization_id.clone());

    let organization = match serde_json::to_value(&change.organization) {
        Ok(Value::Object(members)) => members,
        _ => return Err(Rejection::StorageUnavailable),
    };
    let delivery = Delivery {
        receipt: &receipt,
        organization_id: &change.organization_id,
        organization,
        payload,
    };
    Ok(receiver.store.record(delivery).await?)
}

/// Parses, redacts, types and validates the body; also returns the redacted
/// body encoded for the event record.
fn validate(
    body: &[u8],
) -> Result<(OrganizationChange, aws_sdk_dynamodb::types::AttributeValue), Rejection> {
    let mut body: Value =
        serde_json::from_slice(body).map_err(|e| Rejection::MalformedJson(e.to_string()))?;
    redact(&mut body);
    let payload = encode(&body)?;
    let change = OrganizationChange::from_json(body).map_err(Rejection::InvalidPayload)?;
    Ok((change, payload))
}

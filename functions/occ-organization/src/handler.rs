//! The OCC webhook: its authentication (the HMAC over the raw body, before
//! anything is parsed), its model, and its merge and write, for the shared
//! pipeline (`webhook_shared::pipeline`) that every delivery goes through.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::Request;
use webhook_shared::pipeline::{Common, DeliveryLine, Webhook};
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::receive::request::JSON;
use webhook_shared::storage::{QuarantinePlace, QuarantineStore, Records};
use webhook_shared::validate::json;
use webhook_shared::validate::model::occ::OrganizationChange;
use webhook_shared::validate::redact::storable;
use webhook_shared::Rejection;

use crate::auth::{Algorithms, HmacKeys};
use crate::store::{Delivery, QUARANTINE};

/// Everything a delivery needs, built once at start-up.
pub struct Receiver<S> {
    pub common: Common<S, HmacKeys>,
    pub algorithms: Algorithms,
}

impl<S> Webhook for Receiver<S>
where
    S: for<'a> Records<Delivery<'a>> + QuarantineStore + Sync,
{
    type Keys = HmacKeys;
    /// Nothing beyond the signature's being right.
    type Authenticated = ();
    type Delivery<'a> = Delivery<'a>;
    type Store = S;

    const QUARANTINE: QuarantinePlace = QUARANTINE;

    fn common(&self) -> &Common<S, HmacKeys> {
        &self.common
    }

    fn content_types(&self) -> &'static [&'static str] {
        &[JSON]
    }

    fn authenticate(
        &self,
        request: &Request,
        raw: &[u8],
        keys: &HmacKeys,
    ) -> Result<(), Rejection> {
        verify(request, raw, keys, self.algorithms)
    }

    fn accept<'a>(
        &self,
        _request: &'a Request,
        body: &[u8],
        _authenticated: &(),
        _keys: &HmacKeys,
        receipt: &'a Receipt,
    ) -> Result<Delivery<'a>, Rejection> {
        read(body, receipt)
    }

    fn entity_id(delivery: &Delivery<'_>) -> String {
        delivery.organization_id.clone()
    }

    fn log(line: &DeliveryLine) {
        tracing::info!(
            event_id = line.event_id.as_deref(),
            organization_id = line.entity_id.as_deref(),
            outcome = line.outcome,
            status = line.status,
            latency_ms = line.latency.as_secs_f64() * 1000.0,
            aws_wait_ms = line.aws_wait.as_secs_f64() * 1000.0,
            "occ delivery"
        );
    }
}

/// The signature over the raw body, by the header OCC sent it in.
pub fn verify(
    request: &Request,
    body: &[u8],
    keys: &HmacKeys,
    algorithms: Algorithms,
) -> Result<(), Rejection> {
    let verified = keys.verify(request.headers(), body, algorithms);
    verified.then_some(()).ok_or(Rejection::Unauthorized)
}

/// An authenticated body, parsed and made a delivery.
pub fn read<'a>(body: &[u8], receipt: &'a Receipt) -> Result<Delivery<'a>, Rejection> {
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
        replaces: None,
    })
}

//! What every webhook does with a delivery, defined once: the checks that
//! need no secret, the receipt (event id), authentication, validation, the
//! write within the invocation's deadline, the quarantine of an
//! authenticated delivery that was refused, the answer, one log line and the
//! metrics. A function supplies only what is its own ([`Webhook`]): its
//! authentication, its model, and the items and conditions of its write.
//!
//! The rules that matter most therefore hold for both functions alike:
//! - nothing is parsed before the request has passed [`Webhook::authenticate`]
//!   (where the scheme allows: a ChargeOver token may sit in the body);
//! - a request refused with a secret read a while ago is checked once more
//!   against the secret read again (`SecretStore::recheck`: a key changed in
//!   Secrets Manager is honoured at once, at most one read per interval);
//! - only what authenticated is quarantined (a 401 is never stored);
//! - 200 is answered only once the write holds.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use lambda_http::{service_fn, Body, Request, Response};

use crate::authenticate::secret::{SecretStore, WebhookKeys};
use crate::operate::aws_wait;
use crate::operate::metrics::Metrics;
use crate::receive::deadline::Deadline;
use crate::receive::receipt::Receipt;
use crate::receive::request::preflight;
use crate::receive::response::respond;
use crate::storage::{
    quarantine_refused, within, written, QuarantinePlace, QuarantineStore, Records, Refusal,
};
use crate::{Outcome, Rejection};

/// What one webhook function is: everything else a delivery goes through is
/// [`handle`]'s.
pub trait Webhook: Sync {
    /// The key material the function checks requests with.
    type Keys: WebhookKeys;
    /// What authentication learnt of a request that passed it (for an
    /// encrypted ChargeOver delivery, its decrypted body).
    type Authenticated: Send + Sync;
    /// A validated change, ready to write.
    type Delivery<'a>: Send + Sync;
    /// Where deliveries are written, and refused ones kept.
    type Store: for<'a> Records<Self::Delivery<'a>> + QuarantineStore + Sync;

    /// Where this function's quarantine items go.
    const QUARANTINE: QuarantinePlace;

    /// What every function holds from start-up.
    fn common(&self) -> &Common<Self::Store, Self::Keys>;

    /// The media types a body may be sent as (checked before anything else is
    /// read; an encrypted body may come as text).
    fn content_types(&self) -> &'static [&'static str];

    /// Checks what can be checked without parsing the body (a signature over
    /// the raw bytes, a header token, decryption). 401 when it fails.
    fn authenticate(
        &self,
        request: &Request,
        raw: &[u8],
        keys: &Self::Keys,
    ) -> Result<Self::Authenticated, Rejection>;

    /// The body as the function reads it, and as a refused delivery is
    /// quarantined with: the raw body, or what authentication made of it.
    fn body<'x>(raw: &'x [u8], authenticated: &'x Self::Authenticated) -> &'x [u8] {
        let _ = authenticated;
        raw
    }

    /// The sender's informational source header, kept with a quarantined
    /// delivery.
    fn source(request: &Request) -> Option<&str> {
        let _ = request;
        None
    }

    /// Parses and validates the authenticated body against the model and
    /// builds what is written (401 still, for a token that only the body
    /// carries).
    fn accept<'a>(
        &self,
        request: &'a Request,
        body: &[u8],
        authenticated: &Self::Authenticated,
        keys: &Self::Keys,
        receipt: &'a Receipt,
    ) -> Result<Self::Delivery<'a>, Rejection>;

    /// The id of the entity a delivery changes, for its log line.
    fn entity_id(delivery: &Self::Delivery<'_>) -> String;

    /// The function's log line of one delivery.
    fn log(line: &DeliveryLine);
}

/// What every webhook function holds from start-up
/// (`operate::startup::start` builds it).
pub struct Common<S, K> {
    pub store: S,
    pub keys: SecretStore<K>,
    pub max_body_bytes: usize,
    pub retention_days: Option<u32>,
    pub metrics: Metrics,
}

/// What the log line of a delivery says; its ids as far as the delivery got.
#[derive(Default)]
pub struct DeliveryLine {
    pub event_id: Option<String>,
    pub entity_id: Option<String>,
    pub outcome: &'static str,
    pub status: u16,
    pub latency: Duration,
    pub aws_wait: Duration,
}

/// One delivery, start to finish: the answer, one log line and the metrics.
pub async fn handle<W: Webhook>(request: Request, webhook: &W) -> Response<Body> {
    let started = Instant::now();
    let mut line = DeliveryLine::default();
    let (result, waited) = aws_wait::measured(process(&request, webhook, &mut line)).await;
    let quarantined = matches!(&result, Err(rejection) if rejection.is_quarantined());
    let (response, outcome) = respond(result, line.event_id.as_deref());
    line.outcome = outcome;
    line.status = response.status().as_u16();
    line.latency = started.elapsed();
    line.aws_wait = waited;
    W::log(&line);
    let metrics = &webhook.common().metrics;
    metrics.delivery(outcome, quarantined, line.latency);
    response
}

/// Serves `webhook` on the Lambda runtime until the process ends.
pub async fn serve<W: Webhook>(webhook: W) -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(|request| async {
        Ok::<_, Infallible>(handle(request, &webhook).await)
    }))
    .await
}

/// Authentication, then validation: the request refused (401 from either
/// step: a ChargeOver token may sit in the body), or authenticated and
/// either accepted or refused for its content.
type Admitted<'a, W> = (
    <W as Webhook>::Authenticated,
    Result<<W as Webhook>::Delivery<'a>, Rejection>,
);

fn admit<'a, W: Webhook>(
    webhook: &W,
    request: &'a Request,
    raw: &[u8],
    keys: &W::Keys,
    receipt: &'a Receipt,
) -> Result<Admitted<'a, W>, Rejection> {
    let authenticated = webhook.authenticate(request, raw, keys)?;
    let body = W::body(raw, &authenticated);
    match webhook.accept(request, body, &authenticated, keys, receipt) {
        Err(Rejection::Unauthorized) => Err(Rejection::Unauthorized),
        accepted => Ok((authenticated, accepted)),
    }
}

async fn process<W: Webhook>(
    request: &Request,
    webhook: &W,
    line: &mut DeliveryLine,
) -> Result<Outcome, Rejection> {
    let deadline = Deadline::of(request);
    let common = webhook.common();
    let raw = preflight(request, common.max_body_bytes, webhook.content_types())?;
    // The event id is the raw body's: a retry is the same bytes.
    let receipt = Receipt::new(raw, Timestamp::now(), common.retention_days);
    line.event_id = Some(receipt.event_id.to_string());
    let keys = common.keys.keys().await;

    let (keys, (authenticated, accepted)) = match admit(webhook, request, raw, &keys, &receipt) {
        Err(Rejection::Unauthorized) => {
            // Refused with a secret that may have changed since it was read
            // (the read again within the invocation's time, or 401).
            let fresh = deadline.bound(common.keys.recheck(&keys)).await.flatten();
            let fresh = fresh.ok_or(Rejection::Unauthorized)?;
            let admitted = admit(webhook, request, raw, &fresh, &receipt)?;
            (fresh, admitted)
        }
        admitted => (keys, admitted?),
    };
    let body = W::body(raw, &authenticated);
    let result = match accepted {
        Ok(delivery) => {
            line.entity_id = Some(W::entity_id(&delivery));
            let recorded = within(&deadline, common.store.record(&delivery, &deadline));
            written(recorded.await, &receipt)
        }
        Err(rejection) => Err(rejection),
    };
    let texts = keys.secret_texts();
    let refusal = Refusal {
        receipt: &receipt,
        body,
        secret_texts: &texts,
        source: W::source(request),
    };
    quarantine_refused(result, &common.store, W::QUARANTINE, refusal, &deadline).await
}

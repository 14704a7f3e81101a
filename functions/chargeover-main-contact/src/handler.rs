//! The ChargeOver webhook: its authentication (the header token, checked
//! first; decryption; the body's token), its model and its write, for the
//! shared pipeline (`webhook_shared::pipeline`) that every delivery goes
//! through.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::tz::TimeZone;
use lambda_http::Request;
use webhook_shared::pipeline::{Common, DeliveryLine, Webhook};
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::receive::request::{has_content_type, header_str, JSON};
use webhook_shared::storage::attribute::ToAttribute;
use webhook_shared::storage::{QuarantinePlace, QuarantineStore, Records};
use webhook_shared::validate::json;
use webhook_shared::validate::model::chargeover::MainContactChange;
use webhook_shared::validate::redact::storable;
use webhook_shared::Rejection;

use crate::auth::{BodyToken, TokenKeys, KEY_HEADER};
use crate::encryption::{decrypt, looks_encrypted, Encryption};
use crate::ordering;
use crate::store::{Delivery, MainContactState, QUARANTINE};

pub const SOURCE_HEADER: &str = "x-chargeover-source";

/// Everything a delivery needs, built once at start-up.
pub struct Receiver<S> {
    pub common: Common<S, TokenKeys>,
    pub timezone: TimeZone,
    pub encryption: Encryption,
}

impl<S> Webhook for Receiver<S>
where
    S: for<'a> Records<Delivery<'a>> + QuarantineStore + Sync,
{
    type Keys = TokenKeys;
    type Authenticated = Opened;
    type Delivery<'a> = Delivery<'a>;
    type Store = S;

    const QUARANTINE: QuarantinePlace = QUARANTINE;

    fn common(&self) -> &Common<S, TokenKeys> {
        &self.common
    }

    fn content_types(&self) -> &'static [&'static str] {
        match self.encryption {
            Encryption::Off => &[JSON],
            Encryption::Auto | Encryption::Required => {
                &[JSON, "text/plain", "application/octet-stream"]
            }
        }
    }

    fn authenticate(
        &self,
        request: &Request,
        raw: &[u8],
        keys: &TokenKeys,
    ) -> Result<Opened, Rejection> {
        open(request, raw, keys, self.encryption)
    }

    fn body<'x>(raw: &'x [u8], opened: &'x Opened) -> &'x [u8] {
        opened.body(raw)
    }

    fn source(request: &Request) -> Option<&str> {
        header_str(request, SOURCE_HEADER)
    }

    fn accept<'a>(
        &self,
        request: &'a Request,
        body: &[u8],
        opened: &Opened,
        keys: &TokenKeys,
        receipt: &'a Receipt,
    ) -> Result<Delivery<'a>, Rejection> {
        let delivery = accept(request, body, opened, keys, &self.timezone, receipt)?;
        for (field, value) in &delivery.unknown_choices {
            tracing::warn!(event_id = %receipt.event_id, field, value, "value outside the documented set kept");
        }
        Ok(delivery)
    }

    fn entity_id(delivery: &Delivery<'_>) -> String {
        delivery.state.customer_id.to_string()
    }

    fn log(line: &DeliveryLine) {
        tracing::info!(
            event_id = line.event_id.as_deref(),
            // A number, as the model reads it.
            customer_id = line
                .entity_id
                .as_deref()
                .and_then(|id| id.parse::<u64>().ok()),
            outcome = line.outcome,
            status = line.status,
            latency_ms = line.latency.as_secs_f64() * 1000.0,
            aws_wait_ms = line.aws_wait.as_secs_f64() * 1000.0,
            "chargeover delivery"
        );
    }
}

/// What opening a body found: for an encrypted one, its plaintext (the
/// secret decrypted it, which authenticates it).
pub struct Opened {
    pub decrypted: Option<Vec<u8>>,
}

impl Opened {
    /// The body to read: the plaintext of an encrypted body, else `raw`.
    pub fn body<'b>(&'b self, raw: &'b [u8]) -> &'b [u8] {
        self.decrypted.as_deref().unwrap_or(raw)
    }
}

/// Checks the header token first (a wrong one is refused before the body is
/// read or decrypted), then decrypts an encrypted body. 401 when the header
/// is wrong or the body does not decrypt; 415 for a plain body sent as
/// anything but JSON.
pub fn open(
    request: &Request,
    raw: &[u8],
    keys: &TokenKeys,
    encryption: Encryption,
) -> Result<Opened, Rejection> {
    if header_token(request).is_some_and(|token| !keys.matches(token)) {
        return Err(Rejection::Unauthorized);
    }
    let encrypted = match encryption {
        Encryption::Off => false,
        Encryption::Auto => looks_encrypted(raw),
        Encryption::Required => true,
    };
    let decrypted = if encrypted {
        Some(decrypt(raw, keys.ciphers()).ok_or(Rejection::Unauthorized)?)
    } else if has_content_type(request, JSON) {
        None
    } else {
        return Err(Rejection::UnsupportedMediaType);
    };
    Ok(Opened { decrypted })
}

/// Everything a delivery costs before any I/O once its body is open:
/// authenticate, parse, redact, validate, and build the stored forms.
pub fn accept<'a>(
    request: &'a Request,
    body: &[u8],
    opened: &Opened,
    keys: &TokenKeys,
    timezone: &TimeZone,
    receipt: &'a Receipt,
) -> Result<Delivery<'a>, Rejection> {
    // The token may sit in the body too: every one present must match.
    let parsed = json::parse(body);
    let decrypted = opened.decrypted.is_some();
    if !keys.authenticate(header_token(request), body_token(&parsed), decrypted) {
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
            .map(|modified| ordering::order_key(modified, timezone)),
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

/// The `X-ChargeOver-Key` header's bytes, when sent.
fn header_token(request: &Request) -> Option<&[u8]> {
    request
        .headers()
        .get(KEY_HEADER)
        .map(|value| value.as_bytes())
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

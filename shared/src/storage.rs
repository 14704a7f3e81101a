//! What both functions write to DynamoDB the same way: clients, the event
//! record, quarantine items, and reading a cancelled transaction.

use std::future::Future;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::ConnectorBuilder;
use jiff::Timestamp;
use thiserror::Error;

use crate::attribute::Members;
use crate::config::ConfigError;
use crate::event_id::EventId;
use crate::model::{FieldError, Pointer, Problems};
use crate::redact::mask_raw_body;
use crate::response::{Outcome, Rejection};
use crate::table::{PK, SK, TTL};

pub type Item = Members;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Throttling, timeouts, network: the sender should retry.
    #[error("DynamoDB request failed: {0}")]
    Unavailable(String),
    /// DynamoDB refused the item itself (e.g. larger than 400 KB): retrying
    /// cannot help, so the delivery is refused and quarantined instead.
    #[error("DynamoDB cannot store the delivery: {0}")]
    Unstorable(String),
    /// Optimistic concurrency gave up after its retries.
    #[error("state item kept changing under {attempts} attempts")]
    Contended { attempts: u32 },
}

impl StoreError {
    pub fn from_sdk<E, R>(error: SdkError<E, R>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        match error.as_service_error() {
            Some(service) if service.code() == Some("ValidationException") => {
                StoreError::Unstorable(
                    service
                        .message()
                        .unwrap_or("ValidationException")
                        .to_owned(),
                )
            }
            _ => StoreError::Unavailable(DisplayErrorContext(&error).to_string()),
        }
    }
}

impl From<StoreError> for Rejection {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unstorable(reason) => Rejection::InvalidPayload(vec![FieldError {
                pointer: String::new(),
                detail: format!("cannot be stored: {reason}"),
            }]),
            StoreError::Unavailable(_) | StoreError::Contended { .. } => {
                Rejection::StorageUnavailable
            }
        }
    }
}

/// The roots of Amazon Trust Services, which the endpoints of AWS's commercial
/// partition chain to. Trusting these rather than the system's store spares
/// each cold start reading and parsing ~150 certificates: about 4 ms of CPU
/// here, more on Lambda's fraction of a vCPU (docs/PERFORMANCE.md).
pub const AWS_ROOT_CAS: &[u8] = include_bytes!("../certs/aws-root-cas.pem");

/// The HTTPS client both SDK clients share: the SDK's default client
/// (aws-smithy-runtime's `default_https_client`: rustls with aws-lc, proxy
/// settings from `HTTPS_PROXY`/`NO_PROXY`), trusting Amazon's roots, and the
/// platform's too when `trust_system_roots`.
pub fn https_client(trust_system_roots: bool) -> Result<SharedHttpClient, ConfigError> {
    let roots = TrustStore::empty()
        .with_native_roots(trust_system_roots)
        .with_pem_certificate(AWS_ROOT_CAS);
    let tls = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .map_err(|error| ConfigError::HttpClient(error.to_string()))?;
    Ok(
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |settings, components| {
                let mut connector = ConnectorBuilder::default()
                    .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                    .tls_context(tls.clone());
                connector.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector.set_proxy_config(Some(ProxyConfig::from_env()));
                connector.build()
            },
        ),
    )
}

/// SDK settings for a function with a 14-second sender timeout: fail fast
/// enough that the sender gets a 503 (and retries) rather than a timeout.
pub async fn load_aws_config(http_client: SharedHttpClient) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .load()
        .await
}

/// The table a function writes to.
#[derive(Debug, Clone)]
pub struct Table {
    pub client: Client,
    pub name: String,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Table {
            client,
            name: name.into(),
        }
    }

    /// Opens the connection (TLS included) during init so the first delivery
    /// does not pay for it, and checks the table exists. A missing table stops
    /// the function; any other failure is left for the first delivery to retry.
    pub async fn prime(&self) -> Result<(), ConfigError> {
        match self
            .client
            .describe_table()
            .table_name(&self.name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Err(ConfigError::Table {
                    table: self.name.clone(),
                    reason: "it does not exist".into(),
                })
            }
            Err(error) => {
                tracing::warn!(error = %DisplayErrorContext(&error), "could not prime the DynamoDB connection");
                Ok(())
            }
        }
    }
}

/// Keeps authenticated deliveries that were refused for their content.
pub trait QuarantineStore {
    fn quarantine(
        &self,
        item: &QuarantineItem<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl QuarantineStore for Table {
    async fn quarantine(&self, item: &QuarantineItem<'_>) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item.to_item()))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

/// When and as what a delivery arrived; stamps every item it leads to.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub event_id: EventId,
    /// RFC 3339 UTC, fixed width (milliseconds), so it sorts as text.
    pub received_at: String,
    /// Epoch seconds after which DynamoDB may delete event and quarantine items.
    pub expires_at: Option<i64>,
}

impl Receipt {
    pub fn new(body: &[u8], now: Timestamp, retention_days: Option<u32>) -> Self {
        Receipt {
            event_id: EventId::of(body),
            received_at: utc_text(now),
            expires_at: retention_days.map(|days| now.as_second() + i64::from(days) * 86_400),
        }
    }
}

/// RFC 3339 in UTC with milliseconds: `2024-05-01T12:00:00.000Z`.
pub fn utc_text(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The immutable record of one delivery: `EVENT#<event_id>` under the entity.
/// `payload` is the redacted body as an M attribute.
pub fn event_item(pk: &str, receipt: &Receipt, outcome: Outcome, payload: AttributeValue) -> Item {
    let mut item = Item::with_capacity(8);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(format!("EVENT#{}", receipt.event_id)));
    item.insert("event_id".into(), s(receipt.event_id.as_str()));
    item.insert("received_at".into(), s(&receipt.received_at));
    item.insert("outcome".into(), s(outcome.as_str()));
    item.insert("payload".into(), payload);
    if let Some(expires_at) = receipt.expires_at {
        item.insert(TTL.into(), n(expires_at));
    }
    item
}

/// Numbers DynamoDB cannot hold (magnitude from 1e126 up, or below 1e-130),
/// each with its pointer (sorted, as members come in no set order): such a
/// delivery can never be stored, so it is refused (422) rather than failing
/// the write and being retried forever.
pub fn unstorable_numbers(value: &AttributeValue) -> Vec<FieldError> {
    let mut problems = Problems::default();
    walk_numbers(value, &Pointer::Root, &mut problems);
    let mut problems = problems.into_vec();
    problems.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    problems
}

/// Parsed numbers are written out in full, without an exponent, so only a
/// long one can be out of range; short ones are not parsed again.
const SHORTEST_UNSTORABLE: usize = 40;

fn walk_numbers(value: &AttributeValue, at: &Pointer<'_>, problems: &mut Problems) {
    match value {
        AttributeValue::N(text) if text.len() >= SHORTEST_UNSTORABLE => {
            let magnitude = text.parse::<f64>().map_or(0.0, f64::abs);
            if magnitude >= 1e126 || (magnitude > 0.0 && magnitude < 1e-130) {
                problems.push(at, "is a number outside the range DynamoDB can store");
            }
        }
        AttributeValue::L(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_numbers(item, &at.index(index), problems);
            }
        }
        AttributeValue::M(members) => {
            for (key, member) in members {
                walk_numbers(member, &at.key(key), problems);
            }
        }
        _ => {}
    }
}

/// An authenticated delivery refused for its content, kept so nothing is lost.
#[derive(Debug)]
pub struct QuarantineItem<'a> {
    /// `CHARGEOVER#REJECTED` or `OCC#REJECTED`.
    pub pk: &'static str,
    pub receipt: &'a Receipt,
    pub rejection: &'a Rejection,
    /// The raw body with secrets masked, cut to [`QUARANTINE_BODY_LIMIT`].
    pub masked_body: String,
}

/// The most of a raw body a quarantine item keeps.
pub const QUARANTINE_BODY_LIMIT: usize = 64 * 1024;

impl QuarantineItem<'_> {
    pub fn to_item(&self) -> Item {
        let receipt = self.receipt;
        let mut item = Item::with_capacity(8);
        item.insert(PK.into(), s(self.pk));
        item.insert(
            SK.into(),
            s(format!("{}#{}", receipt.received_at, receipt.event_id)),
        );
        item.insert("event_id".into(), s(receipt.event_id.as_str()));
        item.insert("received_at".into(), s(&receipt.received_at));
        item.insert("status".into(), n(self.rejection.status().as_u16()));
        item.insert("problem".into(), s(self.rejection.problem().to_json()));
        item.insert("body".into(), s(&self.masked_body));
        if let Some(expires_at) = receipt.expires_at {
            item.insert(TTL.into(), n(expires_at));
        }
        item
    }
}

/// A write's result as the answer. A failure is logged with its cause for the
/// operator: the answer only says 503 or 422.
pub fn written(
    result: Result<Outcome, StoreError>,
    receipt: &Receipt,
) -> Result<Outcome, Rejection> {
    result.map_err(|error| {
        tracing::warn!(event_id = %receipt.event_id, %error, "write failed");
        Rejection::from(error)
    })
}

/// Keeps a delivery that authenticated but was refused for its content
/// (400/422) in quarantine, with every secret text masked, and passes any other
/// result through. If the quarantine cannot be written, the answer becomes a
/// 503 so the sender retries and the delivery is not lost.
pub async fn quarantine_refused(
    result: Result<Outcome, Rejection>,
    store: &impl QuarantineStore,
    pk: &'static str,
    receipt: &Receipt,
    body: &[u8],
    secret_texts: &[&[u8]],
) -> Result<Outcome, Rejection> {
    let rejection = match result {
        Err(rejection) if rejection.is_quarantined() => rejection,
        other => return other,
    };
    let item = QuarantineItem {
        pk,
        receipt,
        rejection: &rejection,
        masked_body: mask_raw_body(body, secret_texts, QUARANTINE_BODY_LIMIT),
    };
    match store.quarantine(&item).await {
        Ok(()) => Err(rejection),
        Err(error) => {
            tracing::error!(event_id = %receipt.event_id, %error, "quarantine write failed");
            Err(Rejection::StorageUnavailable)
        }
    }
}

/// Builds what a function needs once, at start-up: the SDK settings, the
/// secret (read now), the table client with its connection opened.
pub async fn connect<K: crate::secret::WebhookKeys>(
    config: &crate::config::CommonConfig,
) -> Result<(Table, crate::secret::SecretStore<K>), ConfigError> {
    let aws = load_aws_config(https_client(config.trust_system_roots)?).await;
    let table = Table::new(Client::new(&aws), &config.table_name);
    // Both are round trips; made together, init waits for the longer one only.
    let (keys, primed) = tokio::join!(
        crate::secret::SecretStore::load(&config.secret, || {
            aws_sdk_secretsmanager::Client::new(&aws)
        }),
        table.prime()
    );
    primed?;
    Ok((table, keys?))
}

/// How a `TransactWriteItems` ended, short of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transacted {
    Applied,
    /// Cancelled: whether each item's condition failed, in request order
    /// (none failed: it lost a race with a concurrent transaction).
    Cancelled {
        conditions_failed: Vec<bool>,
    },
}

impl Table {
    /// Sends `items` as one transaction.
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Transacted, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(Transacted::Applied),
            Err(error) => error,
        };
        match cancellation_reasons(&error) {
            Some(reasons) => Ok(Transacted::Cancelled {
                conditions_failed: reasons
                    .iter()
                    .map(|reason| reason.as_deref() == Some(CONDITION_FAILED))
                    .collect(),
            }),
            None => Err(StoreError::from_sdk(error)),
        }
    }
}

/// Why each item of a cancelled `TransactWriteItems` failed, in request order
/// (`None` where it did not); `None` when the error is not a cancellation.
fn cancellation_reasons<R>(
    error: &SdkError<TransactWriteItemsError, R>,
) -> Option<Vec<Option<String>>> {
    match error.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| {
                    reason
                        .code()
                        .filter(|code| *code != "None")
                        .map(str::to_owned)
                })
                .collect(),
        ),
        other => {
            // Older servers name it only through the error code.
            (other.code() == Some("TransactionCanceledException")).then(Vec::new)
        }
    }
}

/// The pause before retrying a write that lost a race with a concurrent one:
/// 20, 40, 80 ... ms (capped at 320) plus jitter, so racing deliveries spread out.
pub fn contention_backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.clamp(1, 5);
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| u64::from(elapsed.subsec_nanos()))
        .unwrap_or(0)
        % base;
    Duration::from_millis(base + jitter)
}

/// A delivery built again for a second write (the SDK consumes what it
/// sends). Building is deterministic; failing the second time would be a bug,
/// answered with a 503 so the sender retries.
pub fn built_again<T>(again: &(dyn Fn() -> Option<T> + Sync)) -> Result<T, StoreError> {
    again().ok_or_else(|| StoreError::Unavailable("the delivery could not be built again".into()))
}

/// The reason code DynamoDB gives an item whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::ToAttribute;
    use serde_json::json;

    #[test]
    fn trusts_the_five_amazon_trust_services_roots() {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let certificates: Vec<_> = CertificateDer::pem_slice_iter(AWS_ROOT_CAS)
            .collect::<Result<_, _>>()
            .unwrap();
        // SHA-256 fingerprints as Amazon Trust Services publishes them:
        // Amazon Root CA 1-4, Starfield Services Root Certificate Authority - G2.
        let fingerprints: Vec<String> = certificates
            .iter()
            .map(|der| {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
                digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
            })
            .collect();
        assert_eq!(
            fingerprints,
            [
                "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
                "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
                "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
                "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
                "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
            ]
        );
        let mut roots = rustls::RootCertStore::empty();
        assert_eq!(roots.add_parsable_certificates(certificates), (5, 0));
        assert!(https_client(false).is_ok());
    }

    #[test]
    fn numbers_dynamodb_cannot_hold() {
        let value = crate::json::parse(
            br#"{"ok": [1, -2.5, 1e125, 1e-129, 18446744073709551615, 0.0], "big": 1e126, "tiny": [-1e-131]}"#,
        )
        .unwrap();
        let pointers: Vec<String> = unstorable_numbers(&value)
            .into_iter()
            .map(|e| e.pointer)
            .collect();
        assert_eq!(pointers, ["/big", "/tiny/0"]);
    }

    #[test]
    fn receipt_stamps() {
        let now: Timestamp = "2024-05-01T12:00:00.5Z".parse().unwrap();
        let receipt = Receipt::new(b"abc", now, Some(2));
        assert_eq!(receipt.received_at, "2024-05-01T12:00:00.500Z");
        assert_eq!(receipt.expires_at, Some(now.as_second() + 2 * 86_400));
        assert_eq!(Receipt::new(b"abc", now, None).expires_at, None);
    }

    #[test]
    fn event_item_shape() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
        let receipt = Receipt::new(b"abc", now, None);
        let payload = json!({"a": [1, "x", null]}).to_attribute();
        let item = event_item("CHARGEOVER#CUSTOMER#1", &receipt, Outcome::Stale, payload);
        assert_eq!(item["sk"], s("EVENT#ba7816bf8f01cfea414140de5dae2223"));
        assert_eq!(item["outcome"], s("stale"));
        assert_eq!(
            item["payload"],
            AttributeValue::M(Members::from([(
                "a".to_string(),
                AttributeValue::L(vec![n(1), s("x"), AttributeValue::Null(true)])
            )]))
        );
        assert!(!item.contains_key("expires_at"));
    }

    #[test]
    fn quarantine_item_shape() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
        let receipt = Receipt::new(b"abc", now, Some(1));
        let rejection = Rejection::MalformedJson("EOF while parsing".into());
        let item = QuarantineItem {
            pk: "OCC#REJECTED",
            receipt: &receipt,
            rejection: &rejection,
            masked_body: "{".into(),
        }
        .to_item();
        assert_eq!(
            item["sk"],
            s("2024-05-01T12:00:00.000Z#ba7816bf8f01cfea414140de5dae2223")
        );
        assert_eq!(item["status"], n(400));
        assert_eq!(item["expires_at"], n(now.as_second() + 86_400));
        let AttributeValue::S(problem) = &item["problem"] else {
            panic!()
        };
        let problem: serde_json::Value = serde_json::from_str(problem).unwrap();
        assert_eq!(problem["status"], 400);
        assert_eq!(problem["errors"][0]["pointer"], "");
    }
}

//! What both functions write the same way: the event record, quarantine
//! items, transactions and their retries, documents too large for an item
//! (S3), and how a failed write is answered.

pub mod attribute;
mod bucket;
mod changes;
mod claim;
pub mod document;
mod items;
mod quarantine;
mod retry;
mod s3_client;
pub mod schema;
mod table;
mod transaction;

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use thiserror::Error;

use std::future::Future;

use crate::receive::deadline::Deadline;
use crate::receive::receipt::Receipt;
use crate::receive::response::{Outcome, Rejection};
use crate::validate::model::FieldError;

/// Where a function keeps what it receives: the table, and the bucket for
/// documents too large for an item.
#[derive(Debug, Clone)]
pub struct Store {
    pub table: Table,
    pub bucket: Bucket,
}

pub use bucket::{Bucket, Listed};
pub use changes::Changes;
pub use claim::{
    attribute_size, Claim, Form, Kind, Large, Placed, CLAIM_SUFFIX, ITEM_BUDGET, ITEM_OVERHEAD,
};
pub use items::{event_item, Item};
pub use quarantine::{
    quarantine_refused, quarantine_sk, QuarantineItem, QuarantinePlace, QuarantineStore, Refusal,
};
pub use retry::{Busy, Retries, ATTEMPT_RESERVE};
pub use s3_client::S3Client;
pub use table::{PutNew, Table};
pub use transaction::{new_event, put, Transacted};

#[derive(Debug, Error)]
pub enum StoreError {
    /// Timeouts, network, server errors (after the SDK's own retries): the
    /// sender should retry.
    #[error("DynamoDB request failed: {0}")]
    Unavailable(String),
    /// DynamoDB refused the item itself: retrying cannot help, so the
    /// delivery is refused and quarantined instead.
    #[error("DynamoDB cannot store the delivery: {0}")]
    Unstorable(String),
    /// Still busy (conflicts, throttling) when the deadline left no time for
    /// another attempt.
    #[error("gave up after {attempts} attempts ({}): out of time", busy.as_str())]
    OutOfTime { attempts: u32, busy: Busy },
    /// The invocation's deadline came before DynamoDB or S3 answered.
    #[error("the invocation's time ran out before the write completed")]
    DeadlineReached,
    /// A stored item this code cannot read (a hand edit, another writer): it
    /// needs a person, and is never overwritten.
    #[error("corrupt state: {pk} has an unreadable `{attribute}` attribute")]
    CorruptState { pk: String, attribute: &'static str },
    /// An object an item refers to is missing or not what the item says
    /// (length, digest, JSON).
    #[error("corrupt state: S3 object {key} is missing or does not match its reference")]
    CorruptObject { key: String },
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

/// A request the code built wrongly: not the delivery's fault, and not known
/// to pass by itself.
impl From<BuildError> for StoreError {
    fn from(error: BuildError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<StoreError> for Rejection {
    fn from(error: StoreError) -> Self {
        match error {
            // DynamoDB's own words are logged (`written`), not sent back.
            StoreError::Unstorable(_) => Rejection::InvalidPayload(vec![FieldError {
                pointer: String::new(),
                detail: "cannot be stored: DynamoDB refused the item".into(),
            }]),
            StoreError::Unavailable(_)
            | StoreError::OutOfTime { .. }
            | StoreError::DeadlineReached
            | StoreError::CorruptState { .. }
            | StoreError::CorruptObject { .. } => Rejection::StorageUnavailable,
        }
    }
}

/// Writes a function's validated deliveries (`D`), trying again while
/// DynamoDB is busy and the deadline leaves time.
pub trait Records<D> {
    fn record(
        &self,
        delivery: &D,
        deadline: &Deadline,
    ) -> impl Future<Output = Result<Outcome, StoreError>> + Send;
}

/// `write`, cut short if the invocation's deadline comes first: a sender
/// gets a 503 and retries, rather than the function being stopped mid-way.
pub async fn within<T>(
    deadline: &Deadline,
    write: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    deadline
        .bound(write)
        .await
        .unwrap_or(Err(StoreError::DeadlineReached))
}

/// A write's result as the answer. A failure is logged with its cause for the
/// operator: the answer only says 503 or 422.
pub fn written(
    result: Result<Outcome, StoreError>,
    receipt: &Receipt,
) -> Result<Outcome, Rejection> {
    result.map_err(|error| {
        match &error {
            StoreError::CorruptState { .. } | StoreError::CorruptObject { .. } => {
                tracing::error!(event_id = %receipt.event_id, %error, "corrupt state: the stored item needs a person")
            }
            _ => tracing::warn!(event_id = %receipt.event_id, %error, "write failed"),
        }
        Rejection::from(error)
    })
}

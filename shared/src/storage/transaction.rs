//! One `TransactWriteItems` and how DynamoDB answered it. A cancelled
//! transaction carries a reason per item, in request order
//! (`CancellationReasons`); each is read as DynamoDB documents it, not as a
//! local emulator happens to answer:
//! - `None`: this item was not the cause;
//! - `ConditionalCheckFailed`: its condition failed (duplicate, stale, or the
//!   state moved on: the caller knows which);
//! - `TransactionConflict`: another transaction held the item; the same
//!   write may succeed shortly;
//! - `ThrottlingError` (on-demand), `ProvisionedThroughputExceeded`:
//!   throttled; the same write may succeed later;
//! - `ValidationError`: the item itself cannot be written (a type or size
//!   problem); trying again cannot help;
//! - anything else (`ItemCollectionSizeLimitExceeded`, a code added later):
//!   not the delivery's fault, but not known to pass by itself.
//!
//! The SDK retries none of these itself (it does retry top-level throttling
//! and server errors). A Put over DynamoDB's item size is refused before the
//! transaction starts, as a top-level `ValidationException`.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::PutBuilder;
use aws_sdk_dynamodb::types::{CancellationReason, Put, TransactWriteItem};

use crate::receive::receipt::Receipt;
use crate::receive::response::Outcome;
use crate::storage::schema::PK;
use crate::storage::{event_item, Busy, Item, Placed, StoreError};

/// How a `TransactWriteItems` ended, short of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transacted {
    Applied,
    /// The event record's condition failed: the delivery was recorded before
    /// (the event is a transaction's first write, `new_event`).
    Duplicate,
    /// Another item's condition failed (the state's: the caller knows why).
    ConditionFailed,
    /// Cancelled by a conflict or throttling: the same write may pass later.
    Busy(Busy),
}

/// A put of `item` into `table`, one write of a transaction, on the terms of
/// `guard` (its condition).
pub fn put(table: &str, item: Item, guard: PutBuilder) -> Result<TransactWriteItem, StoreError> {
    let put = guard.table_name(table).set_item(Some(item)).build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A delivery's event record (`payload` as placed) as the first write of its
/// transaction: written only if new, so the same delivery again is a duplicate.
pub fn new_event(
    table: &str,
    pk: &str,
    receipt: &Receipt,
    payload: Placed,
) -> Result<TransactWriteItem, StoreError> {
    let item = event_item(pk, receipt, Outcome::Applied, payload);
    let guard = Put::builder().condition_expression(format!("attribute_not_exists({PK})"));
    put(table, item, guard)
}

/// The reasons of a cancelled transaction; `None` when the error is not a
/// cancellation.
pub(super) fn cancellation_reasons<R>(
    error: &SdkError<TransactWriteItemsError, R>,
) -> Option<&[CancellationReason]> {
    match error.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => {
            Some(cancelled.cancellation_reasons())
        }
        _ => None,
    }
}

/// What the reasons of a cancellation mean for the delivery. A validation
/// error decides first (no attempt can pass), then failed conditions (they
/// decide the outcome whatever else happened), then what may pass later.
pub(super) fn classify(reasons: &[CancellationReason]) -> Result<Transacted, StoreError> {
    let code = |reason: &CancellationReason| reason.code().unwrap_or("None").to_owned();
    if let Some(invalid) = reasons.iter().find(|r| r.code() == Some("ValidationError")) {
        return Err(StoreError::Unstorable(
            invalid.message().unwrap_or("ValidationError").to_owned(),
        ));
    }
    let failed = |r: &CancellationReason| r.code() == Some("ConditionalCheckFailed");
    if reasons.first().is_some_and(failed) {
        return Ok(Transacted::Duplicate);
    }
    if reasons.iter().any(failed) {
        return Ok(Transacted::ConditionFailed);
    }
    let any = |codes: &[&str]| {
        reasons
            .iter()
            .any(|r| codes.contains(&r.code().unwrap_or("")))
    };
    if any(&["TransactionConflict"]) {
        return Ok(Transacted::Busy(Busy::Conflict));
    }
    if any(&["ThrottlingError", "ProvisionedThroughputExceeded"]) {
        return Ok(Transacted::Busy(Busy::Throttled));
    }
    let codes: Vec<String> = reasons.iter().map(code).collect();
    Err(StoreError::Unavailable(format!(
        "transaction cancelled: [{}]",
        codes.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(codes: &[&str]) -> Vec<CancellationReason> {
        codes
            .iter()
            .map(|code| {
                CancellationReason::builder()
                    .code(*code)
                    .message(format!("{code} message"))
                    .build()
            })
            .collect()
    }

    #[test]
    fn each_reason_as_documented() {
        assert_eq!(
            classify(&reasons(&["ConditionalCheckFailed", "None"])).unwrap(),
            Transacted::Duplicate
        );
        assert_eq!(
            classify(&reasons(&["None", "ConditionalCheckFailed"])).unwrap(),
            Transacted::ConditionFailed
        );
        // A failed condition decides, whatever held the other item.
        assert_eq!(
            classify(&reasons(&["TransactionConflict", "ConditionalCheckFailed"])).unwrap(),
            Transacted::ConditionFailed
        );
        assert_eq!(
            classify(&reasons(&["None", "TransactionConflict"])).unwrap(),
            Transacted::Busy(Busy::Conflict)
        );
        for throttled in ["ThrottlingError", "ProvisionedThroughputExceeded"] {
            assert_eq!(
                classify(&reasons(&["None", throttled])).unwrap(),
                Transacted::Busy(Busy::Throttled),
                "{throttled}"
            );
        }
        assert!(matches!(
            classify(&reasons(&["ConditionalCheckFailed", "ValidationError"])),
            Err(StoreError::Unstorable(message)) if message == "ValidationError message"
        ));
        for unknown in [
            &["None", "ItemCollectionSizeLimitExceeded"][..],
            &[],
            &["None", "None"],
        ] {
            assert!(matches!(
                classify(&reasons(unknown)),
                Err(StoreError::Unavailable(_))
            ));
        }
    }
}

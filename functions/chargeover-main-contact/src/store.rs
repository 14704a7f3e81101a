//! Writes a validated change: the event record and the `MAIN_CONTACT` state
//! item in one transaction, the state guarded by the source's modification
//! time so late deliveries never overwrite newer data.

use std::future::Future;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use webhook_shared::attribute::{n, s};
use webhook_shared::deadline::Deadline;
use webhook_shared::receipt::Receipt;
use webhook_shared::storage::{
    event_item, is_transaction_conflict, Busy, Retries, StoreError, Transacted,
};
use webhook_shared::table::{Table, PK, SK};
use webhook_shared::Outcome;

/// Every key this function writes starts with this (its IAM `dynamodb:LeadingKeys`).
pub const KEY_PREFIX: &str = "CHARGEOVER#";

pub const STATE_SK: &str = "MAIN_CONTACT";
pub const REJECTED_PK: &str = "CHARGEOVER#REJECTED";

pub fn customer_pk(customer_id: u64) -> String {
    format!("CHARGEOVER#CUSTOMER#{customer_id}")
}

/// One delivery, ready to write.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub receipt: &'a Receipt,
    pub state: MainContactState<'a>,
    /// The redacted body, as the event record's `payload`.
    pub payload: AttributeValue,
    /// Enumerated fields carrying a value outside the documented set, for a warning.
    pub unknown_choices: Vec<(&'static str, String)>,
}

/// What the `MAIN_CONTACT` item is set to.
#[derive(Debug)]
pub struct MainContactState<'a> {
    pub customer_id: u64,
    /// `data.customer` in its stored form.
    pub customer: AttributeValue,
    /// `data.user` in its stored form; `None` when absent or null.
    pub contact: Option<AttributeValue>,
    /// The main contact's user id; `None` when none is known.
    pub superuser_id: Option<u64>,
    /// `mod_datetime` as a fixed-width RFC 3339 UTC instant with
    /// nanoseconds; orders deliveries.
    pub source_modified_at: Option<String>,
    /// `X-ChargeOver-Source`, when sent.
    pub source: Option<&'a str>,
}

/// Records deliveries of main-contact changes.
pub trait MainContactStore {
    /// Writes `delivery`, trying again while DynamoDB is busy and `deadline`
    /// leaves time.
    fn record(
        &self,
        delivery: &Delivery<'_>,
        deadline: &Deadline,
    ) -> impl Future<Output = Result<Outcome, StoreError>> + Send;
}

impl MainContactStore for Table {
    async fn record(
        &self,
        delivery: &Delivery<'_>,
        deadline: &Deadline,
    ) -> Result<Outcome, StoreError> {
        let mut retries = Retries::within(deadline);
        loop {
            match self.transact(transaction(&self.name, delivery)?).await? {
                Transacted::Applied => return Ok(Outcome::Applied),
                Transacted::ConditionFailed(failed) if failed.first() == Some(&true) => {
                    return Ok(Outcome::Duplicate)
                }
                // The stored change is newer.
                Transacted::ConditionFailed(_) => {
                    return record_stale(self, delivery, retries).await
                }
                Transacted::Busy(busy) => retries.pause(busy).await?,
            }
        }
    }
}

/// Newer state is stored: keep the event, with outcome `stale`, alone.
async fn record_stale(
    table: &Table,
    delivery: &Delivery<'_>,
    mut retries: Retries<'_>,
) -> Result<Outcome, StoreError> {
    let pk = customer_pk(delivery.state.customer_id);
    loop {
        let item = event_item(
            &pk,
            delivery.receipt,
            Outcome::Stale,
            delivery.payload.clone(),
        );
        let result = table
            .client
            .put_item()
            .table_name(&table.name)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .send()
            .await;
        match result {
            Ok(_) => return Ok(Outcome::Stale),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                return Ok(Outcome::Duplicate)
            }
            Err(error) if is_transaction_conflict(&error) => retries.pause(Busy::Conflict).await?,
            Err(error) => return Err(StoreError::from_sdk(error)),
        }
    }
}

/// The delivery's two writes, in order: the event record if new, and the
/// state if not older. No I/O (the benches measure it).
pub fn transaction(
    table: &str,
    delivery: &Delivery<'_>,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let pk = customer_pk(delivery.state.customer_id);
    let event = Put::builder()
        .table_name(table)
        .set_item(Some(event_item(
            &pk,
            delivery.receipt,
            Outcome::Applied,
            delivery.payload.clone(),
        )))
        .condition_expression(format!("attribute_not_exists({PK})"))
        .build()
        .map_err(build_error)?;
    let state = state_update(table, &pk, delivery.receipt, &delivery.state)?;
    Ok(vec![
        TransactWriteItem::builder().put(event).build(),
        TransactWriteItem::builder().update(state).build(),
    ])
}

/// The state item's update: replace everything the delivery carries, bump
/// `version`, and only if the stored change is not newer.
fn state_update(
    table: &str,
    pk: &str,
    receipt: &Receipt,
    state: &MainContactState<'_>,
) -> Result<Update, StoreError> {
    let attributes = [
        ("customer_id", Some(n(state.customer_id))),
        ("customer", Some(state.customer.clone())),
        ("contact", state.contact.clone()),
        ("superuser_id", state.superuser_id.map(n)),
        (
            "source_modified_at",
            state.source_modified_at.clone().map(s),
        ),
        ("source", state.source.map(s)),
        ("event_id", Some(s(receipt.event_id.as_str()))),
        ("received_at", Some(s(&receipt.received_at))),
    ];
    let mut set = vec!["#version = if_not_exists(#version, :zero) + :one".to_string()];
    let mut remove = Vec::new();
    // Every name goes through a placeholder: some (`source`) are reserved words.
    let mut update = Update::builder()
        .table_name(table)
        .key(PK, s(pk))
        .key(SK, s(STATE_SK))
        .expression_attribute_names("#version", "version")
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1));
    for (name, value) in attributes {
        update = update.expression_attribute_names(format!("#{name}"), name);
        match value {
            Some(value) => {
                set.push(format!("#{name} = :{name}"));
                update = update.expression_attribute_values(format!(":{name}"), value);
            }
            None => remove.push(format!("#{name}")),
        }
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    update = update.update_expression(expression);
    if let Some(modified) = &state.source_modified_at {
        // Not older than the stored change; a state without a time (or none)
        // takes it. Earlier versions stored whole seconds (`...:22Z`): a
        // change in that same second is not known to be older, so it applies.
        update = update
            .condition_expression(
                "attribute_not_exists(#source_modified_at) \
                 OR #source_modified_at <= :source_modified_at \
                 OR #source_modified_at = :whole_second",
            )
            .expression_attribute_values(":whole_second", s(whole_second(modified)));
    }
    update.build().map_err(build_error)
}

/// `2017-10-05T22:51:22.500000000Z` as earlier versions stored it:
/// `2017-10-05T22:51:22Z`.
fn whole_second(sortable: &str) -> String {
    match sortable.split_once('.') {
        Some((seconds, _)) => format!("{seconds}Z"),
        None => sortable.to_owned(),
    }
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

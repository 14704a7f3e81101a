//! Writes a validated delivery: reads the stored organization, merges, and
//! writes the event record and the merged state in one transaction guarded
//! by the state's `version`. A concurrent writer makes the condition fail;
//! then the state is read and merged again, so no delivery's change is lost.

use std::collections::BTreeSet;
use std::future::Future;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use webhook_shared::attribute::Members;
use webhook_shared::storage::{
    built_again, contention_backoff, event_item, n, s, Item, Receipt, StoreError, Table, Transacted,
};
use webhook_shared::table::{PK, SK};
use webhook_shared::Outcome;

use crate::merge::{merge, MergedOrganization};

/// Every key this function writes starts with this (its IAM `dynamodb:LeadingKeys`).
pub const KEY_PREFIX: &str = "OCC#";
/// The DynamoDB actions this function calls; its IAM policy grants exactly
/// these (the transaction is authorised as its two Puts).
pub const DYNAMODB_ACTIONS: &[&str] = &[
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
];

pub const STATE_SK: &str = "ORGANIZATION";
pub const REJECTED_PK: &str = "OCC#REJECTED";

pub fn organization_pk(organization_id: &str) -> String {
    format!("OCC#ORGANIZATION#{organization_id}")
}

/// One delivery, ready to write.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub receipt: &'a Receipt,
    pub organization_id: String,
    /// The delivery's organization (typed, then in its stored form) to merge.
    pub organization: Members,
    /// The redacted body, as the event record's `payload`.
    pub payload: AttributeValue,
}

/// Builds a delivery again, the same as the first time (see [`OrganizationStore::record`]).
pub type Again<'d, 'a> = &'d (dyn Fn() -> Option<Delivery<'a>> + Sync);

/// Records organization deliveries.
pub trait OrganizationStore {
    /// Merges and writes `delivery`. The SDK consumes what it sends, so a
    /// second attempt (after losing a race) takes a delivery built `again`
    /// from the request: only those rare deliveries pay for it, instead of
    /// every one paying for a copy.
    fn record(
        &self,
        delivery: Delivery<'_>,
        again: Again<'_, '_>,
    ) -> impl Future<Output = Result<Outcome, StoreError>> + Send;
}

/// Tries of read-merge-write before giving up with a 503 (the sender retries).
const ATTEMPTS: u32 = 20;

impl OrganizationStore for Table {
    async fn record(
        &self,
        delivery: Delivery<'_>,
        again: Again<'_, '_>,
    ) -> Result<Outcome, StoreError> {
        let mut delivery = delivery;
        for attempt in 1..=ATTEMPTS {
            let (stored, version) =
                read_state(self, &organization_pk(&delivery.organization_id)).await?;
            let writes = transaction(&self.name, delivery, stored, version)?;
            let conditions_failed = match self.transact(writes).await? {
                Transacted::Applied => return Ok(Outcome::Applied),
                Transacted::Cancelled { conditions_failed } => conditions_failed,
            };
            if conditions_failed.first() == Some(&true) {
                return Ok(Outcome::Duplicate);
            }
            // The state changed since it was read, or a concurrent transaction
            // held it: read, merge and try again.
            tokio::time::sleep(contention_backoff(attempt)).await;
            delivery = built_again(again)?;
        }
        Err(StoreError::Contended { attempts: ATTEMPTS })
    }
}

/// The delivery merged into the stored organization (at `version`, 0 for
/// none), as its two writes: the event record if new, and the merged state if
/// the stored one is still at `version`. Takes the delivery (the SDK consumes
/// what it sends); no I/O (the benches measure it).
pub fn transaction(
    table: &str,
    delivery: Delivery<'_>,
    stored: MergedOrganization,
    version: u64,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let pk = organization_pk(&delivery.organization_id);
    let event = event_item(&pk, delivery.receipt, Outcome::Applied, delivery.payload);
    let merged = merge(stored, delivery.organization);
    let state = state_item(
        &pk,
        delivery.receipt,
        delivery.organization_id,
        merged,
        version + 1,
    );
    let guard = match version {
        0 => Put::builder().condition_expression(format!("attribute_not_exists({PK})")),
        _ => Put::builder()
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", n(version)),
    };
    Ok(vec![
        put(
            table,
            event,
            Put::builder().condition_expression(format!("attribute_not_exists({PK})")),
        )?,
        put(table, state, guard)?,
    ])
}

fn put(
    table: &str,
    item: Item,
    put: aws_sdk_dynamodb::types::builders::PutBuilder,
) -> Result<TransactWriteItem, StoreError> {
    let put = put
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The stored organization and its version (0 when there is none yet).
async fn read_state(table: &Table, pk: &str) -> Result<(MergedOrganization, u64), StoreError> {
    let output = table
        .client
        .get_item()
        .table_name(&table.name)
        .key(PK, s(pk))
        .key(SK, s(STATE_SK))
        .consistent_read(true)
        .send()
        .await
        .map_err(StoreError::from_sdk)?;
    let Some(mut item) = output.item else {
        return Ok((MergedOrganization::default(), 0));
    };
    let version = match item.get("version") {
        Some(AttributeValue::N(number)) => number.parse().unwrap_or(0),
        _ => 0,
    };
    let organization = match item.remove("organization") {
        Some(AttributeValue::M(members)) => members,
        None => Members::new(),
        Some(_) => return Err(corrupt_state(pk, "organization")),
    };
    let truncated_properties = match item.remove("truncated_properties") {
        Some(AttributeValue::L(names)) => names
            .into_iter()
            .map(|name| match name {
                AttributeValue::S(name) => Ok(name),
                _ => Err(corrupt_state(pk, "truncated_properties")),
            })
            .collect::<Result<_, _>>()?,
        None => BTreeSet::new(),
        Some(_) => return Err(corrupt_state(pk, "truncated_properties")),
    };
    Ok((
        MergedOrganization {
            organization,
            truncated_properties,
        },
        version,
    ))
}

/// A stored state this function did not write (or a hand edit): a 503 and
/// an alarm rather than overwriting it.
fn corrupt_state(pk: &str, attribute: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "the stored {pk} has an unreadable `{attribute}` attribute"
    ))
}

fn state_item(
    pk: &str,
    receipt: &Receipt,
    organization_id: String,
    merged: MergedOrganization,
    version: u64,
) -> Item {
    let mut item = Item::with_capacity(8);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(STATE_SK));
    item.insert("organization_id".into(), s(organization_id));
    item.insert(
        "organization".into(),
        AttributeValue::M(merged.organization),
    );
    if !merged.truncated_properties.is_empty() {
        item.insert(
            "truncated_properties".into(),
            AttributeValue::L(merged.truncated_properties.into_iter().map(s).collect()),
        );
    }
    item.insert("event_id".into(), s(receipt.event_id.as_str()));
    item.insert("received_at".into(), s(&receipt.received_at));
    item.insert("version".into(), n(version));
    item
}

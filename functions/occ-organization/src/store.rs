//! Writes a validated delivery: reads the stored organization, merges, and
//! writes the event record and the merged state in one transaction guarded
//! by the state's `version`. A concurrent writer makes the condition fail;
//! then the state is read and merged again, so no delivery's change is lost.

use std::collections::BTreeSet;
use std::future::Future;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use webhook_shared::attribute::{n, s, Members};
use webhook_shared::deadline::Deadline;
use webhook_shared::receipt::Receipt;
use webhook_shared::storage::{event_item, Busy, Item, Retries, StoreError, Transacted};
use webhook_shared::table::{Table, PK, SK};
use webhook_shared::Outcome;

use crate::merge::{merge, MergedOrganization};

/// Every key this function writes starts with this (its IAM `dynamodb:LeadingKeys`).
pub const KEY_PREFIX: &str = "OCC#";

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

/// Records organization deliveries.
pub trait OrganizationStore {
    /// Merges `delivery` into the stored organization and writes it, reading
    /// and merging again when a concurrent delivery got there first, while
    /// `deadline` leaves time.
    fn record(
        &self,
        delivery: &Delivery<'_>,
        deadline: &Deadline,
    ) -> impl Future<Output = Result<Outcome, StoreError>> + Send;
}

impl OrganizationStore for Table {
    async fn record(
        &self,
        delivery: &Delivery<'_>,
        deadline: &Deadline,
    ) -> Result<Outcome, StoreError> {
        let pk = organization_pk(&delivery.organization_id);
        let mut retries = Retries::within(deadline);
        loop {
            let (stored, version) = read_state(self, &pk).await?;
            match self
                .transact(transaction(&self.name, delivery, stored, version)?)
                .await?
            {
                Transacted::Applied => return Ok(Outcome::Applied),
                Transacted::ConditionFailed(failed) if failed.first() == Some(&true) => {
                    return Ok(Outcome::Duplicate)
                }
                // The state changed since it was read: read, merge, try again.
                Transacted::ConditionFailed(_) => retries.pause(Busy::StateChanged).await?,
                Transacted::Busy(busy) => retries.pause(busy).await?,
            }
        }
    }
}

/// The delivery merged into the stored organization (at `version`, 0 for
/// none), as its two writes: the event record if new, and the merged state if
/// the stored one is still at `version`. No I/O (the benches measure it).
pub fn transaction(
    table: &str,
    delivery: &Delivery<'_>,
    stored: MergedOrganization,
    version: u64,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let pk = organization_pk(&delivery.organization_id);
    let event = event_item(
        &pk,
        delivery.receipt,
        Outcome::Applied,
        delivery.payload.clone(),
    );
    let merged = merge(stored, delivery.organization.clone());
    let state = state_item(&pk, delivery, merged, version + 1);
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
        Some(AttributeValue::N(number)) => number
            .parse::<u64>()
            .ok()
            .filter(|&version| version > 0)
            .ok_or_else(|| corrupt_state(pk, "version"))?,
        _ => return Err(corrupt_state(pk, "version")),
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
fn corrupt_state(pk: &str, attribute: &'static str) -> StoreError {
    StoreError::CorruptState {
        pk: pk.to_owned(),
        attribute,
    }
}

fn state_item(pk: &str, delivery: &Delivery<'_>, merged: MergedOrganization, version: u64) -> Item {
    let mut item = Item::with_capacity(8);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(STATE_SK));
    item.insert(
        "organization_id".into(),
        s(delivery.organization_id.as_str()),
    );
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
    item.insert("event_id".into(), s(delivery.receipt.event_id.as_str()));
    item.insert("received_at".into(), s(&delivery.receipt.received_at));
    item.insert("version".into(), n(version));
    item
}

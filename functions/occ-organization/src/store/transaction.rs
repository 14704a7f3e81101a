//! The delivery's write: the event record and the merged state in one
//! transaction, the state guarded by its `version`. No I/O (the benches
//! measure it).

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use webhook_shared::storage::attribute::{n, s};
use webhook_shared::storage::schema::{PK, SK};
use webhook_shared::storage::{new_event, put, Item, Placed, StoreError};

use super::{organization_pk, Claims, Delivery, STATE_SK};
use crate::merge::MergedOrganization;

/// The delivery merged into the stored organization (at `version`, 0 for
/// none), as its two writes: the event record if new, and the merged state if
/// the stored one is still at `version`. No I/O (the benches measure it).
pub fn transaction(
    table: &str,
    delivery: &Delivery<'_>,
    merged: MergedOrganization,
    version: u64,
    claims: &Claims,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let pk = organization_pk(&delivery.organization_id);
    let payload = Placed::new(&delivery.payload, claims.payload.as_ref());
    let state = state_item(&pk, delivery, merged, version + 1, claims);
    let guard = match version {
        0 => Put::builder().condition_expression(format!("attribute_not_exists({PK})")),
        _ => Put::builder()
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", n(version)),
    };
    Ok(vec![
        new_event(table, &pk, delivery.receipt, payload)?,
        put(table, state, guard)?,
    ])
}

fn state_item(
    pk: &str,
    delivery: &Delivery<'_>,
    merged: MergedOrganization,
    version: u64,
    claims: &Claims,
) -> Item {
    let mut item = Item::with_capacity(8);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(STATE_SK));
    item.insert(
        "organization_id".into(),
        s(delivery.organization_id.as_str()),
    );
    let organization = match &claims.organization {
        Some(claim) => Placed::Claimed(claim.clone()),
        None => Placed::Inline(AttributeValue::M(merged.organization)),
    };
    organization.insert_into(&mut item, "organization");
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

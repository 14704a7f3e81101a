//! Writes a validated delivery: reads the stored organization, merges, and
//! writes the event record and the merged state in one transaction guarded
//! by the state's `version`. A concurrent writer makes the condition fail;
//! then the state is read and merged again, so no delivery's change is lost.
//! An organization too large for an item lives in S3 (claim check): read
//! from there, merged, and written back under its new content's key; the
//! object it replaces is deleted once the new state has committed.

use std::collections::BTreeSet;
use std::future::Future;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use webhook_shared::receive::deadline::Deadline;
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::storage::attribute::{n, s, Members};
use webhook_shared::storage::schema::{PK, SK};
use webhook_shared::storage::{
    event_item, Busy, Claim, Form, Item, Kind, Large, Placed, QuarantinePlace, Retries, Store,
    StoreError, Transacted, ITEM_OVERHEAD,
};
use webhook_shared::Outcome;

use crate::merge::{merge, MergedOrganization};

/// Every key this function writes starts with this (its IAM `dynamodb:LeadingKeys`).
pub const KEY_PREFIX: &str = "OCC#";
/// Every S3 object this function writes starts with this (its IAM resource).
pub const OBJECT_PREFIX: &str = "occ/";

pub const STATE_SK: &str = "ORGANIZATION";
pub const REJECTED_PK: &str = "OCC#REJECTED";
/// Where refused deliveries are kept.
pub const QUARANTINE: QuarantinePlace = QuarantinePlace {
    pk: REJECTED_PK,
    object_prefix: OBJECT_PREFIX,
};

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

/// The stored state as read: the organization, its version (0: none yet),
/// and the claim its document is under when it lives in S3.
#[derive(Debug, Default)]
pub struct Stored {
    pub organization: MergedOrganization,
    pub version: u64,
    pub claim: Option<Claim>,
}

/// The delivery's documents that went to S3: none at normal sizes.
#[derive(Debug, Default)]
pub struct Claims {
    pub payload: Option<Claim>,
    pub organization: Option<Claim>,
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

impl OrganizationStore for Store {
    async fn record(
        &self,
        delivery: &Delivery<'_>,
        deadline: &Deadline,
    ) -> Result<Outcome, StoreError> {
        let pk = organization_pk(&delivery.organization_id);
        let payload = self
            .bucket
            .claim_payload(OBJECT_PREFIX, &delivery.payload)
            .await?;
        let mut retries = Retries::within(deadline);
        let mut gone: Option<Claim> = None;
        loop {
            let stored = match read_state(self, &pk).await? {
                Read::State(stored) => stored,
                // The same document missing twice is not a race: the item
                // refers to an object that is not there.
                Read::DocumentGone(claim) if gone.as_ref() == Some(&claim) => {
                    return Err(StoreError::CorruptObject { key: claim.key })
                }
                // Replaced since the item was read: read again.
                Read::DocumentGone(claim) => {
                    gone = Some(claim);
                    retries.pause(Busy::StateChanged).await?;
                    continue;
                }
            };
            let version = stored.version;
            let mut merged = merge(stored.organization, delivery.organization.clone());
            let claims = Claims {
                payload: payload.clone(),
                organization: claim_organization(self, &mut merged, version + 1).await?,
            };
            let replaced = stored.claim;
            let writes = transaction(&self.table.name, delivery, merged, version, &claims)?;
            match self.table.transact(writes).await? {
                Transacted::Applied => {
                    if let Some(replaced) = replaced {
                        delete_replaced(self, &replaced).await;
                    }
                    return Ok(Outcome::Applied);
                }
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

/// Writes the merged organization to S3 if the state item would not fit,
/// under a key naming the `version` it will be (so the document of the
/// version it replaces, deleted after the commit, is never this one).
async fn claim_organization(
    store: &Store,
    merged: &mut MergedOrganization,
    version: u64,
) -> Result<Option<Claim>, StoreError> {
    // Lent as the attribute it is written as, then given back.
    let organization = AttributeValue::M(std::mem::take(&mut merged.organization));
    let truncated: usize = merged
        .truncated_properties
        .iter()
        .map(|p| p.len() + 1)
        .sum();
    let large = Large {
        name: "organization",
        value: &organization,
        form: Form::Json,
    };
    let suffix = format!("-v{version}");
    let claim = store
        .bucket
        .claim_large(
            OBJECT_PREFIX,
            Kind::State,
            ITEM_OVERHEAD + truncated,
            &[large],
            &suffix,
        )
        .await;
    if let AttributeValue::M(members) = organization {
        merged.organization = members;
    }
    Ok(claim?.into_iter().next().flatten())
}

/// The object a committed state no longer refers to: deleted, best effort
/// (`webhook-admin gc` sweeps what a failure here leaves).
async fn delete_replaced(store: &Store, replaced: &Claim) {
    if let Err(error) = store.bucket.delete(replaced).await {
        tracing::warn!(key = replaced.key, %error, "replaced state document not deleted");
    }
}

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
    let event = event_item(&pk, delivery.receipt, Outcome::Applied, payload);
    let state = state_item(&pk, delivery, merged, version + 1, claims);
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

/// What reading the state found.
enum Read {
    State(Stored),
    /// The item refers to a document that is not in the bucket: a concurrent
    /// delivery replaced the state after the item was read (or, if it stays
    /// so, the item is corrupt).
    DocumentGone(Claim),
}

/// The stored state, its document read from S3 when claimed.
async fn read_state(store: &Store, pk: &str) -> Result<Read, StoreError> {
    let Some(mut item) = store.table.get(pk, STATE_SK).await? else {
        return Ok(Read::State(Stored::default()));
    };
    let version = match item.get("version") {
        Some(AttributeValue::N(number)) => number
            .parse::<u64>()
            .ok()
            .filter(|&version| version > 0)
            .ok_or_else(|| corrupt_state(pk, "version"))?,
        _ => return Err(corrupt_state(pk, "version")),
    };
    let (organization, claim) = match (item.remove("organization"), item.remove("organization_s3"))
    {
        (Some(AttributeValue::M(members)), None) => (members, None),
        (None, None) => (Members::new(), None),
        (None, Some(reference)) => {
            let claim = Claim::from_attribute(&reference)
                .ok_or_else(|| corrupt_state(pk, "organization_s3"))?;
            let Some(document) = store.bucket.get(&claim).await? else {
                return Ok(Read::DocumentGone(claim));
            };
            match webhook_shared::validate::json::parse(&document) {
                Ok(AttributeValue::M(members)) => (members, Some(claim)),
                _ => return Err(corrupt_state(pk, "organization_s3")),
            }
        }
        _ => return Err(corrupt_state(pk, "organization")),
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
    Ok(Read::State(Stored {
        organization: MergedOrganization {
            organization,
            truncated_properties,
        },
        version,
        claim,
    }))
}

/// A stored state this function did not write (or a hand edit): a 503 and
/// an alarm rather than overwriting it.
fn corrupt_state(pk: &str, attribute: &'static str) -> StoreError {
    StoreError::CorruptState {
        pk: pk.to_owned(),
        attribute,
    }
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

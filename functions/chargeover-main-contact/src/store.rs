//! Writes a validated change: the event record and the `MAIN_CONTACT` state
//! item in one transaction, the state guarded by the source's modification
//! time so late deliveries never overwrite newer data. Attributes too large
//! for an item are written to S3 first (claim check).

use crate::ordering;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use webhook_shared::receive::deadline::Deadline;
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::storage::attribute::{n, s};
use webhook_shared::storage::schema::{PK, SK};
use webhook_shared::storage::Table;
use webhook_shared::storage::{
    event_item, new_event, Changes, Claim, Kind, Placed, PutNew, QuarantinePlace, Records, Retries,
    Store, StoreError, Transacted, ITEM_OVERHEAD,
};
use webhook_shared::Outcome;

/// Every key this function writes starts with this (its IAM `dynamodb:LeadingKeys`).
pub const KEY_PREFIX: &str = "CHARGEOVER#";
/// Every S3 object this function writes starts with this (its IAM resource).
pub const OBJECT_PREFIX: &str = "chargeover/";

pub const STATE_SK: &str = "MAIN_CONTACT";
pub const REJECTED_PK: &str = "CHARGEOVER#REJECTED";
/// Where refused deliveries are kept.
pub const QUARANTINE: QuarantinePlace = QuarantinePlace {
    pk: REJECTED_PK,
    object_prefix: OBJECT_PREFIX,
};

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

/// The delivery's large attributes that went to S3: none for a delivery of
/// normal size.
#[derive(Debug, Default)]
pub struct Claims {
    pub payload: Option<Claim>,
    pub customer: Option<Claim>,
    pub contact: Option<Claim>,
}

impl Records<Delivery<'_>> for Store {
    async fn record(
        &self,
        delivery: &Delivery<'_>,
        deadline: &Deadline,
    ) -> Result<Outcome, StoreError> {
        let claims = claim_large(self, delivery).await?;
        let mut retries = Retries::within(deadline);
        loop {
            let writes = transaction(&self.table.name, delivery, &claims)?;
            match self.table.transact(writes).await? {
                Transacted::Applied => return Ok(Outcome::Applied),
                Transacted::Duplicate => return Ok(Outcome::Duplicate),
                // The stored change is newer.
                Transacted::ConditionFailed => {
                    return record_stale(&self.table, delivery, &claims, retries).await
                }
                Transacted::Busy(busy) => retries.pause(busy).await?,
            }
        }
    }
}

/// Writes to S3 whatever would make an item too large. A replaced state's
/// documents are left for `webhook-admin gc`: which ones they are is not
/// known without reading the state first, a round trip on every delivery.
async fn claim_large(store: &Store, delivery: &Delivery<'_>) -> Result<Claims, StoreError> {
    let payload = store
        .bucket
        .claim_payload(OBJECT_PREFIX, &delivery.payload)
        .await?;
    let mut state = vec![("customer", &delivery.state.customer)];
    state.extend(
        delivery
            .state
            .contact
            .as_ref()
            .map(|contact| ("contact", contact)),
    );
    let mut state = store
        .bucket
        .claim_large(OBJECT_PREFIX, Kind::State, ITEM_OVERHEAD, &state, "")
        .await?
        .into_iter();
    Ok(Claims {
        payload,
        customer: state.next().flatten(),
        contact: state.next().flatten(),
    })
}

/// Newer state is stored: keep the event, with outcome `stale`, alone.
async fn record_stale(
    table: &Table,
    delivery: &Delivery<'_>,
    claims: &Claims,
    mut retries: Retries<'_>,
) -> Result<Outcome, StoreError> {
    let pk = customer_pk(delivery.state.customer_id);
    loop {
        let payload = Placed::new(&delivery.payload, claims.payload.as_ref());
        let item = event_item(&pk, delivery.receipt, Outcome::Stale, payload);
        match table.put_new(item).await? {
            PutNew::Written => return Ok(Outcome::Stale),
            PutNew::Exists => return Ok(Outcome::Duplicate),
            PutNew::Busy(busy) => retries.pause(busy).await?,
        }
    }
}

/// The delivery's two writes, in order: the event record if new, and the
/// state if not older; claimed attributes by their claim. No I/O (the
/// benches measure it).
pub fn transaction(
    table: &str,
    delivery: &Delivery<'_>,
    claims: &Claims,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let pk = customer_pk(delivery.state.customer_id);
    let payload = Placed::new(&delivery.payload, claims.payload.as_ref());
    let state = state_update(table, &pk, delivery, claims)?;
    Ok(vec![
        new_event(table, &pk, delivery.receipt, payload)?,
        TransactWriteItem::builder().update(state).build(),
    ])
}

/// The state item's update: replace everything the delivery carries, bump
/// `version`, and only if the stored change is not newer.
fn state_update(
    table: &str,
    pk: &str,
    delivery: &Delivery<'_>,
    claims: &Claims,
) -> Result<Update, StoreError> {
    let (state, receipt) = (&delivery.state, delivery.receipt);
    let mut changes = Changes::default();
    changes.set("customer_id", n(state.customer_id));
    let customer = Placed::new(&state.customer, claims.customer.as_ref());
    changes.set_placed("customer", Some(customer));
    let contact =
        (state.contact.as_ref()).map(|contact| Placed::new(contact, claims.contact.as_ref()));
    changes.set_placed("contact", contact);
    changes.set_or_remove("superuser_id", state.superuser_id.map(n));
    changes.set_or_remove(ordering::ATTRIBUTE, state.source_modified_at.clone().map(s));
    changes.set_or_remove("source", state.source.map(s));
    changes.set("event_id", s(receipt.event_id.as_str()));
    changes.set("received_at", s(&receipt.received_at));
    changes.add("version", n(1));
    let condition = (state.source_modified_at.as_ref())
        .map(|modified| ordering::not_older(&mut changes, modified));
    let (expression, names, values) = changes.into_parts();
    Ok(Update::builder()
        .table_name(table)
        .key(PK, s(pk))
        .key(SK, s(STATE_SK))
        .update_expression(expression)
        .set_condition_expression(condition)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(values)
        .build()?)
}

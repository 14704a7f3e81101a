//! Writes a validated delivery: reads the stored organization, merges, and
//! writes the event record and the merged state in one transaction guarded
//! by the state's `version`. A concurrent writer makes the condition fail;
//! then the state is read and merged again, so no delivery's change is lost.
//! An organization too large for an item lives in S3 (claim check): read
//! from there, merged, and written back under its new content's key; the
//! object it replaces is deleted once the new state has committed.
//!
//! Here: the key layout and the retry loop; `state` reads the stored
//! organization, `claims` keeps its document in S3, `transaction` builds
//! the write.

mod claims;
mod state;
mod transaction;

pub use claims::Claims;
pub use state::Stored;
pub use transaction::transaction;

use aws_sdk_dynamodb::types::AttributeValue;
use webhook_shared::receive::deadline::Deadline;
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::storage::attribute::Members;
use webhook_shared::storage::{
    Busy, Claim, QuarantinePlace, Records, Retries, Store, StoreError, Transacted,
};
use webhook_shared::Outcome;

use crate::merge::{merge, MergedOrganization};
use claims::{claim_organization, delete_replaced};
use state::{read_state, Read};

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

/// Why a reconciliation did not replace the organization.
pub const CHANGED_MEANWHILE: &str =
    "the organization changed while it was reconciled: run the reconciliation again";

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
    /// `Some(version)`: the organization replaces the stored one rather than
    /// merging into it (OCC's current document, read from its API by a
    /// reconciliation), and only the state at `version` it was compared
    /// with: a delivery that landed meanwhile is newer than the document.
    pub replaces: Option<u64>,
}

impl Records<Delivery<'_>> for Store {
    /// Merges `delivery` into the stored organization and writes it, reading
    /// and merging again when a concurrent delivery got there first, while
    /// `deadline` leaves time.
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
            let base = match delivery.replaces {
                None => stored.organization,
                Some(compared) if compared == version => MergedOrganization::default(),
                Some(_) => return Err(StoreError::Unavailable(CHANGED_MEANWHILE.into())),
            };
            let mut merged = merge(base, delivery.organization.clone());
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
                Transacted::Duplicate => return Ok(Outcome::Duplicate),
                // The state changed since it was read: read, merge, try again.
                Transacted::ConditionFailed => retries.pause(Busy::StateChanged).await?,
                Transacted::Busy(busy) => retries.pause(busy).await?,
            }
        }
    }
}

//! The stored organization as read back: its item decoded, its document
//! read from S3 when claimed, and what a state this function did not write
//! looks like.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use webhook_shared::storage::attribute::Members;
use webhook_shared::storage::{Claim, Store, StoreError};

use super::STATE_SK;
use crate::merge::MergedOrganization;

/// The stored state as read: the organization, its version (0: none yet),
/// and the claim its document is under when it lives in S3.
#[derive(Debug, Default)]
pub struct Stored {
    pub organization: MergedOrganization,
    pub version: u64,
    pub claim: Option<Claim>,
}

/// What reading the state found.
pub(super) enum Read {
    State(Stored),
    /// The item refers to a document that is not in the bucket: a concurrent
    /// delivery replaced the state after the item was read (or, if it stays
    /// so, the item is corrupt).
    DocumentGone(Claim),
}

/// The stored state, its document read from S3 when claimed.
pub(super) async fn read_state(store: &Store, pk: &str) -> Result<Read, StoreError> {
    let Some(mut item) = store.table.get(pk, STATE_SK).await? else {
        return Ok(Read::State(Stored::default()));
    };
    let version = item
        .get("version")
        .and_then(|version| version.as_n().ok()?.parse::<u64>().ok())
        .filter(|&version| version > 0)
        .ok_or_else(|| corrupt_state(pk, "version"))?;
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

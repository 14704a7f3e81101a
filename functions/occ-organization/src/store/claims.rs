//! The S3 side of the organization's state: the merged organization goes to
//! S3 when its item would not fit, and the document a new state replaces is
//! deleted once that state has committed.

use aws_sdk_dynamodb::types::AttributeValue;
use webhook_shared::storage::{Claim, Kind, Store, StoreError, ITEM_OVERHEAD};

use super::OBJECT_PREFIX;
use crate::merge::MergedOrganization;

/// The delivery's documents that went to S3: none at normal sizes.
#[derive(Debug, Default)]
pub struct Claims {
    pub payload: Option<Claim>,
    pub organization: Option<Claim>,
}

/// Writes the merged organization to S3 if the state item would not fit,
/// under a key naming the `version` it will be (so the document of the
/// version it replaces, deleted after the commit, is never this one).
pub(super) async fn claim_organization(
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
    let suffix = format!("-v{version}");
    let claim = store
        .bucket
        .claim_large(
            OBJECT_PREFIX,
            Kind::State,
            ITEM_OVERHEAD + truncated,
            &[("organization", &organization)],
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
pub(super) async fn delete_replaced(store: &Store, replaced: &Claim) {
    if let Err(error) = store.bucket.delete(replaced).await {
        tracing::warn!(key = replaced.key, %error, "replaced state document not deleted");
    }
}

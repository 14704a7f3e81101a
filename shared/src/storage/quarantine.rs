//! Authenticated deliveries refused for their content (400/422) are kept, so
//! nothing is lost: the whole raw body with every secret masked, and the
//! problem, in one item per distinct delivery (`QUARANTINE#<event_id>`). The
//! sender's retries of the same bytes count in `attempts` and
//! `last_received_at` rather than adding items. A large body goes to S3.

use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::receive::deadline::Deadline;
use crate::receive::receipt::Receipt;
use crate::receive::response::{Outcome, Rejection};
use crate::storage::attribute::{n, s};
use crate::storage::changes::Changes;
use crate::storage::claim::{Kind, Placed, ITEM_OVERHEAD};
use crate::storage::schema::{PK, SK, TTL};
use crate::storage::{within, Item, Store, StoreError};
use crate::validate::redact::mask_raw_body;

/// Keeps authenticated deliveries that were refused for their content.
pub trait QuarantineStore {
    fn quarantine(
        &self,
        item: &QuarantineItem<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Where a function keeps the deliveries it refused.
#[derive(Debug, Clone, Copy)]
pub struct QuarantinePlace {
    /// `CHARGEOVER#REJECTED` or `OCC#REJECTED`.
    pub pk: &'static str,
    /// The function's S3 key prefix, for a body too large for the item.
    pub object_prefix: &'static str,
}

/// An authenticated delivery refused for its content, kept so nothing is lost.
#[derive(Debug)]
pub struct QuarantineItem<'a> {
    pub place: QuarantinePlace,
    pub receipt: &'a Receipt,
    pub rejection: &'a Rejection,
    /// The whole raw body with secrets masked.
    pub masked_body: String,
    /// ChargeOver's `X-ChargeOver-Source`, when sent: a replay keeps it.
    pub source: Option<&'a str>,
}

/// What a refused delivery is kept with.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    pub receipt: &'a Receipt,
    /// The body as the function read it (decrypted, for an encrypted one).
    pub body: &'a [u8],
    /// The texts to mask in it.
    pub secret_texts: &'a [&'a [u8]],
    pub source: Option<&'a str>,
}

/// The sort key of a delivery's quarantine item.
pub fn quarantine_sk(event_id: &str) -> String {
    format!("QUARANTINE#{event_id}")
}

impl QuarantineStore for Store {
    async fn quarantine(&self, item: &QuarantineItem<'_>) -> Result<(), StoreError> {
        let body = AttributeValue::S(item.masked_body.clone());
        let problem = AttributeValue::S(item.rejection.problem().to_json());
        let large = [("body", &body), ("problem", &problem)];
        let claims = self
            .bucket
            .claim_large(
                item.place.object_prefix,
                Kind::Quarantine,
                ITEM_OVERHEAD,
                &large,
                "",
            )
            .await?;
        let placed: Vec<Placed> = large
            .iter()
            .zip(&claims)
            .map(|((_, value), claim)| Placed::new(value, claim.as_ref()))
            .collect();
        self.table.update(item.key(), item.changes(placed)).await
    }
}

impl QuarantineItem<'_> {
    pub fn key(&self) -> Item {
        Item::from([
            (PK.to_owned(), s(self.place.pk)),
            (
                SK.to_owned(),
                s(quarantine_sk(self.receipt.event_id.as_str())),
            ),
        ])
    }

    /// Set on the first attempt, counted on every one. `placed` holds `body`
    /// and `problem`, inline or claimed.
    pub fn changes(&self, placed: Vec<Placed>) -> Changes {
        let receipt = self.receipt;
        let mut changes = Changes::default();
        changes.set("event_id", s(receipt.event_id.as_str()));
        changes.set_once("received_at", s(&receipt.received_at));
        changes.set("last_received_at", s(&receipt.received_at));
        changes.set("status", n(self.rejection.status().as_u16()));
        for (name, placed) in ["body", "problem"].into_iter().zip(placed) {
            changes.set_placed(name, Some(placed));
        }
        if let Some(source) = self.source {
            changes.set("source", s(source));
        }
        if let Some(expires_at) = receipt.expires_at {
            changes.set(TTL, n(expires_at));
        }
        changes.add("attempts", n(1));
        changes
    }
}

/// Keeps a delivery that authenticated but was refused for its content
/// (400/422) in quarantine, with every secret text masked, and passes any other
/// result through. If the quarantine cannot be written (in time), the answer
/// becomes a 503 so the sender retries and the delivery is not lost.
pub async fn quarantine_refused(
    result: Result<Outcome, Rejection>,
    store: &impl QuarantineStore,
    place: QuarantinePlace,
    refusal: Refusal<'_>,
    deadline: &Deadline,
) -> Result<Outcome, Rejection> {
    let rejection = match result {
        Err(rejection) if rejection.is_quarantined() => rejection,
        other => return other,
    };
    let receipt = refusal.receipt;
    let item = QuarantineItem {
        place,
        receipt,
        rejection: &rejection,
        masked_body: mask_raw_body(refusal.body, refusal.secret_texts),
        source: refusal.source,
    };
    match within(deadline, store.quarantine(&item)).await {
        Ok(()) => Err(rejection),
        Err(error) => {
            tracing::error!(event_id = %receipt.event_id, %error, "quarantine write failed");
            Err(Rejection::StorageUnavailable)
        }
    }
}

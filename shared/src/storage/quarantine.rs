//! Authenticated deliveries refused for their content (400/422) are kept, so
//! nothing is lost: the raw body with every secret masked, and the problem.

use std::future::Future;

use crate::attribute::{n, s};
use crate::receipt::Receipt;
use crate::redact::mask_raw_body;
use crate::response::{Outcome, Rejection};
use crate::storage::{Item, StoreError};
use crate::table::{Table, PK, SK, TTL};

/// Keeps authenticated deliveries that were refused for their content.
pub trait QuarantineStore {
    fn quarantine(
        &self,
        item: &QuarantineItem<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl QuarantineStore for Table {
    async fn quarantine(&self, item: &QuarantineItem<'_>) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item.to_item()))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

/// An authenticated delivery refused for its content, kept so nothing is lost.
#[derive(Debug)]
pub struct QuarantineItem<'a> {
    /// `CHARGEOVER#REJECTED` or `OCC#REJECTED`.
    pub pk: &'static str,
    pub receipt: &'a Receipt,
    pub rejection: &'a Rejection,
    /// The raw body with secrets masked, cut to [`QUARANTINE_BODY_LIMIT`].
    pub masked_body: String,
}

/// The most of a raw body a quarantine item keeps.
pub const QUARANTINE_BODY_LIMIT: usize = 64 * 1024;

impl QuarantineItem<'_> {
    pub fn to_item(&self) -> Item {
        let receipt = self.receipt;
        let mut item = Item::with_capacity(8);
        item.insert(PK.into(), s(self.pk));
        item.insert(
            SK.into(),
            s(format!("{}#{}", receipt.received_at, receipt.event_id)),
        );
        item.insert("event_id".into(), s(receipt.event_id.as_str()));
        item.insert("received_at".into(), s(&receipt.received_at));
        item.insert("status".into(), n(self.rejection.status().as_u16()));
        item.insert("problem".into(), s(self.rejection.problem().to_json()));
        item.insert("body".into(), s(&self.masked_body));
        if let Some(expires_at) = receipt.expires_at {
            item.insert(TTL.into(), n(expires_at));
        }
        item
    }
}

/// Keeps a delivery that authenticated but was refused for its content
/// (400/422) in quarantine, with every secret text masked, and passes any other
/// result through. If the quarantine cannot be written, the answer becomes a
/// 503 so the sender retries and the delivery is not lost.
pub async fn quarantine_refused(
    result: Result<Outcome, Rejection>,
    store: &impl QuarantineStore,
    pk: &'static str,
    receipt: &Receipt,
    body: &[u8],
    secret_texts: &[&[u8]],
) -> Result<Outcome, Rejection> {
    let rejection = match result {
        Err(rejection) if rejection.is_quarantined() => rejection,
        other => return other,
    };
    let item = QuarantineItem {
        pk,
        receipt,
        rejection: &rejection,
        masked_body: mask_raw_body(body, secret_texts, QUARANTINE_BODY_LIMIT),
    };
    match store.quarantine(&item).await {
        Ok(()) => Err(rejection),
        Err(error) => {
            tracing::error!(event_id = %receipt.event_id, %error, "quarantine write failed");
            Err(Rejection::StorageUnavailable)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use jiff::Timestamp;

    #[test]
    fn quarantine_item_shape() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
        let receipt = Receipt::new(b"abc", now, Some(1));
        let rejection = Rejection::MalformedJson("EOF while parsing".into());
        let item = QuarantineItem {
            pk: "OCC#REJECTED",
            receipt: &receipt,
            rejection: &rejection,
            masked_body: "{".into(),
        }
        .to_item();
        assert_eq!(
            item["sk"],
            s("2024-05-01T12:00:00.000Z#ba7816bf8f01cfea414140de5dae2223")
        );
        assert_eq!(item["status"], n(400));
        assert_eq!(item["expires_at"], n(now.as_second() + 86_400));
        let AttributeValue::S(problem) = &item["problem"] else {
            panic!()
        };
        let problem: serde_json::Value = serde_json::from_str(problem).unwrap();
        assert_eq!(problem["status"], 400);
        assert_eq!(problem["errors"][0]["pointer"], "");
    }
}

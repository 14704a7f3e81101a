//! The items both functions write alike.

use crate::receive::receipt::Receipt;
use crate::receive::response::Outcome;
use crate::storage::attribute::{n, s, Members};
use crate::storage::schema::{PK, SK, TTL};
use crate::storage::Placed;

/// A DynamoDB item.
pub type Item = Members;

/// The immutable record of one delivery: `EVENT#<event_id>` under the entity.
/// `payload` is the redacted body as an M attribute, or its claim.
pub fn event_item(pk: &str, receipt: &Receipt, outcome: Outcome, payload: Placed) -> Item {
    let mut item = Item::with_capacity(8);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(format!("EVENT#{}", receipt.event_id)));
    item.insert("event_id".into(), s(receipt.event_id.as_str()));
    item.insert("received_at".into(), s(&receipt.received_at));
    item.insert("outcome".into(), s(outcome.as_str()));
    payload.insert_into(&mut item, "payload");
    if let Some(expires_at) = receipt.expires_at {
        item.insert(TTL.into(), n(expires_at));
    }
    if let Some(origin) = receipt.origin {
        item.insert("origin".into(), s(origin));
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    #[test]
    fn event_item_shape() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
        let receipt = Receipt::new(b"abc", now, None);
        let payload = crate::validate::json::parse(br#"{"a": [1, "x", null]}"#).unwrap();
        let item = event_item(
            "CHARGEOVER#CUSTOMER#1",
            &receipt,
            Outcome::Stale,
            Placed::Inline(payload.clone()),
        );
        assert_eq!(item["sk"], s("EVENT#ba7816bf8f01cfea414140de5dae2223"));
        assert_eq!(item["outcome"], s("stale"));
        assert_eq!(item["payload"], payload);
        assert!(!item.contains_key("expires_at"));
        assert!(
            !item.contains_key("origin"),
            "a sender's delivery has no origin"
        );
        let reconciled = Receipt::reconciliation(b"abc", 0, now, None);
        let item = event_item(
            "X",
            &reconciled,
            Outcome::Applied,
            Placed::Inline(payload.clone()),
        );
        assert_eq!(item["origin"], s("reconcile"));
        let kept = Receipt::new(b"abc", now, Some(1));
        let item = event_item("X", &kept, Outcome::Applied, Placed::Inline(payload));
        assert_eq!(item["expires_at"], n(now.as_second() + 86_400));
    }
}

//! When and as what a delivery arrived: its id, its arrival time, when
//! retention is set when its records may expire, and whether it came from
//! the sender or from a reconciliation with the sender's API.

use jiff::Timestamp;

use crate::receive::event_id::EventId;

/// Stamps every item a delivery leads to.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub event_id: EventId,
    /// RFC 3339 UTC, fixed width (milliseconds), so it sorts as text.
    pub received_at: String,
    /// Epoch seconds after which DynamoDB may delete event and quarantine items.
    pub expires_at: Option<i64>,
    /// `Some(RECONCILE)` for a document read from the sender's API by
    /// `webhook-admin reconcile`; `None` for a delivery from the sender.
    pub origin: Option<&'static str>,
}

/// The `origin` of a reconciliation's records.
pub const RECONCILE: &str = "reconcile";

impl Receipt {
    pub fn new(body: &[u8], now: Timestamp, retention_days: Option<u32>) -> Self {
        Receipt {
            event_id: EventId::of(body),
            received_at: utc_millis(now),
            expires_at: retention_days.map(|days| now.as_second() + i64::from(days) * 86_400),
            origin: None,
        }
    }

    /// A document read from the sender's API to correct the stored state at
    /// `stored_version` (0: none stored). Its id is derived from those
    /// bytes and that version, so reconciling the same document against the
    /// same state again (a second run, or two at once) is a duplicate, while
    /// a state changed since (a stale resend applied after the last run) is
    /// corrected again; and it never equals the id of a delivery of the same
    /// bytes, which was a different write.
    pub fn reconciliation(
        document: &[u8],
        stored_version: u64,
        now: Timestamp,
        retention_days: Option<u32>,
    ) -> Self {
        let mut identity = format!("{RECONCILE} of version {stored_version}\n").into_bytes();
        identity.extend_from_slice(document);
        Receipt {
            origin: Some(RECONCILE),
            ..Receipt::new(&identity, now, retention_days)
        }
    }
}

/// RFC 3339 in UTC with milliseconds: `2024-05-01T12:00:00.000Z`.
pub fn utc_millis(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_stamps() {
        let now: Timestamp = "2024-05-01T12:00:00.5Z".parse().unwrap();
        let receipt = Receipt::new(b"abc", now, Some(2));
        assert_eq!(
            receipt.event_id.as_str(),
            "ba7816bf8f01cfea414140de5dae2223"
        );
        assert_eq!(receipt.received_at, "2024-05-01T12:00:00.500Z");
        assert_eq!(receipt.expires_at, Some(now.as_second() + 2 * 86_400));
        assert_eq!(Receipt::new(b"abc", now, None).expires_at, None);
    }

    #[test]
    fn a_reconciliation_is_identified_by_its_document_and_the_state_it_corrects() {
        let now = Timestamp::now();
        let id = |document: &[u8], version| {
            Receipt::reconciliation(document, version, now, None).event_id
        };
        assert_eq!(
            id(b"{}", 3),
            id(b"{}", 3),
            "the same correction again: a duplicate"
        );
        assert_ne!(
            id(b"{}", 3),
            id(b"{}", 4),
            "a state changed since is corrected again"
        );
        assert_ne!(id(b"{}", 3), id(b"{\"a\":1}", 3));
        assert_ne!(
            id(b"{}", 0),
            Receipt::new(b"{}", now, None).event_id,
            "not the delivery's id"
        );
        assert_eq!(
            Receipt::reconciliation(b"{}", 0, now, None).origin,
            Some(RECONCILE)
        );
    }
}

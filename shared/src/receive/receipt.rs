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

    /// A document read from the sender's API: its id derived from its bytes
    /// as a delivery's is, so the same document reconciled again is a
    /// duplicate.
    pub fn reconciliation(document: &[u8], now: Timestamp, retention_days: Option<u32>) -> Self {
        Receipt {
            origin: Some(RECONCILE),
            ..Receipt::new(document, now, retention_days)
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
}

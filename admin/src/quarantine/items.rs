//! The quarantine items as stored, with the sender each came from: all of
//! them, or one by event id (keyed as now, or as earlier versions keyed it).

use serde_json::{json, Value};
use webhook_shared::storage::{quarantine_sk, Item, Store};

use crate::cli::Source;
use crate::output::item_json;
use crate::read::{get, query, text};
use crate::Failure;

/// A quarantine item with the sender it came from.
pub(super) struct Quarantined {
    pub(super) source: Source,
    pub(super) item: Item,
}

impl Quarantined {
    pub(super) fn replay_outcome(&self) -> &str {
        text(&self.item, "replay_outcome")
    }

    /// Replayed into a recorded delivery: replaying again changes nothing.
    pub(super) fn replayed(&self) -> bool {
        ["applied", "duplicate", "stale"].contains(&self.replay_outcome())
    }

    pub(super) fn json(&self) -> Value {
        let mut json = item_json(&self.item);
        json["source"] = json!(self.source.as_str());
        json
    }
}

/// Every quarantine item of `sources`, oldest first. The whole partition is
/// read: earlier versions keyed items `<received_at>#<event_id>`.
pub(super) async fn quarantined(
    store: &Store,
    sources: &[Source],
    resolve: bool,
) -> Result<Vec<Quarantined>, Failure> {
    let mut all = Vec::new();
    for &source in sources {
        for item in query(store, source.rejected_pk(), "", resolve).await? {
            all.push(Quarantined { source, item });
        }
    }
    all.sort_by(|a, b| text(&a.item, "received_at").cmp(text(&b.item, "received_at")));
    Ok(all)
}

/// The quarantine item of `event_id`, from whichever sender (keyed as now,
/// or as earlier versions keyed it).
pub(super) async fn find(store: &Store, event_id: &str) -> Result<Quarantined, Failure> {
    for source in Source::ALL {
        if let Some(item) = get(store, source.rejected_pk(), &quarantine_sk(event_id)).await? {
            return Ok(Quarantined { source, item });
        }
    }
    quarantined(store, &Source::ALL, true)
        .await?
        .into_iter()
        .find(|q| text(&q.item, "event_id") == event_id)
        .ok_or_else(|| Failure::NotFound(format!("no quarantined delivery {event_id}")))
}

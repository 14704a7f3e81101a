//! `state` and `history`: a customer's or organization's current state, and
//! every delivery recorded for it in the order received.

use serde_json::{json, Value};
use webhook_shared::storage::Store;

use crate::cli::Entity;
use crate::output::{attributes_table, item_json, table, Shown};
use crate::read::{get, number, query, text};
use crate::Failure;

impl Entity {
    /// The partition of its state and event items, and its state's sort key.
    fn keys(&self) -> (String, &'static str) {
        match self {
            Entity::Chargeover { customer_id } => (
                chargeover_main_contact::store::customer_pk(*customer_id),
                chargeover_main_contact::store::STATE_SK,
            ),
            Entity::Occ { organization_id } => (
                occ_organization::store::organization_pk(organization_id),
                occ_organization::store::STATE_SK,
            ),
        }
    }
}

pub async fn state(store: &Store, entity: &Entity) -> Result<Shown, Failure> {
    let (pk, sk) = entity.keys();
    let item = get(store, &pk, sk)
        .await?
        .ok_or_else(|| Failure::NotFound(format!("no state at {pk}")))?;
    let json = item_json(&item);
    Ok(Shown {
        text: attributes_table(&json),
        json,
    })
}

pub async fn history(store: &Store, entity: &Entity) -> Result<Shown, Failure> {
    let (pk, _) = entity.keys();
    let mut events = query(store, &pk, "EVENT#", true).await?;
    if events.is_empty() {
        return Err(Failure::NotFound(format!("no deliveries recorded at {pk}")));
    }
    // The sort key is the event id: received order is by `received_at`.
    events.sort_by(|a, b| text(a, "received_at").cmp(text(b, "received_at")));
    let mut shown = table(&["received_at", "event_id", "outcome", "expires_at"]);
    for event in &events {
        shown.add_row(vec![
            text(event, "received_at"),
            text(event, "event_id"),
            text(event, "outcome"),
            number(event, "expires_at"),
        ]);
    }
    let json: Vec<Value> = events.iter().map(item_json).collect();
    Ok(Shown {
        text: format!("{pk}: {} deliveries\n{shown}", events.len()),
        json: json!(json),
    })
}

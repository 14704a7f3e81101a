//! One replay: a quarantined delivery run through its function's library
//! code under its original event id and arrival time, and the mark it leaves
//! on the quarantine item.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use webhook_shared::receive::deadline::Deadline;
use webhook_shared::receive::receipt::{utc_millis, Receipt};
use webhook_shared::storage::schema::{PK, SK, TTL};
use webhook_shared::storage::{Records, Store};
use webhook_shared::validate::json as body_json;
use webhook_shared::{EventId, Outcome, Rejection};

use crate::cli::Source;
use crate::read::{number, text};
use crate::target::Resolved;
use crate::{written, Failure};

use super::Quarantined;

/// How one replay ended.
#[derive(Debug)]
pub(super) enum Replayed {
    /// Recorded as if delivered (or found recorded: a duplicate).
    Recorded(Outcome),
    /// Validated; nothing written (`--dry-run`).
    WouldRecord,
    /// Replayed successfully before: nothing done.
    Already(String),
    /// Refused again, for this problem (recorded on the item unless a dry run).
    Refused(Rejection),
}

impl Replayed {
    pub(super) fn as_str(&self) -> String {
        match self {
            Replayed::Recorded(outcome) => outcome.as_str().to_owned(),
            Replayed::WouldRecord => "valid (dry run: nothing written)".to_owned(),
            Replayed::Already(outcome) => format!("already replayed ({outcome})"),
            Replayed::Refused(rejection) => format!("refused: {}", rejection.problem().to_json()),
        }
    }
}

/// The time a replay's write may take (the functions have their invocation's).
const REPLAY_TIME: Duration = Duration::from_secs(30);

/// Runs one quarantined delivery through its function's library code under
/// its original event id and arrival time, then marks the item.
pub(super) async fn replay_one(
    target: &Resolved,
    q: &Quarantined,
    dry_run: bool,
) -> Result<Replayed, Failure> {
    if q.replayed() {
        return Ok(Replayed::Already(q.replay_outcome().to_owned()));
    }
    let event_id = EventId::parse(text(&q.item, "event_id")).ok_or_else(|| {
        Failure::Corrupt(format!(
            "quarantine item {:?} has no event id",
            q.item.get(SK)
        ))
    })?;
    let receipt = Receipt {
        event_id,
        received_at: text(&q.item, "received_at").to_owned(),
        expires_at: number(&q.item, TTL).parse().ok(),
        origin: None,
    };
    let body = text(&q.item, "body").as_bytes();
    let store = &target.store;
    let deadline = Deadline::after(REPLAY_TIME);
    let outcome = match body_json::parse(body) {
        Err(error) => Err(Rejection::MalformedJson(error.to_string())),
        Ok(payload) => match q.source {
            Source::Chargeover => {
                // The source header the delivery came with, kept by the quarantine.
                let source = Some(text(&q.item, "source")).filter(|s| !s.is_empty());
                match chargeover_main_contact::handler::delivery(
                    payload,
                    &target.chargeover_timezone,
                    &receipt,
                    source,
                ) {
                    Ok(_) if dry_run => return Ok(Replayed::WouldRecord),
                    Ok(delivery) => written(store.record(&delivery, &deadline).await)?,
                    Err(rejection) => Err(rejection),
                }
            }
            Source::Occ => match occ_organization::handler::delivery(payload, &receipt) {
                Ok(_) if dry_run => return Ok(Replayed::WouldRecord),
                Ok(delivery) => written(store.record(&delivery, &deadline).await)?,
                Err(rejection) => Err(rejection),
            },
        },
    };
    let replayed = match outcome {
        Ok(outcome) => Replayed::Recorded(outcome),
        Err(rejection) => Replayed::Refused(rejection),
    };
    if !dry_run {
        mark(store, q, &replayed).await?;
    }
    Ok(replayed)
}

/// Records the replay on the quarantine item: `replayed_at`, and
/// `replay_outcome` (the outcome, or the problem JSON when refused again).
async fn mark(store: &Store, q: &Quarantined, replayed: &Replayed) -> Result<(), Failure> {
    let outcome = match replayed {
        Replayed::Recorded(outcome) => outcome.as_str().to_owned(),
        Replayed::Refused(rejection) => rejection.problem().to_json(),
        Replayed::WouldRecord | Replayed::Already(_) => return Ok(()),
    };
    let key = |name: &str| {
        q.item
            .get(name)
            .cloned()
            .unwrap_or(AttributeValue::Null(true))
    };
    let values = [
        (
            "replayed_at",
            AttributeValue::S(utc_millis(Timestamp::now())),
        ),
        ("replay_outcome", AttributeValue::S(outcome)),
    ];
    if !store
        .table
        .set_on_existing(key(PK), key(SK), &values)
        .await?
    {
        return Err(Failure::NotFound(format!(
            "quarantine item {} (deleted while replaying)",
            text(&q.item, "event_id")
        )));
    }
    Ok(())
}

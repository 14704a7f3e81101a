//! `quarantine list | show | replay`: deliveries that authenticated but were
//! refused (400/422), and running them again through the functions' own
//! validation, merge and write once their cause is fixed.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use webhook_shared::receive::deadline::Deadline;
use webhook_shared::receive::receipt::{utc_millis, Receipt};
use webhook_shared::storage::schema::{PK, SK, TTL};
use webhook_shared::storage::{quarantine_sk, Item, Store, StoreError};
use webhook_shared::validate::json as body_json;
use webhook_shared::{EventId, Outcome, Rejection};

use crate::cli::Source;
use crate::output::{attributes_table, item_json, table, Shown};
use crate::read::{get, number, query, text};
use crate::target::Resolved;
use crate::Failure;

/// `--since`: `30m`, `12h`, `7d`, `1d 6h` (days of 24 hours).
pub fn parse_since(text: &str) -> Result<SignedDuration, String> {
    let span: jiff::Span = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration such as 30m, 12h or 7d: {e}"))?;
    span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| e.to_string())
}

/// A quarantine item with the sender it came from.
struct Quarantined {
    source: Source,
    item: Item,
}

impl Quarantined {
    fn replay_outcome(&self) -> &str {
        text(&self.item, "replay_outcome")
    }

    /// Replayed into a recorded delivery: replaying again changes nothing.
    fn replayed(&self) -> bool {
        ["applied", "duplicate", "stale"].contains(&self.replay_outcome())
    }

    fn json(&self) -> Value {
        let mut json = item_json(&self.item);
        json["source"] = json!(self.source.as_str());
        json
    }
}

/// Every quarantine item of `sources`, oldest first. The whole partition is
/// read: earlier versions keyed items `<received_at>#<event_id>`.
async fn quarantined(
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

pub async fn list(
    store: &Store,
    source: Option<Source>,
    since: Option<SignedDuration>,
    all: bool,
) -> Result<Shown, Failure> {
    let sources = source.map_or(Source::ALL.to_vec(), |source| vec![source]);
    let after = since.map(|since| utc_millis(Timestamp::now() - since));
    let items: Vec<Quarantined> = quarantined(store, &sources, false)
        .await?
        .into_iter()
        .filter(|q| all || !q.replayed())
        .filter(|q| {
            after
                .as_deref()
                .is_none_or(|after| text(&q.item, "last_received_at") >= after)
        })
        .collect();
    let mut shown = table(&[
        "received_at",
        "source",
        "event_id",
        "status",
        "attempts",
        "last_received_at",
        "replay",
        "problem",
    ]);
    for q in &items {
        shown.add_row(vec![
            text(&q.item, "received_at").to_owned(),
            q.source.as_str().to_owned(),
            text(&q.item, "event_id").to_owned(),
            number(&q.item, "status").to_owned(),
            number(&q.item, "attempts").to_owned(),
            text(&q.item, "last_received_at").to_owned(),
            replay_summary(q.replay_outcome()),
            match q.item.get("problem_s3") {
                Some(_) => "(in S3: quarantine show)".to_owned(),
                None => problem_summary(text(&q.item, "problem")),
            },
        ]);
    }
    Ok(Shown {
        text: format!("{} quarantined deliveries\n{shown}", items.len()),
        json: json!(items.iter().map(Quarantined::json).collect::<Vec<_>>()),
    })
}

pub async fn show(store: &Store, event_id: &str) -> Result<Shown, Failure> {
    let q = find(store, event_id).await?;
    let mut json = q.json();
    // The problem is JSON text: shown as the document it is.
    if let Some(problem) = json
        .get("problem")
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
    {
        json["problem"] = problem;
    }
    Ok(Shown {
        text: attributes_table(&json),
        json,
    })
}

/// The quarantine item of `event_id`, from whichever sender (keyed as now,
/// or as earlier versions keyed it).
async fn find(store: &Store, event_id: &str) -> Result<Quarantined, Failure> {
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

/// How one replay ended.
#[derive(Debug)]
enum Replayed {
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
    fn as_str(&self) -> String {
        match self {
            Replayed::Recorded(outcome) => outcome.as_str().to_owned(),
            Replayed::WouldRecord => "valid (dry run: nothing written)".to_owned(),
            Replayed::Already(outcome) => format!("already replayed ({outcome})"),
            Replayed::Refused(rejection) => format!("refused: {}", rejection.problem().to_json()),
        }
    }
}

pub async fn replay(
    target: &Resolved,
    event_ids: &[String],
    all: bool,
    dry_run: bool,
    progress: bool,
) -> Result<Shown, Failure> {
    let store = &target.store;
    let chosen: Vec<Quarantined> = if all {
        quarantined(store, &Source::ALL, true)
            .await?
            .into_iter()
            .filter(|q| !q.replayed())
            .collect()
    } else {
        let mut chosen = Vec::new();
        for event_id in event_ids {
            chosen.push(find(store, event_id).await?);
        }
        chosen
    };
    let bar = crate::output::progress(chosen.len(), progress && all, "replayed ({elapsed})");
    let mut results = Vec::new();
    for q in &chosen {
        let replayed = replay_one(target, q, dry_run).await?;
        results.push((q, replayed));
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut shown = table(&["source", "event_id", "replay"]);
    for (q, replayed) in &results {
        shown.add_row(vec![
            q.source.as_str().to_owned(),
            text(&q.item, "event_id").to_owned(),
            replayed.as_str(),
        ]);
    }
    let mut summary: Vec<(String, usize)> = Vec::new();
    for (_, replayed) in &results {
        let kind = match replayed {
            Replayed::Refused(_) => "refused".to_owned(),
            other => other.as_str(),
        };
        match summary.iter_mut().find(|(name, _)| *name == kind) {
            Some((_, count)) => *count += 1,
            None => summary.push((kind, 1)),
        }
    }
    let summary_text: Vec<String> = summary.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let refused = results
        .iter()
        .filter(|(_, r)| matches!(r, Replayed::Refused(_)))
        .count();
    let shown = Shown {
        text: format!(
            "{shown}\n{} replayed{}: {}",
            results.len(),
            if dry_run { " (dry run)" } else { "" },
            if summary_text.is_empty() { "nothing to do".to_owned() } else { summary_text.join(", ") }
        ),
        json: json!(results
            .iter()
            .map(|(q, r)| json!({"source": q.source.as_str(), "event_id": text(&q.item, "event_id"), "replay": r.as_str()}))
            .collect::<Vec<_>>()),
    };
    if refused > 0 {
        return Err(Failure::StillRefused { refused, shown });
    }
    Ok(shown)
}

/// The time a replay's write may take (the functions have their invocation's).
const REPLAY_TIME: Duration = Duration::from_secs(30);

/// Runs one quarantined delivery through its function's library code under
/// its original event id and arrival time, then marks the item.
async fn replay_one(
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
    };
    let body = text(&q.item, "body").as_bytes();
    let store = &target.store;
    let deadline = Deadline::after(REPLAY_TIME);
    let outcome = match body_json::parse(body) {
        Err(error) => Err(Rejection::MalformedJson(error.to_string())),
        Ok(payload) => match q.source {
            Source::Chargeover => {
                use chargeover_main_contact::store::MainContactStore;
                // The source header the delivery came with, kept by the quarantine.
                let source = Some(text(&q.item, "source")).filter(|s| !s.is_empty());
                match chargeover_main_contact::handler::delivery(
                    payload,
                    &target.chargeover_timezone,
                    &receipt,
                    source,
                ) {
                    Ok(_) if dry_run => return Ok(Replayed::WouldRecord),
                    Ok(delivery) => recorded(store.record(&delivery, &deadline).await)?,
                    Err(rejection) => Err(rejection),
                }
            }
            Source::Occ => {
                use occ_organization::store::OrganizationStore;
                match occ_organization::handler::delivery(payload, &receipt) {
                    Ok(_) if dry_run => return Ok(Replayed::WouldRecord),
                    Ok(delivery) => recorded(store.record(&delivery, &deadline).await)?,
                    Err(rejection) => Err(rejection),
                }
            }
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

/// A replay's write: recorded, refused (DynamoDB cannot store the item), or a
/// failure of the command.
fn recorded(result: Result<Outcome, StoreError>) -> Result<Result<Outcome, Rejection>, Failure> {
    match result {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(error @ StoreError::Unstorable(_)) => Ok(Err(Rejection::from(error))),
        Err(error) => Err(error.into()),
    }
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

fn replay_summary(outcome: &str) -> String {
    if outcome.starts_with('{') {
        "refused again".to_owned()
    } else {
        outcome.to_owned()
    }
}

/// The problem's title and its first offending field.
fn problem_summary(problem: &str) -> String {
    let Ok(problem) = serde_json::from_str::<Value>(problem) else {
        return String::new();
    };
    let title = problem["title"].as_str().unwrap_or_default();
    match problem["errors"]
        .as_array()
        .and_then(|errors| errors.first())
    {
        Some(first) => format!(
            "{title}: {} {}",
            first["pointer"].as_str().unwrap_or_default(),
            first["detail"].as_str().unwrap_or_default()
        ),
        None => title.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_friendly_durations() {
        assert_eq!(parse_since("30m").unwrap(), SignedDuration::from_mins(30));
        assert_eq!(
            parse_since("7d").unwrap(),
            SignedDuration::from_hours(7 * 24)
        );
        assert_eq!(
            parse_since("1d 6h").unwrap(),
            SignedDuration::from_hours(30)
        );
        assert!(parse_since("soon").is_err());
    }

    #[test]
    fn problem_summary_names_the_first_field() {
        let problem = r#"{"title": "Invalid payload", "errors": [{"pointer": "/organization/id", "detail": "must be a string"}]}"#;
        assert_eq!(
            problem_summary(problem),
            "Invalid payload: /organization/id must be a string"
        );
        assert_eq!(problem_summary("not json"), "");
    }
}

//! `quarantine list | show | replay`: deliveries that authenticated but were
//! refused (400/422), and running them again through the functions' own
//! validation, merge and write once their cause is fixed. Here the commands
//! and what they show; `items` reads the quarantine items, `replay` runs one.

mod items;
mod replay;

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use webhook_shared::receive::receipt::utc_millis;
use webhook_shared::storage::Store;

use crate::cli::Source;
use crate::output::{attributes_table, table, Shown};
use crate::read::{number, text};
use crate::target::Resolved;
use crate::{Failure, STILL_REFUSED};

use items::{find, quarantined, Quarantined};
use replay::{replay_one, Replayed};

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
    // How many ended each way, by name.
    let mut summary = BTreeMap::<String, usize>::new();
    for (_, replayed) in &results {
        let kind = match replayed {
            Replayed::Refused(_) => "refused".to_owned(),
            other => other.as_str(),
        };
        *summary.entry(kind).or_default() += 1;
    }
    let summary_text: Vec<String> = summary.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let refused = summary.get("refused").copied().unwrap_or(0);
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
        return Err(Failure::Unfinished {
            problem: format!("{refused} replayed deliveries are still refused"),
            code: STILL_REFUSED,
            shown,
        });
    }
    Ok(shown)
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
    fn problem_summary_names_the_first_field() {
        let problem = r#"{"title": "Invalid payload", "errors": [{"pointer": "/organization/id", "detail": "must be a string"}]}"#;
        assert_eq!(
            problem_summary(problem),
            "Invalid payload: /organization/id must be a string"
        );
        assert_eq!(problem_summary("not json"), "");
    }
}

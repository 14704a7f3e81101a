//! `occ failed list | resend`: the organization webhook's messages that OCC
//! stopped resending, and queueing them again.
//!
//! A failed message carries no payload and no webhook name
//! (op-ccadmin-v1-webhookfailedmessages-get.html): it is the organization
//! webhook's when one of its `remainingTargetUrls` (the URLs it still has
//! to reach) is this receiver's, which ends with the function's route. Its
//! only time is `savedTime`.
//!
//! OCC signs no timestamp, so an old changes-only message resent after
//! newer deliveries would apply stale changes. So `resend` waits until OCC
//! has worked through what it queued, then reconciles every organization
//! that received a delivery meanwhile with OCC's current document.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::cli::ResendArgs;
use crate::output::{progress, table, Shown};
use crate::reconcile::{self, occ::delivered_since};
use crate::senders::occ::OccAdminApi;
use crate::target::Resolved;
use crate::Failure;

/// How often the failed-message log is read while waiting for OCC.
const POLL: Duration = Duration::from_secs(2);
/// How far the receivers' clock may be from this machine's.
const CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// The organization webhook's failed messages, oldest first.
async fn organization_messages(
    api: &OccAdminApi,
    since: Option<Timestamp>,
) -> Result<Vec<Value>, Failure> {
    let mut messages: Vec<Value> = api
        .failed_messages()
        .await?
        .into_iter()
        .filter(is_organization_webhook)
        .filter(|message| since.is_none_or(|since| saved_time(message) >= Some(since)))
        .collect();
    messages.sort_by_key(saved_time);
    Ok(messages)
}

fn is_organization_webhook(message: &Value) -> bool {
    message["remainingTargetUrls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|url| {
            let path = url.split(['?', '#']).next().unwrap_or(url);
            path.trim_end_matches('/')
                .ends_with(occ_organization::ROUTE)
        })
}

fn saved_time(message: &Value) -> Option<Timestamp> {
    message["savedTime"].as_str()?.parse().ok()
}

fn id(message: &Value) -> String {
    match &message["id"] {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    }
}

fn queued_message(message: &Value) -> bool {
    message["resend"].as_bool() == Some(true)
}

pub async fn list(target: &Resolved, since: Option<Timestamp>) -> Result<Shown, Failure> {
    let api = OccAdminApi::connect(target).await?;
    let messages = organization_messages(&api, since).await?;
    Ok(Shown {
        text: format!(
            "{} failed messages of the organization webhook\n{}",
            messages.len(),
            messages_table(&messages)
        ),
        json: json!(messages.iter().map(message_json).collect::<Vec<_>>()),
    })
}

/// What is shown of a message: never `asRaw` (the message's raw bytes).
fn message_json(message: &Value) -> Value {
    json!({
        "id": id(message),
        "savedTime": message["savedTime"],
        "serverType": message["serverType"],
        "messageType": message["messageType"],
        "resend": message["resend"],
        "lastErrorMessage": message["lastErrorMessage"],
    })
}

fn messages_table(messages: &[Value]) -> String {
    let mut rows = table(&["id", "savedTime", "serverType", "queued", "last error"]);
    for message in messages {
        let error = message["lastErrorMessage"].as_str().unwrap_or_default();
        rows.add_row(vec![
            id(message),
            message["savedTime"].as_str().unwrap_or_default().to_owned(),
            message["serverType"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            if queued_message(message) { "yes" } else { "" }.to_owned(),
            error.chars().take(80).collect(),
        ]);
    }
    rows.to_string()
}

pub async fn resend(
    target: &Resolved,
    request: &ResendArgs,
    show_progress: bool,
) -> Result<Shown, Failure> {
    let wait = request.wait.unsigned_abs();
    let api = OccAdminApi::connect(target).await?;
    let messages = organization_messages(&api, request.since).await?;
    let chosen: Vec<Value> = if request.all {
        messages
            .into_iter()
            .filter(|m| !queued_message(m))
            .collect()
    } else {
        let find = |wanted: &String| {
            let found = messages.iter().find(|m| id(m) == *wanted).cloned();
            found.ok_or_else(|| {
                Failure::NotFound(format!(
                    "failed message {wanted} of the organization webhook"
                ))
            })
        };
        request.ids.iter().map(find).collect::<Result<_, _>>()?
    };
    let chosen_ids: Vec<String> = chosen.iter().map(id).collect();
    if request.dry_run || chosen.is_empty() {
        let dry_run = if request.dry_run {
            " (dry run: nothing queued)"
        } else {
            ""
        };
        return Ok(Shown {
            text: format!(
                "{}\n{} to resend{dry_run}",
                messages_table(&chosen),
                chosen.len()
            ),
            json: json!({
                "resent": [],
                "to_resend": chosen.iter().map(message_json).collect::<Vec<_>>(),
                "dry_run": request.dry_run,
            }),
        });
    }

    // A minute early: the receivers' clock is not this machine's.
    let since = Timestamp::now() - CLOCK_SKEW;
    let bar = progress(chosen_ids.len(), show_progress, "queued ({elapsed})");
    for (queued, message_id) in chosen_ids.iter().enumerate() {
        if let Err(failure) = api.resend(message_id).await {
            bar.finish_and_clear();
            return Err(queueing_failed(failure, &chosen_ids[..=queued], since));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let resent = wait_for_resends(&api, &chosen, wait, show_progress).await?;
    let organizations = delivered_since(target, since).await?;
    let results =
        reconcile::occ::reconcile_ids(target, &api, &organizations, true, show_progress).await?;
    let reconciled = reconcile::report("occ", &results, true);
    let (report, refused) = match reconciled {
        Ok(shown) => (shown, None),
        Err(Failure::Unfinished { shown, problem, .. }) => (shown, Some(problem)),
        Err(other) => return Err(other),
    };
    let shown = Shown {
        text: format!(
            "{}\n{} queued for resending, {} failed again, {} still queued at OCC\n\nreconciled:\n{}",
            messages_table(&chosen),
            chosen_ids.len(),
            resent.failed_again.len(),
            resent.pending.len(),
            report.text
        ),
        json: json!({
            "resent": chosen_ids,
            "failed_again": resent.failed_again,
            "still_queued": resent.pending,
            "reconciled": report.json,
        }),
    };
    let unfinished = if !resent.failed_again.is_empty() {
        let problem = format!(
            "OCC failed to deliver {} resent messages again ({}): see `occ failed list`",
            resent.failed_again.len(),
            resent.failed_again.join(", ")
        );
        Some((problem, 1))
    } else if !resent.pending.is_empty() {
        let problem = format!(
            "{} messages are still queued at OCC after {} s; {}",
            resent.pending.len(),
            wait.as_secs(),
            reconcile_later(since)
        );
        Some((problem, 1))
    } else {
        refused.map(|problem| (problem, crate::STILL_REFUSED))
    };
    match unfinished {
        Some((problem, code)) => Err(Failure::Unfinished {
            problem,
            code,
            shown,
        }),
        None => Ok(shown),
    }
}

/// What to run once OCC has resent what was queued.
fn reconcile_later(since: Timestamp) -> String {
    format!("once OCC has resent them, run: webhook-admin reconcile occ --since {since} --apply")
}

/// Queueing `tried`'s last message failed: what was queued before it (and
/// perhaps that one: a request that timed out may have reached OCC) is
/// resent by OCC all the same, so it is named, with what to run after.
fn queueing_failed(failure: Failure, tried: &[String], since: Timestamp) -> Failure {
    let Some((failed, queued)) = tried.split_last().filter(|(_, queued)| !queued.is_empty()) else {
        return failure;
    };
    let queued_text = queued.join(", ");
    Failure::Unfinished {
        problem: format!(
            "queueing {failed} failed: {failure}; queued before it: {queued_text} (and perhaps \
             {failed}); {}",
            reconcile_later(since)
        ),
        code: 1,
        shown: Shown {
            text: format!("queued for resending before the failure: {queued_text}"),
            json: json!({"resent": queued, "not_queued": failed}),
        },
    }
}

/// What became of the messages queued for resending.
#[derive(Default)]
struct Resent {
    /// Still listed, still marked for resending, not saved again.
    pending: Vec<String>,
    /// Saved again or no longer marked: OCC tried and failed again.
    failed_again: Vec<String>,
}

/// Reads the log until each of `queued` has left it (resent) or was saved
/// again or unmarked (failed again), or `wait` has passed.
async fn wait_for_resends(
    api: &OccAdminApi,
    queued: &[Value],
    wait: Duration,
    show_progress: bool,
) -> Result<Resent, Failure> {
    let bar = progress(queued.len(), show_progress, "resent by OCC ({elapsed})");
    let until = tokio::time::Instant::now() + wait;
    loop {
        let log = api.failed_messages().await?;
        let mut resent = Resent::default();
        for before in queued {
            let Some(now) = log.iter().find(|m| id(m) == id(before)) else {
                continue;
            };
            if queued_message(now) && saved_time(now) == saved_time(before) {
                resent.pending.push(id(now));
            } else {
                resent.failed_again.push(id(now));
            }
        }
        bar.set_position((queued.len() - resent.pending.len()) as u64);
        if resent.pending.is_empty() || tokio::time::Instant::now() >= until {
            bar.finish_and_clear();
            return Ok(resent);
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_messages_are_those_still_to_reach_this_receiver() {
        let ours = json!({"remainingTargetUrls": [
            "https://other.example.com/hook",
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/occ/organization"
        ]});
        let theirs = json!({"remainingTargetUrls": ["https://other.example.com/occ/orders"]});
        assert!(is_organization_webhook(&ours));
        assert!(!is_organization_webhook(&theirs));
        assert!(!is_organization_webhook(&json!({})));
    }
}

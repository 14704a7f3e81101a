//! `reconcile chargeover | occ`: what is stored compared with the sender's
//! current records, read from its API; with `--apply`, each record that
//! differs is stored as a delivery would be (the functions' own validation,
//! ordering, merge and write), its event record marked `origin` =
//! `reconcile`. Here what both share: the findings and the report; the
//! sender's own comparison is in `chargeover` and `occ`.

pub mod chargeover;
pub mod occ;

use std::time::Duration;

use serde_json::{json, Value};
use webhook_shared::{Outcome, Rejection};

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use webhook_shared::receive::deadline::Deadline;
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::storage::{Item, Records, Store};
use webhook_shared::validate::json as body_json;

use crate::output::{table, Shown};
use crate::read::number;
use crate::target::Resolved;
use crate::{written, Failure, STILL_REFUSED};

/// The time one reconciliation's write may take (the functions have their
/// invocation's).
const WRITE_TIME: Duration = Duration::from_secs(30);

/// Differences listed per record in the text report (`--json` has all).
const SHOWN_DIFFERENCES: usize = 5;

/// How a stored record compares with the sender's.
#[derive(Debug)]
pub enum Finding {
    /// Equal: nothing to do.
    InSync,
    /// Nothing stored.
    Missing,
    /// Stored, but differs: these parts (JSON pointers or field names).
    Differs(Vec<String>),
    /// What is stored is newer than the sender's record: left alone.
    StoredNewer,
    /// The sender's record fails the function's validation.
    Refused(Rejection),
    /// The sender has no such record (any more): nothing done.
    NotAtSender,
}

impl Finding {
    fn as_str(&self) -> &'static str {
        match self {
            Finding::InSync => "in sync",
            Finding::Missing => "missing",
            Finding::Differs(_) => "differs",
            Finding::StoredNewer => "stored is newer",
            Finding::Refused(_) => "refused",
            Finding::NotAtSender => "not at the sender",
        }
    }

    /// Whether `--apply` stores the sender's record.
    fn to_apply(&self) -> bool {
        matches!(self, Finding::Missing | Finding::Differs(_))
    }
}

/// One record compared and, with `--apply`, stored.
#[derive(Debug)]
pub struct Reconciled {
    pub id: String,
    pub finding: Finding,
    /// What the write did (`--apply` only).
    pub applied: Option<Outcome>,
}

impl Reconciled {
    pub fn new(id: &str, finding: Finding) -> Self {
        Reconciled {
            id: id.to_owned(),
            finding,
            applied: None,
        }
    }

    /// `finding`, and what storing the sender's record did: an outcome, or
    /// a refusal (DynamoDB cannot store it).
    pub fn applied(id: &str, finding: Finding, written: Result<Outcome, Rejection>) -> Self {
        match written {
            Ok(outcome) => Reconciled {
                applied: Some(outcome),
                ..Reconciled::new(id, finding)
            },
            Err(rejection) => Reconciled::new(id, Finding::Refused(rejection)),
        }
    }
}

/// The receipt of `document`, fetched to correct the state `stored` (its
/// `version`; 0 when none is stored), and the document parsed as a
/// delivery's body is.
fn received(
    target: &Resolved,
    document: &[u8],
    stored: Option<&Item>,
) -> (Receipt, Result<AttributeValue, Rejection>) {
    let version = stored_version(stored);
    let receipt =
        Receipt::reconciliation(document, version, Timestamp::now(), target.retention_days);
    let parsed = body_json::parse(document).map_err(|e| Rejection::MalformedJson(e.to_string()));
    (receipt, parsed)
}

/// The `version` of a stored state item (0: none stored).
fn stored_version(stored: Option<&Item>) -> u64 {
    stored.map_or(0, |item| number(item, "version").parse().unwrap_or(0))
}

/// The record `id` as found and, with `apply` when it is missing or
/// differs, stored through its function's store as a delivery would be.
async fn settle<D>(
    target: &Resolved,
    id: &str,
    finding: Finding,
    delivery: &D,
    apply: bool,
) -> Result<Reconciled, Failure>
where
    Store: Records<D>,
{
    if !(apply && finding.to_apply()) {
        return Ok(Reconciled::new(id, finding));
    }
    let deadline = Deadline::after(WRITE_TIME);
    let written = written(target.store.record(delivery, &deadline).await)?;
    Ok(Reconciled::applied(id, finding, written))
}

/// The report of a run: a row per record, a summary line, and exit code 4
/// when a sender's record was refused by validation.
pub fn report(sender: &str, results: &[Reconciled], apply: bool) -> Result<Shown, Failure> {
    let mut rows = table(&["id", "finding", "details", "applied"]);
    for result in results {
        rows.add_row(vec![
            result.id.clone(),
            result.finding.as_str().to_owned(),
            details(&result.finding),
            result.applied.map_or("", Outcome::as_str).to_owned(),
        ]);
    }
    let [in_sync, missing, differs, newer, not_at_sender, refused] = [
        "in sync",
        "missing",
        "differs",
        "stored is newer",
        "not at the sender",
        "refused",
    ]
    .map(|finding| {
        results
            .iter()
            .filter(|r| r.finding.as_str() == finding)
            .count()
    });
    let applied = results.iter().filter(|r| r.applied.is_some()).count();
    let summary = json!({
        "compared": results.len(),
        "in_sync": in_sync,
        "missing": missing,
        "differs": differs,
        "stored_newer": newer,
        "not_at_sender": not_at_sender,
        "refused": refused,
        "applied": applied,
    });
    let applied_text = match apply {
        true => format!("{applied} applied"),
        false => "nothing written (--apply stores what is missing or differs)".to_owned(),
    };
    let text = format!(
        "{rows}\n{sender}: {} compared, {in_sync} in sync, {missing} missing, {differs} differ, \
         {newer} stored newer, {refused} refused; {applied_text}",
        results.len(),
    );
    let shown = Shown {
        text,
        json: json!({
            "sender": sender,
            "apply": apply,
            "records": results.iter().map(record_json).collect::<Vec<_>>(),
            "summary": summary,
        }),
    };
    if refused > 0 {
        return Err(Failure::Unfinished {
            problem: format!(
                "{refused} of the sender's records are refused by the function's validation"
            ),
            code: STILL_REFUSED,
            shown,
        });
    }
    Ok(shown)
}

fn details(finding: &Finding) -> String {
    match finding {
        Finding::Differs(parts) if parts.len() > SHOWN_DIFFERENCES => format!(
            "{} and {} more",
            parts[..SHOWN_DIFFERENCES].join(", "),
            parts.len() - SHOWN_DIFFERENCES
        ),
        Finding::Differs(parts) => parts.join(", "),
        Finding::Refused(rejection) => rejection.problem().to_json(),
        _ => String::new(),
    }
}

fn record_json(result: &Reconciled) -> Value {
    let mut record = json!({
        "id": result.id,
        "finding": result.finding.as_str(),
        "applied": result.applied.map(Outcome::as_str),
    });
    match &result.finding {
        Finding::Differs(parts) => record["differences"] = json!(parts),
        Finding::Refused(rejection) => {
            record["problem"] =
                serde_json::from_str(&rejection.problem().to_json()).unwrap_or(Value::Null)
        }
        _ => {}
    }
    record
}

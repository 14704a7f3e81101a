//! `reconcile occ`: each organization as OCC's Admin API has it now,
//! compared with the stored merged organization by JSON pointer; with
//! `--apply` stored as a full delivery: it replaces the stored organization
//! rather than merging into it, since it is OCC's current document.
//!
//! OCC documents no "modified since" filter for organizations
//! (op-ccadmin-v1-organizations-get.html lists `q`, `sort`, `offset`,
//! `limit`), so `--since` takes the organizations this table recorded a
//! delivery for since then: the ones a stale resent delivery may have
//! touched.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use serde_json::{json, Value};
use webhook_shared::receive::receipt::utc_millis;
use webhook_shared::storage::schema::{PK, SK};
use webhook_shared::validate::model::Pointer;

use occ_organization::store::{organization_pk, STATE_SK};

use super::{received, report, settle, stored_version, Finding, Reconciled};
use crate::cli::ReconcileOcc;
use crate::output::{item_json, progress, Shown};
use crate::read::{get, text};
use crate::senders::occ::OccAdminApi;
use crate::target::Resolved;
use crate::Failure;
use occ_organization::merge::{merge, MergedOrganization};

pub async fn reconcile(
    target: &Resolved,
    args: &ReconcileOcc,
    show_progress: bool,
) -> Result<Shown, Failure> {
    let ids = match args.since {
        Some(since) => delivered_since(target, since).await?,
        None => args.organization_ids.clone(),
    };
    let api = OccAdminApi::connect(target).await?;
    let results = reconcile_ids(target, &api, &ids, args.apply, show_progress).await?;
    report("occ", &results, args.apply)
}

/// Each organization of `ids` compared and, with `apply`, stored.
pub async fn reconcile_ids(
    target: &Resolved,
    api: &OccAdminApi,
    ids: &[String],
    apply: bool,
    show_progress: bool,
) -> Result<Vec<Reconciled>, Failure> {
    let bar = progress(ids.len(), show_progress, "organizations ({elapsed})");
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let result = match api.organization(id).await {
            Ok(organization) => reconcile_one(target, id, organization, apply).await?,
            Err(Failure::NotFound(_)) => Reconciled::new(id, Finding::NotAtSender),
            Err(failure) => return Err(failure),
        };
        results.push(result);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(results)
}

/// The organizations with a delivery from OCC recorded since `since`, in
/// id order.
pub async fn delivered_since(target: &Resolved, since: Timestamp) -> Result<Vec<String>, Failure> {
    let partition = organization_pk("");
    let after = utc_millis(since);
    let mut ids: Vec<String> = target
        .store
        .table
        .scan()
        .await?
        .iter()
        .filter(|item| text(item, SK).starts_with("EVENT#"))
        .filter(|item| text(item, "received_at") >= after.as_str())
        .filter(|item| !item.contains_key("origin"))
        .filter_map(|item| text(item, PK).strip_prefix(&partition).map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

async fn reconcile_one(
    target: &Resolved,
    id: &str,
    organization: Value,
    apply: bool,
) -> Result<Reconciled, Failure> {
    let stored = get(&target.store, &organization_pk(id), STATE_SK).await?;
    let document = json!({ "organization": organization })
        .to_string()
        .into_bytes();
    let (receipt, parsed) = received(target, &document, stored.as_ref());
    let delivery =
        parsed.and_then(|payload| occ_organization::handler::delivery(payload, &receipt));
    let mut delivery = match delivery {
        Ok(delivery) => delivery,
        Err(rejection) => return Ok(Reconciled::new(id, Finding::Refused(rejection))),
    };
    delivery.replaces = Some(stored_version(stored.as_ref()));
    let finding = match stored {
        None => Finding::Missing,
        Some(item) => {
            let stored = match item.get("organization") {
                Some(AttributeValue::M(organization)) => item_json(organization),
                _ => Value::Null,
            };
            // As it would be stored: the merge drops what is never kept.
            let as_stored = merge(MergedOrganization::default(), delivery.organization.clone());
            let current = item_json(&as_stored.organization);
            let mut parts = Vec::new();
            differences(&stored, &current, &Pointer::Root, &mut parts);
            if item.contains_key("truncated_properties") {
                parts.push("(properties stored as truncated)".to_owned());
            }
            if parts.is_empty() {
                Finding::InSync
            } else {
                Finding::Differs(parts)
            }
        }
    };
    settle(target, id, finding, &delivery, apply).await
}

/// The JSON pointers at which `stored` and `current` differ: members
/// added, removed or changed, arrays compared item by item.
fn differences(stored: &Value, current: &Value, at: &Pointer<'_>, parts: &mut Vec<String>) {
    match (stored, current) {
        (Value::Object(stored), Value::Object(current)) => {
            let mut keys: Vec<&String> = stored.keys().chain(current.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let here = at.key(key);
                match (stored.get(key), current.get(key)) {
                    (Some(a), Some(b)) => differences(a, b, &here, parts),
                    _ => parts.push(here.render()),
                }
            }
        }
        (Value::Array(stored), Value::Array(current)) if stored.len() == current.len() => {
            for (index, (a, b)) in stored.iter().zip(current).enumerate() {
                differences(a, b, &at.index(index), parts);
            }
        }
        (a, b) if a != b => parts.push(match at.render() {
            root if root.is_empty() => "/".to_owned(),
            pointer => pointer,
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_json_pointers() {
        let stored = json!({"name": "A", "members": [{"id": 1}], "a/b": 1, "gone": true});
        let current = json!({"name": "B", "members": [{"id": 2}], "a/b": 1, "new": null});
        let mut parts = Vec::new();
        differences(&stored, &current, &Pointer::Root, &mut parts);
        assert_eq!(parts, ["/gone", "/members/0/id", "/name", "/new"]);
        let mut none = Vec::new();
        differences(&stored, &stored, &Pointer::Root, &mut none);
        assert!(none.is_empty());
    }
}

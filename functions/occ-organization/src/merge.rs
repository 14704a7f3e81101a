//! The stored organization is the merge of every applied delivery, since OCC
//! may send whole objects or only what changed ("includeChangesOnly"):
//! - a top-level property present replaces the stored one (null included);
//!   an absent one leaves it;
//! - an array whose items carry `_actionCode` is patched item by item,
//!   matched on `repositoryId` (or `id`); other arrays replace;
//! - `<property>IsTruncated: true` keeps the stored property and records it
//!   as truncated until a delivery carries it in full;
//! - `_actionCode` is never kept.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use webhook_shared::storage::attribute::Members;
use webhook_shared::validate::model::ActionCode;

const ACTION_CODE: &str = ActionCode::MEMBER;
const TRUNCATED_SUFFIX: &str = "IsTruncated";

/// The organization as stored, with the properties last seen truncated.
/// Merged as DynamoDB attributes: the stored one is read as such and written
/// back as such, with no conversion on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergedOrganization {
    pub organization: Members,
    pub truncated_properties: BTreeSet<String>,
}

/// Applies one delivery's organization to the stored one, moving its parts
/// in (nothing is copied).
pub fn merge(mut stored: MergedOrganization, incoming: Members) -> MergedOrganization {
    let truncated_now: BTreeSet<String> = incoming
        .iter()
        .filter(|(_, value)| matches!(value, AttributeValue::Bool(true)))
        .filter_map(|(key, _)| key.strip_suffix(TRUNCATED_SUFFIX))
        .map(str::to_owned)
        .collect();
    for (key, value) in incoming {
        if key.ends_with(TRUNCATED_SUFFIX) || truncated_now.contains(&key) {
            continue;
        }
        match value {
            // A changes-only patch: applied, but the property is not in full,
            // so a truncation mark stays.
            AttributeValue::L(items) if items.iter().any(|item| action_code(item).is_some()) => {
                let stored_items = stored
                    .organization
                    .entry(key)
                    .or_insert_with(|| AttributeValue::L(Vec::new()));
                if !stored_items.is_l() {
                    *stored_items = AttributeValue::L(Vec::new());
                }
                if let AttributeValue::L(stored_items) = stored_items {
                    patch(stored_items, items);
                }
            }
            whole => {
                stored.truncated_properties.remove(&key);
                stored.organization.insert(key, without_action_codes(whole));
            }
        }
    }
    stored.truncated_properties.extend(truncated_now);
    stored
}

/// Patches stored items with the items of a changes-only delivery.
fn patch(stored: &mut Vec<AttributeValue>, incoming: Vec<AttributeValue>) {
    for item in incoming {
        let position =
            identity(&item).and_then(|id| stored.iter().position(|s| identity(s) == Some(id)));
        match (action_code(&item).unwrap_or(ActionCode::Update), position) {
            (ActionCode::Delete, Some(index)) => {
                stored.remove(index);
            }
            (ActionCode::Delete, None) => {}
            (ActionCode::Create, Some(index)) => stored[index] = without_action_codes(item),
            (ActionCode::Update, Some(index)) => merge_item(&mut stored[index], item),
            (_, None) => stored.push(without_action_codes(item)),
        }
    }
}

/// An UPDATE carries what changed: members present replace (nested objects
/// and action-coded arrays are merged the same way), absent ones stay.
fn merge_item(stored: &mut AttributeValue, incoming: AttributeValue) {
    let incoming_members = match incoming {
        AttributeValue::M(members) if stored.is_m() => members,
        // Not two objects: the incoming item replaces the stored one.
        other => {
            *stored = without_action_codes(other);
            return;
        }
    };
    let AttributeValue::M(stored_members) = stored else {
        return;
    };
    for (key, value) in incoming_members {
        if key == ACTION_CODE {
            continue;
        }
        match (stored_members.get_mut(&key), value) {
            (Some(existing @ AttributeValue::M(_)), value @ AttributeValue::M(_)) => {
                merge_item(existing, value)
            }
            (Some(AttributeValue::L(existing)), AttributeValue::L(items))
                if items.iter().any(|i| action_code(i).is_some()) =>
            {
                patch(existing, items)
            }
            (_, value) => {
                stored_members.insert(key, without_action_codes(value));
            }
        }
    }
}

/// The item's `_actionCode`, or that of the object it wraps (OCC puts it on
/// `address` in `secondaryAddresses` and on `properties` in
/// `siteOrganizationProperties`).
fn action_code(item: &AttributeValue) -> Option<ActionCode> {
    let members = item.as_m().ok()?;
    let code = members
        .get(ACTION_CODE)
        .or_else(|| first_wrapped(members, |child| child.get(ACTION_CODE)))?;
    ActionCode::read(code)
}

/// What identifies an item: its `repositoryId` or `id`, else that of an object
/// it wraps (`address.repositoryId`, `site.siteId`).
fn identity(item: &AttributeValue) -> Option<&AttributeValue> {
    let members = item.as_m().ok()?;
    own_identity(members).or_else(|| first_wrapped(members, own_identity))
}

fn own_identity(members: &Members) -> Option<&AttributeValue> {
    ["repositoryId", "id", "siteId"]
        .into_iter()
        .find_map(|key| {
            members
                .get(key)
                .filter(|value| !matches!(value, AttributeValue::Null(_)))
        })
}

/// `find` over the objects an item wraps, in name order (the order of a
/// map's members is arbitrary; the outcome must not be).
fn first_wrapped<'a>(
    members: &'a Members,
    find: impl Fn(&'a Members) -> Option<&'a AttributeValue>,
) -> Option<&'a AttributeValue> {
    members
        .iter()
        .filter_map(|(name, child)| Some((name, find(child.as_m().ok()?)?)))
        .min_by_key(|(name, _)| name.as_str())
        .map(|(_, found)| found)
}

fn without_action_codes(mut value: AttributeValue) -> AttributeValue {
    strip_action_codes(&mut value);
    value
}

fn strip_action_codes(value: &mut AttributeValue) {
    match value {
        AttributeValue::M(members) => {
            members.remove(ACTION_CODE);
            members.values_mut().for_each(strip_action_codes);
        }
        AttributeValue::L(items) => items.iter_mut().for_each(strip_action_codes),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn av(value: Value) -> AttributeValue {
        webhook_shared::validate::json::parse(value.to_string().as_bytes()).unwrap()
    }

    fn object(value: Value) -> Members {
        match av(value) {
            AttributeValue::M(members) => members,
            _ => panic!("an object"),
        }
    }

    fn apply(stored: &MergedOrganization, incoming: Value) -> MergedOrganization {
        merge(stored.clone(), object(incoming))
    }

    fn full() -> MergedOrganization {
        apply(
            &MergedOrganization::default(),
            json!({
                "id": "or-1", "name": "Acme", "description": "d", "active": true,
                "relativeRoles": [{"function": "admin", "repositoryId": "r1"},
                                  {"function": "buyer", "repositoryId": "r2"}],
                "secondaryAddresses": [{"address": {"repositoryId": "a1", "city": "Austin",
                                                    "types": [{"id": "SHIPPING", "repositoryId": "t1"}]},
                                        "addressType": "HQ"}],
                "siteOrganizationProperties": [{"properties": {"approvalRequired": false},
                                                "site": {"siteId": "siteUS"}}]
            }),
        )
    }

    #[test]
    fn present_replaces_absent_stays_null_clears() {
        let merged = apply(
            &full(),
            json!({"id": "or-1", "name": "Acme Corp", "description": null}),
        );
        assert_eq!(merged.organization["name"], av(json!("Acme Corp")));
        assert_eq!(merged.organization["description"], av(Value::Null));
        assert_eq!(merged.organization["active"], av(json!(true)));
        assert_eq!(
            merged.organization["relativeRoles"],
            full().organization["relativeRoles"]
        );
    }

    #[test]
    fn arrays_without_action_codes_replace() {
        let merged = apply(
            &full(),
            json!({"relativeRoles": [{"function": "approver", "repositoryId": "r9"}]}),
        );
        assert_eq!(
            merged.organization["relativeRoles"],
            av(json!([{"function": "approver", "repositoryId": "r9"}]))
        );
        let emptied = apply(&full(), json!({"relativeRoles": []}));
        assert_eq!(emptied.organization["relativeRoles"], av(json!([])));
    }

    #[test]
    fn action_coded_items_are_patched() {
        let merged = apply(
            &full(),
            json!({"relativeRoles": [
                {"_actionCode": "DELETE", "repositoryId": "r2"},
                {"_actionCode": "UPDATE", "function": "superAdmin", "repositoryId": "r1"},
                {"_actionCode": "CREATE", "function": "approver", "repositoryId": "r3"},
                {"_actionCode": "DELETE", "repositoryId": "never-stored"}
            ]}),
        );
        assert_eq!(
            merged.organization["relativeRoles"],
            av(json!([{"function": "superAdmin", "repositoryId": "r1"},
                      {"function": "approver", "repositoryId": "r3"}]))
        );
    }

    #[test]
    fn wrapped_action_codes_and_nested_patches() {
        let merged = apply(
            &full(),
            json!({
                "secondaryAddresses": [
                    {"address": {"_actionCode": "UPDATE", "repositoryId": "a1", "city": "Dallas",
                                 "types": [{"_actionCode": "CREATE", "id": "BILLING", "repositoryId": "t2"}]}},
                    {"address": {"_actionCode": "CREATE", "repositoryId": "a2", "city": "Houston"},
                     "addressType": "Warehouse"}
                ],
                "siteOrganizationProperties": [
                    {"properties": {"_actionCode": "UPDATE", "approvalRequired": true}, "site": {"siteId": "siteUS"}}
                ]
            }),
        );
        assert_eq!(
            merged.organization["secondaryAddresses"],
            av(json!([
                {"address": {"repositoryId": "a1", "city": "Dallas",
                             "types": [{"id": "SHIPPING", "repositoryId": "t1"},
                                       {"id": "BILLING", "repositoryId": "t2"}]},
                 "addressType": "HQ"},
                {"address": {"repositoryId": "a2", "city": "Houston"}, "addressType": "Warehouse"}
            ]))
        );
        assert_eq!(
            merged.organization["siteOrganizationProperties"],
            av(json!([{"properties": {"approvalRequired": true}, "site": {"siteId": "siteUS"}}]))
        );
        let deleted = apply(
            &merged,
            json!({"secondaryAddresses": [{"address": {"_actionCode": "DELETE", "repositoryId": "a1"}}]}),
        );
        assert_eq!(
            deleted.organization["secondaryAddresses"]
                .as_l()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn truncated_properties_are_kept_until_sent_in_full() {
        let truncated = apply(
            &full(),
            json!({"secondaryAddressesIsTruncated": true, "name": "New"}),
        );
        assert_eq!(
            truncated.organization["secondaryAddresses"],
            full().organization["secondaryAddresses"]
        );
        assert!(!truncated
            .organization
            .contains_key("secondaryAddressesIsTruncated"));
        assert_eq!(
            truncated.truncated_properties,
            BTreeSet::from(["secondaryAddresses".to_string()])
        );

        let still = apply(&truncated, json!({"name": "Newer"}));
        assert_eq!(still.truncated_properties.len(), 1);

        let full_again = apply(&still, json!({"secondaryAddresses": []}));
        assert!(full_again.truncated_properties.is_empty());
        assert_eq!(full_again.organization["secondaryAddresses"], av(json!([])));
    }

    #[test]
    fn a_changes_only_patch_keeps_the_truncation_mark() {
        let truncated = apply(&full(), json!({"secondaryAddressesIsTruncated": true}));
        let patched = apply(
            &truncated,
            json!({"secondaryAddresses": [
                {"address": {"_actionCode": "CREATE", "repositoryId": "a2", "city": "Houston"}}
            ]}),
        );
        assert_eq!(
            patched.truncated_properties,
            BTreeSet::from(["secondaryAddresses".to_string()])
        );
        assert_eq!(
            patched.organization["secondaryAddresses"]
                .as_l()
                .unwrap()
                .len(),
            2,
            "the patch is applied"
        );
        let whole = apply(&patched, json!({"secondaryAddresses": []}));
        assert!(whole.truncated_properties.is_empty());
    }

    #[test]
    fn truncated_on_first_delivery_records_without_inventing_data() {
        let first = apply(
            &MergedOrganization::default(),
            json!({"id": "or-1", "allSecondaryAddressesIsTruncated": true}),
        );
        assert!(!first.organization.contains_key("allSecondaryAddresses"));
        assert_eq!(
            first.truncated_properties,
            BTreeSet::from(["allSecondaryAddresses".to_string()])
        );
    }

    #[test]
    fn action_codes_are_never_stored() {
        let merged = apply(
            &MergedOrganization::default(),
            json!({"members": [{"_actionCode": "CREATE", "repositoryId": "u1"}],
                   "parentOrganization": {"_actionCode": "UPDATE", "id": "or-0"}}),
        );
        assert!(!format!("{:?}", merged.organization).contains(ACTION_CODE));
    }
}

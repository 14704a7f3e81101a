//! `reconcile chargeover`: each customer and its main contact as ChargeOver's
//! REST API has them now, compared with the stored `MAIN_CONTACT` state;
//! with `--apply` stored as a "main contact changed" delivery would be: its
//! `mod_datetime` orders it, so it never replaces a newer state.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use webhook_shared::storage::attribute::n;
use webhook_shared::storage::Item;

use chargeover_main_contact::ordering;
use chargeover_main_contact::store::{customer_pk, MainContactState, STATE_SK};

use super::{received, report, settle, Finding, Reconciled};
use crate::cli::ReconcileChargeover;
use crate::output::{progress, Shown};
use crate::read::{get, text};
use crate::senders::chargeover::ChargeOverApi;
use crate::target::Resolved;
use crate::Failure;

/// The main contact's fields compared: its id, name, email and phone.
const CONTACT_FIELDS: [&str; 6] = [
    "user_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
];

pub async fn reconcile(
    target: &Resolved,
    args: &ReconcileChargeover,
    show_progress: bool,
) -> Result<Shown, Failure> {
    let apply = args.apply;
    let api = ChargeOverApi::connect(target).await?;
    let customers: Vec<(String, Option<Value>)> = match args.since {
        Some(since) => {
            // ChargeOver's datetimes are in the account's zone, without offset.
            let local = since.to_zoned(target.chargeover_timezone.clone());
            // A day early: which zone ChargeOver reads the date in is not
            // documented; the exact time is applied here.
            let day = local.date().yesterday().unwrap_or(local.date()).to_string();
            let from = local.strftime("%Y-%m-%d %H:%M:%S").to_string();
            let found = api.customers_modified_since(&day).await?;
            found
                .into_iter()
                .filter(|customer| modified_from(customer, &from))
                .map(|customer| (id_text(&customer["customer_id"]), Some(customer)))
                .collect()
        }
        None => {
            let mut customers = Vec::new();
            for id in &args.customer_ids {
                let customer = match api.customer(*id).await {
                    Ok(customer) => Some(customer),
                    Err(Failure::NotFound(_)) => None,
                    Err(failure) => return Err(failure),
                };
                customers.push((id.to_string(), customer));
            }
            customers
        }
    };
    let bar = progress(customers.len(), show_progress, "customers ({elapsed})");
    let mut results = Vec::with_capacity(customers.len());
    for (id, customer) in customers {
        results.push(match customer {
            Some(customer) => reconcile_one(target, &api, &id, customer, apply).await?,
            None => Reconciled::new(&id, Finding::NotAtSender),
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    report("chargeover", &results, apply)
}

async fn reconcile_one(
    target: &Resolved,
    api: &ChargeOverApi,
    id: &str,
    customer: Value,
    apply: bool,
) -> Result<Reconciled, Failure> {
    let contact = match id_number(&customer["superuser_id"]) {
        Some(user_id) if user_id > 0 => api.user(user_id).await?,
        _ => None,
    };
    let stored = match id_number(&customer["customer_id"]) {
        Some(customer_id) => get(&target.store, &customer_pk(customer_id), STATE_SK).await?,
        None => None,
    };
    let document = delivery_body(customer, contact);
    let (receipt, parsed) = received(target, &document, stored.as_ref());
    let delivery = parsed.and_then(|payload| {
        chargeover_main_contact::handler::delivery(
            payload,
            &target.chargeover_timezone,
            &receipt,
            Some(api.host()),
        )
    });
    let delivery = match delivery {
        Ok(delivery) => delivery,
        Err(rejection) => return Ok(Reconciled::new(id, Finding::Refused(rejection))),
    };
    let finding = compare(stored.as_ref(), &delivery.state);
    settle(target, id, finding, &delivery, apply).await
}

/// The customer and its main contact as the body of a "main contact
/// changed" delivery (developer.chargeover.com/docs/webhooks/customer-super).
fn delivery_body(customer: Value, contact: Option<Value>) -> Vec<u8> {
    let mut data = json!({ "customer": customer });
    if let Some(contact) = contact {
        data["user"] = contact;
    }
    json!({
        "context_str": "customer",
        "context_id": data["customer"]["customer_id"],
        "event": "super",
        "data": data,
    })
    .to_string()
    .into_bytes()
}

/// How the stored state compares with the fetched one.
fn compare(stored: Option<&Item>, fetched: &MainContactState<'_>) -> Finding {
    let Some(stored) = stored else {
        return Finding::Missing;
    };
    let stored_at = text(stored, ordering::ATTRIBUTE);
    // A record without a time is never taken over a state that has one: the
    // store would write it unconditionally.
    let fetched_at = fetched.source_modified_at.as_deref().unwrap_or_default();
    if fetched_at.is_empty() && !stored_at.is_empty() || ordering::is_older(fetched_at, stored_at) {
        return Finding::StoredNewer;
    }
    let mut parts = Vec::new();
    if stored_at != fetched_at {
        parts.push("mod_datetime".to_owned());
    }
    if stored.get("superuser_id") != fetched.superuser_id.map(n).as_ref() {
        parts.push("superuser_id".to_owned());
    }
    let members = |contact: Option<&AttributeValue>| contact.and_then(|c| c.as_m().ok()).cloned();
    let stored_contact = members(stored.get("contact")).unwrap_or_default();
    let fetched_contact = members(fetched.contact.as_ref()).unwrap_or_default();
    for field in CONTACT_FIELDS {
        if stored_contact.get(field) != fetched_contact.get(field) {
            parts.push(format!("contact.{field}"));
        }
    }
    if parts.is_empty() {
        Finding::InSync
    } else {
        Finding::Differs(parts)
    }
}

/// Whether the customer was modified at or after `from` (local
/// `YYYY-MM-DD HH:MM:SS`); a `mod_datetime` in another form is kept: the
/// comparison tells whether it matters.
fn modified_from(customer: &Value, from: &str) -> bool {
    match customer["mod_datetime"].as_str() {
        Some(at) if at.len() == from.len() && at.as_bytes().get(10) == Some(&b' ') => at >= from,
        _ => true,
    }
}

/// An id ChargeOver sends as a number or as text.
fn id_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn id_text(value: &Value) -> String {
    id_number(value).map_or_else(|| value.to_string(), |id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use webhook_shared::storage::attribute::s;

    fn state(modified: &str) -> MainContactState<'static> {
        MainContactState {
            customer_id: 413,
            customer: AttributeValue::M(Item::new()),
            contact: None,
            superuser_id: None,
            source_modified_at: Some(modified.to_owned()),
            source: None,
        }
    }

    fn stored(modified: &str) -> Item {
        Item::from([(ordering::ATTRIBUTE.to_owned(), s(modified))])
    }

    #[test]
    fn stored_is_newer_by_the_stores_own_rule() {
        let key = "2017-10-05T22:51:22.000000000Z";
        let later = "2017-10-05T22:51:22.500000000Z";
        assert!(matches!(
            compare(Some(&stored(later)), &state(key)),
            Finding::StoredNewer
        ));
        assert!(matches!(
            compare(Some(&stored(key)), &state(key)),
            Finding::InSync
        ));
        // Earlier versions stored whole seconds: the same second is not newer
        // (the store would apply it), so the difference is shown.
        let legacy = compare(Some(&stored("2017-10-05T22:51:22Z")), &state(key));
        assert!(matches!(&legacy, Finding::Differs(parts) if parts == &["mod_datetime"]));
        // A record without a time never replaces a state that has one.
        let mut untimed = state(key);
        untimed.source_modified_at = None;
        assert!(matches!(
            compare(Some(&stored(key)), &untimed),
            Finding::StoredNewer
        ));
    }
}

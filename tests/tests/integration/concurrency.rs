//! Concurrency against moto: deliveries sent at once, out of order and more
//! than once, as senders retry. The state must end on the newest change,
//! each distinct delivery must leave exactly one event, and no delivery may
//! be answered 5xx or lose its change.
//!
//! Real DynamoDB applies each request atomically; moto's threaded server does
//! not, so scripts/moto_server.py serves one request at a time. The
//! deliveries still run concurrently and their requests interleave in any
//! order.
//!
//! moto also takes tens of milliseconds per write, where DynamoDB takes a few,
//! so OCC's optimistic writes (read, merge, write if the version is unchanged,
//! a bounded number of times) collide far more often here: a delivery may exhaust its
//! attempts and answer 503 with `Retry-After`. That answer must have stored
//! nothing, and the test then does what the sender does: delivers it again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chargeover_main_contact::auth::TokenKeys;
use integration_tests::{
    all_items, api_request, body_json, fresh_store, hmac_base64, item, local_aws, test_common,
    HMAC_SHA512,
};
use jiff::tz::TimeZone;
use occ_organization::auth::{Algorithms, HmacKeys};
use serde_json::{json, Value};
use tokio::task::JoinSet;
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Store;

const CO_SECRET: &str = "concurrency-chargeover-token-0001";
const CO_PATH: &str = "/chargeover/customer/main-contact";
const CO_PK: &str = "CHARGEOVER#CUSTOMER#413";
/// Base64 of "concurrency-occ-key".
const OCC_KEY_TEXT: &str = "Y29uY3VycmVuY3ktb2NjLWtleQ==";
const OCC_PATH: &str = "/occ/organization";
const OCC_PK: &str = "OCC#ORGANIZATION#or-300007";

/// The two tests take turns with moto: each alone is load enough.
static MOTO: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A deterministic Fisher-Yates shuffle driven by a 64-bit LCG.
fn shuffle<T>(items: &mut [T], mut state: u64) {
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Delivery `n` for customer 413: modified at 10:00 + n minutes (Chicago),
/// main contact user 1000 + n. Kept small: moto copies the whole table on
/// every transaction, events included.
fn chargeover_delivery(n: u64) -> Value {
    let user_id = 1000 + n;
    json!({"context_str": "customer", "context_id": 413, "event": "super",
           "data": {"customer": {"customer_id": 413, "superuser_id": user_id,
                                 "company": "Acme Widgets", "total": 3400, "balance": 4103.5,
                                 "mod_datetime": format!("2017-10-05 10:{n:02}:00")},
                    "user": {"user_id": user_id, "customer_id": 413,
                             "email": format!("user{user_id}@example.com")}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chargeover_concurrent_reordered_retried_deliveries() {
    const DELIVERIES: u64 = 50;
    let _moto = MOTO.lock().await;
    let store = fresh_store(&local_aws().await).await;
    let keys = TokenKeys::from_secret(&SecretValue::parse(CO_SECRET).unwrap()).unwrap();
    let receiver = Arc::new(chargeover_main_contact::Receiver {
        common: test_common(store.clone(), SecretStore::fixed(keys)),
        timezone: TimeZone::get("America/Chicago").unwrap(),
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    });
    let bodies: Vec<Arc<String>> = (0..DELIVERIES)
        .map(|n| Arc::new(chargeover_delivery(n).to_string()))
        .collect();
    // Every delivery two or three times, all in one shuffled burst.
    let mut sends: Vec<u64> = (0..DELIVERIES)
        .flat_map(|n| std::iter::repeat_n(n, 2 + (n % 2) as usize))
        .collect();
    shuffle(&mut sends, 0x5eed_0001);
    let total_sends = sends.len();

    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for n in sends {
        let receiver = receiver.clone();
        let body = bodies[n as usize].clone();
        tasks.spawn(async move {
            let request = api_request(
                "POST",
                CO_PATH,
                &[
                    ("content-type", "application/json"),
                    ("x-chargeover-key", CO_SECRET),
                ],
                &body,
            );
            let response = chargeover_main_contact::handle(request, &*receiver).await;
            (n, response.status().as_u16(), body_json(&response))
        });
    }
    let mut answers: BTreeMap<u64, Vec<(u16, Value)>> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (n, status, answer) = joined.expect("no delivery panics");
        answers.entry(n).or_default().push((status, answer));
    }
    let elapsed = started.elapsed();

    let mut failed: Vec<String> = Vec::new();
    let mut applied = 0;
    let mut outcome_of: HashMap<String, String> = HashMap::new();
    for (n, replies) in &answers {
        let statuses: Vec<u16> = replies.iter().map(|(status, _)| *status).collect();
        if statuses.iter().any(|&status| status != 200) {
            failed.push(format!("delivery {n}: statuses {statuses:?}: {replies:?}"));
            continue;
        }
        let outcomes: Vec<&str> = replies
            .iter()
            .map(|(_, answer)| answer["outcome"].as_str().unwrap_or_default())
            .collect();
        let firsts: Vec<&str> = outcomes
            .iter()
            .copied()
            .filter(|outcome| *outcome != "duplicate")
            .collect();
        if firsts.len() != 1 || !matches!(firsts[0], "applied" | "stale") {
            failed.push(format!(
                "delivery {n}: expected one applied/stale and duplicates, got {outcomes:?}"
            ));
            continue;
        }
        let ids: Vec<&str> = replies
            .iter()
            .map(|(_, answer)| answer["event_id"].as_str().unwrap_or_default())
            .collect();
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "one event id per delivery"
        );
        applied += usize::from(firsts[0] == "applied");
        outcome_of.insert(ids[0].to_owned(), firsts[0].to_owned());
    }
    assert!(
        failed.is_empty(),
        "{} of {DELIVERIES} deliveries went wrong ({total_sends} sends, {elapsed:?}):\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert_eq!(answers.len() as u64, DELIVERIES);

    // The newest change wins; `version` counts the applied ones.
    let newest = DELIVERIES - 1;
    let state = item(&store.table, CO_PK, "MAIN_CONTACT")
        .await
        .expect("state");
    assert_eq!(state["contact"]["user_id"], 1000 + newest, "{state}");
    assert_eq!(state["superuser_id"], 1000 + newest);
    assert_eq!(
        state["customer"]["mod_datetime"],
        format!("2017-10-05 10:{newest:02}:00")
    );
    // 10:49 in Chicago (CDT) is 15:49 UTC.
    assert_eq!(
        state["source_modified_at"],
        "2017-10-05T15:49:00.000000000Z"
    );
    assert_eq!(state["version"], applied, "version counts applied outcomes");

    // Exactly one event per distinct delivery, with the outcome it answered.
    let items = all_items(&store.table).await;
    let events: Vec<&Value> = items
        .iter()
        .filter(|item| {
            item["sk"]
                .as_str()
                .unwrap_or_default()
                .starts_with("EVENT#")
        })
        .collect();
    assert_eq!(events.len() as u64, DELIVERIES, "one event per delivery");
    for event in &events {
        let id = event["event_id"].as_str().unwrap();
        assert_eq!(event["pk"], CO_PK);
        assert_eq!(
            Some(event["outcome"].as_str().unwrap()),
            outcome_of.get(id).map(String::as_str),
            "event {id}"
        );
    }
    assert_eq!(
        items.len() as u64,
        DELIVERIES + 1,
        "events and the state only"
    );
}

fn occ_sign(body: &str) -> String {
    let key = STANDARD.decode(OCC_KEY_TEXT).unwrap();
    hmac_base64(HMAC_SHA512, &key, body.as_bytes())
}

async fn occ_post(
    receiver: &occ_organization::Receiver<Store>,
    body: &str,
) -> (u16, Option<String>, Value) {
    let signature = occ_sign(body);
    let request = api_request(
        "POST",
        OCC_PATH,
        &[
            ("content-type", "application/json"),
            ("x-oracle-cc-webhook-signature-sha512", &signature),
        ],
        body,
    );
    let response = occ_organization::handle(request, receiver).await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (
        response.status().as_u16(),
        retry_after,
        body_json(&response),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn occ_concurrent_changes_only_deliveries_all_land() {
    const CHANGES: usize = 30;
    /// Deliveries again after a 503, as the sender would.
    const ROUNDS: usize = 4;
    let _moto = MOTO.lock().await;
    let store = fresh_store(&local_aws().await).await;
    let keys = HmacKeys::from_secret(&SecretValue::parse(OCC_KEY_TEXT).unwrap()).unwrap();
    let receiver = Arc::new(occ_organization::Receiver {
        common: test_common(store.clone(), SecretStore::fixed(keys)),
        algorithms: Algorithms::ALL,
    });
    let seed = fixture("occ-organization-seed.json");
    let (status, _, answer) = occ_post(&receiver, &seed.to_string()).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("applied")));

    let bodies: Vec<Arc<String>> = (0..CHANGES)
        .map(|n| {
            Arc::new(
                json!({"organization": {"id": "or-300007", "relativeRoles": [
                    {"_actionCode": "CREATE", "function": "buyer", "repositoryId": format!("r-{n:02}")}
                ]}})
                .to_string(),
            )
        })
        .collect();
    let started = Instant::now();
    let mut pending: Vec<usize> = (0..CHANGES).collect();
    let mut failed = Vec::new();
    let mut retried = Vec::new();
    for round in 1..=ROUNDS {
        let mut tasks = JoinSet::new();
        for &n in &pending {
            let receiver = receiver.clone();
            let body = bodies[n].clone();
            tasks.spawn(async move { (n, occ_post(&receiver, &body).await) });
        }
        let mut unavailable = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (n, (status, retry_after, answer)) = joined.expect("no delivery panics");
            match (status, answer["outcome"].as_str()) {
                (200, Some("applied")) => {}
                (503, _) if retry_after.is_some() => unavailable.push(n),
                _ => failed.push(format!("change {n}, round {round}: {status} {answer}")),
            }
        }
        // A 503 stored nothing: no event, no role; delivering it again is safe.
        let items = all_items(&store.table).await;
        for &n in &unavailable {
            let event = format!(
                "EVENT#{}",
                webhook_shared::EventId::of(bodies[n].as_bytes())
            );
            let role = format!("\"r-{n:02}\"");
            for item in &items {
                if item["sk"] == event.as_str()
                    || (item["sk"] == "ORGANIZATION" && item.to_string().contains(&role))
                {
                    failed.push(format!("change {n}, round {round}: 503 but stored"));
                }
            }
        }
        unavailable.sort();
        if !unavailable.is_empty() {
            retried.push(format!("round {round}: {unavailable:?}"));
        }
        pending = unavailable;
        if pending.is_empty() {
            break;
        }
    }
    let elapsed = started.elapsed();
    assert!(
        failed.is_empty() && pending.is_empty(),
        "{} failures, {} never stored ({elapsed:?}; 503s: {retried:?}):\n{}",
        failed.len(),
        pending.len(),
        failed.join("\n")
    );

    let state = item(&store.table, OCC_PK, "ORGANIZATION")
        .await
        .expect("state");
    assert_eq!(state["version"], CHANGES + 1);
    let roles = state["organization"]["relativeRoles"].as_array().unwrap();
    let ids: Vec<&str> = roles
        .iter()
        .map(|role| role["repositoryId"].as_str().unwrap())
        .collect();
    assert_eq!(roles.len(), 5 + CHANGES, "{ids:?}");
    for n in 0..CHANGES {
        let id = format!("r-{n:02}");
        assert_eq!(
            ids.iter().filter(|x| **x == id).count(),
            1,
            "{id} once in {ids:?}"
        );
    }
    for seeded in ["400001", "400002", "400003", "400004", "400005"] {
        assert!(ids.contains(&seeded), "{seeded} kept");
    }
    assert!(!state.to_string().contains("_actionCode"));
    let events = all_items(&store.table)
        .await
        .into_iter()
        .filter(|item| {
            item["sk"]
                .as_str()
                .unwrap_or_default()
                .starts_with("EVENT#")
        })
        .count();
    assert_eq!(events, CHANGES + 1);
}

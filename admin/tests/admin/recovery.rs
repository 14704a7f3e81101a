//! Recovery from the senders' own records: `occ failed` and `reconcile`,
//! run as an operator runs them, against moto and the senders' APIs as
//! local stand-ins. OCC's own part of a resend (delivering the message to
//! the receiver, signed) is played here by the test.

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Duration;

use integration_tests::{all_items, fresh_store, local_aws};
use serde_json::{json, Value};
use webhook_shared::storage::Store;

use super::standin::StandIn;
use super::{admin, admin_command, admin_json, post_chargeover, post_occ};

const APPLICATION_KEY: &str = "eyJhbGciOiJSUzI1NiJ9.application-key.signature";
const RECEIVER_URL: &str =
    "https://abc123.execute-api.us-east-1.amazonaws.com/prod/occ/organization";

/// A secret in moto holding `value`: its ARN.
async fn secret(value: &str) -> String {
    let aws = local_aws().await;
    let name = format!("recovery-{}", unique());
    aws_sdk_secretsmanager::Client::new(&aws)
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("create the secret")
        .arn()
        .expect("its ARN")
        .to_owned()
}

/// A name no other test of any run uses.
fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let now = jiff::Timestamp::now().as_nanosecond();
    format!("{now}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The OCC stand-in with `organizations` current and `failed` in its log,
/// and the arguments that point the CLI at it.
async fn occ_admin(organizations: &[Value], failed: &[Value]) -> (StandIn, Vec<String>) {
    let occ = StandIn::occ();
    occ.set_state(&occ_state(organizations, failed)).await;
    let secret_arn = secret(APPLICATION_KEY).await;
    let args = vec![
        "--occ-admin-url".to_owned(),
        occ.url.clone(),
        "--occ-admin-secret-id".to_owned(),
        secret_arn,
    ];
    (occ, args)
}

fn occ_state(organizations: &[Value], failed: &[Value]) -> Value {
    json!({
        "application_key": APPLICATION_KEY,
        "token_seconds": 300,
        "organizations": organizations,
        "failed_messages": failed,
    })
}

/// A failed message of the organization webhook (shaped as
/// op-ccadmin-v1-webhookfailedmessages-id-get.html shows one).
fn failed_message(id: &str, saved: &str) -> Value {
    json!({
        "id": id,
        "messageType": "atg.commerce.b2b.AccountUpdate",
        "savedTime": saved,
        "resend": false,
        "serverType": "production",
        "remainingTargetUrls": [RECEIVER_URL],
        "lastErrorMessage": "Invalid response code of 503 received for webhook",
        "asRaw": "\u{0}\u{5}sr\u{0}"
    })
}

fn with_args<'a>(args: &'a [String], command: &[&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(command);
    all
}

/// Runs `occ failed resend` while playing OCC: each message it queues is
/// delivered to the receiver (`bodies`, signed, twice: OCC retries too)
/// and leaves the log, as a resent message does.
async fn resend_while_occ_delivers(
    store: &Store,
    occ: &StandIn,
    args: &[String],
    command: &[&str],
    organizations: &[Value],
    mut failed: Vec<Value>,
    bodies: &BTreeMap<&str, String>,
) -> Output {
    let child = admin_command(store, &with_args(args, command))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run webhook-admin");
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    let mut delivered = 0;
    let mut expired = false;
    while !waiting.is_finished() {
        let resent = occ.resent().await;
        for id in &resent[delivered..] {
            let body = &bodies[id.as_str()];
            for _ in 0..2 {
                let (status, _) = post_occ(store, body).await;
                assert_eq!(status, 200, "the resent {id}");
            }
            failed.retain(|message| message["id"] != id.as_str());
            occ.set_state(&occ_state(organizations, &failed)).await;
            if !expired {
                // OCC's token runs out mid-run: the CLI logs in again.
                occ.expire_tokens().await;
                expired = true;
            }
        }
        delivered = resent.len();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    waiting.await.unwrap().expect("webhook-admin ran")
}

fn json_of(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)))
}

async fn organization_events(store: &Store, id: &str) -> Vec<Value> {
    let pk = format!("OCC#ORGANIZATION#{id}");
    all_items(&store.table)
        .await
        .into_iter()
        .filter(|item| {
            item["pk"] == pk.as_str()
                && item["sk"]
                    .as_str()
                    .is_some_and(|sk| sk.starts_with("EVENT#"))
        })
        .collect()
}

#[tokio::test]
async fn a_delivery_occ_failed_during_an_outage_is_resent_and_lands_once() {
    let store = fresh_store(&local_aws().await).await;
    let current = json!({"id": "or-1", "name": "Acme", "active": true});
    let body = json!({"organization": current}).to_string();
    // Another webhook's failed message is neither listed nor resent.
    let mut orders = failed_message("200001", "2026-12-03T09:00:00.000Z");
    orders["remainingTargetUrls"] = json!(["https://erp.example.com/orders"]);
    let failed = vec![failed_message("100001", "2026-12-03T10:00:00.000Z"), orders];
    let (occ, args) = occ_admin(std::slice::from_ref(&current), &failed).await;

    let listed = admin_json(&store, &with_args(&args, &["occ", "failed", "list"]));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], "100001");
    assert!(listed[0].get("asRaw").is_none(), "raw bytes are not shown");

    let bodies = BTreeMap::from([("100001", body)]);
    let command = [
        "--json", "occ", "failed", "resend", "--all", "--wait", "30s",
    ];
    let output = resend_while_occ_delivers(
        &store,
        &occ,
        &args,
        &command,
        std::slice::from_ref(&current),
        failed,
        &bodies,
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer = json_of(&output);
    assert_eq!(answer["resent"], json!(["100001"]));
    assert_eq!(answer["still_queued"], json!([]));
    assert_eq!(answer["reconciled"]["records"][0]["finding"], "in sync");
    assert_eq!(occ.resent().await, ["100001"]);

    let events = organization_events(&store, "or-1").await;
    assert_eq!(
        events.len(),
        1,
        "one delivery, its retry a duplicate: {events:?}"
    );
    assert!(events[0].get("origin").is_none());
    let state = admin_json(&store, &["state", "occ", "or-1"]);
    assert_eq!(state["organization"], current);

    // OCC's token expired during the run: it logged in again.
    let logins = occ
        .requests()
        .await
        .iter()
        .filter(|r| r["path"] == "/ccadmin/v1/login")
        .count();
    assert!(logins >= 2, "{logins} logins");
}

#[tokio::test]
async fn old_changes_only_messages_resent_after_newer_deliveries_end_equal_to_occ() {
    let store = fresh_store(&local_aws().await).await;
    // Delivered before the outage ended: the newer, full organization.
    let current =
        json!({"id": "or-2", "name": "Acme Two", "description": "current", "active": true});
    let (status, _) = post_occ(&store, &json!({"organization": current}).to_string()).await;
    assert_eq!(status, 200);
    // Failed during the outage, resent now: an older changes-only message.
    let old = json!({"organization": {"id": "or-2", "name": "Acme (old name)"}}).to_string();
    let failed = vec![failed_message("100002", "2026-12-03T08:00:00.000Z")];
    let (occ, args) = occ_admin(std::slice::from_ref(&current), &failed).await;
    let bodies = BTreeMap::from([("100002", old)]);
    let command = [
        "--json", "occ", "failed", "resend", "100002", "--wait", "30s",
    ];
    let output = resend_while_occ_delivers(
        &store,
        &occ,
        &args,
        &command,
        std::slice::from_ref(&current),
        failed,
        &bodies,
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer = json_of(&output);
    let reconciled = &answer["reconciled"]["records"][0];
    assert_eq!(reconciled["finding"], "differs", "{answer}");
    assert_eq!(reconciled["differences"], json!(["/name"]));
    assert_eq!(reconciled["applied"], "applied");

    let state = admin_json(&store, &["state", "occ", "or-2"]);
    assert_eq!(
        state["organization"], current,
        "equal to OCC's current organization"
    );
    let events = organization_events(&store, "or-2").await;
    let origins: Vec<&Value> = events.iter().map(|e| &e["origin"]).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(origins.iter().filter(|o| **o == "reconcile").count(), 1);

    // Run again: nothing changes.
    let before = all_items(&store.table).await;
    let again = admin_json(
        &store,
        &with_args(&args, &["reconcile", "occ", "or-2", "--apply"]),
    );
    assert_eq!(again["records"][0]["finding"], "in sync");
    assert_eq!(again["summary"]["applied"], 0);
    assert_eq!(all_items(&store.table).await, before);
}

#[tokio::test]
async fn reconcile_occ_finds_what_differs_and_applies_it_once() {
    let store = fresh_store(&local_aws().await).await;
    let current = json!({"id": "or-3", "name": "Three", "members": [{"repositoryId": "m1", "customerContactId": "c1"}]});
    let (_occ, args) = occ_admin(std::slice::from_ref(&current), &[]).await;

    // Compared only: nothing written.
    let compared = admin_json(&store, &with_args(&args, &["reconcile", "occ", "or-3"]));
    assert_eq!(compared["records"][0]["finding"], "missing");
    assert!(all_items(&store.table).await.is_empty());

    let applied = admin_json(
        &store,
        &with_args(&args, &["reconcile", "occ", "or-3", "--apply"]),
    );
    assert_eq!(applied["records"][0]["applied"], "applied");
    let events = organization_events(&store, "or-3").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["origin"], "reconcile");

    let before = all_items(&store.table).await;
    let again = admin_json(
        &store,
        &with_args(&args, &["reconcile", "occ", "or-3", "--apply"]),
    );
    assert_eq!(again["records"][0]["finding"], "in sync");
    assert_eq!(
        all_items(&store.table).await,
        before,
        "a second run changes nothing"
    );

    // An id OCC does not have: said, nothing done.
    let unknown = admin_json(&store, &with_args(&args, &["reconcile", "occ", "or-none"]));
    assert_eq!(unknown["records"][0]["finding"], "not at the sender");
}

#[tokio::test]
async fn occ_refusing_the_key_is_a_clear_error_without_the_key() {
    let store = fresh_store(&local_aws().await).await;
    let (occ, mut args) = occ_admin(&[], &[]).await;
    args[3] = secret("not-the-application-key").await;
    let (code, stdout, stderr) = admin(&store, &with_args(&args, &["occ", "failed", "list"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("refused the credentials (HTTP 401)"),
        "{stderr}"
    );
    assert!(stderr.contains("OCC_ADMIN_SECRET_ID"), "{stderr}");
    assert!(
        !stderr.contains("not-the-application-key") && !stdout.contains("not-the-application-key")
    );
    drop(occ);
}

#[tokio::test]
async fn occ_throttling_is_waited_out_and_outages_are_clear_errors() {
    let store = fresh_store(&local_aws().await).await;
    let current = json!({"id": "or-4", "name": "Four"});
    let (occ, args) = occ_admin(std::slice::from_ref(&current), &[]).await;

    occ.fail(&json!({"path_prefix": "/ccadmin/v1/organizations", "status": 429, "retry_after": 1, "times": 2}))
        .await;
    let compared = admin_json(&store, &with_args(&args, &["reconcile", "occ", "or-4"]));
    assert_eq!(compared["records"][0]["finding"], "missing");
    let reads = occ
        .requests()
        .await
        .iter()
        .filter(|r| r["path"] == "/ccadmin/v1/organizations/or-4")
        .count();
    assert_eq!(reads, 3, "two throttled answers, then the organization");

    // A wait longer than a command should sit through is an error at once.
    occ.fail(
        &json!({"path_prefix": "/ccadmin/v1/organizations", "status": 429, "retry_after": 120}),
    )
    .await;
    let (code, _, stderr) = admin(&store, &with_args(&args, &["reconcile", "occ", "or-4"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("asking to wait 120 s"), "{stderr}");

    occ.fail(&json!({"path_prefix": "/ccadmin/v1/organizations", "status": 503, "times": 10}))
        .await;
    let (code, stdout, stderr) = admin(
        &store,
        &with_args(&args, &["reconcile", "occ", "or-4", "--apply"]),
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.contains("HTTP 503 after 5 attempts"), "{stderr}");
    assert!(
        all_items(&store.table).await.is_empty(),
        "nothing half-applied"
    );
}

#[tokio::test]
async fn occ_failed_messages_are_read_page_by_page() {
    let store = fresh_store(&local_aws().await).await;
    let failed: Vec<Value> = (0..260)
        .map(|n| failed_message(&format!("{}", 200_000 + n), "2026-12-03T10:00:00.000Z"))
        .collect();
    let (occ, args) = occ_admin(&[], &failed).await;
    let listed = admin_json(&store, &with_args(&args, &["occ", "failed", "list"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(260));
    let pages: Vec<Value> = occ
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/ccadmin/v1/webhookFailedMessages")
        .map(|r| r["query"].clone())
        .collect();
    assert_eq!(pages, ["offset=0&limit=250", "offset=250&limit=250"]);
}

const CHARGEOVER_USER: &str = "api-user-7f3a";
const CHARGEOVER_KEY: &str = "private-key-9c1e0b";

/// The ChargeOver stand-in holding `customers` and `users`, and the
/// arguments that point the CLI at it (datetimes read in the default zone,
/// America/Chicago, as the test receiver reads them).
async fn chargeover_api(customers: &[Value], users: &[Value]) -> (StandIn, Vec<String>) {
    let chargeover = StandIn::chargeover();
    chargeover
        .set_state(&json!({
            "username": CHARGEOVER_USER,
            "password": CHARGEOVER_KEY,
            "customers": customers,
            "users": users,
        }))
        .await;
    let credentials = json!({"username": CHARGEOVER_USER, "password": CHARGEOVER_KEY});
    let args = vec![
        "--chargeover-api-url".to_owned(),
        chargeover.url.clone(),
        "--chargeover-api-secret-id".to_owned(),
        secret(&credentials.to_string()).await,
    ];
    (chargeover, args)
}

/// A customer as `GET /api/v3/customer/{id}` answers it
/// (developer.chargeover.com/docs/api/get-a-specific-customer).
fn customer(id: u64, superuser_id: u64, modified: &str) -> Value {
    json!({"customer_id": id, "superuser_id": superuser_id, "company": format!("Customer {id}"),
           "external_key": null, "token": "fozdqj169569", "write_datetime": "2026-01-05 09:36:19",
           "mod_datetime": modified, "superuser_name": "Jane Doe"})
}

/// A contact as `GET /api/v3/user/{id}` answers it
/// (developer.chargeover.com/docs/api/get-a-specific-contact).
fn contact(id: u64, email: &str) -> Value {
    json!({"user_id": id, "external_key": null, "first_name": "Jane", "middle_name_glob": null,
           "last_name": "Doe", "name": "Jane Doe", "title": "", "email": email,
           "phone": "860-634-1602", "write_datetime": "2026-01-05 09:36:19",
           "mod_datetime": "2026-01-05 09:36:19", "display_as": "Jane Doe",
           "user_type_id": 1, "user_type_name": "Billing", "username": "7yanhoctj6qs"})
}

/// The main contact change ChargeOver delivered for `customer` and `contact`.
async fn delivered(store: &Store, customer: &Value, contact: &Value) {
    let body = json!({"context_str": "customer", "context_id": customer["customer_id"],
                      "event": "super", "data": {"customer": customer, "user": contact}});
    let (status, answer) = post_chargeover(store, &body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
}

async fn customer_state(store: &Store, id: u64) -> Value {
    admin_json(store, &["state", "chargeover", &id.to_string()])
}

#[tokio::test]
async fn a_chargeover_customer_changed_during_an_outage_is_found_and_applied_once() {
    let store = fresh_store(&local_aws().await).await;
    // Before the outage: customer 413's main contact as delivered.
    delivered(
        &store,
        &customer(413, 770, "2026-12-03 08:00:00"),
        &contact(770, "jane@old.example"),
    )
    .await;
    // During it: 413's contact changed, 414 created; 300 changed long before.
    let customers = [
        customer(300, 0, "2026-11-01 10:00:00"),
        customer(413, 770, "2026-12-03 12:00:00"),
        customer(414, 771, "2026-12-03 11:00:00"),
    ];
    let users = [
        contact(770, "jane@new.example"),
        contact(771, "joe@example.com"),
    ];
    let (_chargeover, args) = chargeover_api(&customers, &users).await;
    let since = ["reconcile", "chargeover", "--since", "2026-12-03T06:00:00Z"];

    let compared = admin_json(&store, &with_args(&args, &since));
    let findings: Vec<(&Value, &Value)> = compared["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["id"], &r["finding"]))
        .collect();
    assert_eq!(
        findings,
        [
            (&json!("413"), &json!("differs")),
            (&json!("414"), &json!("missing"))
        ]
    );
    assert_eq!(
        compared["records"][0]["differences"],
        json!(["mod_datetime", "contact.email"])
    );
    assert_eq!(
        customer_state(&store, 413).await["contact"]["email"],
        "jane@old.example"
    );

    let applied = admin_json(
        &store,
        &with_args(&args, &[&since[..], &["--apply"]].concat()),
    );
    assert_eq!(applied["summary"]["applied"], 2, "{applied}");
    let state = customer_state(&store, 413).await;
    assert_eq!(state["contact"]["email"], "jane@new.example");
    assert_eq!(state["source"], "127.0.0.1");
    assert_eq!(customer_state(&store, 414).await["superuser_id"], 771);
    let origins: Vec<Value> = all_items(&store.table)
        .await
        .into_iter()
        .filter(|i| i["sk"].as_str().is_some_and(|sk| sk.starts_with("EVENT#")))
        .map(|i| i["origin"].clone())
        .collect();
    assert_eq!(origins.iter().filter(|o| **o == "reconcile").count(), 2);
    assert_eq!(origins.len(), 3, "the delivery and two reconciliations");

    let before = all_items(&store.table).await;
    let again = admin_json(
        &store,
        &with_args(&args, &[&since[..], &["--apply"]].concat()),
    );
    assert_eq!(again["summary"]["in_sync"], 2);
    assert_eq!(again["summary"]["applied"], 0);
    assert_eq!(
        all_items(&store.table).await,
        before,
        "a second run changes nothing"
    );
}

#[tokio::test]
async fn a_newer_stored_state_is_never_overwritten_by_a_reconciliation() {
    let store = fresh_store(&local_aws().await).await;
    delivered(
        &store,
        &customer(500, 880, "2026-12-03 15:00:00"),
        &contact(880, "newest@example.com"),
    )
    .await;
    let (_chargeover, args) = chargeover_api(
        &[customer(500, 880, "2026-12-03 12:00:00")],
        &[contact(880, "older@example.com")],
    )
    .await;
    let before = all_items(&store.table).await;
    let run = admin_json(
        &store,
        &with_args(&args, &["reconcile", "chargeover", "500", "--apply"]),
    );
    assert_eq!(run["records"][0]["finding"], "stored is newer");
    assert_eq!(run["summary"]["applied"], 0);
    assert_eq!(all_items(&store.table).await, before);
    assert_eq!(
        customer_state(&store, 500).await["contact"]["email"],
        "newest@example.com"
    );
}

#[tokio::test]
async fn chargeover_listing_pages_through_every_customer_and_waits_out_throttling() {
    let store = fresh_store(&local_aws().await).await;
    let customers: Vec<Value> = (1..=105)
        .map(|id| customer(id, 0, "2026-12-03 10:00:00"))
        .collect();
    let (chargeover, args) = chargeover_api(&customers, &[]).await;
    chargeover
        .fail(&json!({"path_prefix": "/api/v3/customer", "status": 429, "retry_after": 1, "times": 1}))
        .await;
    let compared = admin_json(
        &store,
        &with_args(
            &args,
            &["reconcile", "chargeover", "--since", "2026-12-03T00:00:00Z"],
        ),
    );
    assert_eq!(compared["summary"]["missing"], 105);
    let lists: Vec<String> = chargeover
        .requests()
        .await
        .iter()
        .filter(|r| r["path"] == "/api/v3/customer")
        .map(|r| r["query"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(lists.len(), 3, "throttled once, then two pages: {lists:?}");
    assert!(lists[2].contains("offset=100"), "{lists:?}");
    assert!(all_items(&store.table).await.is_empty(), "compared only");
}

#[tokio::test]
async fn chargeover_refusing_the_credentials_is_a_clear_error_without_them() {
    let store = fresh_store(&local_aws().await).await;
    let (_chargeover, mut args) = chargeover_api(&[], &[]).await;
    args[3] =
        secret(&json!({"username": CHARGEOVER_USER, "password": "wrong-key"}).to_string()).await;
    let (code, stdout, stderr) =
        admin(&store, &with_args(&args, &["reconcile", "chargeover", "1"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("refused the credentials (HTTP 401)"),
        "{stderr}"
    );
    assert!(stderr.contains("CHARGEOVER_API_SECRET_ID"), "{stderr}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains("wrong-key") && !text.contains(CHARGEOVER_USER));
    }
    // Not named at all: a usage error that says how to name it.
    let (code, _, stderr) = admin(&store, &["reconcile", "chargeover", "1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--chargeover-api-url"), "{stderr}");
}

#[tokio::test]
async fn a_resent_message_that_fails_again_is_reported_not_taken_as_resent() {
    let store = fresh_store(&local_aws().await).await;
    let current = json!({"id": "or-5", "name": "Five"});
    let failed = vec![failed_message("100005", "2026-12-03T10:00:00.000Z")];
    let (occ, args) = occ_admin(std::slice::from_ref(&current), &failed).await;
    let command = [
        "--json", "occ", "failed", "resend", "--all", "--wait", "30s",
    ];
    let child = admin_command(&store, &with_args(&args, &command))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run webhook-admin");
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    // OCC tries again, fails again: the message is saved again, unmarked.
    while occ.resent().await.is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut again = failed[0].clone();
    again["savedTime"] = json!("2026-12-04T11:00:00.000Z");
    occ.set_state(&occ_state(std::slice::from_ref(&current), &[again]))
        .await;
    let output = waiting.await.unwrap().expect("webhook-admin ran");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("failed to deliver 1 resent"));
    let answer = json_of(&output);
    assert_eq!(answer["failed_again"], json!(["100005"]));
    assert_eq!(answer["still_queued"], json!([]));
}

/// Queueing stops at an error: what was queued before it is named, with the
/// reconciliation to run once OCC has resent it.
#[tokio::test]
async fn a_resend_stopped_part_way_names_what_it_queued() {
    let store = fresh_store(&local_aws().await).await;
    let failed = vec![
        failed_message("100010", "2026-12-03T10:00:00.000Z"),
        failed_message("100011", "2026-12-03T10:05:00.000Z"),
    ];
    let (occ, args) = occ_admin(&[], &failed).await;
    let rule = json!({"path_prefix": "/ccadmin/v1/webhookFailedMessages/100011", "status": 400});
    occ.fail(&rule).await;
    let command = ["--json", "occ", "failed", "resend", "--all"];
    let (code, stdout, stderr) = admin(&store, &with_args(&args, &command));
    assert_eq!(code, 1);
    assert!(stderr.contains("HTTP 400"), "{stderr}");
    assert!(
        stderr.contains("queueing 100011 failed")
            && stderr.contains("queued before it: 100010 (and perhaps 100011)"),
        "{stderr}"
    );
    assert!(stderr.contains("reconcile occ --since"), "{stderr}");
    let answer: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(answer["resent"], json!(["100010"]));
    assert_eq!(occ.resent().await, ["100010"]);
}

/// A delivery that lands between a reconciliation's read and its write is
/// newer than the document read: the reconciliation does not replace it.
#[tokio::test]
async fn an_occ_reconciliation_never_replaces_a_state_that_changed_meanwhile() {
    use occ_organization::store::CHANGED_MEANWHILE;
    use webhook_shared::receive::deadline::Deadline;
    use webhook_shared::receive::receipt::Receipt;
    use webhook_shared::storage::{Records, StoreError};

    let store = fresh_store(&local_aws().await).await;
    let read = json!({"organization": {"id": "or-6", "name": "As read"}}).to_string();
    // Compared with no state (version 0); a delivery then landed (version 1).
    let (status, _) = post_occ(
        &store,
        r#"{"organization": {"id": "or-6", "name": "Newer"}}"#,
    )
    .await;
    assert_eq!(status, 200);
    let receipt = Receipt::reconciliation(read.as_bytes(), 0, jiff::Timestamp::now(), None);
    let payload = webhook_shared::validate::json::parse(read.as_bytes()).unwrap();
    let mut delivery = occ_organization::handler::delivery(payload, &receipt).unwrap();
    delivery.replaces = Some(0);
    let written = store
        .record(&delivery, &Deadline::after(Duration::from_secs(10)))
        .await;
    assert!(
        matches!(&written, Err(StoreError::Unavailable(why)) if why == CHANGED_MEANWHILE),
        "{written:?}"
    );
    let state = admin_json(&store, &["state", "occ", "or-6"]);
    assert_eq!(state["organization"]["name"], "Newer");
}

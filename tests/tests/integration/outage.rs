//! Storage that goes away in the middle of a run: the function talks to moto
//! through a loopback proxy that the test cuts (dropping live connections)
//! and restores. Deliveries during the outage get 503 and leave nothing
//! half-written; the sender's retry afterwards applies exactly once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chargeover_main_contact::auth::TokenKeys;
use chargeover_main_contact::{handle, Receiver};
use integration_tests::{
    all_items, api_request, aws_config_for, body_json, fresh_table, local_aws, moto_endpoint,
    test_common, unreachable_bucket,
};
use jiff::tz::TimeZone;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::storage::Store;
use webhook_shared::storage::Table;

const SECRET: &str = "outage-test-secret";

/// A TCP proxy to moto that can be cut (new and live connections dropped) and restored.
struct Proxy {
    address: String,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (accept_up, accept_cut) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let target = target.clone();
                let mut cut = accept_cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy { address, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|generation| *generation += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn delivery(user_id: u64, modified: &str) -> String {
    json!({"context_str": "customer", "context_id": 9, "event": "super",
           "data": {"customer": {"customer_id": 9, "superuser_id": user_id, "mod_datetime": modified},
                    "user": {"user_id": user_id, "customer_id": 9}}})
    .to_string()
}

async fn post(receiver: &Receiver<Store>, body: &str) -> lambda_http::Response<lambda_http::Body> {
    let headers = [
        ("content-type", "application/json"),
        ("x-chargeover-key", SECRET),
    ];
    handle(
        api_request("POST", "/chargeover/customer/main-contact", &headers, body),
        receiver,
    )
    .await
}

#[tokio::test]
async fn storage_stopped_mid_run_then_back() {
    // The table lives on moto; the function reaches it only through the proxy.
    let direct = fresh_table(&local_aws().await).await;
    let target = moto_endpoint().trim_start_matches("http://").to_owned();
    let proxy = Proxy::start(target).await;
    let through_proxy = aws_sdk_dynamodb::Client::new(&aws_config_for(&proxy.address).await);
    let store = Store {
        table: Table::new(through_proxy, direct.name.clone()),
        bucket: unreachable_bucket().await,
    };
    let keys = TokenKeys::from_secret(&SecretValue::parse(SECRET).unwrap()).unwrap();
    let receiver = Receiver {
        common: test_common(store, SecretStore::fixed(keys)),
        timezone: TimeZone::UTC,
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    };

    let first = post(&receiver, &delivery(1, "2024-01-01 00:00:00")).await;
    assert_eq!(body_json(&first)["outcome"], "applied");
    let before = all_items(&direct).await;
    assert_eq!(before.len(), 2);

    proxy.cut();
    let during = delivery(2, "2024-01-02 00:00:00");
    for _ in 0..3 {
        let response = post(&receiver, &during).await;
        assert_eq!(response.status(), 503);
    }
    assert_eq!(
        all_items(&direct).await,
        before,
        "nothing written during the outage"
    );

    proxy.restore();
    let retried = post(&receiver, &during).await;
    assert_eq!(body_json(&retried)["outcome"], "applied");
    assert_eq!(
        body_json(&post(&receiver, &during).await)["outcome"],
        "duplicate"
    );
    let after = all_items(&direct).await;
    assert_eq!(after.len(), 3, "state + two events");
    let state = after
        .iter()
        .find(|item| item["sk"] == "MAIN_CONTACT")
        .unwrap();
    assert_eq!(state["version"], 2);
    assert_eq!(state["superuser_id"], 2);
}

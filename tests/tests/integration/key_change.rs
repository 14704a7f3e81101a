//! A key changed in Secrets Manager is honoured at once (an OCC key reset has
//! no overlap), and forged requests cannot drive Secrets Manager calls: a
//! refused request makes the function read its secret again at most once
//! per interval. Against moto, with the interval shortened (it is 30 s as
//! deployed).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_secretsmanager::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_secretsmanager::error::BoxError;
use chargeover_main_contact::auth::TokenKeys;
use integration_tests::{api_request, body_json, chargeover_receiver, fresh_store, local_aws};
use serde_json::json;
use webhook_shared::authenticate::secret::{SecretLocation, SecretStore};

const INTERVAL: Duration = Duration::from_millis(300);
const PATH: &str = "/chargeover/customer/main-contact";

/// Counts the requests a Secrets Manager client sends.
#[derive(Debug, Clone, Default)]
struct Reads(Arc<AtomicUsize>);

impl Reads {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Intercept for Reads {
    fn name(&self) -> &'static str {
        "Reads"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A ChargeOver delivery for customer `id`, authenticated with `token`.
async fn deliver(
    receiver: &chargeover_main_contact::Receiver<webhook_shared::storage::Store>,
    id: u64,
    token: &str,
) -> (u16, Option<String>) {
    let body = json!({"context_str": "customer", "context_id": id, "event": "super",
        "data": {"customer": {"customer_id": id, "company": "Key change"}},
        "security_token": token})
    .to_string();
    let request = api_request(
        "POST",
        PATH,
        &[
            ("content-type", "application/json"),
            ("x-chargeover-key", token),
        ],
        &body,
    );
    let response = chargeover_main_contact::handle(request, receiver).await;
    let outcome = body_json(&response)["outcome"].as_str().map(str::to_owned);
    (response.status().as_u16(), outcome)
}

#[tokio::test]
async fn a_changed_secret_is_honoured_and_forged_requests_read_it_once_an_interval() {
    let aws = local_aws().await;
    let store = fresh_store(&aws).await;
    let secret_id = format!("key-change-{}", std::process::id());
    let setup = aws_sdk_secretsmanager::Client::new(&aws);
    setup
        .create_secret()
        .name(&secret_id)
        .secret_string("the-old-token-0123456789")
        .send()
        .await
        .expect("create secret");

    let reads = Reads::default();
    let config = aws_sdk_secretsmanager::config::Builder::from(&aws)
        .interceptor(reads.clone())
        .build();
    let location = SecretLocation::SecretsManager {
        secret_id: secret_id.clone(),
    };
    let keys = SecretStore::<TokenKeys>::load(&location, || {
        aws_sdk_secretsmanager::Client::from_conf(config)
    })
    .await
    .expect("load the secret")
    .recheck_after(INTERVAL);
    let mut receiver = chargeover_receiver(&store, "unused");
    receiver.common.keys = keys;
    assert_eq!(reads.count(), 1, "read at start-up");
    assert_eq!(
        deliver(&receiver, 1, "the-old-token-0123456789").await,
        (200, Some("applied".into()))
    );

    // The sender's key changes, with no overlap.
    setup
        .put_secret_value()
        .secret_id(&secret_id)
        .secret_string("the-new-token-9876543210")
        .send()
        .await
        .expect("change the secret");
    tokio::time::sleep(INTERVAL).await;
    assert_eq!(
        deliver(&receiver, 2, "the-new-token-9876543210").await,
        (200, Some("applied".into())),
        "the next delivery with the new key"
    );
    assert_eq!(reads.count(), 2, "read once more, for that delivery");
    assert_eq!(
        deliver(&receiver, 3, "the-old-token-0123456789").await.0,
        401
    );

    // Bursts of forged requests: at most one read an interval, however long
    // a burst takes on this machine.
    for burst in 0..2 {
        tokio::time::sleep(INTERVAL).await;
        let (before, started) = (reads.count(), Instant::now());
        for n in 0..40 {
            assert_eq!(
                deliver(&receiver, 100 * (burst + 1) + n, "forged").await.0,
                401
            );
        }
        let intervals = (started.elapsed().as_millis() / INTERVAL.as_millis()) as usize;
        let read = reads.count() - before;
        assert!(read >= 1, "the first refusal reads the secret again");
        assert!(
            read <= 1 + intervals,
            "{read} reads in {intervals} intervals"
        );
    }
    assert_eq!(
        deliver(&receiver, 4, "the-new-token-9876543210").await,
        (200, Some("applied".into()))
    );
}

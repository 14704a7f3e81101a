//! Every file in events/ through its function's handler, in order, with the
//! local development secrets: each gets the status (and outcome) expected.json names.

use chargeover_main_contact::auth::TokenKeys;
use integration_tests::{body_json, fresh_table, local_aws, local_secret, sample_events};
use jiff::tz::TimeZone;
use occ_organization::auth::{Algorithms, HmacKeys};
use webhook_shared::secret::{SecretStore, SecretValue, WebhookKeys};

#[tokio::test]
async fn every_sample_event_gets_its_status() {
    let table = fresh_table(&local_aws().await).await;
    let chargeover = chargeover_main_contact::Receiver {
        store: table.clone(),
        keys: SecretStore::fixed(
            TokenKeys::from_secret(
                &SecretValue::parse(&local_secret("LOCAL_CHARGEOVER_SECRET")).unwrap(),
            )
            .unwrap(),
        ),
        timezone: TimeZone::get("America/Chicago").unwrap(),
        max_body_bytes: 1024 * 1024,
        retention_days: None,
    };
    let occ = occ_organization::Receiver {
        store: table.clone(),
        keys: SecretStore::fixed(
            HmacKeys::from_secret(&SecretValue::parse(&local_secret("LOCAL_OCC_SECRET")).unwrap())
                .unwrap(),
        ),
        algorithms: Algorithms::ALL,
        max_body_bytes: 1024 * 1024,
        retention_days: None,
    };

    let events = sample_events();
    assert!(events.len() >= 8, "events/ has samples for both functions");
    for event in events {
        let response = match event.function.as_str() {
            "chargeover-main-contact" => {
                chargeover_main_contact::handle(event.request, &chargeover).await
            }
            "occ-organization" => occ_organization::handle(event.request, &occ).await,
            other => panic!("{}: unknown function {other}", event.name),
        };
        assert_eq!(response.status().as_u16(), event.status, "{}", event.name);
        if let Some(outcome) = event.outcome {
            assert_eq!(
                body_json(&response)["outcome"],
                outcome.as_str(),
                "{}",
                event.name
            );
        }
    }
}

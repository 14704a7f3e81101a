//! Every file in events/ through its function's handler, in order, with the
//! local development secrets: each gets the status (and outcome) expected.json names.

use integration_tests::{
    body_json, chargeover_receiver, fresh_store, local_aws, local_secret, occ_receiver,
    sample_events,
};

#[tokio::test]
async fn every_sample_event_gets_its_status() {
    let store = fresh_store(&local_aws().await).await;
    let chargeover = chargeover_receiver(&store, &local_secret("LOCAL_CHARGEOVER_SECRET"));
    let occ = occ_receiver(&store, &local_secret("LOCAL_OCC_SECRET"));

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

//! Any bytes through the ChargeOver body pipeline: strict parse, redaction,
//! typed validation. Must never panic; a valid change serialises back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook_shared::model::chargeover::MainContactChange;
use webhook_shared::redact::redact;

fuzz_target!(|data: &[u8]| {
    let Ok(mut body) = webhook_shared::json::parse(data) else {
        return;
    };
    redact(&mut body);
    let _ = webhook_shared::storage::unstorable_numbers(&body);
    match MainContactChange::from_json(body) {
        Ok(change) => {
            assert!(
                change.customer_id > 0,
                "a valid change has a positive customer id"
            );
            serde_json::to_value(&change.customer).expect("customer serialises");
            if let Some(contact) = &change.contact {
                let contact = serde_json::to_value(contact).expect("contact serialises");
                assert!(contact.get("password").is_none(), "password never kept");
            }
        }
        Err(errors) => assert!(!errors.is_empty(), "a refusal names its problems"),
    }
});

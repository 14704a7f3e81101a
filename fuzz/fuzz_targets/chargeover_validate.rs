//! Any bytes through the ChargeOver body pipeline: strict parse, redaction,
//! typed validation, stored form. Must never panic; a valid change never keeps a password.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook_shared::storage::attribute::ToAttribute;
use webhook_shared::validate::model::chargeover::MainContactChange;
use webhook_shared::validate::redact::redact;

fuzz_target!(|data: &[u8]| {
    let Ok(mut body) = webhook_shared::validate::json::parse(data) else {
        return;
    };
    redact(&mut body);
    let _ = webhook_shared::validate::model::unstorable_numbers(&body);
    match MainContactChange::read(&body) {
        Ok(change) => {
            assert!(
                change.customer_id > 0,
                "a valid change has a positive customer id"
            );
            let _ = change.customer.to_attribute();
            if let Some(contact) = &change.contact {
                let contact = contact.to_members();
                assert!(!contact.contains_key("password"), "password never kept");
            }
        }
        Err(errors) => assert!(!errors.is_empty(), "a refusal names its problems"),
    }
});

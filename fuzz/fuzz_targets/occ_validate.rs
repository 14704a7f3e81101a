//! Any bytes through the OCC body pipeline: strict parse, redaction, typed
//! validation. Must never panic; a valid change has a non-empty id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook_shared::validate::model::occ::OrganizationChange;
use webhook_shared::validate::redact::redact;

fuzz_target!(|data: &[u8]| {
    let Ok(mut body) = webhook_shared::validate::json::parse(data) else {
        return;
    };
    redact(&mut body);
    let _ = webhook_shared::validate::model::unstorable_numbers(&body);
    match OrganizationChange::read(&body) {
        Ok(change) => {
            assert!(
                !change.organization_id.is_empty(),
                "a valid change has an id"
            );
            let _ = change.organization.to_members();
        }
        Err(errors) => assert!(!errors.is_empty(), "a refusal names its problems"),
    }
});

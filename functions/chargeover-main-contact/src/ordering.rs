//! ChargeOver's ordering rule. ChargeOver never orders its deliveries, so
//! each carries its customer's `mod_datetime`, and the stored state is
//! replaced only by a change that is not older: compared as instants at full
//! precision (an offset-less time read in the account's zone), by DynamoDB,
//! in the state item's write condition.

use jiff::tz::TimeZone;
use webhook_shared::storage::attribute::s;
use webhook_shared::storage::Changes;
use webhook_shared::validate::model::SourceDateTime;

/// The attribute the stored change's instant is kept in.
pub const ATTRIBUTE: &str = "source_modified_at";

/// The instant as stored to order deliveries by: RFC 3339 in UTC with every
/// fractional digit (nanoseconds), always the same width, so that comparing
/// the texts (as a DynamoDB condition does) compares the instants.
pub fn order_key(modified: &SourceDateTime, zone: &TimeZone) -> String {
    modified
        .instant(zone)
        .strftime("%Y-%m-%dT%H:%M:%S%.9fZ")
        .to_string()
}

/// The state write's condition for a change modified at `key`: not older
/// than the stored change; a state without a time (or none) takes it.
/// Earlier versions stored whole seconds (`...:22Z`): a change in that same
/// second is not known to be older, so it applies.
pub fn not_older(changes: &mut Changes, key: &str) -> String {
    let name = changes.name(ATTRIBUTE);
    let incoming = changes.value(s(key));
    let whole_second = changes.value(s(whole_second(key)));
    format!("attribute_not_exists({name}) OR {name} <= {incoming} OR {name} = {whole_second}")
}

/// Whether a change at `key` is older than the stored change at `stored`
/// ("": none stored), by the same rule as [`not_older`]'s condition: for a
/// reader of the state (`webhook-admin reconcile`).
pub fn is_older(key: &str, stored: &str) -> bool {
    !stored.is_empty() && key < stored && stored != whole_second(key)
}

/// `2017-10-05T22:51:22.500000000Z` as earlier versions stored it:
/// `2017-10-05T22:51:22Z`.
fn whole_second(key: &str) -> String {
    key.split_once('.')
        .map_or_else(|| key.to_owned(), |(seconds, _)| format!("{seconds}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use webhook_shared::validate::model::FieldKind;

    fn datetime(text: &'static str) -> SourceDateTime<'static> {
        let value = Box::leak(Box::new(s(text)));
        match SourceDateTime::read(value) {
            Some(datetime) => datetime,
            None => panic!("{text} is a datetime"),
        }
    }

    #[test]
    fn keys_are_instants_at_full_precision_in_fixed_width() {
        let chicago = TimeZone::get("America/Chicago").unwrap();
        let utc = datetime("2022-10-25T13:50:45Z");
        let fraction = datetime("2022-10-25T13:50:45.5Z");
        assert_eq!(
            order_key(&fraction, &chicago),
            "2022-10-25T13:50:45.500000000Z"
        );
        assert_eq!(order_key(&utc, &chicago), "2022-10-25T13:50:45.000000000Z");
        assert!(order_key(&utc, &chicago) < order_key(&fraction, &chicago));
        // An offset-less time is the account's wall clock.
        assert_eq!(
            order_key(&datetime("2017-10-05 17:51:22"), &chicago),
            "2017-10-05T22:51:22.000000000Z"
        );
    }

    #[test]
    fn a_change_in_the_same_whole_second_as_an_old_key_applies() {
        assert_eq!(
            whole_second("2017-10-05T22:51:22.500000000Z"),
            "2017-10-05T22:51:22Z"
        );
        assert_eq!(whole_second("2017-10-05T22:51:22Z"), "2017-10-05T22:51:22Z");
        // What the condition lets through, a reader of the state lets through.
        let key = "2017-10-05T22:51:22.000000000Z";
        assert!(!is_older(key, "2017-10-05T22:51:22Z"));
        assert!(!is_older(key, key));
        assert!(!is_older(key, ""));
        assert!(is_older(key, "2017-10-05T22:51:22.000000001Z"));
        assert!(is_older(key, "2017-10-05T22:51:23Z"));
    }
}

//! ChargeOver "The main contact is changed" (`context_str` = customer,
//! `event` = super): every field of the published schema.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    payload_model, DeliveryMethod, Field, FieldError, FieldKind, Flag, Id, Money, Pointer,
    Problems, Secret, SourceDateTime, Tags, Text,
};

payload_model! {
    /// The whole delivery. `security_token` is read for authentication and
    /// removed before the payload is typed, so it is never stored.
    pub struct CustomerSuperEvent<'a> {
        context_str: Text<'a>,
        context_id: Id,
        event: Text<'a>,
        /// Where `user_id` sits is not settled by the docs: here or in `data`.
        user_id: Id,
        data: CustomerSuperData<'a>,
        security_token: Secret,
    }

    pub struct CustomerSuperData<'a> {
        user_id: Id,
        customer: Customer<'a>,
        user: Contact<'a>,
    }

    /// `data.customer`. Custom fields beyond `custom_20` (up to `custom_50`
    /// on other pages) are kept as unknown fields.
    pub struct Customer<'a> {
        customer_id: Id,
        parent_customer_id: Id,
        token: Text<'a>,
        superuser_id: Id,
        external_key: Text<'a>,
        display_as: Text<'a>,
        company: Text<'a>,
        language_id: Id,
        currency_id: Id,
        currency_iso4217: Text<'a>,
        currency_symbol: Text<'a>,
        class_id: Id,
        admin_id: Id,
        campaign_id: Id,
        campaign_details: Text<'a>,
        superuser_username: Text<'a>,
        superuser_email: Text<'a>,
        superuser_name: Text<'a>,
        superuser_first_name: Text<'a>,
        superuser_last_name: Text<'a>,
        superuser_phone: Text<'a>,
        superuser_token: Text<'a>,
        superuser_title: Text<'a>,
        bill_addr1: Text<'a>,
        bill_addr2: Text<'a>,
        bill_addr3: Text<'a>,
        bill_city: Text<'a>,
        bill_state: Text<'a>,
        bill_postcode: Text<'a>,
        bill_country: Text<'a>,
        bill_block: Text<'a>,
        ship_addr1: Text<'a>,
        ship_addr2: Text<'a>,
        ship_addr3: Text<'a>,
        ship_city: Text<'a>,
        ship_state: Text<'a>,
        ship_postcode: Text<'a>,
        ship_country: Text<'a>,
        ship_block: Text<'a>,
        custom_1: Text<'a>,
        custom_2: Text<'a>,
        custom_3: Text<'a>,
        custom_4: Text<'a>,
        custom_5: Text<'a>,
        custom_6: Text<'a>,
        custom_7: Text<'a>,
        custom_8: Text<'a>,
        custom_9: Text<'a>,
        custom_10: Text<'a>,
        custom_11: Text<'a>,
        custom_12: Text<'a>,
        custom_13: Text<'a>,
        custom_14: Text<'a>,
        custom_15: Text<'a>,
        custom_16: Text<'a>,
        custom_17: Text<'a>,
        custom_18: Text<'a>,
        custom_19: Text<'a>,
        custom_20: Text<'a>,
        write_datetime: SourceDateTime<'a>,
        write_ipaddr: Text<'a>,
        mod_datetime: SourceDateTime<'a>,
        mod_ipaddr: Text<'a>,
        brand_id: Id,
        class_name: Text<'a>,
        terms_id: Id,
        terms_name: Text<'a>,
        terms_days: Id,
        url_statementlink: Text<'a>,
        url_paymethodlink: Text<'a>,
        url_self: Text<'a>,
        admin_name: Text<'a>,
        admin_email: Text<'a>,
        customer_status_id: Id,
        customer_status_name: Text<'a>,
        customer_status_str: Text<'a>,
        customer_status_state: Text<'a>,
        default_paymethod: Text<'a>,
        default_creditcard_id: Id,
        default_ach_id: Id,
        no_taxes: Flag,
        no_dunning: Flag,
        no_latefees: Flag,
        no_procfees: Flag,
        invoice_delivery: DeliveryMethod<'a>,
        dunning_delivery: DeliveryMethod<'a>,
        tax_ident: Text<'a>,
        total: Money<'a>,
        balance: Money<'a>,
        paid: Money<'a>,
        mrr: Money<'a>,
        arr: Money<'a>,
        tags: Tags<'a>,
    }

    /// `data.user`: the customer's main contact.
    pub struct Contact<'a> {
        user_id: Id,
        external_key: Text<'a>,
        token: Text<'a>,
        username: Text<'a>,
        /// Removed before typing and never stored; listed because the schema has it.
        password: Secret,
        name: Text<'a>,
        first_name: Text<'a>,
        middle_name_glob: Text<'a>,
        last_name: Text<'a>,
        name_suffix: Text<'a>,
        display_as: Text<'a>,
        title: Text<'a>,
        email: Text<'a>,
        phone: Text<'a>,
        mobile: Text<'a>,
        user_type_id: Id,
        user_type_name: Text<'a>,
        customer_id: Id,
        custom_1: Text<'a>,
        custom_2: Text<'a>,
        custom_3: Text<'a>,
        custom_4: Text<'a>,
        custom_5: Text<'a>,
        custom_6: Text<'a>,
        custom_7: Text<'a>,
        custom_8: Text<'a>,
        custom_9: Text<'a>,
        custom_10: Text<'a>,
        custom_11: Text<'a>,
        custom_12: Text<'a>,
        custom_13: Text<'a>,
        custom_14: Text<'a>,
        custom_15: Text<'a>,
        custom_16: Text<'a>,
        custom_17: Text<'a>,
        custom_18: Text<'a>,
        custom_19: Text<'a>,
        custom_20: Text<'a>,
        write_datetime: SourceDateTime<'a>,
        mod_datetime: SourceDateTime<'a>,
        url_self: Text<'a>,
    }
}

/// A validated "main contact changed" delivery, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct MainContactChange<'a> {
    pub customer_id: u64,
    pub customer: Customer<'a>,
    /// `data.user`; `None` when absent or null.
    pub contact: Option<Contact<'a>>,
    /// The main contact's user id: `data.customer.superuser_id`, else
    /// `data.user.user_id`, else `user_id` (in `data` or at the top level),
    /// the first that is non-zero; `None` when none is.
    pub superuser_id: Option<u64>,
}

impl<'a> MainContactChange<'a> {
    /// Types and validates a parsed (and already redacted) body.
    pub fn read(body: &'a AttributeValue) -> Result<Self, Vec<FieldError>> {
        let root = Pointer::Root;
        let mut problems = Problems::default();
        let event = match Field::<CustomerSuperEvent>::read(body) {
            Field::Value(event) => event,
            _ => {
                problems.push(&root, "the body must be a JSON object");
                return Err(problems.into_vec());
            }
        };
        event.check_nested(&root, &mut problems);

        expect_text(
            &event.context_str,
            "customer",
            &root.key("context_str"),
            &mut problems,
        );
        expect_text(&event.event, "super", &root.key("event"), &mut problems);

        let (context_id, context_id_at) = (&event.context_id, root.key("context_id"));
        context_id.check_present(&context_id_at, &mut problems);
        if context_id.value() == Some(&Id(0)) {
            problems.push(&context_id_at, "must be a positive integer");
        }

        let data_at = root.key("data");
        event.data.check_present(&data_at, &mut problems);
        let data = event.data.into_value().unwrap_or_default();

        let customer_at = data_at.key("customer");
        data.customer.check_present(&customer_at, &mut problems);
        let customer = data.customer.into_value();
        let customer_id_at = customer_at.key("customer_id");
        let customer_id = customer.as_ref().and_then(|customer| {
            customer
                .customer_id
                .check_present(&customer_id_at, &mut problems);
            // A wrong type has been reported by the type check.
            let id = customer.customer_id.value()?;
            if context_id.value().is_some_and(|context| context != id) {
                problems.push(&customer_id_at, "must equal context_id");
                return None;
            }
            Some(id.0)
        });

        let contact = data.user.into_value();
        if let (Some(contact), Some(customer_id)) = (&contact, customer_id) {
            if matches!(contact.customer_id.value(), Some(id) if id.0 != customer_id) {
                problems.push(
                    &data_at.key("user").key("customer_id"),
                    "must equal the customer's customer_id",
                );
            }
        }

        match (customer, customer_id) {
            (Some(customer), Some(customer_id)) if problems.is_empty() => Ok(MainContactChange {
                customer_id,
                superuser_id: main_contact_id(&[
                    &customer.superuser_id,
                    contact.as_ref().map_or(&Field::Absent, |c| &c.user_id),
                    &data.user_id,
                    &event.user_id,
                ]),
                customer,
                contact,
            }),
            // Without either, a problem says why.
            _ => Err(problems.into_vec()),
        }
    }

    /// The source's modification time of the customer, when sent.
    pub fn modified(&self) -> Option<&SourceDateTime<'a>> {
        self.customer.mod_datetime.value()
    }

    /// Enumerated fields carrying a value the schema does not list, for a warning.
    pub fn unknown_choices(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("invoice_delivery", &self.customer.invoice_delivery),
            ("dunning_delivery", &self.customer.dunning_delivery),
        ]
        .into_iter()
        .filter_map(|(name, field)| Some((name, field.value().filter(|c| !c.is_known())?.0)))
    }
}

/// The main contact's user id: the first of `candidates` that is a non-zero
/// id (ChargeOver writes 0 for "no main contact").
fn main_contact_id(candidates: &[&Field<'_, Id>]) -> Option<u64> {
    candidates
        .iter()
        .filter_map(|field| field.value())
        .map(|id| id.0)
        .find(|&id| id != 0)
}

fn expect_text(
    field: &Field<'_, Text<'_>>,
    expected: &str,
    at: &Pointer<'_>,
    problems: &mut Problems,
) {
    match field.value() {
        Some(value) if *value == expected => {}
        _ => problems.push(at, format!("must be \"{expected}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::json::tests::attr;
    use serde_json::{json, Value};

    fn sample() -> Value {
        json!({
            "context_str": "customer",
            "context_id": 413,
            "event": "super",
            "data": {
                "customer": {
                    "customer_id": 413, "superuser_id": 770, "company": "Acme",
                    "mod_datetime": "2017-10-05 17:51:22", "total": 3400, "balance": 4103.5,
                    "tags": ["vip"], "no_taxes": false, "invoice_delivery": "email",
                    "write_ipaddr": null, "external_key": "", "custom_37": "kept"
                },
                "user": {"user_id": 770, "customer_id": 413, "email": "a@example.com"}
            }
        })
    }

    fn pointers(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.pointer.as_str()).collect()
    }

    #[test]
    fn typical_delivery_validates() {
        let body = attr(sample());
        let change = MainContactChange::read(&body).unwrap();
        assert_eq!(change.customer_id, 413);
        assert_eq!(change.superuser_id, Some(770));
        assert_eq!(change.customer.extra, [("custom_37", &attr(json!("kept")))]);
        assert_eq!(change.customer.write_ipaddr, Field::Null);
        assert_eq!(
            change.contact.as_ref().unwrap().user_id.value(),
            Some(&Id(770))
        );
        assert_eq!(change.modified().unwrap().as_str(), "2017-10-05 17:51:22");
    }

    /// The fixtures hold every field of the seed document (`data.customer`:
    /// 93, `data.user`: 41), plus one custom field beyond the documented ones.
    #[test]
    fn every_documented_field_parses() {
        let fixture = |name: &str| -> Value {
            let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let customer = fixture("chargeover-customer.json");
        let mut contact = fixture("chargeover-user.json");
        contact.as_object_mut().unwrap().remove("password");
        let body = attr(
            json!({"context_str": "customer", "context_id": 413, "event": "super",
                               "user_id": 7, "data": {"user_id": 7, "customer": customer, "user": contact}}),
        );
        let change = MainContactChange::read(&body).unwrap();
        // Every documented field landed in a typed field, only custom_37 in `extra`.
        let extra: Vec<&str> = change
            .customer
            .extra
            .iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(extra, ["custom_37"]);
        let read_contact = change.contact.as_ref().unwrap();
        assert!(read_contact.extra.is_empty(), "{:?}", read_contact.extra);
        // And every field is stored.
        let stored = change.customer.to_members();
        for name in customer.as_object().unwrap().keys() {
            assert!(stored.contains_key(name), "{name} is kept");
        }
        assert_eq!(
            read_contact.to_members().len(),
            contact.as_object().unwrap().len()
        );
    }

    #[test]
    fn lenient_forms_of_real_payloads() {
        let mut body = sample();
        body["context_id"] = json!("413");
        body["data"]["customer"]["customer_id"] = json!("413");
        body["data"]["customer"]["superuser_id"] = json!(0);
        body["data"]["customer"]["mod_datetime"] = json!("2022-10-25T08:50:45-05:00");
        body["data"]["customer"]["invoice_delivery"] = json!("fax");
        body["data"].as_object_mut().unwrap().remove("user");
        let body = attr(body);
        let change = MainContactChange::read(&body).unwrap();
        assert_eq!(change.customer_id, 413);
        assert_eq!(change.superuser_id, None);
        assert_eq!(change.contact, None);
        assert_eq!(
            change.unknown_choices().collect::<Vec<_>>(),
            [("invoice_delivery", "fax")]
        );
        // A null user is "no contact" too.
        let mut body = sample();
        body["data"]["user"] = Value::Null;
        assert_eq!(MainContactChange::read(&attr(body)).unwrap().contact, None);
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let mut body = sample();
        body["event"] = json!("delete");
        body["data"]["customer"]["total"] = json!("12.50");
        body["data"]["customer"]["tags"] = json!("vip");
        body["data"]["customer"]["no_taxes"] = json!("maybe");
        body["data"]["customer"]["mod_datetime"] = json!("last tuesday");
        body["data"]["user"]["user_id"] = json!("abc");
        let errors = MainContactChange::read(&attr(body)).unwrap_err();
        assert_eq!(
            pointers(&errors),
            [
                "/data/customer/mod_datetime",
                "/data/customer/no_taxes",
                "/data/customer/total",
                "/data/customer/tags",
                "/data/user/user_id",
                "/event",
            ]
        );
    }

    #[test]
    fn ids_must_be_present_and_agree() {
        let mut body = sample();
        body["context_id"] = json!(414);
        body["data"]["user"]["customer_id"] = json!(999);
        let errors = MainContactChange::read(&attr(body)).unwrap_err();
        assert_eq!(pointers(&errors), ["/data/customer/customer_id"]);

        let mut body = sample();
        body["data"]["user"]["customer_id"] = json!(999);
        let errors = MainContactChange::read(&attr(body)).unwrap_err();
        assert_eq!(pointers(&errors), ["/data/user/customer_id"]);

        let mut body = sample();
        body.as_object_mut().unwrap().remove("context_id");
        body["data"]["customer"]
            .as_object_mut()
            .unwrap()
            .remove("customer_id");
        let errors = MainContactChange::read(&attr(body)).unwrap_err();
        assert_eq!(
            pointers(&errors),
            ["/context_id", "/data/customer/customer_id"]
        );

        let mut body = sample();
        body["context_id"] = json!(0);
        body["data"]["customer"]["customer_id"] = json!(0);
        let errors = MainContactChange::read(&attr(body)).unwrap_err();
        assert_eq!(pointers(&errors), ["/context_id", "/data/user/customer_id"]);
    }

    #[test]
    fn a_context_id_of_the_wrong_type_is_reported_once() {
        for wrong in [json!("abc"), json!(-3), json!([413]), json!(413.5)] {
            let mut body = sample();
            body["context_id"] = wrong.clone();
            let errors = MainContactChange::read(&attr(body)).unwrap_err();
            assert_eq!(pointers(&errors), ["/context_id"], "{wrong}");
        }
    }

    #[test]
    fn the_main_contact_id_is_the_first_non_zero_candidate() {
        let with = |superuser: Value, user: Option<Value>, data_user: Value, top_user: Value| {
            let mut body = sample();
            body["data"]["customer"]["superuser_id"] = superuser;
            match user {
                Some(user_id) => body["data"]["user"]["user_id"] = user_id,
                None => {
                    body["data"].as_object_mut().unwrap().remove("user");
                }
            }
            body["data"]["user_id"] = data_user;
            body["user_id"] = top_user;
            MainContactChange::read(&attr(body)).unwrap().superuser_id
        };
        let absent = Value::Null;
        assert_eq!(
            with(json!(770), Some(json!(771)), json!(772), json!(773)),
            Some(770)
        );
        assert_eq!(
            with(json!(0), Some(json!(771)), json!(772), json!(773)),
            Some(771)
        );
        assert_eq!(
            with(json!(0), Some(json!("0")), json!(772), json!(773)),
            Some(772)
        );
        assert_eq!(with(json!(""), None, json!(0), json!("773")), Some(773));
        assert_eq!(with(json!(0), None, absent.clone(), absent), None);
    }

    #[test]
    fn wrong_shapes() {
        for (body, expected) in [
            (json!([]), vec![""]),
            (
                json!({"context_str": "customer", "context_id": 1, "event": "super"}),
                vec!["/data", "/data/customer"],
            ),
            (
                json!({"context_str": "customer", "context_id": 1, "event": "super", "data": {"customer": [], "user": 5}}),
                vec!["/data/customer", "/data/user"],
            ),
        ] {
            let errors = MainContactChange::read(&attr(body)).unwrap_err();
            assert_eq!(pointers(&errors), expected);
        }
    }
}

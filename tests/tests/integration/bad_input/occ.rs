//! OCC's crafted requests, and a signature of another body.

use super::*;
use webhook_shared::pipeline::Common;

// ------------------------------------------------------------------------ OCC

pub(super) fn occ_base() -> Value {
    let path = format!(
        "{}/../shared/fixtures/occ-organization-seed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut base: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let contract = json!({"repositoryId": "c1", "catalog": {"repositoryId": "cat1"},
        "priceListGroup": {"repositoryId": "plg1"}, "terms": {"repositoryId": "t1", "terms": "Net 30"}});
    for (name, value) in [
        ("repositoryId", json!("or-300007")),
        ("externalOrganizationId", json!("ext-300007")),
        (
            "parentOrganization",
            json!({"id": "or-1", "repositoryId": "or-1", "name": "Parent",
            "active": true, "externalOrganizationId": "ext-1"}),
        ),
        (
            "ancestorOrganizations",
            json!([{"id": "or-1", "repositoryId": "or-1", "name": "Parent"}]),
        ),
        (
            "members",
            json!([{"customerContactId": "cc1", "repositoryId": "u1"}]),
        ),
        (
            "secondaryMembers",
            json!([{"customerContactId": "cc2", "repositoryId": "u2"}]),
        ),
        (
            "secondaryAddresses",
            json!([{"address": {"repositoryId": "a1", "city": "Austin",
            "externalAddressId": "xa1",
            "types": [{"id": "SHIPPING", "repositoryId": "t1", "displayName": "Shipping"}]},
            "addressType": "HQ"}]),
        ),
        (
            "shippingMethods",
            json!([{"id": "sm1", "displayName": "Ground"}]),
        ),
        (
            "derivedShippingMethods",
            json!([{"id": "sm2", "displayName": "Air"}]),
        ),
        (
            "siteOrganizationProperties",
            json!([{"properties": {"approvalRequired": false,
            "shippingMethods": [{"id": "sm3"}], "contract": {"repositoryId": "c2"}},
            "site": {"siteId": "siteUS"}}]),
        ),
        ("contract", contract),
        (
            "billingAddress",
            json!({"repositoryId": "ba1", "city": "Austin", "externalAddressId": "xb1"}),
        ),
        ("orderPriceLimit", json!(2500)),
    ] {
        base["organization"][name] = value;
    }
    base
}

pub(super) fn occ_receiver(store: &Store) -> occ_organization::Receiver<Store> {
    use occ_organization::auth::{Algorithms, HmacKeys};
    let keys = HmacKeys::from_secret(&SecretValue::parse(OCC_KEY_TEXT).unwrap()).unwrap();
    occ_organization::Receiver {
        common: Common {
            store: store.clone(),
            keys: SecretStore::fixed(keys),
            max_body_bytes: MAX_BODY_BYTES,
            retention_days: None,
            metrics: test_metrics(),
        },
        algorithms: Algorithms::ALL,
    }
}

fn occ_key() -> Vec<u8> {
    STANDARD.decode(OCC_KEY_TEXT).unwrap()
}

pub(super) fn sign512(body: &[u8]) -> String {
    hmac_base64(HMAC_SHA512, &occ_key(), body)
}

fn sign256(body: &[u8]) -> String {
    hmac_base64(HMAC_SHA256, &occ_key(), body)
}

fn signed(case: Case) -> Case {
    let signature = sign512(&case.body);
    case.header("x-oracle-cc-webhook-signature-sha512", &signature)
}

/// Every OCC id (all strings in the model).
const OCC_IDS: &[&str] = &[
    "/organization/id",
    "/organization/repositoryId",
    "/organization/externalOrganizationId",
    "/organization/uniqueId",
    "/organization/derivedUniqueId",
    "/organization/parentOrganization/id",
    "/organization/parentOrganization/repositoryId",
    "/organization/parentOrganization/externalOrganizationId",
    "/organization/ancestorOrganizations/0/id",
    "/organization/ancestorOrganizations/0/repositoryId",
    "/organization/members/0/repositoryId",
    "/organization/members/0/customerContactId",
    "/organization/secondaryMembers/0/repositoryId",
    "/organization/relativeRoles/0/repositoryId",
    "/organization/secondaryAddresses/0/address/repositoryId",
    "/organization/secondaryAddresses/0/address/externalAddressId",
    "/organization/secondaryAddresses/0/address/types/0/id",
    "/organization/secondaryAddresses/0/address/types/0/repositoryId",
    "/organization/shippingMethods/0/id",
    "/organization/derivedShippingMethods/0/id",
    "/organization/siteOrganizationProperties/0/site/siteId",
    "/organization/siteOrganizationProperties/0/properties/shippingMethods/0/id",
    "/organization/siteOrganizationProperties/0/properties/contract/repositoryId",
    "/organization/contract/repositoryId",
    "/organization/contract/catalog/repositoryId",
    "/organization/contract/priceListGroup/repositoryId",
    "/organization/contract/terms/repositoryId",
    "/organization/billingAddress/repositoryId",
    "/organization/billingAddress/externalAddressId",
];

/// Where `_actionCode` may sit.
const OCC_ACTION_CODES: &[&str] = &[
    "/organization/relativeRoles/0/_actionCode",
    "/organization/members/0/_actionCode",
    "/organization/secondaryMembers/0/_actionCode",
    "/organization/secondaryAddresses/0/address/_actionCode",
    "/organization/secondaryAddresses/0/address/types/0/_actionCode",
    "/organization/shippingMethods/0/_actionCode",
    "/organization/siteOrganizationProperties/0/properties/_actionCode",
    "/organization/parentOrganization/_actionCode",
    "/organization/ancestorOrganizations/0/_actionCode",
];

fn occ_cases() -> Vec<Case> {
    let base = occ_base();
    let mut cases = Vec::new();

    // Ids are strings: numbers (numbers as ids), booleans, arrays, objects are not.
    for pointer in OCC_IDS {
        for (n, bad) in [
            json!(300007),
            json!(0),
            json!(-1),
            json!(4.5),
            json!(1e20),
            json!(true),
            json!([]),
            json!(["or-1"]),
            json!({}),
            json!({"id": "or-1"}),
        ]
        .into_iter()
        .enumerate()
        {
            cases.push(
                signed(Case::new(
                    format!("id {pointer} bad #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    for pointer in OCC_ACTION_CODES {
        for (n, bad) in [
            json!("create"),
            json!("MERGE"),
            json!(""),
            json!(1),
            json!(["CREATE"]),
        ]
        .into_iter()
        .enumerate()
        {
            cases.push(
                signed(Case::new(
                    format!("action {pointer} bad #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    let typed: Vec<(&str, Vec<Value>)> = vec![
        (
            "/organization/active",
            vec![json!("sometimes"), json!(2), json!("yes")],
        ),
        ("/organization/approvalRequired", vec![json!("no")]),
        (
            "/organization/secondaryAddressesIsTruncated",
            vec![json!("maybe"), json!([])],
        ),
        ("/organization/useExternalApprovalWebhook", vec![json!({})]),
        (
            "/organization/useAllShippingMethodsFromSite",
            vec![json!(1), json!([])],
        ),
        (
            "/organization/orderPriceLimit",
            vec![json!(true), json!({"amount": 1})],
        ),
        ("/organization/name", vec![json!(5), json!(false)]),
        ("/organization/description", vec![json!(true)]),
        ("/organization/type", vec![json!(1)]),
        ("/organization/customerType", vec![json!([])]),
        ("/organization/members", vec![json!({}), json!("u1")]),
        (
            "/organization/relativeRoles",
            vec![json!("admin"), json!(5)],
        ),
        ("/organization/relativeRoles/0", vec![json!(5), json!("r1")]),
        ("/organization/secondaryAddresses", vec![json!({})]),
        ("/organization/shippingMethods", vec![json!(5)]),
        ("/organization/ancestorOrganizations", vec![json!("or-1")]),
        ("/organization/paymentMethods", vec![json!("card")]),
        ("/organization/allSecondaryAddresses", vec![json!([])]),
        ("/organization/contract", vec![json!("c1")]),
        ("/organization/contract/terms", vec![json!(30)]),
        ("/organization/contract/terms/terms", vec![json!(30)]),
        ("/organization/billingAddress", vec![json!([])]),
        ("/organization/parentOrganization", vec![json!("or-1")]),
        (
            "/organization/siteOrganizationProperties/0/site",
            vec![json!("siteUS")],
        ),
    ];
    for (pointer, values) in typed {
        for (n, bad) in values.into_iter().enumerate() {
            cases.push(
                signed(Case::new(
                    format!("typed {pointer} #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    for (n, top) in [
        json!([]),
        json!([base.clone()]),
        json!("organization"),
        json!(300007),
        json!(true),
        json!(null),
        json!(-0.5),
        json!(""),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(signed(Case::new(format!("top level #{n}"), top.to_string(), 422)).at(""));
    }
    let structural: Vec<(&str, Value, &str)> = vec![
        ("empty object", json!({}), "/organization"),
        (
            "organization null",
            json!({"organization": null}),
            "/organization",
        ),
        (
            "organization array",
            json!({"organization": [base["organization"].clone()]}),
            "/organization",
        ),
        (
            "organization string",
            json!({"organization": "or-300007"}),
            "/organization",
        ),
        (
            "organization misspelt",
            json!({"Organization": base["organization"].clone()}),
            "/organization",
        ),
        (
            "id missing",
            without(&base, "/organization/id"),
            "/organization/id",
        ),
        (
            "id empty",
            with(&base, "/organization/id", json!("")),
            "/organization/id",
        ),
        (
            "id null",
            with(&base, "/organization/id", json!(null)),
            "/organization/id",
        ),
    ];
    for (name, body, pointer) in structural {
        cases.push(signed(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    let mut extras = base.clone();
    for (name, value) in [("extra_top", json!({"a": [1]})), ("zzz", json!(null))] {
        set(&mut extras, &format!("/{name}"), value);
    }
    set(
        &mut extras,
        "/organization/unknownProperty",
        json!({"x": 1}),
    );
    let broken_with_extras: Vec<(&str, Value, &str)> = vec![
        (
            "extras + id missing",
            without(&extras, "/organization/id"),
            "/organization/id",
        ),
        (
            "extras + active",
            with(&extras, "/organization/active", json!("x")),
            "/organization/active",
        ),
        (
            "extras + action code",
            with(
                &extras,
                "/organization/relativeRoles/0/_actionCode",
                json!("UPSERT"),
            ),
            "/organization/relativeRoles/0/_actionCode",
        ),
        (
            "__proto__ + id",
            with(
                &with(&base, "/__proto__", json!({"polluted": true})),
                "/organization/id",
                json!(1),
            ),
            "/organization/id",
        ),
        (
            "organization __proto__ + name",
            with(
                &with(&base, "/organization/__proto__", json!({"id": "x"})),
                "/organization/name",
                json!(1),
            ),
            "/organization/name",
        ),
        (
            "constructor.prototype + action code",
            with(
                &with(&base, "/constructor", json!({"prototype": {"x": 1}})),
                "/organization/members/0/_actionCode",
                json!("x"),
            ),
            "/organization/members/0/_actionCode",
        ),
        (
            "role __proto__ + repositoryId",
            with(
                &with(&base, "/organization/relativeRoles/0/__proto__", json!([])),
                "/organization/relativeRoles/0/repositoryId",
                json!(1),
            ),
            "/organization/relativeRoles/0/repositoryId",
        ),
        (
            "100 KB name + active",
            with(
                &with(&base, "/organization/name", json!("n".repeat(LONG))),
                "/organization/active",
                json!("x"),
            ),
            "/organization/active",
        ),
        (
            "100 KB member name + id",
            with(
                &with(
                    &base,
                    &format!("/organization/{}", "k".repeat(LONG)),
                    json!(1),
                ),
                "/organization/id",
                json!(""),
            ),
            "/organization/id",
        ),
        (
            "100 KB id number string list",
            with(&base, "/organization/id", json!(["9".repeat(LONG)])),
            "/organization/id",
        ),
        (
            "deep but parseable id",
            with(
                &base,
                "/organization/id",
                serde_json::from_str(&nested_arrays(100)).unwrap(),
            ),
            "/organization/id",
        ),
    ];
    for (name, body, pointer) in broken_with_extras {
        cases.push(signed(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    for (n, (pointer, body)) in unstorable_numbers(&base, "/organization/orderPriceLimit")
        .into_iter()
        .enumerate()
    {
        cases.push(
            signed(Case::new(
                format!("unstorable number #{n}"),
                body.to_string(),
                422,
            ))
            .at(&pointer),
        );
    }
    for (name, body) in
        malformed_bodies(&base, "/organization/name", "/organization/orderPriceLimit")
    {
        cases.push(signed(Case::new(format!("malformed: {name}"), body, 400)));
    }
    let duplicates: Vec<(&str, Vec<u8>)> = vec![
        (
            "duplicate organization",
            edited(&base, "{", "{\"organization\":{\"id\":\"or-1\"},"),
        ),
        (
            "duplicate id",
            edited(
                &base,
                "\"id\":\"or-300007\"",
                "\"id\":\"or-300007\",\"id\":\"or-300007\"",
            ),
        ),
        (
            "duplicate id, other value",
            edited(
                &base,
                "\"id\":\"or-300007\"",
                "\"id\":\"or-300007\",\"id\":\"or-666\"",
            ),
        ),
        (
            "duplicate escaped id",
            edited(
                &base,
                "\"id\":\"or-300007\"",
                "\"id\":\"or-300007\",\"\\u0069d\":\"or-300007\"",
            ),
        ),
        (
            "duplicate repositoryId in role",
            edited(
                &base,
                "\"repositoryId\":\"400001\"",
                "\"repositoryId\":\"400001\",\"repositoryId\":\"400009\"",
            ),
        ),
        (
            "duplicate in allSecondaryAddresses",
            edited(
                &base,
                "\"allSecondaryAddresses\":{}",
                "\"allSecondaryAddresses\":{\"a\":1,\"a\":1}",
            ),
        ),
        (
            "duplicate _actionCode",
            with_raw(
                &base,
                "/organization/relativeRoles/0",
                "{\"_actionCode\":\"CREATE\",\"_actionCode\":\"DELETE\",\"repositoryId\":\"1\"}",
            ),
        ),
        (
            "duplicate __proto__",
            with_raw(&base, "/extra", "{\"__proto__\":1,\"__proto__\":{}}"),
        ),
    ];
    for (name, body) in duplicates {
        cases.push(signed(Case::new(name, body, 400)));
    }

    // Unauthenticated: whatever the body, 401 and nothing stored.
    let valid = base.to_string();
    let good = sign512(valid.as_bytes());
    let good_bytes = STANDARD.decode(&good).unwrap();
    let flipped = |index: usize| {
        let mut bytes = good_bytes.clone();
        bytes[index] ^= 0x01;
        STANDARD.encode(bytes)
    };
    let other_key = hmac_base64(HMAC_SHA512, b"another key", valid.as_bytes());
    // The key text used as the key, undecoded: a known mistake.
    let raw_key = hmac_base64(HMAC_SHA512, OCC_KEY_TEXT.as_bytes(), valid.as_bytes());
    let sha512 = "x-oracle-cc-webhook-signature-sha512";
    let legacy = "x-oracle-cc-webhook-signature";
    let unsigned = |name: &str, body: &[u8]| Case::new(name, body, 401);
    let unauthenticated: Vec<Case> = vec![
        unsigned("no signature", valid.as_bytes()),
        unsigned("signature of a different body", valid.as_bytes()).header(sha512, &sign512(b"{}")),
        unsigned("signature of the body plus newline", valid.as_bytes())
            .header(sha512, &sign512(format!("{valid}\n").as_bytes())),
        unsigned("signature by another key", valid.as_bytes()).header(sha512, &other_key),
        unsigned("signature with the undecoded key", valid.as_bytes()).header(sha512, &raw_key),
        unsigned("signature, first byte flipped", valid.as_bytes()).header(sha512, &flipped(0)),
        unsigned("signature, last byte flipped", valid.as_bytes()).header(sha512, &flipped(63)),
        unsigned("signature cut short", valid.as_bytes())
            .header(sha512, &STANDARD.encode(&good_bytes[..63])),
        unsigned("signature extended", valid.as_bytes()).header(
            sha512,
            &STANDARD.encode([good_bytes.as_slice(), b"\0"].concat()),
        ),
        unsigned("signature not base64", valid.as_bytes()).header(sha512, "!!not-base64!!"),
        unsigned("signature empty", valid.as_bytes()).header(sha512, ""),
        unsigned("signature as hex", valid.as_bytes()).header(
            sha512,
            &good_bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        ),
        unsigned("SHA-256 signature in the SHA-512 header", valid.as_bytes())
            .header(sha512, &sign256(valid.as_bytes())),
        unsigned("legacy header of 16 bytes", valid.as_bytes())
            .header(legacy, &STANDARD.encode([7u8; 16])),
        unsigned("legacy header of another body", valid.as_bytes()).header(legacy, &sign256(b"{}")),
        unsigned(
            "garbled SHA-512 header beside a valid legacy one",
            valid.as_bytes(),
        )
        .header(sha512, "garbage")
        .header(legacy, &good),
        unsigned("signature in another header", valid.as_bytes()).header("x-signature", &good),
        unsigned("signature as Authorization", valid.as_bytes())
            .header("authorization", &format!("Bearer {good}")),
        unsigned("malformed, unsigned", &valid.as_bytes()[..100]),
        unsigned(
            "malformed, signed for the full body",
            &valid.as_bytes()[..100],
        )
        .header(sha512, &good),
        unsigned(
            "invalid payload, signature of the valid one",
            with(&base, "/organization/id", json!(1))
                .to_string()
                .as_bytes(),
        )
        .header(sha512, &good),
        unsigned("empty body, signature of the valid one", b"").header(sha512, &good),
    ];
    cases.extend(unauthenticated);
    cases.extend(request_problems(&base, signed));
    cases
}

#[tokio::test]
async fn occ_crafted_bodies() {
    let base = occ_base();
    assert!(
        OrganizationChange::read(&attribute(&base)).is_ok(),
        "the base payload is valid"
    );
    let store = fresh_store(&local_aws().await).await;
    let receiver = occ_receiver(&store);
    let cases = occ_cases();
    assert_distinct(&cases);
    let counts = count_by_status(&cases);
    assert!(
        cases.len() >= 100 && counts[&400] >= 40 && counts[&422] >= 100,
        "{counts:?}"
    );

    run(&cases, async |case: &Case| {
        occ_organization::handle(case.request(OCC_PATH), &receiver).await
    })
    .await;
    assert_quarantine(&store, &cases, "OCC#REJECTED", &[OCC_KEY_TEXT]).await;
}

#[tokio::test]
async fn occ_signature_of_a_different_body_is_refused() {
    let store = fresh_store(&local_aws().await).await;
    let receiver = occ_receiver(&store);
    let body = occ_base().to_string();
    let mut other = occ_base();
    other["organization"]["name"] = json!("Another name");
    let signature = sign512(other.to_string().as_bytes());
    let response = occ_organization::handle(
        api_request(
            "POST",
            OCC_PATH,
            &[
                ("content-type", "application/json"),
                ("x-oracle-cc-webhook-signature-sha512", &signature),
            ],
            &body,
        ),
        &receiver,
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        body_json(&response)["detail"],
        "the request could not be authenticated"
    );
    assert!(all_items(&store.table).await.is_empty());
}

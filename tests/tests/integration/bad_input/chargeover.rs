//! ChargeOver's crafted requests.

use super::*;
use webhook_shared::pipeline::Common;

// ------------------------------------------------------------------ ChargeOver
pub(super) fn chargeover_base() -> Value {
    json!({"context_str": "customer", "context_id": 413, "event": "super",
           "data": {"customer": fixture("chargeover-customer.json"),
                    "user": fixture("chargeover-user.json")},
           "security_token": CO_SECRET})
}

pub(super) fn chargeover_receiver(store: &Store) -> chargeover_main_contact::Receiver<Store> {
    use chargeover_main_contact::auth::TokenKeys;
    let keys = TokenKeys::from_secret(&SecretValue::parse(CO_SECRET).unwrap()).unwrap();
    chargeover_main_contact::Receiver {
        common: Common {
            store: store.clone(),
            keys: SecretStore::fixed(keys),
            max_body_bytes: MAX_BODY_BYTES,
            retention_days: None,
            metrics: test_metrics(),
        },
        timezone: TimeZone::get("America/Chicago").unwrap(),
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    }
}

/// Every id of the model: a number or a numeric string, nothing else.
const CHARGEOVER_IDS: &[&str] = &[
    "/context_id",
    "/user_id",
    "/data/user_id",
    "/data/customer/customer_id",
    "/data/customer/parent_customer_id",
    "/data/customer/superuser_id",
    "/data/customer/language_id",
    "/data/customer/currency_id",
    "/data/customer/class_id",
    "/data/customer/admin_id",
    "/data/customer/campaign_id",
    "/data/customer/brand_id",
    "/data/customer/terms_id",
    "/data/customer/terms_days",
    "/data/customer/customer_status_id",
    "/data/customer/default_creditcard_id",
    "/data/customer/default_ach_id",
    "/data/user/user_id",
    "/data/user/user_type_id",
    "/data/user/customer_id",
];

/// Not ids: non-numeric or signed strings, booleans, arrays, objects,
/// negative, fractional and out-of-range numbers.
fn bad_ids() -> Vec<Value> {
    vec![
        json!("abc"),
        json!("12a"),
        json!(" 1"),
        json!("-5"),
        json!("1e3"),
        json!("\u{661}\u{662}"),
        json!("99999999999999999999"),
        json!(true),
        json!([413]),
        json!({"id": 413}),
        json!(-1),
        json!(1.5),
        json!(1e20),
    ]
}

fn chargeover_cases() -> Vec<Case> {
    let base = chargeover_base();
    let key = |case: Case| case.header("x-chargeover-key", CO_SECRET);
    let mut cases = Vec::new();

    // Ids of every kind of wrong.
    for pointer in CHARGEOVER_IDS {
        for (n, bad) in bad_ids().into_iter().enumerate() {
            cases.push(
                key(Case::new(
                    format!("id {pointer} bad #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
        let digits = format!("\"{}\"", "7".repeat(LONG));
        cases.push(
            key(Case::new(
                format!("id {pointer} as 100 KB of digits"),
                with_raw(&base, pointer, &digits),
                422,
            ))
            .at(pointer),
        );
    }
    // Numbers as strings and strings as numbers in the other typed fields.
    let typed: Vec<(&str, Vec<Value>)> = vec![
        (
            "/data/customer/total",
            vec![json!("3400"), json!(true), json!([1])],
        ),
        ("/data/customer/balance", vec![json!("4103.50"), json!({})]),
        ("/data/customer/paid", vec![json!("0")]),
        ("/data/customer/mrr", vec![json!("0.00")]),
        ("/data/customer/arr", vec![json!(false)]),
        (
            "/data/customer/no_taxes",
            vec![json!("yes"), json!(2), json!("TRUE")],
        ),
        ("/data/customer/no_dunning", vec![json!(-1), json!([true])]),
        ("/data/customer/no_latefees", vec![json!("no")]),
        ("/data/customer/no_procfees", vec![json!(0.5)]),
        (
            "/data/customer/company",
            vec![json!(12345), json!(true), json!(["Acme"])],
        ),
        ("/data/customer/superuser_email", vec![json!(1)]),
        ("/data/customer/bill_city", vec![json!({"city": "x"})]),
        ("/data/customer/token", vec![json!(42)]),
        ("/data/customer/custom_1", vec![json!(1)]),
        (
            "/data/customer/invoice_delivery",
            vec![json!(1), json!(["email"])],
        ),
        (
            "/data/customer/tags",
            vec![json!("vip"), json!([1]), json!([["a"]]), json!({"0": "a"})],
        ),
        (
            "/data/customer/mod_datetime",
            vec![
                json!(20171005),
                json!("yesterday"),
                json!("2017-13-05 17:51:22"),
                json!("2017-10-05 25:00:00"),
                json!(true),
            ],
        ),
        ("/data/customer/write_datetime", vec![json!("05/10/2017")]),
        ("/data/user/mod_datetime", vec![json!(1507243882)]),
        ("/data/user/email", vec![json!(5)]),
        ("/data/user/first_name", vec![json!(false)]),
        (
            "/context_str",
            vec![json!(1), json!("invoice"), json!("Customer")],
        ),
        ("/event", vec![json!(0), json!("update"), json!("SUPER")]),
    ];
    for (pointer, values) in typed {
        for (n, bad) in values.into_iter().enumerate() {
            cases.push(
                key(Case::new(
                    format!("typed {pointer} #{n} {bad}"),
                    with(&base, pointer, bad).to_string(),
                    422,
                ))
                .at(pointer),
            );
        }
    }
    // Wrong top-level types: not an object at all.
    for (n, top) in [
        json!([]),
        json!([base.clone()]),
        json!("customer"),
        json!(413),
        json!(true),
        json!(null),
        json!(0.5),
        json!(""),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(key(Case::new(format!("top level #{n}"), top.to_string(), 422)).at(""));
    }
    cases.push(
        key(Case::new(
            "100 KB of whitespace, then an array",
            format!("{}[]", " ".repeat(LONG)),
            422,
        ))
        .at(""),
    );
    // Required structure broken.
    let structural: Vec<(&str, Value, &str)> = vec![
        (
            "context_id 0",
            with(&base, "/context_id", json!(0)),
            "/context_id",
        ),
        (
            "context_id not the customer's",
            with(&base, "/context_id", json!(414)),
            "/data/customer/customer_id",
        ),
        (
            "context_id missing",
            without(&base, "/context_id"),
            "/context_id",
        ),
        (
            "context_id null",
            with(&base, "/context_id", json!(null)),
            "/context_id",
        ),
        (
            "context_id blank",
            with(&base, "/context_id", json!("")),
            "/context_id",
        ),
        (
            "context_str missing",
            without(&base, "/context_str"),
            "/context_str",
        ),
        ("event missing", without(&base, "/event"), "/event"),
        ("data missing", without(&base, "/data"), "/data"),
        ("data null", with(&base, "/data", json!(null)), "/data"),
        ("data array", with(&base, "/data", json!([])), "/data"),
        ("data string", with(&base, "/data", json!("x")), "/data"),
        (
            "customer missing",
            without(&base, "/data/customer"),
            "/data/customer",
        ),
        (
            "customer null",
            with(&base, "/data/customer", json!(null)),
            "/data/customer",
        ),
        (
            "customer array",
            with(&base, "/data/customer", json!([])),
            "/data/customer",
        ),
        (
            "customer number",
            with(&base, "/data/customer", json!(413)),
            "/data/customer",
        ),
        (
            "customer_id missing",
            without(&base, "/data/customer/customer_id"),
            "/data/customer/customer_id",
        ),
        (
            "customer_id null",
            with(&base, "/data/customer/customer_id", json!(null)),
            "/data/customer/customer_id",
        ),
        (
            "customer_id blank",
            with(&base, "/data/customer/customer_id", json!("")),
            "/data/customer/customer_id",
        ),
        (
            "user string",
            with(&base, "/data/user", json!("x")),
            "/data/user",
        ),
        (
            "user array",
            with(&base, "/data/user", json!([])),
            "/data/user",
        ),
        (
            "user of another customer",
            with(&base, "/data/user/customer_id", json!(999)),
            "/data/user/customer_id",
        ),
    ];
    for (name, body, pointer) in structural {
        cases.push(key(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    // Extra top-level fields, `__proto__`-style keys: kept when alone, but
    // they do not rescue a broken field.
    let mut extras = base.clone();
    for (name, value) in [
        ("extra_top", json!({"nested": [1, 2, {"x": null}]})),
        ("custom_99", json!("x")),
        ("zzz", json!([true, false])),
    ] {
        set(&mut extras, &format!("/{name}"), value);
    }
    let broken_with_extras: Vec<(&str, Value, &str)> = vec![
        (
            "extras + context_str",
            with(&extras, "/context_str", json!("invoice")),
            "/context_str",
        ),
        (
            "extras + event missing",
            without(&extras, "/event"),
            "/event",
        ),
        (
            "extras + customer_id missing",
            without(&extras, "/data/customer/customer_id"),
            "/data/customer/customer_id",
        ),
        (
            "extras + customer null",
            with(&extras, "/data/customer", json!(null)),
            "/data/customer",
        ),
        (
            "extras + total text",
            with(&extras, "/data/customer/total", json!("1")),
            "/data/customer/total",
        ),
        (
            "__proto__ + context_id",
            with(
                &with(&base, "/__proto__", json!({"isAdmin": true})),
                "/context_id",
                json!("x"),
            ),
            "/context_id",
        ),
        (
            "constructor.prototype + event",
            with(
                &with(&base, "/constructor", json!({"prototype": {"polluted": 1}})),
                "/event",
                json!("x"),
            ),
            "/event",
        ),
        (
            "customer __proto__ + customer_id",
            with(
                &with(&base, "/data/customer/__proto__", json!({"customer_id": 1})),
                "/data/customer/customer_id",
                json!("abc"),
            ),
            "/data/customer/customer_id",
        ),
        (
            "user __proto__ + user of another customer",
            with(
                &with(&base, "/data/user/__proto__", json!(null)),
                "/data/user/customer_id",
                json!(999),
            ),
            "/data/user/customer_id",
        ),
        (
            "prototype + total text",
            with(
                &with(&base, "/prototype", json!([])),
                "/data/customer/total",
                json!("12"),
            ),
            "/data/customer/total",
        ),
        (
            "100 KB company + context_str",
            with(
                &with(&base, "/data/customer/company", json!("c".repeat(LONG))),
                "/context_str",
                json!("x"),
            ),
            "/context_str",
        ),
        (
            "100 KB member name + event",
            with(
                &with(&base, &format!("/{}", "k".repeat(LONG)), json!(1)),
                "/event",
                json!("x"),
            ),
            "/event",
        ),
        (
            "deep but parseable id",
            with(
                &base,
                "/data/customer/customer_id",
                serde_json::from_str(&nested_arrays(100)).unwrap(),
            ),
            "/data/customer/customer_id",
        ),
    ];
    for (name, body, pointer) in broken_with_extras {
        cases.push(key(Case::new(name, body.to_string(), 422)).at(pointer));
    }
    for (n, (pointer, body)) in unstorable_numbers(&base, "/data/customer/total")
        .into_iter()
        .enumerate()
    {
        cases.push(
            key(Case::new(
                format!("unstorable number #{n}"),
                body.to_string(),
                422,
            ))
            .at(&pointer),
        );
    }
    // Malformed: only the header can authenticate it.
    for (name, body) in malformed_bodies(&base, "/data/customer/company", "/data/customer/total") {
        cases.push(key(Case::new(format!("malformed: {name}"), body, 400)));
    }
    // Duplicate member names, at every depth (400).
    let duplicates: Vec<(&str, Vec<u8>)> = vec![
        (
            "duplicate context_id",
            edited(&base, "{", "{\"context_id\":413,"),
        ),
        (
            "duplicate security_token",
            edited(
                &base,
                "{",
                &format!("{{\"security_token\":\"{CO_SECRET}\","),
            ),
        ),
        ("duplicate data", edited(&base, "{", "{\"data\":{},")),
        (
            "duplicate event, other value",
            edited(&base, "{", "{\"event\":\"other\","),
        ),
        (
            "duplicate customer_id",
            edited(
                &base,
                "\"customer_id\":413",
                "\"customer_id\":413,\"customer_id\":413",
            ),
        ),
        (
            "duplicate user_id",
            edited(&base, "\"user_id\":770", "\"user_id\":770,\"user_id\":771"),
        ),
        (
            "duplicate escaped name",
            edited(&base, "{", "{\"\\u0063ontext_id\":413,"),
        ),
        (
            "duplicate in unknown object",
            with_raw(&base, "/extra", "{\"k\":1,\"k\":1}"),
        ),
        (
            "duplicate in array item",
            with_raw(&base, "/extra", "[{\"a\":1},{\"b\":1,\"b\":2}]"),
        ),
        (
            "duplicate __proto__",
            with_raw(&base, "/extra", "{\"__proto__\":1,\"__proto__\":{}}"),
        ),
    ];
    for (name, body) in duplicates {
        cases.push(key(Case::new(name, body, 400)));
    }
    let invalid_utf8_token = bytes_replaced(&base, CO_SECRET, b"\xff\xfe");
    cases.push(key(Case::new(
        "invalid UTF-8 in security_token",
        invalid_utf8_token,
        400,
    )));

    // Unauthenticated: 401 and nothing stored, whatever the body.
    let mut no_token = base.clone();
    remove(&mut no_token, "/security_token");
    let unauthenticated: Vec<Case> = vec![
        Case::new("no token anywhere", no_token.to_string(), 401),
        Case::new("wrong header, no body token", no_token.to_string(), 401)
            .header("x-chargeover-key", "wrong"),
        Case::new("wrong header, right body token", base.to_string(), 401)
            .header("x-chargeover-key", "wrong"),
        Case::new("empty header", no_token.to_string(), 401).header("x-chargeover-key", ""),
        Case::new("header of the secret's prefix", no_token.to_string(), 401)
            .header("x-chargeover-key", &CO_SECRET[..31]),
        Case::new("header of the secret, extended", no_token.to_string(), 401)
            .header("x-chargeover-key", &format!("{CO_SECRET}x")),
        Case::new(
            "header of the secret, lowercased",
            no_token.to_string(),
            401,
        )
        .header("x-chargeover-key", &CO_SECRET.to_lowercase()),
        key(Case::new(
            "right header, wrong body token",
            with(&base, "/security_token", json!("wrong")).to_string(),
            401,
        )),
        key(Case::new(
            "right header, numeric body token",
            with(&base, "/security_token", json!(12345)).to_string(),
            401,
        )),
        key(Case::new(
            "right header, null body token",
            with(&base, "/security_token", json!(null)).to_string(),
            401,
        )),
        key(Case::new(
            "right header, body token as array",
            with(&base, "/security_token", json!([CO_SECRET])).to_string(),
            401,
        )),
        Case::new(
            "body token only, malformed body",
            &base.to_string().as_bytes()[..200],
            401,
        ),
        Case::new(
            "body token only, duplicate member",
            edited(&base, "{", "{\"event\":\"super\","),
            401,
        ),
        Case::new(
            "body token only, BOM",
            [b"\xef\xbb\xbf".as_slice(), base.to_string().as_bytes()].concat(),
            401,
        ),
        Case::new(
            "nested token only",
            with(&no_token, "/data/security_token", json!(CO_SECRET)).to_string(),
            401,
        ),
        Case::new(
            "token under another name",
            with(&no_token, "/securityToken", json!(CO_SECRET)).to_string(),
            401,
        ),
        Case::new(
            "wrong event, wrong header",
            with(&base, "/event", json!("x")).to_string(),
            401,
        )
        .header("x-chargeover-key", "wrong"),
        Case::new("token in Authorization instead", no_token.to_string(), 401)
            .header("authorization", &format!("Bearer {CO_SECRET}")),
    ];
    cases.extend(unauthenticated);
    cases.extend(request_problems(&base, key));
    cases
}

#[tokio::test]
async fn chargeover_crafted_bodies() {
    let base = chargeover_base();
    assert!(
        MainContactChange::read(&attribute(&without(&base, "/security_token"))).is_ok(),
        "the base payload is valid"
    );
    let store = fresh_store(&local_aws().await).await;
    let receiver = chargeover_receiver(&store);
    let cases = chargeover_cases();
    assert_distinct(&cases);
    let counts = count_by_status(&cases);
    assert!(
        cases.len() >= 100 && counts[&400] >= 40 && counts[&422] >= 100,
        "{counts:?}"
    );

    run(&cases, async |case: &Case| {
        chargeover_main_contact::handle(case.request(CO_PATH), &receiver).await
    })
    .await;
    assert_quarantine(
        &store,
        &cases,
        "CHARGEOVER#REJECTED",
        &[CO_SECRET, "never-stored-password"],
    )
    .await;
}

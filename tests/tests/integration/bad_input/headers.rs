//! Oversized headers: handled, with the usual answer.

use super::chargeover::{chargeover_base, chargeover_receiver};
use super::occ::{occ_base, occ_receiver, sign512};
use super::*;

// ------------------------------------------------------------ oversized headers

/// 200 headers and a 64 KB header value: handled, with the usual answer.
fn many_headers(base: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut headers = base;
    headers.extend((0..200).map(|i| (format!("x-filler-{i:03}"), format!("value-{i}"))));
    headers.push(("x-huge".into(), "h".repeat(64 * 1024)));
    headers
}

fn borrowed(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn oversized_headers_are_handled() {
    let aws = local_aws().await;
    let json_type = ("content-type".to_owned(), "application/json".to_owned());

    let store = fresh_store(&aws).await;
    let receiver = chargeover_receiver(&store);
    let body = without(&chargeover_base(), "/security_token").to_string();
    let post = async |headers: Vec<(String, String)>| {
        let headers = many_headers(headers);
        chargeover_main_contact::handle(
            api_request_bytes("POST", CO_PATH, &borrowed(&headers), body.as_bytes()),
            &receiver,
        )
        .await
        .status()
    };
    let huge_key = ("x-chargeover-key".to_owned(), "k".repeat(64 * 1024));
    let key = ("x-chargeover-key".to_owned(), CO_SECRET.to_owned());
    assert_eq!(post(vec![json_type.clone(), huge_key]).await, 401);
    assert_eq!(post(vec![json_type.clone()]).await, 401);
    assert_eq!(post(vec![json_type.clone(), key]).await, 200);
    assert_eq!(
        all_items(&store.table).await.len(),
        2,
        "state and one event"
    );

    let store = fresh_store(&aws).await;
    let receiver = occ_receiver(&store);
    let body = occ_base().to_string();
    let post = async |headers: Vec<(String, String)>| {
        let headers = many_headers(headers);
        occ_organization::handle(
            api_request_bytes("POST", OCC_PATH, &borrowed(&headers), body.as_bytes()),
            &receiver,
        )
        .await
        .status()
    };
    let sha512 = "x-oracle-cc-webhook-signature-sha512".to_owned();
    let huge_signature = STANDARD.encode(vec![0u8; 48 * 1024]);
    assert_eq!(
        post(vec![
            json_type.clone(),
            (sha512.clone(), huge_signature.clone())
        ])
        .await,
        401
    );
    assert_eq!(
        post(vec![
            json_type.clone(),
            ("x-oracle-cc-webhook-signature".into(), huge_signature)
        ])
        .await,
        401
    );
    assert_eq!(
        post(vec![
            json_type.clone(),
            (sha512.clone(), "s".repeat(64 * 1024))
        ])
        .await,
        401
    );
    assert_eq!(
        post(vec![json_type.clone(), (sha512, sign512(body.as_bytes()))]).await,
        200
    );
    assert_eq!(
        all_items(&store.table).await.len(),
        2,
        "state and one event"
    );
}

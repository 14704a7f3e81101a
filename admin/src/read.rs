//! Reading items: one by key, or a partition's items by sort key prefix,
//! with every `<attribute>_s3` resolved from the bucket when asked.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use webhook_shared::storage::{Item, Store, StoreError};
use webhook_shared::table::{PK, SK, TTL};

use crate::Failure;

/// The item at (`pk`, `sk`), claims resolved; `None` when there is none.
pub async fn get(store: &Store, pk: &str, sk: &str) -> Result<Option<Item>, Failure> {
    let output = store
        .table
        .client
        .get_item()
        .table_name(&store.table.name)
        .key(PK, AttributeValue::S(pk.to_owned()))
        .key(SK, AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| Failure::Aws(DisplayErrorContext(&e).to_string()))?;
    match output.item {
        Some(mut item) => {
            resolve(store, &mut item).await?;
            Ok(Some(item))
        }
        None => Ok(None),
    }
}

/// Every item of partition `pk` whose sort key starts with `prefix` (every
/// item of it when empty), all pages; claims resolved when `resolve`.
pub async fn query(
    store: &Store,
    pk: &str,
    prefix: &str,
    resolve_claims: bool,
) -> Result<Vec<Item>, Failure> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut request = store
            .table
            .client
            .query()
            .table_name(&store.table.name)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()));
        request = if prefix.is_empty() {
            request.key_condition_expression("#pk = :pk")
        } else {
            request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
        };
        let page = request
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| Failure::Aws(DisplayErrorContext(&e).to_string()))?;
        for item in page.items() {
            let mut item = item.clone();
            if resolve_claims {
                resolve(store, &mut item).await?;
            }
            items.push(item);
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// Every item of the table, all pages, as stored (claims unresolved).
pub async fn scan(store: &Store) -> Result<Vec<Item>, Failure> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .table
            .client
            .scan()
            .table_name(&store.table.name)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| Failure::Aws(DisplayErrorContext(&e).to_string()))?;
        items.extend(page.items().iter().cloned());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// `item` with its documents read from the bucket. An item past its
/// `expires_at` may have lost its objects first (S3 expires them on the day,
/// DynamoDB deletes the item up to two days later): it is shown as stored.
async fn resolve(store: &Store, item: &mut Item) -> Result<(), Failure> {
    match store.bucket.resolve(item).await {
        Ok(()) => Ok(()),
        Err(StoreError::CorruptObject { .. }) if expired(item) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

fn expired(item: &Item) -> bool {
    let now = jiff::Timestamp::now().as_second();
    number(item, TTL).parse::<i64>().is_ok_and(|at| at <= now)
}

/// A text attribute of `item`, or "".
pub fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|value| value.as_s().ok())
        .map_or("", String::as_str)
}

/// A number attribute of `item` as text, or "".
pub fn number<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|value| value.as_n().ok())
        .map_or("", String::as_str)
}

//! Reading items: one by key, or a partition's items by sort key prefix,
//! with every `<attribute>_s3` resolved from the bucket when asked.

use webhook_shared::storage::schema::TTL;
use webhook_shared::storage::{Item, Store, StoreError};

use crate::Failure;

/// The item at (`pk`, `sk`), claims resolved; `None` when there is none.
pub async fn get(store: &Store, pk: &str, sk: &str) -> Result<Option<Item>, Failure> {
    let Some(mut item) = store.table.get(pk, sk).await? else {
        return Ok(None);
    };
    resolve(store, &mut item).await?;
    Ok(Some(item))
}

/// Every item of partition `pk` whose sort key starts with `prefix` (every
/// item of it when empty); claims resolved when `resolve_claims`.
pub async fn query(
    store: &Store,
    pk: &str,
    prefix: &str,
    resolve_claims: bool,
) -> Result<Vec<Item>, Failure> {
    let mut items = store.table.query(pk, prefix).await?;
    if resolve_claims {
        for item in &mut items {
            resolve(store, item).await?;
        }
    }
    Ok(items)
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

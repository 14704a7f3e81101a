//! The table handle, and every call made to DynamoDB: the only place that
//! talks to the table. Callers state items, keys and conditions; answers come
//! back classified (`Transacted`, `PutNew`, `StoreError`).

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use crate::storage::schema::{PK, SK};
use crate::storage::transaction::{cancellation_reasons, classify};
use crate::storage::{Busy, Changes, Item, StoreError, Transacted};

/// The table a function writes to.
#[derive(Debug, Clone)]
pub struct Table {
    pub client: Client,
    pub name: String,
}

/// The error code of a write whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// Whether a request was refused with the service error `code`.
fn refused_with<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>, code: &str) -> bool {
    error
        .as_service_error()
        .is_some_and(|e| e.code() == Some(code))
}

/// How a put of a new item ended, short of an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutNew {
    Written,
    /// An item with that key exists already.
    Exists,
    /// A transaction held the item: the same put may pass shortly.
    Busy(Busy),
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Table {
            client,
            name: name.into(),
        }
    }

    /// Sends `items` as one transaction, once.
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Transacted, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Transacted::Applied),
            Err(error) => match cancellation_reasons(&error) {
                Some(reasons) => classify(reasons),
                None => Err(StoreError::from_sdk(error)),
            },
        }
    }

    /// Whether the table exists (`DescribeTable`, which also opens the
    /// connection, TLS included).
    pub async fn exists(&self) -> Result<bool, StoreError> {
        let described = self.client.describe_table().table_name(&self.name);
        match described.send().await {
            Ok(_) => Ok(true),
            Err(error) if refused_with(&error, "ResourceNotFoundException") => Ok(false),
            Err(error) => Err(StoreError::from_sdk(error)),
        }
    }

    /// Applies `changes` to the item at `key` (creating it if absent).
    pub async fn update(&self, key: Item, changes: Changes) -> Result<(), StoreError> {
        self.update_item(key, changes, false).await.map(drop)
    }

    /// Puts `item` unless an item with its key exists.
    pub async fn put_new(&self, item: Item) -> Result<PutNew, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutNew::Written),
            Err(error) if refused_with(&error, CONDITION_FAILED) => Ok(PutNew::Exists),
            // A transaction in progress held the item: the same put may pass shortly.
            Err(error) if refused_with(&error, "TransactionConflictException") => {
                Ok(PutNew::Busy(Busy::Conflict))
            }
            Err(error) => Err(StoreError::from_sdk(error)),
        }
    }

    /// Sets `values` on the item at (`pk`, `sk`) if it exists (`false` when
    /// it does not).
    pub async fn set_on_existing(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let mut changes = Changes::default();
        for (name, value) in values {
            changes.set(name, value.clone());
        }
        let key = Item::from([(PK.to_owned(), pk), (SK.to_owned(), sk)]);
        self.update_item(key, changes, true).await
    }

    /// One `UpdateItem`; when `existing`, only if the item exists (`false`
    /// when it does not).
    async fn update_item(
        &self,
        key: Item,
        mut changes: Changes,
        existing: bool,
    ) -> Result<bool, StoreError> {
        let condition = existing.then(|| format!("attribute_exists({})", changes.name(PK)));
        let (expression, names, values) = changes.into_parts();
        let result = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(values)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if refused_with(&error, CONDITION_FAILED) => Ok(false),
            Err(error) => Err(StoreError::from_sdk(error)),
        }
    }

    /// The item at (`pk`, `sk`), read consistently; `None` when there is none.
    pub async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .key(PK, AttributeValue::S(pk.to_owned()))
            .key(SK, AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(output.item)
    }

    /// Every item of partition `pk` whose sort key starts with `prefix`
    /// (every item of it when empty), all pages, read consistently.
    pub async fn query(&self, pk: &str, prefix: &str) -> Result<Vec<Item>, StoreError> {
        let request = self
            .client
            .query()
            .table_name(&self.name)
            .consistent_read(true)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()));
        let request = if prefix.is_empty() {
            request.key_condition_expression("#pk = :pk")
        } else {
            request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
        };
        let items = request.into_paginator().items().send().try_collect().await;
        items.map_err(StoreError::from_sdk)
    }

    /// Every item of the table, all pages, read consistently.
    pub async fn scan(&self) -> Result<Vec<Item>, StoreError> {
        let request = self
            .client
            .scan()
            .table_name(&self.name)
            .consistent_read(true);
        let items = request.into_paginator().items().send().try_collect().await;
        items.map_err(StoreError::from_sdk)
    }
}

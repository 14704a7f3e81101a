//! ChargeOver's REST API (v3): customers, and their main contact (a "user").
//!
//! Sources (developer.chargeover.com): apidocs/rest (HTTP Basic with the API
//! username and private key; `offset`/`limit` paging, no total: a short page
//! is the last, as the official SDK's docs/example_paginate_customers.php
//! pages); docs/api-information/querying/filtering (`where=<field>:<OP>:<value>`)
//! and .../sorting (`order=<field>:ASC`); docs/api/query-for-customers,
//! get-a-specific-customer, get-a-specific-contact (`GET /api/v3/user/{id}`);
//! docs/api-information/http-status-codes (401 bad credentials, 404 no such
//! object, 429 rate limited). Every answer is the envelope `{"code",
//! "status", "message", "details", "response"}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::http::{encode, Api};
use super::read_secret;
use crate::target::Resolved;
use crate::Failure;

const CUSTOMERS: &str = "/api/v3/customer";
const USERS: &str = "/api/v3/user";
/// Customers per page of a list.
const PAGE: usize = 100;

pub struct ChargeOverApi {
    api: Api,
    authorization: String,
}

/// The secret's JSON form.
#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

impl ChargeOverApi {
    /// The API the target names, with the credentials read from its secret
    /// (`{"username": ..., "password": ...}`).
    pub async fn connect(target: &Resolved) -> Result<Self, Failure> {
        let settings = target.chargeover_api()?;
        let api = Api::new(
            "the ChargeOver API",
            "check the username and private key in CHARGEOVER_API_SECRET_ID (ChargeOver: \
             Settings, Developers, REST API)",
            &settings.url,
        )?;
        let text = read_secret(target, &settings.secret_id).await?;
        let credentials: Credentials = serde_json::from_str(&text).map_err(|_| {
            Failure::Usage(format!(
                "secret {} must be {{\"username\": \"...\", \"password\": \"...\"}}",
                settings.secret_id
            ))
        })?;
        let basic = STANDARD.encode(format!("{}:{}", credentials.username, credentials.password));
        Ok(ChargeOverApi {
            api,
            authorization: format!("Basic {basic}"),
        })
    }

    /// The instance's host (`example.chargeover.com`): what ChargeOver sends
    /// in `X-ChargeOver-Source`.
    pub fn host(&self) -> &str {
        self.api.host()
    }

    /// The customer `id`.
    pub async fn customer(&self, id: u64) -> Result<Value, Failure> {
        match self.get(&format!("{CUSTOMERS}/{id}")).await? {
            customer @ Value::Object(_) => Ok(customer),
            _ => Err(self
                .api
                .unexpected("a customer that is not an object")
                .into()),
        }
    }

    /// Every customer modified on or after the day `since` (a date in the
    /// account's zone, `YYYY-MM-DD`), in id order.
    ///
    /// A date, not a time: no page shows how a `where` value holding colons
    /// is read. Pages are in id order, which a change during the listing
    /// does not reorder (by `mod_datetime`, a customer changed meanwhile
    /// would move to the end and shift the next page past another).
    pub async fn customers_modified_since(&self, since: &str) -> Result<Vec<Value>, Failure> {
        let filter = encode(&format!("mod_datetime:GTE:{since}"));
        let order = encode("customer_id:ASC");
        let mut customers = Vec::new();
        loop {
            let path = format!(
                "{CUSTOMERS}?where={filter}&order={order}&limit={PAGE}&offset={}",
                customers.len()
            );
            let Value::Array(page) = self.get(&path).await? else {
                return Err(self
                    .api
                    .unexpected("a customer list that is not an array")
                    .into());
            };
            let last = page.len() < PAGE;
            customers.extend(page);
            if last {
                return Ok(customers);
            }
        }
    }

    /// The user (contact) `id`; `None` when ChargeOver has none.
    pub async fn user(&self, id: u64) -> Result<Option<Value>, Failure> {
        match self.get(&format!("{USERS}/{id}")).await {
            Ok(user @ Value::Object(_)) => Ok(Some(user)),
            Ok(_) => Err(self.api.unexpected("a user that is not an object").into()),
            Err(Failure::NotFound(_)) => Ok(None),
            Err(failure) => Err(failure),
        }
    }

    /// The `response` of a GET's envelope.
    async fn get(&self, path: &str) -> Result<Value, Failure> {
        let mut answer = self
            .api
            .call(Method::GET, path, &self.authorization, None)
            .await?;
        Ok(answer["response"].take())
    }
}

//! OCC's Admin REST API: login with a registered application's key, the
//! organizations, and the failed-message log of the webhooks.
//!
//! Sources (docs.oracle.com/en/cloud/saas/cx-commerce/cxocc/ unless noted):
//! - login: op-ccadmin-v1-login-post.html and Authentication.html: `POST
//!   /ccadmin/v1/login`, `Authorization: Bearer <application key>`, form
//!   `grant_type=client_credentials`, answering `access_token`, `token_type`
//!   and `expires_in` (seconds); later calls send the access token as bearer.
//!   Tokens of an application key last 5 minutes
//!   (docs.oracle.com/cd/E90963_01/Cloud.10-17/ExtendingCC/html/s0203refreshanaccesstoken01.html).
//! - lists: RESTQueryParams.html: `offset`, `limit` (250 by default),
//!   answers with `items` and `totalResults`.
//! - organizations: op-ccadmin-v1-organizations-id-get.html (one).
//! - failed messages: op-ccadmin-v1-webhookfailedmessages-get.html (each
//!   with `id`, `messageType`, `savedTime`, `resend`, `serverType`,
//!   `remainingTargetUrls`, `lastErrorMessage`) and
//!   op-ccadmin-v1-webhookfailedmessages-id-put.html (`{"resend": true}`
//!   queues one for resending); ccdev/manage-failed-webhook-calls.html.

use std::sync::Mutex;
use std::time::Duration;

use http::Method;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::http::{encode, Api, ApiError, Body};
use super::read_secret;
use crate::target::Resolved;
use crate::Failure;

const LOGIN: &str = "/ccadmin/v1/login";
const ORGANIZATIONS: &str = "/ccadmin/v1/organizations";
const FAILED_MESSAGES: &str = "/ccadmin/v1/webhookFailedMessages";
/// Items per page of a list.
const PAGE: usize = 250;
/// An access token is renewed this long before it expires.
const RENEW_EARLY: Duration = Duration::from_secs(30);
/// A token's life when the login answer does not say.
const TOKEN_LIFE: Duration = Duration::from_secs(300);

pub struct OccAdminApi {
    api: Api,
    application_key: String,
    token: Mutex<Option<Token>>,
}

#[derive(Clone)]
struct Token {
    bearer: String,
    renew_at: Instant,
}

impl OccAdminApi {
    /// The API the target names, with the application key read from its
    /// secret (the secret's text is the key).
    pub async fn connect(target: &Resolved) -> Result<Self, Failure> {
        let settings = target.occ_admin()?;
        let api = Api::new(
            "the OCC Admin API",
            "check the application key in OCC_ADMIN_SECRET_ID (OCC admin: Settings, \
             Web APIs, Registered Applications)",
            &settings.url,
        )?;
        let application_key = read_secret(target, &settings.secret_id).await?;
        Ok(OccAdminApi {
            api,
            application_key: application_key.trim().to_owned(),
            token: Mutex::new(None),
        })
    }

    /// The organization `id`, as OCC has it now.
    pub async fn organization(&self, id: &str) -> Result<Value, Failure> {
        let path = format!("{ORGANIZATIONS}/{}", encode(id));
        self.call(Method::GET, &path, None).await
    }

    /// Every failed message of the log.
    pub async fn failed_messages(&self) -> Result<Vec<Value>, Failure> {
        let mut messages = Vec::new();
        loop {
            let path = format!("{FAILED_MESSAGES}?offset={}&limit={PAGE}", messages.len());
            let page = self.call(Method::GET, &path, None).await?;
            let Some(items) = page["items"].as_array().cloned() else {
                return Err(self
                    .api
                    .unexpected("a failed-message page without items")
                    .into());
            };
            // The total when OCC gives it (a page may be shorter than asked
            // for), else an empty page.
            let last = match page["totalResults"].as_u64() {
                Some(total) => (messages.len() + items.len()) as u64 >= total || items.is_empty(),
                None => items.is_empty(),
            };
            messages.extend(items);
            if last {
                return Ok(messages);
            }
        }
    }

    /// Queues the failed message `id` for resending.
    pub async fn resend(&self, id: &str) -> Result<(), Failure> {
        let path = format!("{FAILED_MESSAGES}/{}", encode(id));
        let body = Body {
            content_type: "application/json",
            bytes: json!({"resend": true}).to_string().into_bytes(),
        };
        self.call(Method::PUT, &path, Some(&body)).await.map(drop)
    }

    /// A call with the current access token; when OCC refuses it (expired
    /// early, or revoked), logs in again once and retries.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Body>,
    ) -> Result<Value, Failure> {
        let token = self.token(false).await?;
        match self.api.call(method.clone(), path, &token, body).await {
            Err(ApiError::Refused { status: 401, .. }) => {
                let token = self.token(true).await?;
                Ok(self.api.call(method, path, &token, body).await?)
            }
            answer => Ok(answer?),
        }
    }

    /// `Bearer <access token>`, logging in when there is none, it is about
    /// to expire, or `renew`.
    async fn token(&self, renew: bool) -> Result<String, Failure> {
        let current = self.token.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(token) = current.filter(|t| !renew && Instant::now() < t.renew_at) {
            return Ok(token.bearer);
        }
        let form = Body {
            content_type: "application/x-www-form-urlencoded",
            bytes: b"grant_type=client_credentials".to_vec(),
        };
        let key = format!("Bearer {}", self.application_key);
        let answer = self
            .api
            .call(Method::POST, LOGIN, &key, Some(&form))
            .await?;
        let access_token = answer["access_token"].as_str();
        let access_token =
            access_token.ok_or_else(|| self.api.unexpected("a login without an access token"))?;
        let life = answer["expires_in"]
            .as_u64()
            .map_or(TOKEN_LIFE, Duration::from_secs);
        let token = Token {
            bearer: format!("Bearer {access_token}"),
            renew_at: Instant::now() + life.saturating_sub(RENEW_EARLY),
        };
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token.bearer)
    }
}

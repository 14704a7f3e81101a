//! Calls to a sender's REST API: JSON answers, bounded retries of 429
//! (after its `Retry-After`), 5xx and unreachable hosts, and a typed error
//! for everything else. Requests carry credentials, so nothing here logs a
//! header, and a URL must be HTTPS unless it is this machine's (the tests'
//! stand-ins).

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use thiserror::Error;

/// Attempts per request, the first included.
const ATTEMPTS: u32 = 5;
/// The first pause after a 5xx or a connection failure; doubled each time.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// The longest `Retry-After` honoured: a sender asking for more is an error.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long one request may take.
const REQUEST_TIME: Duration = Duration::from_secs(30);

/// Why a call to a sender's API failed. Carries no credential.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{api} refused the credentials (HTTP {status}): {hint}")]
    Refused {
        api: &'static str,
        status: u16,
        hint: &'static str,
    },
    #[error("{api} found nothing at {what}")]
    NotFound { api: &'static str, what: String },
    /// Anything else, said in full: tries used up, an error answer, an
    /// answer that is not what the API documents.
    #[error("{0}")]
    Failed(String),
    /// The API cannot be called as named (its URL, the credentials).
    #[error("{0}")]
    Setting(String),
}

/// One sender's API: its base URL and a client.
pub struct Api {
    /// The API's name in messages, e.g. "the ChargeOver API".
    pub name: &'static str,
    /// What to check when the API refuses the credentials.
    pub refused_hint: &'static str,
    base: String,
    host: String,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// A request's body and its content type.
pub struct Body {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Api {
    /// A client of the API at `base` (`https://host[:port][/path]`, or plain
    /// HTTP on this machine only).
    pub fn new(
        name: &'static str,
        refused_hint: &'static str,
        base: &str,
    ) -> Result<Self, ApiError> {
        let base = base.trim_end_matches('/').to_owned();
        let uri: http::Uri = base
            .parse()
            .map_err(|e| ApiError::Setting(format!("the URL of {name} is not a URL ({e})")))?;
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(ApiError::Setting(format!(
                "the URL of {name} must not carry credentials: they belong in its secret"
            )));
        }
        let local = matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if local => {}
            _ => {
                return Err(ApiError::Setting(format!(
                    "{base} must be an https:// URL: credentials are sent to it"
                )))
            }
        }
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| ApiError::Setting(format!("no trusted root certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let host = uri.host().unwrap_or_default().to_owned();
        Ok(Api {
            name,
            refused_hint,
            base,
            host,
            client: Client::builder(TokioExecutor::new()).build(tls),
        })
    }

    /// The error for an answer that is not what the API documents.
    pub fn unexpected(&self, what: &str) -> ApiError {
        ApiError::Failed(format!("{} answered with {what}", self.name))
    }

    /// The API's host name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Sends a request, retrying a 429 after its `Retry-After` and a 5xx or
    /// an unreachable host after a growing pause, up to [`ATTEMPTS`] in all.
    /// A 2xx answer is parsed as JSON (an empty body is `null`).
    pub async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        authorization: &str,
        body: Option<&Body>,
    ) -> Result<Value, ApiError> {
        let what = format!("{method} {}", path_only(path_and_query));
        let mut pause = FIRST_PAUSE;
        let mut attempt = 1;
        loop {
            let request = self.request(&method, path_and_query, authorization, body)?;
            match self.attempt(request, &what).await {
                Attempt::Done(result) => return result,
                Attempt::Again { failure, .. } if attempt == ATTEMPTS => return Err(failure),
                Attempt::Again { wait, failure } => {
                    tracing::debug!(%failure, "trying again");
                    // The sender's wait, but never less than the current pause.
                    tokio::time::sleep(wait.map_or(pause, |wait| wait.max(pause))).await;
                }
            }
            pause *= 2;
            attempt += 1;
        }
    }

    /// One try: its answer, or why and when to try again.
    async fn attempt(&self, request: Request<Full<Bytes>>, what: &str) -> Attempt {
        let (api, what) = (self.name, what.to_owned());
        // The answer whole, body included, within the request's time.
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let retry_after = response.headers().get(RETRY_AFTER).cloned();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((status, retry_after, body.to_bytes()))
        };
        let answer = tokio::time::timeout(REQUEST_TIME, exchange).await;
        let (status, retry_after, bytes) = match answer.unwrap_or(Err("no answer in time".into())) {
            Ok(answer) => answer,
            Err(reason) => {
                return Attempt::Again {
                    wait: None,
                    failure: ApiError::Failed(format!(
                        "{api} could not be reached after {ATTEMPTS} attempts ({what}): {reason}"
                    )),
                }
            }
        };
        let failed = |detail: String| ApiError::Failed(format!("{api} answered {what} {detail}"));
        let again = |wait| Attempt::Again {
            wait,
            failure: failed(format!(
                "with HTTP {} after {ATTEMPTS} attempts",
                status.as_u16()
            )),
        };
        let error = match status {
            status if status.is_success() => {
                let answer =
                    parse(&bytes).map_err(|e| failed(format!("with unexpected content: {e}")));
                return Attempt::Done(answer);
            }
            StatusCode::TOO_MANY_REQUESTS => match retry_after.as_ref().and_then(seconds_to_wait) {
                Some(wait) if wait > LONGEST_RETRY_AFTER => failed(format!(
                    "asking to wait {} s before trying again; try later",
                    wait.as_secs()
                )),
                wait => return again(wait),
            },
            status if status.is_server_error() => return again(None),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ApiError::Refused {
                api,
                status: status.as_u16(),
                hint: self.refused_hint,
            },
            StatusCode::NOT_FOUND => ApiError::NotFound { api, what },
            status => failed(format!(
                "with HTTP {}: {}",
                status.as_u16(),
                excerpt(&bytes)
            )),
        };
        Attempt::Done(Err(error))
    }

    fn request(
        &self,
        method: &Method,
        path_and_query: &str,
        authorization: &str,
        body: Option<&Body>,
    ) -> Result<Request<Full<Bytes>>, ApiError> {
        let mut authorization = HeaderValue::from_str(authorization)
            .map_err(|_| ApiError::Setting("the credentials are not valid header text".into()))?;
        authorization.set_sensitive(true);
        let mut request = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path_and_query}", self.base))
            .header(AUTHORIZATION, authorization)
            .header(http::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, body.content_type);
        }
        let bytes = body.map(|body| body.bytes.clone()).unwrap_or_default();
        request
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| ApiError::Setting(format!("{}{path_and_query}: {e}", self.base)))
    }
}

/// How one try ended.
enum Attempt {
    Done(Result<Value, ApiError>),
    /// Worth another try: after `wait` (the sender's) or the current pause;
    /// `failure` is the error if no try is left.
    Again {
        wait: Option<Duration>,
        failure: ApiError,
    },
}

/// The path of a request, without its query (which may name customers).
fn path_only(path_and_query: &str) -> &str {
    path_and_query
        .split_once('?')
        .map_or(path_and_query, |(path, _)| path)
}

/// Every byte but letters, digits and `-_.~` (RFC 3986's unreserved).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Text as one component of a URL's path or query.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// `Retry-After` as seconds, or as an HTTP date.
fn seconds_to_wait(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(text).ok()?.timestamp();
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

fn parse(bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))
}

/// The start of an error answer, for the message.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_this_machine() {
        assert!(Api::new("x", "", "https://example.chargeover.com").is_ok());
        assert!(Api::new("x", "", "http://127.0.0.1:8080/").is_ok());
        assert!(matches!(
            Api::new("x", "", "http://example.chargeover.com"),
            Err(ApiError::Setting(_))
        ));
        // Credentials in the URL are refused, and not repeated.
        match Api::new("x", "", "https://user:p4ss@example.chargeover.com") {
            Err(ApiError::Setting(problem)) => {
                assert!(problem.contains("must not carry credentials"), "{problem}");
                assert!(!problem.contains("p4ss"), "{problem}");
            }
            _ => panic!("a URL with credentials is refused"),
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let seconds = HeaderValue::from_static("7");
        assert_eq!(seconds_to_wait(&seconds), Some(Duration::from_secs(7)));
        let past = HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(seconds_to_wait(&past), Some(Duration::ZERO));
        assert_eq!(seconds_to_wait(&HeaderValue::from_static("soon")), None);
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode("or-300007"), "or-300007");
        assert_eq!(
            encode("mod_datetime:GTE:2026-12-03 08:00:00"),
            "mod_datetime%3AGTE%3A2026-12-03%2008%3A00%3A00"
        );
    }

    #[test]
    fn queries_stay_out_of_messages() {
        assert_eq!(path_only("/api/v3/customer?where=x"), "/api/v3/customer");
    }
}

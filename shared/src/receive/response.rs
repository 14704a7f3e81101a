//! Every way a delivery can end, mapped to HTTP in this one place: 200 with
//! the outcome, or an RFC 9457 problem.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use thiserror::Error;

use crate::validate::model::FieldError;

/// What happened to an accepted delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The change is now in the state item.
    Applied,
    /// The same bytes were stored before; nothing changed.
    Duplicate,
    /// Older than the stored state: recorded as an event, state left alone.
    Stale,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
        }
    }
}

/// Why a delivery was not accepted.
#[derive(Debug, Error)]
pub enum Rejection {
    #[error("only POST is accepted")]
    MethodNotAllowed,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the content type must be application/json")]
    UnsupportedMediaType,
    /// Deliberately says nothing about which credential failed.
    #[error("the request could not be authenticated")]
    Unauthorized,
    #[error("the body is not well-formed JSON: {0}")]
    MalformedJson(String),
    #[error("the payload does not match the webhook's schema")]
    InvalidPayload(Vec<FieldError>),
    #[error("the delivery could not be stored; retry later")]
    StorageUnavailable,
}

impl Rejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::Unauthorized => StatusCode::UNAUTHORIZED,
            Rejection::MalformedJson(_) => StatusCode::BAD_REQUEST,
            Rejection::InvalidPayload(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Authenticated deliveries refused for their content are kept in quarantine.
    pub fn is_quarantined(&self) -> bool {
        matches!(
            self,
            Rejection::MalformedJson(_) | Rejection::InvalidPayload(_)
        )
    }

    /// A short name for the problem: its type URI ends with it, logs and
    /// metrics carry it.
    pub fn slug(&self) -> &'static str {
        match self {
            Rejection::MethodNotAllowed => "method-not-allowed",
            Rejection::PayloadTooLarge { .. } => "payload-too-large",
            Rejection::UnsupportedMediaType => "unsupported-media-type",
            Rejection::Unauthorized => "unauthorized",
            Rejection::MalformedJson(_) => "malformed-json",
            Rejection::InvalidPayload(_) => "invalid-payload",
            Rejection::StorageUnavailable => "storage-unavailable",
        }
    }

    pub fn problem(&self) -> Problem {
        let title = match self {
            Rejection::MethodNotAllowed => "Method not allowed",
            Rejection::PayloadTooLarge { .. } => "Payload too large",
            Rejection::UnsupportedMediaType => "Unsupported media type",
            Rejection::Unauthorized => "Unauthorized",
            Rejection::MalformedJson(_) => "Malformed JSON",
            Rejection::InvalidPayload(_) => "Invalid payload",
            Rejection::StorageUnavailable => "Storage unavailable",
        };
        let errors = match self {
            Rejection::InvalidPayload(errors) => errors.clone(),
            // The parser's complaint, at the root.
            Rejection::MalformedJson(detail) => vec![FieldError {
                pointer: String::new(),
                detail: detail.clone(),
            }],
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("{PROBLEM_TYPE_BASE}{}", self.slug()),
            title,
            status: self.status().as_u16(),
            detail: self.to_string(),
            errors,
        }
    }

    pub fn response(&self) -> Response<Body> {
        let mut builder = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/problem+json");
        if matches!(self, Rejection::MethodNotAllowed) {
            builder = builder.header(header::ALLOW, "POST");
        }
        if matches!(self, Rejection::StorageUnavailable) {
            builder = builder.header(header::RETRY_AFTER, "5");
        }
        json_response(builder, &self.problem())
    }
}

/// Problem type URIs; they name the problem, nothing is served there.
pub const PROBLEM_TYPE_BASE: &str = "urn:webhook-receivers:problem:";

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The body of a 200.
#[derive(Debug, Serialize)]
pub struct Accepted<'a> {
    pub outcome: Outcome,
    pub event_id: &'a str,
}

/// The answer to a delivery, and the outcome its log line reports.
pub fn respond(
    result: Result<Outcome, Rejection>,
    event_id: Option<&str>,
) -> (Response<Body>, &'static str) {
    match result {
        Ok(outcome) => {
            let builder = Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json");
            let event_id = event_id.unwrap_or_default();
            let accepted = Accepted { outcome, event_id };
            (json_response(builder, &accepted), outcome.as_str())
        }
        Err(rejection) => (rejection.response(), rejection.slug()),
    }
}

fn json_response(
    builder: lambda_http::http::response::Builder,
    body: &impl Serialize,
) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_default();
    builder
        .body(Body::Text(text))
        // Only fails on invalid header values, and ours are constants.
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

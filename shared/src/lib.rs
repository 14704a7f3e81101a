//! What both webhook functions share: payload models and validation, the
//! event id, redaction, secrets, configuration, storage and HTTP responses.

pub mod attribute;
pub mod aws_wait;
pub mod config;
pub mod deadline;
pub mod document;
pub mod event_id;
pub mod https;
pub mod json;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod receipt;
pub mod redact;
pub mod request;
pub mod response;
pub mod secret;
pub mod startup;
pub mod storage;
pub mod table;

pub use event_id::EventId;
pub use response::{Accepted, Outcome, Rejection};

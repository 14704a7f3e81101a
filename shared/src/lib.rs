//! What both webhook functions share: payload models and validation, the
//! event id, redaction, secrets, configuration, storage and HTTP responses.

pub mod attribute;
pub mod config;
pub mod event_id;
pub mod json;
pub mod model;
pub mod redact;
pub mod request;
pub mod response;
pub mod secret;
pub mod storage;
pub mod table;

pub use event_id::EventId;
pub use response::{Accepted, Outcome, Rejection};

//! What both webhook functions share, laid out as a delivery goes through it
//! (`pipeline` runs the stages in order; a function supplies its own
//! authentication, model and write):
//! - `receive`: the request's checks, its receipt (event id, arrival time),
//!   the invocation's deadline, and the answer (problems, status mapping);
//! - `authenticate`: the webhook secret, read and refreshed;
//! - `validate`: JSON to attributes, secrets removed, the typed models;
//! - `storage`: the table and bucket, and every read and write of them;
//! - `operate`: configuration, start-up, the HTTPS client, metrics, and the
//!   time spent waiting on AWS.

pub mod authenticate;
pub mod operate;
pub mod pipeline;
pub mod receive;
pub mod storage;
pub mod validate;

pub use receive::event_id::EventId;
pub use receive::response::{Accepted, Outcome, Rejection};

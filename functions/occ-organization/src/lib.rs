//! Oracle Commerce Cloud organization (account) webhook receiver.

pub mod auth;
pub mod config;
pub mod handler;
pub mod merge;
pub mod store;

pub use handler::Receiver;
/// One delivery, start to finish: the shared pipeline, run with this
/// function's `Receiver`.
pub use webhook_shared::pipeline::handle;

//! Oracle Commerce Cloud organization (account) webhook receiver.

pub mod auth;
pub mod config;
pub mod handler;
pub mod merge;
pub mod store;

pub use handler::Receiver;

/// The API route the template gives this function: OCC's failed messages
/// name the receiver by its URL, which ends with it.
pub const ROUTE: &str = "/occ/organization";
/// One delivery, start to finish: the shared pipeline, run with this
/// function's `Receiver`.
pub use webhook_shared::pipeline::handle;

//! ChargeOver "The main contact is changed" webhook receiver.

pub mod auth;
pub mod config;
pub mod encryption;
pub mod handler;
pub mod ordering;
pub mod store;

pub use handler::Receiver;
/// One delivery, start to finish: the shared pipeline, run with this
/// function's `Receiver`.
pub use webhook_shared::pipeline::handle;

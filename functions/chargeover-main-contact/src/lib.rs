//! ChargeOver "The main contact is changed" webhook receiver.

pub mod auth;
pub mod config;
pub mod encryption;
pub mod handler;
pub mod ordering;
pub mod store;

pub use handler::{handle, Receiver};

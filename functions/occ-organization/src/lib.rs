//! Oracle Commerce Cloud organization (account) webhook receiver.

pub mod auth;
pub mod config;
pub mod handler;
pub mod merge;
pub mod store;

pub use handler::{handle, Receiver};

//! Running the functions: configuration, start-up, the HTTPS client the SDK
//! uses, delivery metrics, and the time a delivery waits on AWS.

pub mod aws_wait;
pub mod config;
pub mod https;
pub mod metrics;
pub mod startup;

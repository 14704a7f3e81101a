//! An authenticated body made a change: parsed to attributes, secrets
//! removed, checked against the sender's model.

pub mod json;
pub mod model;
pub mod redact;

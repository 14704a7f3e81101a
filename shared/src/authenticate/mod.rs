//! The webhook secret each function checks requests with (the checks
//! themselves are each function's own).

pub mod secret;

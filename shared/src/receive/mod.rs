//! A delivery as it arrives and as it is answered.

pub mod deadline;
pub mod event_id;
pub mod receipt;
pub mod request;
pub mod response;

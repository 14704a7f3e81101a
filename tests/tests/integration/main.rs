//! The integration tests, in one test binary (one link of the SDK): each
//! module is one concern, run against the moto server and the real handlers.
//! Tests that need process-wide state have their own binaries: `security`
//! (it captures the log) and `chargeover_header_first` (it counts allocations).

mod bad_input;
mod chargeover;
mod concurrency;
mod encryption;
mod events;
mod key_change;
mod large;
mod metrics;
mod occ;
mod outage;
mod properties;
mod storage_faults;
mod table;
mod template;
mod template_options;

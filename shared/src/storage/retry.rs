//! Waiting before a write is tried again: after losing a race with a
//! concurrent writer or being throttled, with a jittered exponential pause,
//! for as long as the delivery's deadline leaves time for one more attempt.

use std::time::Duration;

use crate::receive::deadline::Deadline;
use crate::storage::StoreError;

/// Time kept for the attempt after a pause: a DynamoDB write takes tens of
/// milliseconds; one that takes longer than this is not waited for.
pub const ATTEMPT_RESERVE: Duration = Duration::from_secs(1);

/// Why a write is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Another transaction held an item (`TransactionConflict`).
    Conflict,
    /// DynamoDB throttled the write (`ThrottlingError`,
    /// `ProvisionedThroughputExceeded`).
    Throttled,
    /// The state moved on since it was read (OCC's version condition).
    StateChanged,
}

impl Busy {
    pub fn as_str(self) -> &'static str {
        match self {
            Busy::Conflict => "transaction conflict",
            Busy::Throttled => "throttled",
            Busy::StateChanged => "state changed concurrently",
        }
    }
}

/// The retries of one delivery's write.
#[derive(Debug)]
pub struct Retries<'d> {
    deadline: &'d Deadline,
    pauses: u32,
}

impl<'d> Retries<'d> {
    pub fn within(deadline: &'d Deadline) -> Self {
        Retries {
            deadline,
            pauses: 0,
        }
    }

    /// Waits before the next attempt, or gives up when the deadline would
    /// not leave time for it.
    pub async fn pause(&mut self, busy: Busy) -> Result<(), StoreError> {
        let pause = backoff(self.pauses);
        if self.deadline.remaining() < pause + ATTEMPT_RESERVE {
            return Err(StoreError::OutOfTime {
                attempts: self.pauses + 1,
                busy,
            });
        }
        self.pauses += 1;
        tokio::time::sleep(pause).await;
        Ok(())
    }
}

/// 20, 40, 80 ... ms (capped at 640) plus up to as much again at random, so
/// racing deliveries spread out.
fn backoff(pauses: u32) -> Duration {
    let base = 20u64 << pauses.min(5);
    Duration::from_millis(base + jitter(base))
}

/// A number below `below`, from the clock's nanoseconds: enough to spread
/// racing writers apart, and needs no generator.
fn jitter(below: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| u64::from(since.subsec_nanos()));
    nanos % below
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_are_capped() {
        for (pauses, low) in [(0, 20), (1, 40), (4, 320), (5, 640), (50, 640)] {
            let pause = backoff(pauses).as_millis() as u64;
            assert!((low..2 * low).contains(&pause), "{pauses}: {pause}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_when_the_deadline_leaves_no_time() {
        let deadline = Deadline::after(Duration::from_secs(5));
        let started = tokio::time::Instant::now();
        let mut retries = Retries::within(&deadline);
        let mut pauses = 0;
        let error = loop {
            match retries.pause(Busy::Throttled).await {
                Ok(()) => pauses += 1,
                Err(error) => break error,
            }
        };
        assert!(matches!(
            error,
            StoreError::OutOfTime { busy: Busy::Throttled, attempts } if attempts == pauses + 1
        ));
        let waited = started.elapsed();
        // Stopped with time left for one attempt and the answer.
        assert!(
            waited <= Duration::from_secs(5) - ATTEMPT_RESERVE,
            "{waited:?}"
        );
        assert!(waited >= Duration::from_secs(2), "{waited:?}");
    }
}

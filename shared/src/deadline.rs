//! The time a delivery has: Lambda ends an invocation at its deadline, so
//! every retry must stop early enough to answer (503, and the sender
//! retries) rather than be cut off.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_http::{Request, RequestExt};
use tokio::time::Instant;

/// Without an invocation context (tests, benches), or with a deadline that
/// is no time at all, the time a delivery gets.
pub const WITHOUT_CONTEXT: Duration = Duration::from_secs(10);

/// A deadline further in the past than this is a placeholder, not a time:
/// Lambda never hands out an invocation past its deadline, but `cargo lambda
/// watch` sends `600000` (ten minutes after 1970).
const PLACEHOLDER_BEFORE: u128 = 60_000;

/// Kept back from the deadline to build and send the answer.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// When the invocation must have answered.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// The invocation's deadline, from the Lambda context of `request`.
    pub fn of(request: &Request) -> Self {
        let Some(context) = request.lambda_context_ref() else {
            return Deadline::after(WITHOUT_CONTEXT);
        };
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        let deadline = u128::from(context.deadline);
        if deadline + PLACEHOLDER_BEFORE < now_ms {
            return Deadline::after(WITHOUT_CONTEXT);
        }
        let left = deadline.saturating_sub(now_ms);
        Deadline::after(Duration::from_millis(
            u64::try_from(left).unwrap_or(u64::MAX),
        ))
    }

    pub fn after(time: Duration) -> Self {
        Deadline(Instant::now() + time)
    }

    /// The time left to work, the answer's margin kept back.
    pub fn remaining(&self) -> Duration {
        self.0
            .saturating_duration_since(Instant::now())
            .saturating_sub(ANSWER_MARGIN)
    }

    /// `work`, or `None` if it has not finished when the time is up.
    pub async fn bound<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout(self.remaining(), work).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Context;

    fn request_due_in(ms: u64) -> Request {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let mut context = Context::default();
        context.deadline = now_ms + ms;
        Request::default().with_lambda_context(context)
    }

    #[tokio::test]
    async fn from_the_invocation_context() {
        let left = Deadline::of(&request_due_in(3_000)).remaining();
        assert!(left <= Duration::from_millis(2_500), "{left:?}");
        assert!(left > Duration::from_millis(2_000), "{left:?}");
        assert_eq!(
            Deadline::of(&request_due_in(100)).remaining(),
            Duration::ZERO
        );
        let without = Deadline::of(&Request::default()).remaining();
        assert!(without > Duration::from_secs(9), "{without:?}");
    }

    /// `cargo lambda watch` sends `600000` as the deadline.
    #[tokio::test]
    async fn an_emulators_placeholder_is_no_deadline() {
        let mut context = Context::default();
        context.deadline = 600_000;
        let left = Deadline::of(&Request::default().with_lambda_context(context)).remaining();
        assert!(left > Duration::from_secs(9), "{left:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn bound_stops_work_in_time() {
        let deadline = Deadline::after(Duration::from_secs(2));
        let slow = tokio::time::sleep(Duration::from_secs(5));
        let started = Instant::now();
        assert_eq!(deadline.bound(slow).await, None);
        assert_eq!(started.elapsed(), Duration::from_millis(1_500));
        assert_eq!(deadline.bound(async { 7 }).await, Some(7));
    }
}

//! The time a delivery has: Lambda ends an invocation at its deadline, so
//! every retry must stop early enough to answer (503, and the sender
//! retries) rather than be cut off.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_http::{Request, RequestExt};
use tokio::time::Instant;

/// The functions' configured timeout (`Timeout` in template.yaml, which a
/// test holds to this): the time a delivery gets when the invocation names
/// no deadline it can have (none, in tests and benches, or one already past
/// when it arrives).
pub const FUNCTION_TIMEOUT: Duration = Duration::from_secs(12);

/// Kept back from the deadline to build and send the answer.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// When the invocation must have answered.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// The invocation's deadline, from the Lambda context of `request`.
    pub fn of(request: &Request) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let deadline = request.lambda_context_ref().map(|context| context.deadline);
        Deadline::after(time_left(deadline, now))
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

/// The time an invocation due at `deadline_ms` (the Runtime API's deadline,
/// milliseconds since the epoch) has at `now`. The Runtime API's deadline is
/// the truth; one already past when the invocation arrives cannot be real,
/// and the function's configured timeout applies.
fn time_left(deadline_ms: Option<u64>, now: Duration) -> Duration {
    match deadline_ms.map(Duration::from_millis) {
        Some(deadline) if deadline > now => deadline - now,
        _ => FUNCTION_TIMEOUT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Context;

    const NOW: Duration = Duration::from_secs(1_790_000_000);

    #[test]
    fn the_runtime_apis_deadline_is_the_truth() {
        let due = |ms: u64| Some((NOW + Duration::from_millis(ms)).as_millis() as u64);
        assert_eq!(time_left(due(3_000), NOW), Duration::from_secs(3));
        assert_eq!(time_left(due(100), NOW), Duration::from_millis(100));
    }

    #[test]
    fn a_deadline_that_cannot_be_real_gets_the_default_time() {
        let past = (NOW - Duration::from_millis(1)).as_millis() as u64;
        assert_eq!(time_left(Some(past), NOW), FUNCTION_TIMEOUT);
        assert_eq!(time_left(Some(600_000), NOW), FUNCTION_TIMEOUT);
        assert_eq!(time_left(None, NOW), FUNCTION_TIMEOUT);
    }

    #[test]
    fn the_answers_margin_is_kept_back() {
        let deadline = Deadline::of(&Request::default());
        assert!(deadline.remaining() <= FUNCTION_TIMEOUT - ANSWER_MARGIN);
        let mut context = Context::default();
        context.deadline = 1;
        let request = Request::default().with_lambda_context(context);
        assert!(Deadline::of(&request).remaining() <= FUNCTION_TIMEOUT - ANSWER_MARGIN);
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

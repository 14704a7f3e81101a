//! How long a delivery waits for AWS: from each request's hand-over to the
//! HTTP client (connecting included) to its response's headers, over
//! DynamoDB, S3 and Secrets Manager, summed. Not in it: back-off between
//! retries, and reading a response's body (small, except an S3 document's).
//! The delivery's log line reports it as `aws_wait_ms` beside `latency_ms`,
//! so the function's own share of a slow delivery is the difference (and
//! `make bench` measures it so, without a proxy).
//!
//! [`WaitTimer`] is an SDK interceptor on every client the functions build
//! (through [`dynamodb`], [`s3`] and [`secrets_manager`]); [`measured`] scopes
//! the sum to one delivery (a task-local, so deliveries in the same process
//! never mix).

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

tokio::task_local! {
    static WAITED: Cell<Duration>;
}

/// Runs `work` and returns its output with the time it waited for AWS.
/// `work` goes on the heap: a delivery's future is large (the SDK's are), and
/// held inline here as well it overflowed a test thread's stack in debug builds.
pub fn measured<F: Future>(work: F) -> impl Future<Output = (F::Output, Duration)> {
    let work = Box::pin(work);
    WAITED.scope(Cell::new(Duration::ZERO), async move {
        let output = work.await;
        (output, WAITED.with(Cell::get))
    })
}

/// A DynamoDB client that times its requests.
pub fn dynamodb(aws: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(aws).interceptor(WaitTimer);
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

/// An S3 client that times its requests.
pub fn s3(aws: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(aws).interceptor(WaitTimer);
    aws_sdk_s3::Client::from_conf(config.build())
}

/// A Secrets Manager client that times its requests.
pub fn secrets_manager(aws: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::config::Builder::from(aws).interceptor(WaitTimer);
    aws_sdk_secretsmanager::Client::from_conf(config.build())
}

/// Adds each request's time on the wire to the delivery's sum; outside
/// [`measured`] it records nothing.
#[derive(Debug)]
pub struct WaitTimer;

/// An attempt's request on the wire since it was handed to the HTTP client.
/// Its time is added when it is dropped: when the response arrives, when the
/// attempt fails, or when the whole request is dropped (the delivery's
/// deadline), so no wait goes uncounted.
#[derive(Debug)]
struct InFlight(Instant);

impl Storable for InFlight {
    type Storer = StoreReplace<Self>;
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let _ = WAITED.try_with(|waited| waited.set(waited.get() + self.0.elapsed()));
    }
}

impl Intercept for WaitTimer {
    fn name(&self) -> &'static str {
        "WaitTimer"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(InFlight(Instant::now()));
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<InFlight>();
        Ok(())
    }

    /// An attempt whose transmission failed (a timeout, a refused
    /// connection) waited too.
    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<InFlight>();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::{
        Credentials, Region, SharedCredentialsProvider, SharedHttpClient,
    };
    use aws_smithy_http_client::test_util::infallible_client_fn;

    use super::*;

    /// SDK settings that send every request through `http`.
    fn settings(http: SharedHttpClient, endpoint: &str) -> SdkConfig {
        let credentials = Credentials::new("testing", "testing", None, None, "tests");
        SdkConfig::builder()
            .http_client(http)
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    /// SDK settings for a service that takes `service_time` to answer each request.
    fn slow_service(service_time: Duration) -> SdkConfig {
        let http = infallible_client_fn(move |_| {
            std::thread::sleep(service_time);
            lambda_http::http::Response::builder()
                .status(200)
                .body(r#"{"TableNames":[]}"#)
                .expect("a response")
        });
        settings(http, "http://127.0.0.1:9")
    }

    #[tokio::test]
    async fn a_delivery_counts_the_wait_of_each_of_its_requests() {
        let client = dynamodb(&slow_service(Duration::from_millis(20)));
        let started = Instant::now();
        let ((), waited) = measured(async {
            client.list_tables().send().await.expect("first request");
            client.list_tables().send().await.expect("second request");
        })
        .await;
        assert!(waited >= Duration::from_millis(40), "{waited:?}");
        assert!(waited <= started.elapsed(), "{waited:?}");
    }

    #[tokio::test]
    async fn requests_outside_a_delivery_count_for_none() {
        let client = dynamodb(&slow_service(Duration::from_millis(5)));
        client.list_tables().send().await.expect("a request");
        let ((), waited) = measured(async {}).await;
        assert_eq!(waited, Duration::ZERO);
    }

    #[tokio::test]
    async fn a_request_cut_off_by_the_deadline_counts_until_then() {
        // Connections complete in the kernel's backlog; nothing ever answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let endpoint = format!("http://{}", silent.local_addr().expect("its address"));
        let http = crate::operate::https::https_client(false).expect("the HTTPS client");
        let client = dynamodb(&settings(http, &endpoint));
        let started = Instant::now();
        let deadline = Duration::from_millis(100);
        let (cut, waited) =
            measured(tokio::time::timeout(deadline, client.list_tables().send())).await;
        assert!(cut.is_err(), "the request should not have been answered");
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        assert!(waited <= started.elapsed(), "{waited:?}");
    }
}

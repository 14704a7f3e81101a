//! What a function builds once, at start-up: the SDK settings, the secret
//! (read now), the table client with its connection opened, the S3 client. A function that
//! cannot complete start-up refuses to serve.

use std::time::Duration;

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::meta::region::ProvideRegion;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::ProvideCredentials;
use aws_sdk_dynamodb::config::SharedHttpClient;
use thiserror::Error;

use crate::authenticate::secret::{LoadError, SecretStore, WebhookKeys};
use crate::operate::aws_wait;
use crate::operate::config::{CommonConfig, ConfigError};
use crate::operate::metrics::{Metrics, Sink};
use crate::pipeline::Common;
use crate::storage::Table;
use crate::storage::{Bucket, S3Client, Store};

#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] LoadError),
    #[error("the HTTPS client could not be built: {0}")]
    HttpClient(String),
    #[error("table {0} does not exist")]
    NoTable(String),
}

/// Ends the process when start-up cannot complete: a function that is not
/// fully configured must not serve (it would run open or lose deliveries).
pub fn or_refuse_to_start<T, E: Into<StartError>>(result: Result<T, E>) -> T {
    result.map_err(Into::into).unwrap_or_else(|error| {
        tracing::error!(%error, "refusing to start");
        eprintln!("refusing to start: {error}");
        std::process::exit(1)
    })
}

/// SDK settings for a function with a 14-second sender timeout: fail fast
/// enough that the sender gets a 503 (and retries) rather than a timeout.
///
/// On Lambda the runtime puts the function's region and credentials in the
/// environment, where the SDK's default region and credential chains look
/// first. Taken from there, the rest of those two chains (their profile and
/// IMDS providers, an STS client for web identity) is never built, which is
/// init CPU saved (docs/PERFORMANCE.md). Without them in the environment (a
/// profile on a laptop) the chains apply as before.
pub async fn load_aws_config(http_client: SharedHttpClient) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        );
    if let Some(region) = EnvironmentVariableRegionProvider::new().region().await {
        loader = loader.region(region);
    }
    let credentials = EnvironmentVariableCredentialsProvider::new();
    if credentials.provide_credentials().await.is_ok() {
        loader = loader.credentials_provider(credentials);
    }
    loader.load().await
}

/// What every function holds, ready to serve: the store (table and bucket),
/// the function's keys, its limits, and its metrics (as `function`'s).
pub async fn start<K: WebhookKeys>(
    config: &CommonConfig,
    function: &'static str,
) -> Result<Common<Store, K>, StartError> {
    let http = crate::operate::https::https_client(config.trust_system_roots)
        .map_err(StartError::HttpClient)?;
    let aws = load_aws_config(http).await;
    // Every client times its requests for the delivery's `aws_wait_ms`.
    let table = Table::new(aws_wait::dynamodb(&aws), &config.table_name);
    // Built on first use: a delivery of normal size never calls S3.
    let s3_config = aws.clone();
    let bucket = Bucket {
        client: S3Client::lazy(move || aws_wait::s3(&s3_config)),
        name: config.payload_bucket.clone(),
    };
    // Both are round trips; made together, init waits for the longer one only.
    let (keys, primed) = tokio::join!(
        SecretStore::load(&config.secret, || aws_wait::secrets_manager(&aws)),
        prime(&table)
    );
    primed?;
    Ok(Common {
        store: Store { table, bucket },
        keys: keys?,
        max_body_bytes: config.max_body_bytes,
        retention_days: config.event_retention_days,
        metrics: Metrics::new(&config.metrics_namespace, function, Sink::Stdout),
    })
}

/// Opens the connection (TLS included) during init so the first delivery
/// does not pay for it, and checks the table exists. A missing table stops
/// the function; any other failure is left for the first delivery to retry.
pub async fn prime(table: &Table) -> Result<(), StartError> {
    match table.exists().await {
        Ok(true) => Ok(()),
        Ok(false) => Err(StartError::NoTable(table.name.clone())),
        Err(error) => {
            tracing::warn!(%error, "could not prime the DynamoDB connection");
            Ok(())
        }
    }
}

use chargeover_main_contact::config::Config;
use chargeover_main_contact::Receiver;
use lambda_http::Error;
use webhook_shared::operate::metrics::Metrics;
use webhook_shared::operate::startup::{connect, or_refuse_to_start};
use webhook_shared::pipeline::serve;

/// A delivery is hundreds of small allocations; mimalloc makes them cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let config = or_refuse_to_start(Config::from_env(&|name| std::env::var(name).ok()));
    let (store, keys) = or_refuse_to_start(connect(&config.common).await);
    or_refuse_to_start(config.check_encryption(&*keys.keys().await));

    serve(Receiver {
        store,
        keys,
        timezone: config.timezone,
        encryption: config.encryption,
        max_body_bytes: config.common.max_body_bytes,
        retention_days: config.common.event_retention_days,
        metrics: Metrics::stdout(&config.common.metrics_namespace, env!("CARGO_PKG_NAME")),
    })
    .await
}

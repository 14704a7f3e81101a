use lambda_http::Error;
use occ_organization::config::Config;
use occ_organization::Receiver;
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

    serve(Receiver {
        store,
        keys,
        algorithms: config.algorithms,
        max_body_bytes: config.common.max_body_bytes,
        retention_days: config.common.event_retention_days,
        metrics: Metrics::stdout(&config.common.metrics_namespace, env!("CARGO_PKG_NAME")),
    })
    .await
}

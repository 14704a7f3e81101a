use lambda_http::Error;
use occ_organization::config::Config;
use occ_organization::Receiver;
use webhook_shared::operate::startup::{or_refuse_to_start, start};
use webhook_shared::pipeline::serve;

/// A delivery is hundreds of small allocations; mimalloc makes them cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let config = or_refuse_to_start(Config::from_env(&|name| std::env::var(name).ok()));
    let common = or_refuse_to_start(start(&config.common, env!("CARGO_PKG_NAME")).await);

    serve(Receiver {
        common,
        algorithms: config.algorithms,
    })
    .await
}

use chargeover_main_contact::config::Config;
use chargeover_main_contact::Receiver;
use lambda_http::Error;
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
    or_refuse_to_start(config.check_encryption(&*common.keys.keys().await));

    serve(Receiver {
        common,
        timezone: config.timezone,
        encryption: config.encryption,
    })
    .await
}

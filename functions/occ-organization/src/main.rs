use std::convert::Infallible;

use lambda_http::{service_fn, Error};
use occ_organization::config::Config;
use occ_organization::{handle, Receiver};
use webhook_shared::config::or_refuse_to_start;
use webhook_shared::secret::SecretStore;
use webhook_shared::storage::{load_aws_config, Table};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let config = or_refuse_to_start(Config::from_env(&|name| std::env::var(name).ok()));
    let aws = load_aws_config().await;
    let keys = or_refuse_to_start(
        SecretStore::load(&config.common.secret, || {
            aws_sdk_secretsmanager::Client::new(&aws)
        })
        .await,
    );
    let table = Table::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.common.table_name,
    );
    or_refuse_to_start(table.prime().await);

    let receiver = Receiver {
        store: table,
        keys,
        algorithms: config.algorithms,
        max_body_bytes: config.common.max_body_bytes,
        retention_days: config.common.event_retention_days,
    };
    lambda_http::run(service_fn(|request| async {
        Ok::<_, Infallible>(handle(request, &receiver).await)
    }))
    .await
}

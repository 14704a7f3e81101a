//! `make run` helper: creates the table (from the shared definition), the
//! payload bucket and the two webhook secrets (the local development values
//! of scripts/local.env) on the local moto server. Safe to run again.

use integration_tests::{aws_config_for, create_table, local_secret, moto_endpoint};
use webhook_shared::storage::schema::TABLE;
use webhook_shared::storage::Table;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aws = aws_config_for(&moto_endpoint()).await;
    let table_name = std::env::var("TABLE_NAME")?;
    let table = Table::new(aws_sdk_dynamodb::Client::new(&aws), &table_name);
    if !table.exists().await? {
        create_table(&table, &TABLE).await?;
    }
    println!("table {table_name} ready");

    let bucket = std::env::var("PAYLOAD_BUCKET")?;
    let s3 = aws_sdk_s3::Client::new(&aws);
    if s3.head_bucket().bucket(&bucket).send().await.is_err() {
        s3.create_bucket().bucket(&bucket).send().await?;
    }
    println!("bucket {bucket} ready");

    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    for (id_var, value_name) in [
        ("CHARGEOVER_WEBHOOK_SECRET_ID", "LOCAL_CHARGEOVER_SECRET"),
        ("OCC_WEBHOOK_SECRET_ID", "LOCAL_OCC_SECRET"),
    ] {
        let id = std::env::var(id_var)?;
        let value = local_secret(value_name);
        let created = secrets
            .create_secret()
            .name(&id)
            .secret_string(&value)
            .send()
            .await;
        if created.is_err() {
            secrets
                .put_secret_value()
                .secret_id(&id)
                .secret_string(&value)
                .send()
                .await?;
        }
        println!("secret {id} ready");
    }
    Ok(())
}

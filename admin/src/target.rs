//! What the commands work on: the table and bucket named on the command line
//! or read from a deployed stack's outputs, through the caller's AWS
//! credentials, region and endpoints.

use aws_config::{BehaviorVersion, SdkConfig};
use jiff::tz::TimeZone;
use webhook_shared::storage::Table;
use webhook_shared::storage::{Bucket, Store};

use crate::cli::Target;
use crate::Failure;

/// The stack outputs and parameter the CLI reads.
pub const TABLE_OUTPUT: &str = "TableName";
pub const BUCKET_OUTPUT: &str = "PayloadBucketName";
pub const TIMEZONE_PARAMETER: &str = "ChargeOverTimezone";

/// What a command works on.
pub struct Resolved {
    pub store: Store,
    /// For replays of ChargeOver deliveries whose datetimes carry no offset.
    pub chargeover_timezone: TimeZone,
}

pub async fn resolve(target: &Target) -> Result<Resolved, Failure> {
    let aws = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let mut table = target.table.clone();
    let mut bucket = target.bucket.clone();
    let mut timezone = target.chargeover_timezone.clone();
    if let Some(stack) = &target.stack {
        let outputs = stack_settings(&aws, stack).await?;
        let read = |name: &str| {
            outputs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, v)| v.clone())
        };
        table = table.or_else(|| read(TABLE_OUTPUT));
        bucket = bucket.or_else(|| read(BUCKET_OUTPUT));
        timezone = timezone.or_else(|| read(TIMEZONE_PARAMETER));
    }
    let table = table.ok_or_else(|| {
        Failure::Usage("name the table: --stack NAME, --table NAME or TABLE_NAME".into())
    })?;
    let bucket = bucket.ok_or_else(|| {
        Failure::Usage("name the bucket: --stack NAME, --bucket NAME or PAYLOAD_BUCKET".into())
    })?;
    let timezone =
        timezone.unwrap_or_else(|| chargeover_main_contact::config::DEFAULT_TIMEZONE.to_owned());
    let chargeover_timezone = TimeZone::get(&timezone)
        .map_err(|e| Failure::Usage(format!("{timezone} is not an IANA time zone: {e}")))?;
    Ok(Resolved {
        store: Store {
            table: Table::new(aws_sdk_dynamodb::Client::new(&aws), table),
            bucket: Bucket {
                client: aws_sdk_s3::Client::new(&aws).into(),
                name: bucket,
            },
        },
        chargeover_timezone,
    })
}

/// The stack's outputs and parameters, as (key, value).
async fn stack_settings(aws: &SdkConfig, stack: &str) -> Result<Vec<(String, String)>, Failure> {
    let described = aws_sdk_cloudformation::Client::new(aws)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| {
            Failure::Aws(format!(
                "stack {stack}: {}",
                aws_sdk_cloudformation::error::DisplayErrorContext(&e)
            ))
        })?;
    let stack = described
        .stacks()
        .first()
        .ok_or_else(|| Failure::NotFound(format!("stack {stack}")))?;
    let outputs = stack.outputs().iter().filter_map(|output| {
        Some((
            output.output_key()?.to_owned(),
            output.output_value()?.to_owned(),
        ))
    });
    let parameters = stack.parameters().iter().filter_map(|parameter| {
        Some((
            parameter.parameter_key()?.to_owned(),
            parameter.parameter_value()?.to_owned(),
        ))
    });
    Ok(outputs.chain(parameters).collect())
}

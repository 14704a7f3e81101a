//! What the commands work on: the table and bucket named on the command line
//! or read from a deployed stack's outputs, through the caller's AWS
//! credentials, region and endpoints.

use aws_config::{BehaviorVersion, SdkConfig};
use jiff::tz::TimeZone;
use webhook_shared::storage::Table;
use webhook_shared::storage::{Bucket, Store};

use crate::cli::Target;
use crate::Failure;

/// The stack outputs and parameters the CLI reads.
pub const TABLE_OUTPUT: &str = "TableName";
pub const BUCKET_OUTPUT: &str = "PayloadBucketName";
pub const TIMEZONE_PARAMETER: &str = "ChargeOverTimezone";
pub const RETENTION_PARAMETER: &str = "EventRetentionDays";
pub const CHARGEOVER_API_URL_OUTPUT: &str = "ChargeOverApiUrl";
pub const CHARGEOVER_API_SECRET_OUTPUT: &str = "ChargeOverApiSecretArn";
pub const OCC_ADMIN_URL_OUTPUT: &str = "OccAdminUrl";
pub const OCC_ADMIN_SECRET_OUTPUT: &str = "OccAdminSecretArn";
/// Every name above: the template must have each (a test checks).
pub const STACK_NAMES: [&str; 8] = [
    TABLE_OUTPUT,
    BUCKET_OUTPUT,
    TIMEZONE_PARAMETER,
    RETENTION_PARAMETER,
    CHARGEOVER_API_URL_OUTPUT,
    CHARGEOVER_API_SECRET_OUTPUT,
    OCC_ADMIN_URL_OUTPUT,
    OCC_ADMIN_SECRET_OUTPUT,
];

/// What a command works on.
pub struct Resolved {
    pub store: Store,
    /// For replays of ChargeOver deliveries whose datetimes carry no offset.
    pub chargeover_timezone: TimeZone,
    /// How long a reconciliation's event records are kept (the functions'
    /// `EVENT_RETENTION_DAYS`); `None`: for good.
    pub retention_days: Option<u32>,
    /// ChargeOver's REST API, when named.
    pub chargeover_api: Option<SenderApi>,
    /// OCC's Admin API, when named.
    pub occ_admin: Option<SenderApi>,
    /// For reading the senders' credentials from Secrets Manager.
    pub aws: SdkConfig,
}

/// Where a sender's API is, and the secret holding its credentials.
pub struct SenderApi {
    pub url: String,
    pub secret_id: String,
}

impl Resolved {
    pub fn chargeover_api(&self) -> Result<&SenderApi, Failure> {
        self.chargeover_api.as_ref().ok_or_else(|| {
            Failure::Usage(
                "name ChargeOver's REST API: --stack NAME, or --chargeover-api-url and \
                 --chargeover-api-secret-id (CHARGEOVER_API_URL, CHARGEOVER_API_SECRET_ID)"
                    .into(),
            )
        })
    }

    pub fn occ_admin(&self) -> Result<&SenderApi, Failure> {
        self.occ_admin.as_ref().ok_or_else(|| {
            Failure::Usage(
                "name OCC's Admin API: --stack NAME, or --occ-admin-url and \
                 --occ-admin-secret-id (OCC_ADMIN_URL, OCC_ADMIN_SECRET_ID)"
                    .into(),
            )
        })
    }
}

pub async fn resolve(target: &Target) -> Result<Resolved, Failure> {
    let aws = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let stack = match &target.stack {
        Some(stack) => stack_settings(&aws, stack).await?,
        None => Vec::new(),
    };
    // The command line's value, else the stack's (an empty one is unset).
    let setting = |given: &Option<String>, name: &str| {
        given.clone().or_else(|| {
            let (_, value) = stack
                .iter()
                .find(|(key, value)| key == name && !value.is_empty())?;
            Some(value.clone())
        })
    };
    let table = setting(&target.table, TABLE_OUTPUT).ok_or_else(|| {
        Failure::Usage("name the table: --stack NAME, --table NAME or TABLE_NAME".into())
    })?;
    let bucket = setting(&target.bucket, BUCKET_OUTPUT).ok_or_else(|| {
        Failure::Usage("name the bucket: --stack NAME, --bucket NAME or PAYLOAD_BUCKET".into())
    })?;
    let timezone = setting(&target.chargeover_timezone, TIMEZONE_PARAMETER)
        .unwrap_or_else(|| chargeover_main_contact::config::DEFAULT_TIMEZONE.to_owned());
    let chargeover_timezone = TimeZone::get(&timezone)
        .map_err(|e| Failure::Usage(format!("{timezone} is not an IANA time zone: {e}")))?;
    let retention = setting(&target.event_retention_days, RETENTION_PARAMETER);
    let retention: u32 = retention
        .map_or(Ok(0), |days| days.trim().parse())
        .map_err(|_| Failure::Usage("the event retention must be a whole number of days".into()))?;
    let api = |url, secret_id| {
        Some(SenderApi {
            url: url?,
            secret_id: secret_id?,
        })
    };
    Ok(Resolved {
        chargeover_api: api(
            setting(&target.chargeover_api_url, CHARGEOVER_API_URL_OUTPUT),
            setting(
                &target.chargeover_api_secret_id,
                CHARGEOVER_API_SECRET_OUTPUT,
            ),
        ),
        occ_admin: api(
            setting(&target.occ_admin_url, OCC_ADMIN_URL_OUTPUT),
            setting(&target.occ_admin_secret_id, OCC_ADMIN_SECRET_OUTPUT),
        ),
        // 0: kept for good, as the functions read it.
        retention_days: (retention > 0).then_some(retention),
        store: Store {
            table: Table::new(aws_sdk_dynamodb::Client::new(&aws), table),
            bucket: Bucket {
                client: aws_sdk_s3::Client::new(&aws).into(),
                name: bucket,
            },
        },
        chargeover_timezone,
        aws,
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

//! The command line: every command, with an example in its `--help`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Parser)]
#[command(
    name = "webhook-admin",
    version,
    about = "See and repair what the webhook receivers did: current state, \
             delivery history, quarantined deliveries and their replay",
    after_help = "Targets: --stack NAME reads the table and bucket from a deployed \
stack's outputs; --table/--bucket name them. AWS credentials, region and \
endpoints come from the usual chain (AWS_PROFILE, AWS_REGION, \
AWS_ENDPOINT_URL, ...), so the same commands work against `make run`'s \
local stack. The senders' APIs (occ failed, reconcile): \
--chargeover-api-url/--chargeover-api-secret-id and \
--occ-admin-url/--occ-admin-secret-id, or the stack's outputs; the \
credentials are read from Secrets Manager only.\n\nExit codes: 0 done; 1 AWS, \
a sender's API or stored data failed; 2 usage; 3 not found; 4 a replayed \
delivery, or a sender's record, is refused by the functions' validation."
)]
pub struct Cli {
    #[command(flatten)]
    pub target: Target,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Target {
    /// The deployed stack to read the table, bucket and settings from.
    #[arg(long, global = true, env = "WEBHOOK_STACK")]
    pub stack: Option<String>,
    /// The DynamoDB table (the stack's TableName output; wins over --stack).
    #[arg(long, global = true, env = "TABLE_NAME")]
    pub table: Option<String>,
    /// The S3 bucket of large documents (the stack's PayloadBucketName
    /// output; wins over --stack).
    #[arg(long, global = true, env = "PAYLOAD_BUCKET")]
    pub bucket: Option<String>,
    /// IANA zone of ChargeOver datetimes without offset, for replays (with
    /// --stack: the stack's ChargeOverTimezone parameter).
    #[arg(long, global = true, env = "CHARGEOVER_TIMEZONE")]
    pub chargeover_timezone: Option<String>,
    /// Days a reconciliation's event records are kept, as the functions'
    /// (with --stack: the stack's EventRetentionDays parameter; 0: for good).
    #[arg(long, global = true, env = "EVENT_RETENTION_DAYS")]
    pub event_retention_days: Option<String>,
    /// The ChargeOver instance, e.g. https://example.chargeover.com (the
    /// stack's ChargeOverApiUrl output).
    #[arg(long, global = true, env = "CHARGEOVER_API_URL")]
    pub chargeover_api_url: Option<String>,
    /// The secret holding {"username": ..., "password": ...} of ChargeOver's
    /// REST API (the stack's ChargeOverApiSecretArn output).
    #[arg(long, global = true, env = "CHARGEOVER_API_SECRET_ID")]
    pub chargeover_api_secret_id: Option<String>,
    /// The OCC admin host, e.g. https://admin.example.com (the stack's
    /// OccAdminUrl output).
    #[arg(long, global = true, env = "OCC_ADMIN_URL")]
    pub occ_admin_url: Option<String>,
    /// The secret holding the application key of an OCC registered
    /// application (the stack's OccAdminSecretArn output).
    #[arg(long, global = true, env = "OCC_ADMIN_SECRET_ID")]
    pub occ_admin_secret_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The current state of a ChargeOver customer or an OCC organization.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks state chargeover 413\n  \
webhook-admin --stack webhooks --json state occ or-300007"
    )]
    State {
        #[command(subcommand)]
        entity: Entity,
    },
    /// Every delivery recorded for a customer or organization, in the order received.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks history chargeover 413\n  \
webhook-admin --stack webhooks --json history occ or-300007"
    )]
    History {
        #[command(subcommand)]
        entity: Entity,
    },
    /// Deliveries that authenticated but were refused (400/422).
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// OCC's failed-message log: deliveries OCC gave up on, and their resend.
    Occ {
        #[command(subcommand)]
        command: OccCommand,
    },
    /// Compares what is stored with the sender's current records, and with
    /// --apply stores what differs as a delivery would.
    Reconcile {
        #[command(subcommand)]
        sender: ReconcileCommand,
    },
    /// S3 documents no item refers to any more (dry run unless --delete).
    #[command(after_help = "Examples:\n  webhook-admin --stack webhooks gc\n  \
webhook-admin --stack webhooks gc --delete")]
    Gc {
        /// Delete them (without it, only list them).
        #[arg(long)]
        delete: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum Entity {
    /// A ChargeOver customer, by customer id.
    Chargeover { customer_id: u64 },
    /// An OCC organization, by organization id.
    Occ { organization_id: String },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// Quarantined deliveries, oldest first; replayed ones only with --all.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks quarantine list\n  \
webhook-admin --stack webhooks quarantine list --source occ --since 7d --all"
    )]
    List {
        /// Only this sender's.
        #[arg(long, value_enum)]
        source: Option<Source>,
        /// Only those received within this long (e.g. 30m, 12h, 7d).
        #[arg(long, value_parser = parse_since)]
        since: Option<jiff::SignedDuration>,
        /// Include deliveries already replayed successfully.
        #[arg(long)]
        all: bool,
    },
    /// One quarantined delivery: its problem, body (secrets masked) and attempts.
    #[command(after_help = "Example:\n  webhook-admin --stack webhooks quarantine show 0f3c2a...")]
    Show { event_id: String },
    /// Runs quarantined deliveries through the functions' validation, merge
    /// and write again, under their original event ids.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks quarantine replay 0f3c2a... 9b1e77...\n  \
webhook-admin --stack webhooks quarantine replay --all --dry-run"
    )]
    Replay {
        /// The deliveries to replay.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        event_ids: Vec<String>,
        /// Every delivery not yet replayed successfully.
        #[arg(long)]
        all: bool,
        /// Check only: validate, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OccCommand {
    /// Organization webhook messages OCC stopped resending.
    Failed {
        #[command(subcommand)]
        command: FailedCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum FailedCommand {
    /// The organization webhook's failed messages, oldest first.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks occ failed list\n  \
webhook-admin --stack webhooks occ failed list --since 12h"
    )]
    List {
        /// Only those OCC last saved (failed) since (e.g. 12h, 7d, or
        /// 2026-12-03T08:00:00Z).
        #[arg(long, value_parser = parse_when)]
        since: Option<Timestamp>,
    },
    /// Queues failed messages for OCC to resend, oldest first, then
    /// reconciles each organization they concern with OCC's current one.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks occ failed resend --all --since 12h\n  \
webhook-admin --stack webhooks occ failed resend 100001 100002 --dry-run"
    )]
    Resend(ResendArgs),
}

#[derive(Debug, Subcommand)]
pub enum ReconcileCommand {
    /// ChargeOver customers and their main contacts, read from its REST API.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks reconcile chargeover --since 12h\n  \
webhook-admin --stack webhooks reconcile chargeover 413 414 --apply"
    )]
    Chargeover(ReconcileChargeover),
    /// OCC organizations, read from its Admin API.
    #[command(
        after_help = "Examples:\n  webhook-admin --stack webhooks reconcile occ --since 12h\n  \
webhook-admin --stack webhooks reconcile occ or-300007 --apply"
    )]
    Occ(ReconcileOcc),
}

#[derive(Debug, Args)]
pub struct ResendArgs {
    /// The failed messages to resend.
    #[arg(required_unless_present = "all", conflicts_with_all = ["all", "since"])]
    pub ids: Vec<String>,
    /// Every failed message of the organization webhook.
    #[arg(long)]
    pub all: bool,
    /// With --all: only those that failed since (e.g. 12h, 7d, or a time).
    #[arg(long, value_parser = parse_when, requires = "all")]
    pub since: Option<Timestamp>,
    /// List what would be resent; queue and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How long to wait for OCC to resend what was queued before the
    /// organizations are reconciled (e.g. 10m, 1h).
    #[arg(long, value_parser = parse_since, default_value = "15m")]
    pub wait: SignedDuration,
}

#[derive(Debug, Args)]
pub struct ReconcileChargeover {
    /// The customers to reconcile.
    #[arg(required_unless_present = "since", conflicts_with = "since")]
    pub customer_ids: Vec<u64>,
    /// Every customer modified since (e.g. 12h, 7d, or 2026-12-03T08:00:00Z).
    #[arg(long, value_parser = parse_when)]
    pub since: Option<Timestamp>,
    /// Store what differs (without it, only compare).
    #[arg(long)]
    pub apply: bool,
}

#[derive(Debug, Args)]
pub struct ReconcileOcc {
    /// The organizations to reconcile.
    #[arg(required_unless_present = "since", conflicts_with = "since")]
    pub organization_ids: Vec<String>,
    /// Every organization this table recorded a delivery for since then
    /// (e.g. 12h, 7d, or a time): OCC documents no "modified since" filter.
    #[arg(long, value_parser = parse_when)]
    pub since: Option<Timestamp>,
    /// Store what differs (without it, only compare).
    #[arg(long)]
    pub apply: bool,
}

/// The sender a quarantined delivery came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    Chargeover,
    Occ,
}

impl Source {
    pub const ALL: [Source; 2] = [Source::Chargeover, Source::Occ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Chargeover => "chargeover",
            Source::Occ => "occ",
        }
    }

    /// The partition of its quarantine items.
    pub fn rejected_pk(self) -> &'static str {
        match self {
            Source::Chargeover => chargeover_main_contact::store::REJECTED_PK,
            Source::Occ => occ_organization::store::REJECTED_PK,
        }
    }
}

/// `--since`: `30m`, `12h`, `7d`, `1d 6h` (days of 24 hours).
pub fn parse_since(text: &str) -> Result<SignedDuration, String> {
    let span: jiff::Span = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration such as 30m, 12h or 7d: {e}"))?;
    span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| e.to_string())
}

/// `--since` of the recovery commands: a duration back from now (`12h`,
/// `7d`) or an instant (`2026-12-03T08:00:00Z`).
pub fn parse_when(text: &str) -> Result<Timestamp, String> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let ago = parse_since(text)
        .map_err(|_| format!("{text:?} is neither a duration (12h, 7d) nor an RFC 3339 time"))?;
    Timestamp::now()
        .checked_sub(ago)
        .map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_friendly_durations() {
        assert_eq!(parse_since("30m").unwrap(), SignedDuration::from_mins(30));
        assert_eq!(
            parse_since("7d").unwrap(),
            SignedDuration::from_hours(7 * 24)
        );
        assert_eq!(
            parse_since("1d 6h").unwrap(),
            SignedDuration::from_hours(30)
        );
        assert!(parse_since("soon").is_err());
    }

    #[test]
    fn when_is_a_duration_ago_or_an_instant() {
        let at = parse_when("2026-12-03T08:00:00Z").unwrap();
        assert_eq!(at.to_string(), "2026-12-03T08:00:00Z");
        let ago = Timestamp::now().duration_since(parse_when("12h").unwrap());
        assert!((ago - SignedDuration::from_hours(12)).abs() < SignedDuration::from_secs(60));
        assert!(parse_when("yesterday").is_err());
    }
}

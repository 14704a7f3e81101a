//! `webhook-admin`: see and repair what the webhook receivers did, without
//! writing DynamoDB queries. Replays run the functions' own library code.

pub mod cli;
mod gc;
mod occ_failed;
mod output;
mod quarantine;
mod read;
mod reconcile;
pub mod senders;
mod state;
pub mod target;

use std::process::ExitCode;

use thiserror::Error;

use crate::cli::{Cli, Command, FailedCommand, OccCommand, QuarantineCommand, ReconcileCommand};
pub use crate::output::Shown;

/// The exit code of a command some of whose deliveries the functions'
/// validation refuses.
pub const STILL_REFUSED: u8 = 4;

/// Why a command did not complete, and the exit code each gets.
#[derive(Debug, Error)]
pub enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("AWS call failed: {0}")]
    Aws(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A sender's API refused, failed or kept failing.
    #[error("{0}")]
    Sender(String),
    /// The command ran and shows what it did, but not all of it succeeded:
    /// `problem` says what is left (exit code `code`).
    #[error("{problem}")]
    Unfinished {
        problem: String,
        code: u8,
        shown: Shown,
    },
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Aws(_) | Failure::Corrupt(_) | Failure::Sender(_) => 1,
            Failure::Usage(_) => 2,
            Failure::NotFound(_) => 3,
            Failure::Unfinished { code, .. } => *code,
        })
    }
}

impl From<webhook_shared::storage::StoreError> for Failure {
    fn from(error: webhook_shared::storage::StoreError) -> Self {
        use webhook_shared::storage::StoreError;
        match error {
            StoreError::CorruptState { .. } | StoreError::CorruptObject { .. } => {
                Failure::Corrupt(error.to_string())
            }
            other => Failure::Aws(other.to_string()),
        }
    }
}

/// A write through a function's store, as a command sees it: its outcome,
/// a refusal (DynamoDB cannot store the item: the delivery's problem, not
/// the command's), or a failure of the command.
fn written(
    result: Result<webhook_shared::Outcome, webhook_shared::storage::StoreError>,
) -> Result<Result<webhook_shared::Outcome, webhook_shared::Rejection>, Failure> {
    use webhook_shared::storage::StoreError;
    match result {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(error @ StoreError::Unstorable(_)) => Ok(Err(error.into())),
        Err(error) => Err(error.into()),
    }
}

/// Runs the command `cli` names.
pub async fn run(cli: &Cli) -> Result<Shown, Failure> {
    let target = target::resolve(&cli.target).await?;
    match &cli.command {
        Command::State { entity } => state::state(&target.store, entity).await,
        Command::History { entity } => state::history(&target.store, entity).await,
        Command::Quarantine { command } => match command {
            QuarantineCommand::List { source, since, all } => {
                quarantine::list(&target.store, *source, *since, *all).await
            }
            QuarantineCommand::Show { event_id } => quarantine::show(&target.store, event_id).await,
            QuarantineCommand::Replay {
                event_ids,
                all,
                dry_run,
            } => quarantine::replay(&target, event_ids, *all, *dry_run, !cli.json).await,
        },
        Command::Occ {
            command: OccCommand::Failed { command },
        } => match command {
            FailedCommand::List { since } => occ_failed::list(&target, *since).await,
            FailedCommand::Resend(resend) => occ_failed::resend(&target, resend, !cli.json).await,
        },
        Command::Reconcile { sender } => match sender {
            ReconcileCommand::Chargeover(args) => {
                reconcile::chargeover::reconcile(&target, args, !cli.json).await
            }
            ReconcileCommand::Occ(args) => {
                reconcile::occ::reconcile(&target, args, !cli.json).await
            }
        },
        Command::Gc { delete } => gc::gc(&target.store, *delete, !cli.json).await,
    }
}

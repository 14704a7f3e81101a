//! `webhook-admin`: see and repair what the webhook receivers did, without
//! writing DynamoDB queries. Replays run the functions' own library code.

pub mod cli;
mod gc;
mod output;
mod quarantine;
mod read;
mod state;
mod target;

use std::process::ExitCode;

use thiserror::Error;

use crate::cli::{Cli, Command, QuarantineCommand};
pub use crate::output::Shown;

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
    /// The command ran; some replayed deliveries are still refused.
    #[error("{refused} replayed deliveries are still refused")]
    StillRefused { refused: usize, shown: Shown },
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Aws(_) | Failure::Corrupt(_) => 1,
            Failure::Usage(_) => 2,
            Failure::NotFound(_) => 3,
            Failure::StillRefused { .. } => 4,
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
        Command::Gc { delete } => gc::gc(&target.store, *delete, !cli.json).await,
    }
}

use std::process::ExitCode;

use clap::Parser;
use webhook_admin::cli::Cli;
use webhook_admin::{run, Failure};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(shown) => {
            shown.print(cli.json);
            ExitCode::SUCCESS
        }
        Err(Failure::StillRefused { refused, shown }) => {
            shown.print(cli.json);
            eprintln!("webhook-admin: {refused} replayed deliveries are still refused");
            ExitCode::from(4)
        }
        Err(failure) => {
            eprintln!("webhook-admin: {failure}");
            failure.exit_code()
        }
    }
}

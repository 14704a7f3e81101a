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
        Err(Failure::Unfinished {
            problem,
            code,
            shown,
        }) => {
            shown.print(cli.json);
            eprintln!("webhook-admin: {problem}");
            ExitCode::from(code)
        }
        Err(failure) => {
            eprintln!("webhook-admin: {failure}");
            failure.exit_code()
        }
    }
}

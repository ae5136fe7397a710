//! Entry point: parse the command line, load the configuration, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use sipas::cli::{Cli, Command, MigrateAction};
use sipas::config::Settings;
use sipas::startup::Application;
use sipas::{commands, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, no backtrace: what failed and why.
            eprintln!("sipas: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(&cli.config_dir)?;
    telemetry::init(settings.log.format, &settings.log.level, telemetry::Stderr);
    match cli.command.unwrap_or(Command::Serve { bind: None }) {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
                settings.validate()?;
            }
            let app = Application::build(settings).await?;
            tracing::info!(address = %app.local_addr(), "sipas is listening");
            app.run_until_stopped().await
        }
        Command::Migrate { action } => {
            commands::migrate(&settings, action.unwrap_or(MigrateAction::Up)).await
        }
        Command::Forms { action } => commands::forms(&settings, action).await,
    }
}
